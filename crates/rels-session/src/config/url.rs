//! [`RedisUrl`]: where Redis is and how to log in, read from the URL forms
//! of SPEC 1.7.
//!
//! The forms with several hosts (Sentinel, Cluster) are not URLs that the
//! `url` crate can read, so every form is parsed here by hand, with one set
//! of rules for credentials, hosts and ports (in `authority`). Error
//! messages never repeat any part of the user's text, not even the scheme:
//! a malformed URL can put the password anywhere.

use std::{fmt, path::PathBuf};

use super::{
    Secret,
    authority::{credentials, decode, encode, host_list, render_host, render_hosts},
};

/// Port of a Redis server when the URL gives none.
const REDIS_PORT: u16 = 6379;

/// Port of a Redis Sentinel when the URL gives none.
const SENTINEL_PORT: u16 = 26379;

/// The schemes we read, for error messages.
const SCHEMES: &str = "redis, rediss, redis+unix, unix, redis+sentinel, \
                       rediss+sentinel, redis+cluster or rediss+cluster";

/// How to reach Redis: the parsed `redis_options.url`.
///
/// Its `Debug` redacts the password, and [`RedisUrl::redacted`] renders it
/// for messages with the password replaced by `***`.
///
/// # Examples
///
/// ```
/// use rels_session::{RedisUrl, Topology};
///
/// let url = RedisUrl::parse("rediss://app:hunter2@cache.internal/4")?;
/// assert!(url.tls);
/// assert_eq!(url.username.as_deref(), Some("app"));
/// assert_eq!(
///     url.topology,
///     Topology::Standalone { host: "cache.internal".into(), port: 6379, db: 4 }
/// );
/// assert!(!format!("{url:?}").contains("hunter2"));
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl {
    /// Which servers to talk to, and which database.
    pub topology: Topology,
    /// User name for Redis ACLs (`AUTH user password`).
    pub username: Option<String>,
    /// Password of the Redis server (of the master, behind a Sentinel).
    pub password: Option<Secret>,
    /// Whether to connect with TLS (`rediss` schemes).
    pub tls: bool,
}

/// The servers a [`RedisUrl`] points at.
///
/// # Examples
///
/// ```
/// use rels_session::{RedisUrl, Topology};
///
/// let url = RedisUrl::parse("redis+sentinel://s1:26379,s2/mymaster/2")?;
/// let Topology::Sentinel { sentinels, master, db } = url.topology else {
///     unreachable!("a sentinel URL");
/// };
/// assert_eq!(sentinels, [("s1".into(), 26379), ("s2".into(), 26379)]);
/// assert_eq!((master.as_str(), db), ("mymaster", 2));
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Topology {
    /// One server over TCP (`redis://`, `rediss://`).
    Standalone {
        /// Host name or IP address; an IPv6 address without brackets.
        host: String,
        /// TCP port, 6379 by default.
        port: u16,
        /// Database index, 0 by default.
        db: i64,
    },
    /// One server on a Unix socket (`redis+unix://`, `unix://`).
    Unix {
        /// Path of the socket.
        path: PathBuf,
        /// Database index, 0 by default.
        db: i64,
    },
    /// A master found through Sentinels (`redis+sentinel://`).
    Sentinel {
        /// The Sentinels to ask, in order; port 26379 by default.
        sentinels: Vec<(String, u16)>,
        /// The name under which the Sentinels know the master.
        master: String,
        /// Database index on the master, 0 by default.
        db: i64,
    },
    /// A Redis Cluster (`redis+cluster://`), which has only database 0.
    Cluster {
        /// Nodes to discover the cluster from; port 6379 by default.
        nodes: Vec<(String, u16)>,
    },
}

