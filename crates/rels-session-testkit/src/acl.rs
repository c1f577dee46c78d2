//! Redis ACL users, for tests that run the store with only the rights it
//! needs.

/// Creates the ACL user `user` with `password` and the ACL `rules`
/// (space-separated, as in `ACL SETUSER`: `~ns:* -@all +mget ...`) on the
/// server behind `connection`, replacing any user of that name. The
/// `default` user is left as it is, so the kit keeps its own access.
///
/// # Panics
///
/// When Redis refuses a rule; the message holds Redis's answer.
///
/// # Example
///
/// ```
/// use rels_session_testkit::{RedisServer, acl_user};
///
/// let server = RedisServer::start();
/// acl_user(&mut server.connection(), "reader", "s3cret", "~app:* -@all +get");
/// let url = format!("redis://reader:s3cret@127.0.0.1:{}/0", server.port());
/// let client = redis::Client::open(url).unwrap();
/// let mut connection = client.get_connection().unwrap();
/// let _: Option<String> = redis::cmd("GET").arg("app:x").query(&mut connection).unwrap();
/// assert!(redis::cmd("GET").arg("other").exec(&mut connection).is_err());
/// ```
pub fn acl_user(connection: &mut redis::Connection, user: &str, password: &str, rules: &str) {
    let mut setuser = redis::cmd("ACL");
    setuser
        .arg("SETUSER")
        .arg(user)
        .arg("reset")
        .arg("on")
        .arg(format!(">{password}"));
    for rule in rules.split_whitespace() {
        setuser.arg(rule);
    }
    setuser
        .exec(connection)
        .unwrap_or_else(|err| panic!("ACL SETUSER {user} {rules} refused: {err}"));
}
