//! HTTP: the same small axum app without sessions, with our
//! [`SessionLayer`], and with tower-sessions and its Redis store, served on
//! loopback and driven by an in-process load generator for a bounded
//! time.
//!
//! The app has two routes: `/read` reads one value of the session, `/write`
//! reads and changes it. Every connection of the generator carries the
//! cookie of its own stored session (the gem's signed-in payload), so each
//! request loads a real session.
//!
//! The server runs on its own runtime (one worker) and thread, on the
//! client's core; the generator runs on `redis-server`'s core, which by
//! default is the same one (see `pin`). The generator keeps one HTTP/1.1
//! connection per task, as `wrk` does.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::routing::get;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rels_session::web::{Refresh, RequestSession, SessionError, SessionLayer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::BenchResult;
use crate::fixture::{connect, public_id, seed_sessions};
use crate::measure::{self, Plan, Sample, Step, Worker};
use crate::pin::pin_thread;
use crate::server::BenchRedis;
use crate::store::{our_store, peer};

/// Session numbers of the generator's connections start here.
const HTTP_BASE: u64 = 40_000_000;

/// An app under load.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub(crate) enum App {
    /// No session layer at all.
    Plain,
    /// Our layer. `OnChange`: a read sends one `MGET`; `OnLoad` (the
    /// default, Rails' sliding expiry): a read also resets the TTL.
    Ours(#[serde(skip)] Refresh),
    /// tower-sessions. `always_save` with an inactivity expiry is its
    /// sliding expiry: a read also saves.
    Peer { always_save: bool },
}

impl App {
    /// How the app is named in the report.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Plain => "no sessions",
            Self::Ours(Refresh::OnChange) => "rels-session (refresh on change)",
            Self::Ours(_) => "rels-session (default: refresh on load)",
            Self::Peer { always_save: false } => "tower-sessions (default)",
            Self::Peer { always_save: true } => "tower-sessions (always save, on inactivity)",
        }
    }

    /// Every app, in the order of the report.
    pub(crate) fn all() -> [Self; 5] {
        [
            Self::Plain,
            Self::Ours(Refresh::OnChange),
            Self::Peer { always_save: false },
            Self::Ours(Refresh::OnLoad),
            Self::Peer { always_save: true },
        ]
    }

    fn cookie(self, connection: u64) -> Option<String> {
        let n = HTTP_BASE + connection;
        match self {
            Self::Plain => None,
            Self::Ours(_) => Some(format!("rels_session={}", public_id(n).expose())),
            Self::Peer { .. } => Some(format!("id={}", peer::id(n))),
        }
    }
}

/// A request sent to the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub(crate) enum Route {
    Read,
    Write,
}

impl Route {
    pub(crate) fn path(self) -> &'static str {
        match self {
            Self::Read => "/read",
            Self::Write => "/write",
        }
    }
}

/// Stores the sessions of `connections` generator connections, for both
/// session layers.
pub(crate) async fn seed(url: &str, connections: u64) -> BenchResult<()> {
    let mut conn = connect(url).await?;
    seed_sessions(&mut conn, HTTP_BASE, HTTP_BASE + connections).await?;
    let store = peer::connect(url).await?;
    peer::seed(&store, HTTP_BASE, HTTP_BASE + connections).await
}

/// An app served on its own pinned thread until dropped.
pub(crate) struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<BenchResult<()>>>,
}

impl Server {
    /// Serves `app`, with its sessions in Redis at `url`, on a free
    /// loopback port.
    pub(crate) fn start(app: App, url: String, core: Option<usize>) -> BenchResult<Self> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::spawn(move || serve(app, url, core, ready_tx, stopped));
        let addr = ready_rx
            .recv_timeout(Duration::from_secs(10))
            .map_err(|_| "the HTTP server did not start")??;
        Ok(Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Stops the server and waits for its thread. Waits without blocking:
    /// the client ends of the connections live on the caller's runtime,
    /// and the server's graceful shutdown waits for them to close.
    pub(crate) async fn stop(mut self) -> BenchResult<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let Some(thread) = self.thread.take() else {
            return Ok(());
        };
        while !thread.is_finished() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        thread
            .join()
            .map_err(|_| "the HTTP server thread panicked")?
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A server dropped on an error path is told to stop but not
        // waited for: its thread ends on its own.
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

type Ready = std::sync::mpsc::Sender<BenchResult<SocketAddr>>;

fn serve(
    app: App,
    url: String,
    core: Option<usize>,
    ready: Ready,
    stopped: oneshot::Receiver<()>,
) -> BenchResult<()> {
    pin_thread(core);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .on_thread_start(move || pin_thread(core))
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let started = async {
            let router = router(app, &url).await?;
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            Ok::<_, crate::BenchError>((router, listener))
        };
        let (router, listener) = match started.await {
            Ok(started) => started,
            Err(err) => {
                let _ = ready.send(Err(err.to_string().into()));
                return Ok(());
            }
        };
        let _ = ready.send(Ok(listener.local_addr()?));
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await?;
        Ok(())
    })
}

