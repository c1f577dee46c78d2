//! Listening, serving and stopping: the demo binds its address, says so
//! on standard output, serves until Ctrl-C or SIGTERM, and then lets the
//! requests in flight finish.

use std::io::{self, Write as _};
use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;

use crate::cli::Args;
use crate::routes::app;
use crate::store::open_store;

/// Why the demo could not start or stopped early.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] rels_session::Error),
    /// The address could not be bound, or serving failed.
    #[error("cannot serve on {addr}: {source}")]
    Serve {
        /// The address asked for.
        addr: SocketAddr,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
}

/// Runs the demo as `args` say, until Ctrl-C or SIGTERM.
///
/// # Errors
///
/// A [`RunError`] when the store cannot be opened or the address cannot
/// be bound.
///
/// # Examples
///
/// ```no_run
/// use clap::Parser;
///
/// # async fn demo() -> Result<(), rels_session_demo::RunError> {
/// let args = rels_session_demo::Args::parse_from(["demo", "--listen", "127.0.0.1:0"]);
/// rels_session_demo::run(args).await
/// # }
/// ```
pub async fn run(args: Args) -> Result<(), RunError> {
    let store = open_store(args.config.as_deref()).await?;
    tracing::warn!(
        "serving plain HTTP: the session cookie is sent without the Secure attribute; \
         put a TLS proxy in front for anything but local testing"
    );
    let serve_error = |source| RunError::Serve {
        addr: args.listen,
        source,
    };
    let listener = TcpListener::bind(args.listen).await.map_err(serve_error)?;
    // Build the User-Agent parser now rather than on the first sign-in.
    rels_session::device::warm_up();
    serve(listener, app(store)).await.map_err(serve_error)
}

/// Serves `app` on `listener` until Ctrl-C or SIGTERM, after printing
/// `listening on http://ADDR` (the bound address, so port 0 shows the
/// port picked) to standard output. Each request sees its client's
/// address as axum's `ConnectInfo<SocketAddr>`.
///
/// # Errors
///
/// An I/O error when the listener's address cannot be read or serving
/// fails.
///
/// # Examples
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let app = rels_session_demo::app(rels_session::Store::memory());
/// rels_session_demo::serve(listener, app).await
/// # }
/// ```
pub async fn serve(listener: TcpListener, app: Router) -> io::Result<()> {
    // The handlers are in place before the address is announced: a
    // SIGTERM sent by whoever read the line must stop the server cleanly,
    // not kill it.
    let stop = shutdown_signal();
    let addr = listener.local_addr()?;
    announce(addr)?;
    tracing::info!(%addr, "listening");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stop)
    .await?;
    tracing::info!("stopped");
    Ok(())
}

/// The one line scripts wait for. Written after binding, so a client that
/// reads it can connect at once.
fn announce(addr: SocketAddr) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "listening on http://{addr}")?;
    out.flush()
}

/// Installs the Ctrl-C and SIGTERM handlers now, and resolves on either.
/// If a handler cannot be installed, that signal is logged and ignored
/// rather than stopping the server at once.
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send {
    let interrupt = listen(Stop::Interrupt);
    let terminate = listen(Stop::Terminate);
    async move {
        tokio::select! {
            () = interrupt => {}
            () = terminate => {}
        }
        tracing::info!("shutting down: finishing the requests in flight");
    }
}

#[derive(Clone, Copy, Debug)]
enum Stop {
    Interrupt,
    Terminate,
}

#[cfg(unix)]
fn listen(stop: Stop) -> impl std::future::Future<Output = ()> + Send {
    use tokio::signal::unix::{SignalKind, signal};

    let kind = match stop {
        Stop::Interrupt => SignalKind::interrupt(),
        Stop::Terminate => SignalKind::terminate(),
    };
    // Creating the stream is what installs the handler.
    let stream = signal(kind);
    async move {
        match stream {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, signal = ?stop, "cannot listen for the signal");
                std::future::pending::<()>().await;
            }
        }
    }
}

#[cfg(not(unix))]
fn listen(stop: Stop) -> impl std::future::Future<Output = ()> + Send {
    async move {
        if matches!(stop, Stop::Interrupt) && tokio::signal::ctrl_c().await.is_ok() {
            return;
        }
        std::future::pending::<()>().await;
    }
}
