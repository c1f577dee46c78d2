//! The link to Redis: one multiplexed connection to a server (found
//! directly or through Sentinel), or a Cluster connection.
//!
//! A broken single-server connection is dropped and opened again on the
//! next request. For Sentinel, opening asks the Sentinels for the master
//! every time, so a failover is followed on the next reconnect.
//!
//! A Cluster connection repairs itself and follows slots that move. It is
//! opened twice, with two retry policies: see [`Cluster`].

use std::time::Duration;

use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{MultipleNodeRoutingInfo, RoutingInfo, SingleNodeRoutingInfo};
use redis::io::tcp::TcpSettings;
use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use redis::{
    AsyncConnectionConfig, Client, Cmd, ConnectionAddr, ErrorKind, IntoConnectionInfo, Pipeline,
    RedisConnectionInfo, RedisError, RedisFuture, RedisResult, Role, Value,
};
use tokio::sync::Mutex;

use super::{Safety, tls};
use crate::config::{RedisSettings, RedisUrl, Topology};

/// How many times the Cluster client may send a request that may run
/// twice again by itself: enough to follow a `MOVED` and then an `ASK`
/// while a slot moves, and to wait out a `TRYAGAIN`.
const CLUSTER_RETRIES: u32 = 5;

/// Opens connections as the settings say.
pub(crate) enum Link {
    Single(Box<Single>),
    Cluster(Box<Cluster>),
}

/// One server, found directly or through Sentinel.
pub(crate) struct Single {
    opener: Opener,
    config: AsyncConnectionConfig,
    /// How long a write waits for a replica to acknowledge it, behind
    /// Sentinel (`WAIT`): the write timeout.
    replica_wait: Duration,
    current: Mutex<Option<Open>>,
}

/// The open connection of a [`Single`].
#[derive(Clone)]
pub(crate) struct Open {
    /// Tells this connection from a newer one, so that a request that saw
    /// it fail drops only this one, not one another request opened since.
    generation: u64,
    conn: MultiplexedConnection,
    /// Set when writes on this connection are acknowledged only once a
    /// replica has them: behind Sentinel, when the master had replicas at
    /// connect time. See `super::durable`.
    replica_wait: Option<Duration>,
}

pub(crate) enum Opener {
    Client(Client),
    Sentinel(Mutex<SentinelClient>),
}

/// A Redis Cluster, through two clients that differ in what they may send
/// twice.
///
/// The Cluster client follows `MOVED` and `ASK` only as retries, and the
/// same retries resend a request whose connection broke after it was sent.
/// Requests that may run twice go through `repeating`, which retries;
/// counters go through `once`, which never does: a redirect then comes
/// back as an error, and since the server did not run the request, our
/// own retry sends it again (see `super::failure`).
pub(crate) struct Cluster {
    repeating: ClusterConnection,
    once: ClusterConnection,
}

/// A connection handed to one request.
#[derive(Clone)]
pub(crate) enum Conn {
    Single(Open),
    Cluster(ClusterConnection),
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            Self::Single(single) => match single.opener {
                Opener::Client(_) => "single",
                Opener::Sentinel(_) => "sentinel",
            },
            Self::Cluster(_) => "cluster",
        };
        f.debug_struct("Link")
            .field("kind", &kind)
            .finish_non_exhaustive()
    }
}

impl Link {
    /// Builds the clients and opens the first connection, so that a wrong
    /// address or password shows at start-up.
    pub(crate) async fn open(settings: &RedisSettings) -> RedisResult<Self> {
        let url = &settings.url;
        if url.tls {
            tls::ensure_crypto_provider();
        }
        let tcp = TcpSettings::default().set_nodelay(true);
        let link = match &url.topology {
            Topology::Cluster { nodes } => {
                let repeating = cluster_client(settings, nodes, tcp.clone(), CLUSTER_RETRIES)?
                    .get_async_connection()
                    .await?;
                let once = cluster_client(settings, nodes, tcp, 0)?
                    .get_async_connection()
                    .await?;
                Self::Cluster(Box::new(Cluster { repeating, once }))
            }
            Topology::Sentinel {
                sentinels,
                master,
                db,
            } => Self::single(
                Opener::Sentinel(Mutex::new(sentinel_client(
                    settings, sentinels, master, *db, tcp,
                )?)),
                settings,
            ),
            Topology::Standalone { host, port, db } => {
                let addr = tcp_addr(url, host.clone(), *port);
                Self::single(Opener::Client(client(settings, addr, *db, tcp)?), settings)
            }
            Topology::Unix { path, db } => {
                let addr = ConnectionAddr::Unix(path.clone());
                Self::single(Opener::Client(client(settings, addr, *db, tcp)?), settings)
            }
        };
        if let Self::Single(_) = link {
            link.get(Safety::Repeatable).await?;
        }
        Ok(link)
    }