impl RedisUrl {
    /// Reads one of the URL forms of SPEC 1.7.
    ///
    /// - `redis://[user:password@]host[:port][/db]`, and `rediss://` for
    ///   TLS; an IPv6 host goes in brackets, as in `redis://[::1]:6379`;
    /// - `redis+unix:///path/to/redis.sock[?db=N]`, or `unix://...`;
    /// - `redis+sentinel://[user:password@]h1[:p1][,h2[:p2]...]/master[/db]`
    ///   (credentials are the master's), and `rediss+sentinel://`;
    /// - `redis+cluster://[user:password@]h1[:p1][,h2[:p2]...]`, and
    ///   `rediss+cluster://`.
    ///
    /// Reserved characters in a user name or password (`@ : / ? #` and
    /// `%`) must be percent-encoded.
    ///
    /// # Errors
    ///
    /// A message saying what is wrong. It never contains the password, nor
    /// any other part of `text` than its scheme.
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::{RedisUrl, Topology};
    ///
    /// let url = RedisUrl::parse("redis+unix:///run/redis.sock?db=3")?;
    /// assert_eq!(
    ///     url.topology,
    ///     Topology::Unix { path: "/run/redis.sock".into(), db: 3 }
    /// );
    /// assert!(RedisUrl::parse("http://localhost").is_err());
    /// # Ok::<(), String>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self, String> {
        let (scheme, rest) = split_scheme(text.trim())?;
        match scheme.as_str() {
            "redis" => parse_standalone(rest, false),
            "rediss" => parse_standalone(rest, true),
            "redis+unix" | "unix" => parse_unix(rest),
            "redis+sentinel" => parse_sentinel(rest, false),
            "rediss+sentinel" => parse_sentinel(rest, true),
            "redis+cluster" => parse_cluster(rest, false),
            "rediss+cluster" => parse_cluster(rest, true),
            // The scheme is not quoted back: in a mangled URL it could be
            // a password.
            _ => Err(format!("has an unsupported scheme; expected {SCHEMES}")),
        }
    }

    /// The URL for messages and logs, with the password replaced by `***`.
    ///
    /// # Examples
    ///
    /// ```
    /// let url = rels_session::RedisUrl::parse("redis://app:hunter2@db:6380")?;
    /// assert_eq!(url.redacted(), "redis://app:***@db:6380/0");
    /// # Ok::<(), String>(())
    /// ```
    pub fn redacted(&self) -> String {
        let credentials = self.redacted_credentials();
        let tls = if self.tls { "s" } else { "" };
        match &self.topology {
            Topology::Standalone { host, port, db } => {
                let host = render_host(host, *port);
                format!("redis{tls}://{credentials}{host}/{db}")
            }
            Topology::Unix { path, db } => {
                let path = path.display();
                format!("redis+unix://{credentials}{path}?db={db}")
            }
            Topology::Sentinel {
                sentinels,
                master,
                db,
            } => {
                let hosts = render_hosts(sentinels);
                format!("redis{tls}+sentinel://{credentials}{hosts}/{master}/{db}")
            }
            Topology::Cluster { nodes } => {
                let hosts = render_hosts(nodes);
                format!("redis{tls}+cluster://{credentials}{hosts}")
            }
        }
    }

    /// `user:***@`, `:***@`, `user@` or nothing.
    fn redacted_credentials(&self) -> String {
        let user = self.username.as_deref().map(encode).unwrap_or_default();
        match (&self.password, user.is_empty()) {
            (Some(_), _) => format!("{user}:***@"),
            (None, false) => format!("{user}@"),
            (None, true) => String::new(),
        }
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Destructured so that a new field cannot be added without
        // deciding whether it is secret.
        let Self {
            topology,
            username,
            password,
            tls,
        } = self;
        let password = password.as_ref().map(|_| "<redacted>");
        f.debug_struct("RedisUrl")
            .field("topology", topology)
            .field("username", username)
            .field("password", &password)
            .field("tls", tls)
            .finish()
    }
}

/// The scheme, lower-cased, and what follows `://`.
fn split_scheme(text: &str) -> Result<(String, &str), String> {
    if text.is_empty() {
        return Err("must not be empty".to_owned());
    }
    let not_a_url = || format!("is not a Redis URL: expected {SCHEMES}, as in redis://host:6379/0");
    let (scheme, rest) = text.split_once("://").ok_or_else(not_a_url)?;
    if scheme.is_empty() {
        return Err(not_a_url());
    }
    Ok((scheme.to_ascii_lowercase(), rest))
}

/// The pieces of a network URL: `[userinfo@]hosts[path][?query]`.
struct Parts<'a> {
    username: Option<String>,
    password: Option<Secret>,
    hosts: &'a str,
    path: &'a str,
}

/// Splits what follows `scheme://` for the forms that name hosts.
fn split_network(rest: &str) -> Result<Parts<'_>, String> {
    if rest.contains('#') {
        return Err(hash_message());
    }
    if rest.contains('?') {
        return Err("query parameters are not supported in this form; \
                    give the database in the path, as in /4"
            .to_owned());
    }
    let end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let (userinfo, hosts) = match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => (Some(userinfo), hosts),
        None => (None, authority),
    };
    let (username, password) = credentials(userinfo)?;
    Ok(Parts {
        username,
        password,
        hosts,
        path,
    })
}

fn hash_message() -> String {
    "contains '#': percent-encode it as %23 if it is part of the password".to_owned()
}

