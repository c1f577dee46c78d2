//! Loading and dumping keys in the format of `tests/fixtures/gem_dump.json`:
//! `{"keys": [{"key", "type", "ttl", "value"}, ...]}`, where `type` is
//! `string` (the value is the text) or `set` (the value is the members),
//! and `ttl` is in seconds, `-1` for none.

use std::path::Path;

use redis::Connection;
use serde_json::{Value, json};

use crate::fixtures::read_json;

/// Writes every key of `dump`; see [`crate::RedisServer::load_dump`].
pub(crate) fn load(connection: &mut Connection, dump: &Value) {
    for entry in entries(dump) {
        load_entry(connection, &entry);
    }
}

/// Reads the keys matching `pattern`; see [`crate::RedisServer::dump`].
pub(crate) fn dump(connection: &mut Connection, pattern: &str) -> Value {
    let mut keys: Vec<String> = redis::cmd("KEYS")
        .arg(pattern)
        .query(connection)
        .unwrap_or_else(|err| panic!("KEYS {pattern} failed: {err}"));
    keys.sort();
    let entries: Vec<Value> = keys
        .iter()
        .filter_map(|key| dump_entry(connection, key))
        .collect();
    json!({ "keys": entries })
}

/// The entries of a dump given as an object, an array or a file path.
fn entries(dump: &Value) -> Vec<Value> {
    match dump {
        Value::String(path) => entries(&read_json(Path::new(path))),
        Value::Array(keys) => keys.clone(),
        Value::Object(object) => match object.get("keys") {
            Some(Value::Array(keys)) => keys.clone(),
            _ => panic!("a dump object needs a \"keys\" array"),
        },
        other => panic!("a dump is an object, an array or a path, not {other}"),
    }
}

fn load_entry(connection: &mut Connection, entry: &Value) {
    let key = text_field(entry, "key");
    let ttl = entry["ttl"]
        .as_i64()
        .unwrap_or_else(|| panic!("dump entry {key}: \"ttl\" must be an integer"));

    let mut pipeline = redis::pipe();
    pipeline.atomic();
    match text_field(entry, "type") {
        "string" => pipeline.cmd("SET").arg(key).arg(text_field(entry, "value")),
        // SADD alone would merge into a set left over from earlier writes.
        "set" => pipeline
            .cmd("DEL")
            .arg(key)
            .cmd("SADD")
            .arg(key)
            .arg(set_members(entry, key)),
        other => panic!("dump entry {key}: type {other:?} is not string or set"),
    };
    if ttl > 0 {
        pipeline.cmd("EXPIRE").arg(key).arg(ttl);
    }

    pipeline
        .query::<()>(connection)
        .unwrap_or_else(|err| panic!("writing dump entry {key} failed: {err}"));
}

/// The entry of one key, or `None` when it expired since it was listed.
fn dump_entry(connection: &mut Connection, key: &str) -> Option<Value> {
    let (kind, ttl): (String, i64) = redis::pipe()
        .cmd("TYPE")
        .arg(key)
        .cmd("TTL")
        .arg(key)
        .query(connection)
        .unwrap_or_else(|err| panic!("TYPE/TTL {key} failed: {err}"));

    let value = match kind.as_str() {
        "none" => return None,
        "string" => {
            let bytes: Vec<u8> = query(connection, redis::cmd("GET").arg(key));
            let text = String::from_utf8(bytes)
                .unwrap_or_else(|err| panic!("the value of {key} is not UTF-8: {err}"));
            Value::String(text)
        }
        "set" => {
            let mut members: Vec<String> = query(connection, redis::cmd("SMEMBERS").arg(key));
            members.sort();
            json!(members)
        }
        other => panic!("{key} is a {other}; dumps hold only strings and sets"),
    };
    Some(json!({ "key": key, "type": kind, "ttl": ttl, "value": value }))
}

fn query<T: redis::FromRedisValue>(connection: &mut Connection, command: &redis::Cmd) -> T {
    command
        .query(connection)
        .unwrap_or_else(|err| panic!("{command:?} failed: {err}"))
}

fn text_field<'a>(entry: &'a Value, name: &str) -> &'a str {
    entry[name]
        .as_str()
        .unwrap_or_else(|| panic!("dump entry {entry}: \"{name}\" must be a string"))
}

fn set_members<'a>(entry: &'a Value, key: &str) -> Vec<&'a str> {
    let members: Option<Vec<&str>> = entry["value"]
        .as_array()
        .and_then(|members| members.iter().map(Value::as_str).collect());
    match members {
        Some(members) if !members.is_empty() => members,
        _ => panic!("dump entry {key}: a set needs a non-empty array of strings"),
    }
}

#[cfg(test)]
mod tests {
    use crate::{RedisServer, fixture_path, read_fixture};

    /// The entries of a dump with each TTL replaced by whether it expires,
    /// since a live TTL may have counted down.
    fn without_ttls(dump: &serde_json::Value) -> Vec<serde_json::Value> {
        let mut entries = dump["keys"].as_array().unwrap().clone();
        for entry in &mut entries {
            entry["ttl"] = serde_json::json!(entry["ttl"].as_i64().unwrap() > 0);
        }
        entries
    }

    #[test]
    fn the_gem_dump_loads_and_dumps_back_unchanged() {
        let server = RedisServer::start();
        let fixture = read_fixture("gem_dump.json");

        server.load_dump(&serde_json::json!(fixture_path("gem_dump.json")));
        let dumped = server.dump("rels:session:*");

        assert_eq!(without_ttls(&dumped), without_ttls(&fixture));
        let ttl = dumped["keys"][0]["ttl"].as_i64().unwrap();
        assert!((1_209_590..=1_209_600).contains(&ttl), "ttl {ttl}");
    }

    #[test]
    fn loading_a_set_replaces_an_existing_one() {
        let server = RedisServer::start();
        redis::cmd("SADD")
            .arg("s")
            .arg("old")
            .exec(&mut server.connection())
            .unwrap();

        let entry =
            serde_json::json!({ "key": "s", "type": "set", "ttl": -1, "value": ["b", "a"] });
        server.load_dump(&serde_json::json!([entry]));

        let expected =
            serde_json::json!({ "key": "s", "type": "set", "ttl": -1, "value": ["a", "b"] });
        assert_eq!(server.dump("*"), serde_json::json!({ "keys": [expected] }));
    }
}
