//! The data every benchmark reads and writes: session ids, user ids and
//! payloads made from a number, so that a child process can name the same
//! sessions as its parent, and the raw commands that seed them.
//!
//! Payloads look like a Rails session after a recorded sign-in (SPEC 1.4):
//! a CSRF token, Devise's marker, a course, and the 13 keys of `meta`,
//! about 560 bytes of JSON.

use std::collections::HashMap;

use redis::aio::MultiplexedConnection;
use rels_session::{PublicId, UserId};
use sha2::{Digest, Sha256};

use crate::BenchResult;

/// The namespace of every session the suite writes.
pub(crate) const NAMESPACE: &str = "bench";

/// The session TTL the suite writes with: the gem's 14 days.
pub(crate) const TTL_SECONDS: u64 = 1_209_600;

/// How many commands go into one seeding pipeline.
const SEED_CHUNK: usize = 2_000;

/// The public id of session number `n`: 32 hex characters derived from `n`.
pub(crate) fn public_id(n: u64) -> PublicId {
    let text = hex::encode(&Sha256::digest(format!("bench session {n}"))[..16]);
    PublicId::parse(&text).expect("32 lowercase hex characters are a public id")
}

/// The uuid of user number `n`.
pub(crate) fn user_id(n: u64) -> UserId {
    let text = format!("00000000-0000-4000-8000-{n:012x}");
    UserId::parse(&text).expect("8-4-4-4-12 hex digits are a user uuid")
}

/// `NS:2::<sha256 of the public id>`, computed as a hand-written client
/// would: the raw floor must derive keys too when a reply names sessions.
pub(crate) fn private_key(public: &str) -> String {
    format!("{NAMESPACE}:2::{}", hex::encode(Sha256::digest(public)))
}

/// `NS:<public id>`
pub(crate) fn public_key(public: &str) -> String {
    format!("{NAMESPACE}:{public}")
}

/// `NS:user_sessions:<uuid>`
pub(crate) fn index_key(user: &UserId) -> String {
    format!("{NAMESPACE}:user_sessions:{}", user.as_str())
}

/// The gem's counter keys, as the user index scripts update them.
pub(crate) fn counter_keys() -> [String; 2] {
    [
        format!("{NAMESPACE}:stats:total_sessions"),
        format!("{NAMESPACE}:stats:last_updated_at"),
    ]
}

/// The stored JSON of a signed-in session with this public id.
pub(crate) fn payload(public: &str) -> String {
    format!(
        concat!(
            r#"{{"_csrf_token":"q1W2e3R4t5Y6u7I8o9P0a1S2d3F4g5H6j7K8l9Z0x1C","#,
            r#""warden.user.user.key":[[4242],"$2a$11$abcdefghijklmnopqrstuv"],"#,
            r#""user_return_to":"/courses/42/lessons/7","course_id":42,"#,
            r#""meta":{{"ip":"203.0.113.7","browser":"Chrome","os":"Mac","#,
            r#""app_version":null,"device_name":null,"device_type":"desktop","#,
            r#""installation_id":null,"course_id":"42","client_platform":"web","#,
            r#""public_session_id":"{}","session_key_type":"cookie","#,
            r#""created_at":"2025-01-01 12:00:00 UTC","#,
            r#""updated_at":"2025-01-01 12:00:00 UTC"}}}}"#
        ),
        public
    )
}

/// The same session as tower-sessions holds it: the top-level keys of
/// [`payload`] as JSON values.
pub(crate) fn tower_data(public: &str) -> HashMap<String, serde_json::Value> {
    serde_json::from_str(&payload(public)).expect("the payload is a JSON object")
}

/// A raw connection to `url`, as the floor and the seeding use it.
pub(crate) async fn connect(url: &str) -> BenchResult<MultiplexedConnection> {
    let client = redis::Client::open(url)?;
    Ok(client.get_multiplexed_async_connection().await?)
}

/// Writes sessions `from..to` under both keys, as the gem does.
pub(crate) async fn seed_sessions(
    conn: &mut MultiplexedConnection,
    from: u64,
    to: u64,
) -> BenchResult<()> {
    let ids: Vec<u64> = (from..to).collect();
    for chunk in ids.chunks(SEED_CHUNK / 2) {
        let mut pipe = redis::pipe();
        for &n in chunk {
            let id = public_id(n);
            let public = id.expose();
            let value = payload(public);
            for key in [private_key(public), public_key(public)] {
                pipe.cmd("SET")
                    .arg(key)
                    .arg(&value)
                    .arg("EX")
                    .arg(TTL_SECONDS)
                    .ignore();
            }
        }
        pipe.exec_async(conn).await?;
    }
    Ok(())
}

/// Puts sessions `from..to` in the index of `user` (the sessions
/// themselves are seeded by [`seed_sessions`]).
pub(crate) async fn seed_index(
    conn: &mut MultiplexedConnection,
    user: &UserId,
    from: u64,
    to: u64,
) -> BenchResult<()> {
    let key = index_key(user);
    let ids: Vec<u64> = (from..to).collect();
    for chunk in ids.chunks(SEED_CHUNK) {
        let members: Vec<PublicId> = chunk.iter().map(|&n| public_id(n)).collect();
        let members: Vec<&str> = members.iter().map(PublicId::expose).collect();
        redis::cmd("SADD")
            .arg(&key)
            .arg(&members)
            .exec_async(conn)
            .await?;
    }
    redis::cmd("EXPIRE")
        .arg(&key)
        .arg(TTL_SECONDS)
        .exec_async(conn)
        .await?;
    Ok(())
}

/// Sets the gem's flag without a TTL, so that every run reads the private
/// key first, as production does ("in practice always present").
pub(crate) async fn seed_flag(conn: &mut MultiplexedConnection) -> BenchResult<()> {
    redis::cmd("SET")
        .arg(format!("{NAMESPACE}:2:secure_store_enabled"))
        .arg(1_735_732_800_u64)
        .exec_async(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_the_same_for_the_same_number() {
        assert_eq!(public_id(7).expose(), public_id(7).expose());
        assert_ne!(public_id(7).expose(), public_id(8).expose());
    }

    #[test]
    fn private_keys_match_the_library() {
        let id = public_id(3);
        let expected = format!("{NAMESPACE}:{}", id.private_id().expose());
        assert_eq!(private_key(id.expose()), expected);
    }

    #[test]
    fn the_payload_is_a_signed_in_session_with_meta() {
        let id = public_id(1);
        let record = rels_session::Record::parse(payload(id.expose()).as_bytes()).unwrap();
        let meta = rels_session::Meta::from_record(&record).unwrap();
        assert!(meta.problems.is_empty());
        assert_eq!(
            rels_session::Stage::of(&record),
            rels_session::Stage::InCourse
        );
        assert!((500..700).contains(&payload(id.expose()).len()));
    }

    #[test]
    fn tower_data_holds_every_top_level_key() {
        assert_eq!(tower_data(public_id(1).expose()).len(), 5);
    }
}
