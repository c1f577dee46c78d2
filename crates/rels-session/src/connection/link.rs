//! The link to Redis: one multiplexed connection to a server (found
//! directly or through Sentinel), or a Cluster connection.
//!
//! A broken single-server connection is dropped and opened again on the
//! next request. For Sentinel, opening asks the Sentinels for the master
//! every time, so a failover is followed on the next reconnect.

use std::time::Duration;

use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::cluster_async::ClusterConnection;
use redis::io::tcp::TcpSettings;
use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use redis::{
    AsyncConnectionConfig, Client, Cmd, ConnectionAddr, IntoConnectionInfo, Pipeline,
    RedisConnectionInfo, RedisFuture, RedisResult, Value,
};
use tokio::sync::Mutex;

use crate::config::{RedisSettings, RedisUrl, Topology};

/// Opens connections as the settings say.
pub(crate) enum Link {
    Single(Box<Single>),
    Cluster(ClusterConnection),
}

/// One server, found directly or through Sentinel.
pub(crate) struct Single {
    opener: Opener,
    config: AsyncConnectionConfig,
    /// The open connection with a generation number, so that a request
    /// that saw it fail drops only that one, not a newer one another
    /// request already opened.
    current: Mutex<Option<(u64, MultiplexedConnection)>>,
}

pub(crate) enum Opener {
    Client(Client),
    Sentinel(Mutex<SentinelClient>),
}

/// A connection handed to one request.
#[derive(Clone)]
pub(crate) enum Conn {
    Single {
        generation: u64,
        conn: MultiplexedConnection,
    },
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
        let tcp = TcpSettings::default().set_nodelay(true);
        let link = match &url.topology {
            Topology::Cluster { nodes } => {
                let conn = cluster_client(settings, nodes, tcp)?
                    .get_async_connection()
                    .await?;
                Self::Cluster(conn)
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
            link.get().await?;
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
            current: Mutex::new(None),
        }))
    }

    /// The open connection, opening one when there is none.
    pub(crate) async fn get(&self) -> RedisResult<Conn> {
        match self {
            Self::Cluster(conn) => Ok(Conn::Cluster(conn.clone())),
            Self::Single(single) => {
                let Single {
                    opener,
                    config,
                    current,
                } = &**single;
                // Holding the lock while connecting makes concurrent requests
                // wait for one new connection instead of each opening one.
                let mut current = current.lock().await;
                if let Some((generation, conn)) = &*current {
                    return Ok(Conn::Single {
                        generation: *generation,
                        conn: conn.clone(),
                    });
                }
                let conn = opener.open(config).await?;
                let generation = rand::random::<u64>();
                *current = Some((generation, conn.clone()));
                Ok(Conn::Single { generation, conn })
            }
        }
    }

    /// Forgets a connection that failed, so the next request opens a new
    /// one. A Cluster connection repairs itself.
    pub(crate) async fn discard(&self, failed: &Conn) {
        if let (Self::Single(single), Conn::Single { generation, .. }) = (self, failed) {
            let mut current = single.current.lock().await;
            if matches!(&*current, Some((g, _)) if g == generation) {
                *current = None;
            }
        }
    }

    pub(crate) fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }
}

impl Opener {
    async fn open(&self, config: &AsyncConnectionConfig) -> RedisResult<MultiplexedConnection> {
        match self {
            Self::Client(client) => {
                client
                    .get_multiplexed_async_connection_with_config(config)
                    .await
            }
            Self::Sentinel(client) => {
                client
                    .lock()
                    .await
                    .get_async_connection_with_config(config)
                    .await
            }
        }
    }
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single { conn, .. } => conn.req_packed_command(cmd),
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
            Self::Single { conn, .. } => conn.req_packed_commands(cmd, offset, count),
            Self::Cluster(conn) => conn.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single { conn, .. } => conn.get_db(),
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

fn cluster_client(
    settings: &RedisSettings,
    nodes: &[(String, u16)],
    tcp: TcpSettings,
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
        // Our own retry policy decides; the client's would stack on it.
        .retries(0);
    if let Some(user) = &url.username {
        builder = builder.username(user);
    }
    if let Some(password) = &url.password {
        builder = builder.password(password.expose());
    }
    builder = tls::cluster(builder, settings)?;
    builder.build()
}

#[cfg(feature = "tls")]
mod tls {
    use redis::sentinel::SentinelClientBuilder;
    use redis::{Client, ConnectionInfo, RedisResult, TlsCertificates, TlsMode};

    use crate::config::RedisSettings;

    /// The CA of `ssl_params.ca_file`, when one is set.
    pub(super) fn certificates(settings: &RedisSettings) -> RedisResult<Option<TlsCertificates>> {
        let Some(path) = &settings.ca_file else {
            return Ok(None);
        };
        let pem = std::fs::read(path)?;
        Ok(Some(TlsCertificates {
            client_tls: None,
            root_cert: Some(pem),
        }))
    }

    pub(super) fn client_with(info: ConnectionInfo, certs: TlsCertificates) -> RedisResult<Client> {
        Client::build_with_tls(info, certs)
    }

    pub(super) fn sentinel(
        mut builder: SentinelClientBuilder,
        settings: &RedisSettings,
    ) -> RedisResult<SentinelClientBuilder> {
        if !settings.url.tls {
            return Ok(builder);
        }
        builder = builder
            .set_client_to_redis_tls_mode(TlsMode::Secure)
            .set_client_to_sentinel_tls_mode(TlsMode::Secure);
        if let Some(certs) = certificates(settings)? {
            builder = builder
                .set_client_to_redis_certificates(certs.clone())
                .set_client_to_sentinel_certificates(certs);
        }
        Ok(builder)
    }

    pub(super) fn cluster(
        mut builder: redis::cluster::ClusterClientBuilder,
        settings: &RedisSettings,
    ) -> RedisResult<redis::cluster::ClusterClientBuilder> {
        if !settings.url.tls {
            return Ok(builder);
        }
        builder = builder.tls(TlsMode::Secure);
        if let Some(certs) = certificates(settings)? {
            builder = builder.certs(certs);
        }
        Ok(builder)
    }
}

#[cfg(not(feature = "tls"))]
mod tls {
    use redis::sentinel::SentinelClientBuilder;
    use redis::{Client, ConnectionInfo, RedisError, RedisResult};

    use crate::config::RedisSettings;

    /// The placeholder for certificates when TLS is compiled out.
    pub(super) enum NoCerts {}

    fn refuse<T>(settings: &RedisSettings) -> RedisResult<T> {
        let _ = settings;
        Err(RedisError::from((
            redis::ErrorKind::InvalidClientConfig,
            "TLS was requested but rels-session was built without its `tls` feature",
        )))
    }

    pub(super) fn certificates(settings: &RedisSettings) -> RedisResult<Option<NoCerts>> {
        if settings.url.tls {
            refuse(settings)
        } else {
            Ok(None)
        }
    }

    pub(super) fn client_with(_: ConnectionInfo, certs: NoCerts) -> RedisResult<Client> {
        match certs {}
    }

    pub(super) fn sentinel(
        builder: SentinelClientBuilder,
        settings: &RedisSettings,
    ) -> RedisResult<SentinelClientBuilder> {
        if settings.url.tls {
            refuse(settings)
        } else {
            Ok(builder)
        }
    }

    pub(super) fn cluster(
        builder: redis::cluster::ClusterClientBuilder,
        settings: &RedisSettings,
    ) -> RedisResult<redis::cluster::ClusterClientBuilder> {
        if settings.url.tls {
            refuse(settings)
        } else {
            Ok(builder)
        }
    }
}