fn parse_standalone(rest: &str, tls: bool) -> Result<RedisUrl, String> {
    let parts = split_network(rest)?;
    let mut hosts = host_list(parts.hosts, REDIS_PORT)?;
    if hosts.len() > 1 {
        return Err("names several hosts; use redis+sentinel:// or \
                    redis+cluster:// for more than one"
            .to_owned());
    }
    let db = match parts.path.strip_prefix('/') {
        Some(db) if db.contains('/') => {
            return Err("has extra path segments; expected redis://host:port/db".to_owned());
        }
        Some(db) => parse_db(db)?,
        None => 0,
    };
    let (host, port) = hosts.remove(0);
    let topology = Topology::Standalone { host, port, db };
    Ok(with_parts(topology, parts, tls))
}

fn parse_sentinel(rest: &str, tls: bool) -> Result<RedisUrl, String> {
    let parts = split_network(rest)?;
    let sentinels = host_list(parts.hosts, SENTINEL_PORT)?;
    let path = parts.path.strip_prefix('/').unwrap_or_default();
    let mut segments = path.split('/');
    let master = segments.next().unwrap_or_default().to_owned();
    if master.is_empty() {
        return Err("has no master name; expected \
                    redis+sentinel://host:port/<master name>/<db>"
            .to_owned());
    }
    let db = parse_db(segments.next().unwrap_or_default())?;
    if segments.next().is_some() {
        return Err("has extra path segments; expected \
                    redis+sentinel://host:port/<master name>/<db>"
            .to_owned());
    }
    let topology = Topology::Sentinel {
        sentinels,
        master,
        db,
    };
    Ok(with_parts(topology, parts, tls))
}

fn parse_cluster(rest: &str, tls: bool) -> Result<RedisUrl, String> {
    let parts = split_network(rest)?;
    let nodes = host_list(parts.hosts, REDIS_PORT)?;
    let db = parts.path.strip_prefix('/').unwrap_or_default();
    if db.contains('/') || parse_db(db)? != 0 {
        return Err("a Redis Cluster has only database 0; \
                    remove the path from the URL"
            .to_owned());
    }
    Ok(with_parts(Topology::Cluster { nodes }, parts, tls))
}

fn with_parts(topology: Topology, parts: Parts<'_>, tls: bool) -> RedisUrl {
    RedisUrl {
        topology,
        username: parts.username,
        password: parts.password,
        tls,
    }
}

/// Reads `[userinfo@]/path[?db=N]`, what follows `redis+unix://`.
fn parse_unix(rest: &str) -> Result<RedisUrl, String> {
    if rest.contains('#') {
        return Err(hash_message());
    }
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let start = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(start);
    let (userinfo, host) = match authority.rsplit_once('@') {
        Some((userinfo, host)) => (Some(userinfo), host),
        None => (None, authority),
    };
    if !host.is_empty() || path.len() < 2 {
        return Err("expected an absolute socket path, as in \
                    redis+unix:///run/redis.sock?db=0"
            .to_owned());
    }
    let (username, password) = credentials(userinfo)?;
    let path = decode(path).map_err(|why| format!("the socket path {why}"))?;
    let topology = Topology::Unix {
        path: PathBuf::from(path),
        db: unix_db(query)?,
    };
    Ok(RedisUrl {
        topology,
        username,
        password,
        tls: false,
    })
}

/// The database from the query of a Unix socket URL: `db=N` or nothing.
fn unix_db(query: &str) -> Result<i64, String> {
    let mut db = 0;
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        match pair.split_once('=') {
            Some(("db", value)) => db = parse_db(value)?,
            _ => return Err("has an unknown query parameter; only db=N is supported".to_owned()),
        }
    }
    Ok(db)
}