    fn single(opener: Opener, settings: &RedisSettings) -> Self {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(settings.connect_timeout))
            .set_response_timeout(Some(response_timeout(settings)));
        Self::Single(Box::new(Single {
            opener,
            config,
            replica_wait: settings.write_timeout,
            current: Mutex::new(None),
        }))
    }

    /// The open connection for a request of this safety, opening one when
    /// there is none.
    pub(crate) async fn get(&self, safety: Safety) -> RedisResult<Conn> {
        match self {
            Self::Cluster(cluster) => Ok(Conn::Cluster(match safety {
                Safety::Repeatable => cluster.repeating.clone(),
                Safety::Once => cluster.once.clone(),
            })),
            Self::Single(single) => {
                if let Ok(current) = single.current.try_lock()
                    && let Some(open) = &*current
                {
                    return Ok(Conn::Single(open.clone()));
                }
                // Holding the lock while connecting makes concurrent requests
                // wait for one new connection instead of each opening one.
                let mut current = single.current.lock().await;
                if let Some(open) = &*current {
                    return Ok(Conn::Single(open.clone()));
                }
                let (conn, has_replicas) = single.opener.open(&single.config).await?;
                let open = Open {
                    generation: rand::random::<u64>(),
                    conn,
                    replica_wait: has_replicas.then_some(single.replica_wait),
                };
                *current = Some(open.clone());
                Ok(Conn::Single(open))
            }
        }
    }

    /// Forgets a connection that failed, so the next request opens a new
    /// one. A Cluster connection repairs itself.
    pub(crate) async fn discard(&self, failed: &Conn) {
        if let (Self::Single(single), Conn::Single(failed)) = (self, failed) {
            let mut current = single.current.lock().await;
            if current
                .as_ref()
                .is_some_and(|open| open.generation == failed.generation)
            {
                *current = None;
            }
        }
    }

    pub(crate) fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }
}

impl Opener {
    /// A new connection, and whether its server is a master with replicas
    /// (only asked behind Sentinel).
    async fn open(
        &self,
        config: &AsyncConnectionConfig,
    ) -> RedisResult<(MultiplexedConnection, bool)> {
        match self {
            Self::Client(client) => {
                let conn = client
                    .get_multiplexed_async_connection_with_config(config)
                    .await?;
                Ok((conn, false))
            }
            Self::Sentinel(client) => {
                let mut conn = client
                    .lock()
                    .await
                    .get_async_connection_with_config(config)
                    .await?;
                let role: Role = redis::cmd("ROLE").query_async(&mut conn).await?;
                let has_replicas =
                    matches!(role, Role::Primary { replicas, .. } if !replicas.is_empty());
                Ok((conn, has_replicas))
            }
        }
    }
}

impl Conn {
    /// How long a write waits for a replica to acknowledge it, when it
    /// must.
    pub(crate) fn replica_wait(&self) -> Option<Duration> {
        match self {
            Self::Single(open) => open.replica_wait,
            Self::Cluster(_) => None,
        }
    }

    /// Sends `cmd` to every master of a Cluster. The answer maps each
    /// master's address (`host:port`) to its reply; any error reply fails
    /// the whole request.
    pub(crate) async fn on_masters(&mut self, cmd: &Cmd) -> RedisResult<Value> {
        let routing = RoutingInfo::MultiNode((MultipleNodeRoutingInfo::AllMasters, None));
        self.route(cmd, routing).await?.extract_error()
    }

    /// Sends `cmd` to the Cluster node at `node` (`host:port`).
    pub(crate) async fn on_node(&mut self, node: &str, cmd: &Cmd) -> RedisResult<Value> {
        let (host, port) = node
            .rsplit_once(':')
            .and_then(|(host, port)| Some((host.to_owned(), port.parse().ok()?)))
            .ok_or_else(|| client_error("a Cluster node address is not host:port"))?;
        let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress { host, port });
        self.route(cmd, routing).await?.extract_error()
    }

    async fn route(&mut self, cmd: &Cmd, routing: RoutingInfo) -> RedisResult<Value> {
        match self {
            Self::Cluster(conn) => conn.route_command(cmd.clone(), routing).await,
            Self::Single(_) => Err(client_error("only a Cluster has nodes to route to")),
        }
    }
}