async fn router(app: App, url: &str) -> BenchResult<Router> {
    Ok(match app {
        App::Plain => Router::new()
            .route("/read", get(|| async { "0" }))
            .route("/write", get(|| async { "0" })),
        App::Ours(refresh) => {
            let store = our_store(url, 50).await?;
            Router::new()
                .route("/read", get(ours_read))
                .route("/write", get(ours_write))
                .layer(SessionLayer::new(store).with_refresh(refresh))
        }
        App::Peer { always_save } => {
            let store = peer::connect(url).await?;
            let mut layer = SessionManagerLayer::new(store);
            if always_save {
                layer = layer
                    .with_always_save(true)
                    .with_expiry(Expiry::OnInactivity(time::Duration::days(14)));
            }
            Router::new()
                .route("/read", get(peer_read))
                .route("/write", get(peer_write))
                .layer(layer)
        }
    })
}

async fn ours_read(session: RequestSession) -> Result<String, SessionError> {
    let course: Option<u64> = session.get("course_id").await?;
    Ok(course.unwrap_or(0).to_string())
}

async fn ours_write(session: RequestSession) -> Result<String, SessionError> {
    let visits: u64 = session.get("visits").await?.unwrap_or(0);
    session.insert("visits", &(visits + 1)).await?;
    Ok(visits.to_string())
}

async fn peer_read(session: tower_sessions::Session) -> Result<String, StatusCode> {
    let course: Option<u64> = session.get("course_id").await.map_err(internal)?;
    Ok(course.unwrap_or(0).to_string())
}

async fn peer_write(session: tower_sessions::Session) -> Result<String, StatusCode> {
    let visits: u64 = session.get("visits").await.map_err(internal)?.unwrap_or(0);
    session
        .insert("visits", visits + 1)
        .await
        .map_err(internal)?;
    Ok(visits.to_string())
}

fn internal(err: tower_sessions::session::Error) -> StatusCode {
    eprintln!("bench: tower-sessions: {err}");
    StatusCode::INTERNAL_SERVER_ERROR
}

/// One connection of the load generator: the same request, again and
/// again.
pub(crate) struct Connection {
    sender: SendRequest<Empty<Bytes>>,
    path: &'static str,
    host: String,
    cookie: Option<String>,
}

impl Connection {
    /// Opens connection number `n` to `server`, for `route` of `app`.
    pub(crate) async fn open(server: &Server, app: App, route: Route, n: u64) -> BenchResult<Self> {
        let stream = TcpStream::connect(server.addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(Self {
            sender,
            path: route.path(),
            host: server.addr.to_string(),
            cookie: app.cookie(n),
        })
    }
}

impl Worker for Connection {
    fn step(&mut self) -> Step<'_> {
        Box::pin(async move {
            let mut request = hyper::Request::get(self.path).header(header::HOST, &self.host);
            if let Some(cookie) = &self.cookie {
                request = request.header(header::COOKIE, cookie);
            }
            self.sender.ready().await?;
            let response = self
                .sender
                .send_request(request.body(Empty::new())?)
                .await?;
            let status = response.status();
            response.into_body().collect().await?;
            if status == StatusCode::OK {
                Ok(1)
            } else {
                Err(format!("the app answered {status}").into())
            }
        })
    }
}

/// Every run of one app and route.
#[derive(Debug, serde::Serialize)]
pub(crate) struct HttpRow {
    pub(crate) app: App,
    pub(crate) label: &'static str,
    pub(crate) route: Route,
    pub(crate) connections: usize,
    pub(crate) runs: Vec<Sample>,
}

/// Where the server and the generator run.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Placement {
    /// The server under test.
    pub(crate) server: Option<usize>,
    /// The load generator (this thread), beside `redis-server`.
    pub(crate) generator: Option<usize>,
}

/// Measures every app on both routes, `runs` times, with the sides taking
/// turns in an order that flips every run.
pub(crate) async fn run(
    redis: &BenchRedis,
    plan: Plan,
    connections: usize,
    runs: usize,
    placement: Placement,
) -> BenchResult<Vec<HttpRow>> {
    pin_thread(placement.generator);
    let url = redis.url(0);
    seed(&url, connections as u64).await?;
    let mut rows = Vec::new();
    for route in [Route::Read, Route::Write] {
        let first = rows.len();
        for app in App::all() {
            rows.push(HttpRow {
                app,
                label: app.label(),
                route,
                connections,
                runs: Vec::new(),
            });
        }
        for run in 0..runs {
            let mut order: Vec<usize> = (first..rows.len()).collect();
            if run % 2 == 1 {
                order.reverse();
            }
            for i in order {
                let app = rows[i].app;
                let server = Server::start(app, url.clone(), placement.server)?;
                let mut workers: Vec<Box<dyn Worker>> = Vec::with_capacity(connections);
                for n in 0..connections as u64 {
                    workers.push(Box::new(Connection::open(&server, app, route, n).await?));
                }
                let sample = measure::continuous(workers, plan, redis).await?;
                server.stop().await?;
                rows[i].runs.push(sample);
            }
        }
        eprintln!("bench: HTTP {route:?} done");
    }
    Ok(rows)
}