/// A database index; empty means 0.
fn parse_db(text: &str) -> Result<i64, String> {
    if text.is_empty() {
        return Ok(0);
    }
    let digits = text.bytes().all(|b| b.is_ascii_digit());
    match text.parse() {
        Ok(db) if digits => Ok(db),
        _ => Err("the database must be a non-negative integer, as in /4".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> RedisUrl {
        RedisUrl::parse(text).expect("valid URL")
    }

    fn standalone(host: &str, port: u16, db: i64) -> Topology {
        let host = host.to_owned();
        Topology::Standalone { host, port, db }
    }

    fn hosts(list: &[(&str, u16)]) -> Vec<(String, u16)> {
        list.iter().map(|(h, p)| ((*h).to_owned(), *p)).collect()
    }

    #[test]
    fn a_plain_url_gets_default_port_and_db() {
        let url = parse("redis://localhost");
        assert_eq!(url.topology, standalone("localhost", 6379, 0));
        assert_eq!((url.username, url.password, url.tls), (None, None, false));
    }

    #[test]
    fn port_and_db_are_read() {
        let url = parse("redis://localhost:6380/4");
        assert_eq!(url.topology, standalone("localhost", 6380, 4));
        assert_eq!(parse("redis://h/").topology, standalone("h", 6379, 0));
    }

    #[test]
    fn credentials_are_percent_decoded() {
        let url = parse("redis://app%40x:p%40ss%3Aw0rd@h:1/2");
        assert_eq!(url.username.as_deref(), Some("app@x"));
        let password = url.password.expect("a password");
        assert_eq!(password.expose(), "p@ss:w0rd");
    }

    #[test]
    fn a_password_without_user_is_kept() {
        let url = parse("redis://:s3cr3t@h");
        assert_eq!(url.username, None);
        assert_eq!(url.password, Some(Secret::new("s3cr3t")));
        assert_eq!(parse("redis://app@h").username.as_deref(), Some("app"));
    }

    #[test]
    fn an_unencoded_at_in_the_password_is_tolerated() {
        let url = parse("redis://u:p@ss@h");
        assert_eq!(url.password, Some(Secret::new("p@ss")));
        assert_eq!(url.topology, standalone("h", 6379, 0));
    }

    #[test]
    fn rediss_means_tls() {
        let url = parse("rediss://h:6380/1");
        assert!(url.tls);
        assert_eq!(url.topology, standalone("h", 6380, 1));
        assert!(parse("REDISS://h").tls);
    }

    #[test]
    fn ipv6_hosts_go_in_brackets() {
        assert_eq!(parse("redis://[::1]").topology, standalone("::1", 6379, 0));
        let url = parse("redis://[2001:db8::1]:7000/3");
        assert_eq!(url.topology, standalone("2001:db8::1", 7000, 3));
        assert_eq!(url.redacted(), "redis://[2001:db8::1]:7000/3");
    }

    #[test]
    fn unix_sockets_in_both_spellings() {
        let expected = Topology::Unix {
            path: "/run/redis.sock".into(),
            db: 5,
        };
        assert_eq!(
            parse("redis+unix:///run/redis.sock?db=5").topology,
            expected
        );
        assert_eq!(parse("unix:///run/redis.sock?db=5").topology, expected);
        let plain = parse("unix:///tmp/r.sock").topology;
        assert_eq!(
            plain,
            Topology::Unix {
                path: "/tmp/r.sock".into(),
                db: 0
            }
        );
    }

    #[test]
    fn a_unix_socket_may_carry_credentials() {
        let url = parse("redis+unix://u:pw@/run/r.sock");
        assert_eq!(url.username.as_deref(), Some("u"));
        assert_eq!(url.password, Some(Secret::new("pw")));
        assert!(!url.tls);
    }

    #[test]
    fn one_sentinel_with_master_and_db() {
        let url = parse("redis+sentinel://s1:26380/mymaster/4");
        let expected = Topology::Sentinel {
            sentinels: hosts(&[("s1", 26380)]),
            master: "mymaster".into(),
            db: 4,
        };
        assert_eq!(url.topology, expected);
    }

    #[test]
    fn several_sentinels_with_default_ports() {
        let url = parse("rediss+sentinel://u:pw@s1,s2:1234,[::1]/main");
        let expected = Topology::Sentinel {
            sentinels: hosts(&[("s1", 26379), ("s2", 1234), ("::1", 26379)]),
            master: "main".into(),
            db: 0,
        };
        assert_eq!(url.topology, expected);
        assert!(url.tls);
        assert_eq!(url.username.as_deref(), Some("u"));
        assert_eq!(url.password, Some(Secret::new("pw")));
    }

    #[test]
    fn cluster_nodes_default_to_port_6379() {
        let url = parse("redis+cluster://:pw@n1:7000,n2,n3:7002");
        let nodes = hosts(&[("n1", 7000), ("n2", 6379), ("n3", 7002)]);
        assert_eq!(url.topology, Topology::Cluster { nodes });
        assert!(parse("rediss+cluster://n1/0").tls);
    }

    #[test]
    fn redacted_hides_the_password_in_every_form() {
        let cases = [
            ("redis://u:pw@h:1/2", "redis://u:***@h:1/2"),
            ("redis://:pw@h", "redis://:***@h:6379/0"),
            ("redis://u@h", "redis://u@h:6379/0"),
            ("unix://:pw@/s.sock?db=1", "redis+unix://:***@/s.sock?db=1"),
            (
                "rediss+sentinel://:pw@a,b:2/m/3",
                "rediss+sentinel://:***@a:26379,b:2/m/3",
            ),
            (
                "redis+cluster://u%3A1:pw@a:1",
                "redis+cluster://u%3A1:***@a:1",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text).redacted(), expected);
        }
    }

    #[test]
    fn debug_hides_the_password() {
        let url = parse("redis://app:s3cr3t@h/1");
        for debug in [format!("{url:?}"), format!("{url:#?}")] {
            assert!(!debug.contains("s3cr3t"), "{debug}");
            assert!(debug.contains("app") && debug.contains("<redacted>"));
        }
    }

    #[test]
    fn malformed_urls_say_what_is_wrong() {
        let cases = [
            ("", "must not be empty"),
            ("localhost:6379", "is not a Redis URL"),
            ("http://localhost", "unsupported scheme"),
            ("redis://", "has no host"),
            ("redis:///4", "has no host"),
            ("redis://h:0", "invalid port"),
            ("redis://h:65536", "invalid port"),
            ("redis://h:", "invalid port"),
            ("redis://h:x1", "invalid port"),
            ("redis://h/x", "non-negative integer"),
            ("redis://h/-1", "non-negative integer"),
            ("redis://h/99999999999999999999", "non-negative integer"),
            ("redis://h/1/2", "extra path segments"),
            ("redis://h?db=1", "query parameters"),
            ("redis://a,b", "several hosts"),
            ("redis://h%20", "valid host name"),
            ("redis://::1", "IPv6 address in brackets"),
            ("redis://[::1", "valid IPv6"),
            ("redis://[nope]", "valid IPv6"),
            ("redis://[::1]x", "valid IPv6"),
            ("redis://u%ZZ@h", "percent-escape"),
            ("redis://u%+f@h", "percent-escape"),
            ("redis://u%4@h", "percent-escape"),
            ("redis://u%ff@h", "UTF-8"),
            ("redis+unix://", "absolute socket path"),
            ("redis+unix://host/s.sock", "absolute socket path"),
            ("unix:///s.sock?timeout=1", "unknown query parameter"),
            ("unix:///s.sock?db=x", "non-negative integer"),
            ("redis+sentinel://s1", "no master name"),
            ("redis+sentinel://s1/", "no master name"),
            ("redis+sentinel:///m", "has no host"),
            ("redis+sentinel://s1,,s2/m", "host 2 of the list is empty"),
            ("redis+sentinel://s1:x/m", "the host has an invalid port"),
            (
                "redis+sentinel://s1,s2:x/m",
                "host 2 of the list has an invalid port",
            ),
            ("redis+sentinel://s1/m/1/2", "extra path segments"),
            ("redis+sentinel://s1/m/x", "non-negative integer"),
            ("redis+cluster://n1/1", "only database 0"),
            ("redis+cluster://n1/0/1", "only database 0"),
            ("redis+cluster://", "has no host"),
        ];
        for (text, reason) in cases {
            let message = RedisUrl::parse(text).expect_err(text);
            assert!(message.contains(reason), "{text:?}: {message}");
        }
    }

    #[test]
    fn no_message_contains_the_password() {
        let cases = [
            "s3cr3t",
            "redis:s3cr3t",
            "http://u:s3cr3t@h",
            "redis://u:s3cr3t",
            "redis://:s3cr3t",
            "redis://u:s3cr3t@",
            "redis://u:s3cr3t@h:s3cr3t",
            "redis://u:s3cr3t@h/s3cr3t",
            "redis://u:s3cr3t@h,s3cr3t",
            "redis://u:s3/cr3t@h",
            "redis://u:s3cr3t#@h",
            "redis://u:s3?cr3t@h",
            "redis://u:s3cr3t%@h",
            "redis://u:s3cr3t@[s3cr3t]",
            "redis://s3cr3t@h:s3cr3t",
            "unix://u:s3cr3t@h/x?s3cr3t=1",
            "redis+sentinel://u:s3cr3t@s1,s3cr3t:x/m",
            "redis+sentinel://u:s3cr3t@s1",
            "redis+cluster://u:s3cr3t@n/s3cr3t",
            "s3cr3t+x://h",
            "s3cr3t://h",
        ];
        for text in cases {
            let message = RedisUrl::parse(text).expect_err(text);
            assert!(!message.contains("s3cr3t"), "{text:?}: {message}");
        }
    }
}