fn client_error(what: &'static str) -> RedisError {
    RedisError::from((ErrorKind::Client, what))
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(Open { conn, .. }) => conn.req_packed_command(cmd),
            Self::Cluster(conn) => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(Open { conn, .. }) => conn.req_packed_commands(cmd, offset, count),
            Self::Cluster(conn) => conn.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(Open { conn, .. }) => conn.get_db(),
            Self::Cluster(conn) => conn.get_db(),
        }
    }
}

/// redis-rs has one timeout for sending a request and reading its answer.
fn response_timeout(settings: &RedisSettings) -> Duration {
    settings.read_timeout + settings.write_timeout
}

fn tcp_addr(url: &RedisUrl, host: String, port: u16) -> ConnectionAddr {
    if url.tls {
        ConnectionAddr::TcpTls {
            host,
            port,
            insecure: false,
            tls_params: None,
        }
    } else {
        ConnectionAddr::Tcp(host, port)
    }
}

fn redis_info(url: &RedisUrl, db: i64) -> RedisConnectionInfo {
    let mut info = RedisConnectionInfo::default().set_db(db);
    if let Some(user) = &url.username {
        info = info.set_username(user);
    }
    if let Some(password) = &url.password {
        info = info.set_password(password.expose());
    }
    info
}

fn client(
    settings: &RedisSettings,
    addr: ConnectionAddr,
    db: i64,
    tcp: TcpSettings,
) -> RedisResult<Client> {
    let info = addr
        .into_connection_info()?
        .set_redis_settings(redis_info(&settings.url, db))
        .set_tcp_settings(tcp);
    let certs = if settings.url.tls {
        tls::certificates(settings)?
    } else {
        None
    };
    match certs {
        Some(certs) => tls::client_with(info, certs),
        None => Client::open(info),
    }
}

fn sentinel_client(
    settings: &RedisSettings,
    sentinels: &[(String, u16)],
    master: &str,
    db: i64,
    tcp: TcpSettings,
) -> RedisResult<SentinelClient> {
    let url = &settings.url;
    let addrs = sentinels.iter().map(|(h, p)| tcp_addr(url, h.clone(), *p));
    let mut builder = SentinelClientBuilder::new(addrs, master, SentinelServerType::Master)?
        .set_client_to_redis_db(db)
        .set_client_to_redis_tcp_settings(tcp.clone())
        .set_client_to_sentinel_tcp_settings(tcp);
    if let Some(user) = &url.username {
        builder = builder.set_client_to_redis_username(user);
    }
    if let Some(password) = &url.password {
        builder = builder.set_client_to_redis_password(password.expose());
    }
    if let Some(user) = &settings.sentinel_username {
        builder = builder.set_client_to_sentinel_username(user);
    }
    if let Some(password) = &settings.sentinel_password {
        builder = builder.set_client_to_sentinel_password(password.expose());
    }
    builder = tls::sentinel(builder, settings)?;
    builder.build()
}

/// A Cluster client that resends a request by itself up to `retries`
/// times, after a redirect or a broken connection.
fn cluster_client(
    settings: &RedisSettings,
    nodes: &[(String, u16)],
    tcp: TcpSettings,
    retries: u32,
) -> RedisResult<redis::cluster::ClusterClient> {
    let url = &settings.url;
    let infos = nodes
        .iter()
        .map(|(h, p)| {
            Ok(tcp_addr(url, h.clone(), *p)
                .into_connection_info()?
                .set_redis_settings(redis_info(url, 0)))
        })
        .collect::<RedisResult<Vec<_>>>()?;
    let mut builder = redis::cluster::ClusterClientBuilder::new(infos)
        .connection_timeout(settings.connect_timeout)
        .response_timeout(response_timeout(settings))
        .tcp_settings(tcp)
        .retries(retries)
        // Waits for a `TRYAGAIN` while a slot moves; the client's default
        // starts above a second.
        .min_retry_wait(10)
        .max_retry_wait(1_000);
    if let Some(user) = &url.username {
        builder = builder.username(user);
    }
    if let Some(password) = &url.password {
        builder = builder.password(password.expose());
    }
    builder = tls::cluster(builder, settings)?;
    builder.build()
}
