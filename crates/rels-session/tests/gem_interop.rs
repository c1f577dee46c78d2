//! Sharing sessions with the Ruby gem: its recorded Redis contents, and a
//! Ruby script that writes and reads the way a Rails app with the gem does.

use redis::Commands;
use rels_session::{PublicId, Record, Session, Settings, Store};
use rels_session_testkit::{RedisServer, read_fixture, ruby_gem};
use serde_json::Value;

const NS: &str = "rels:session";

async fn store(server: &RedisServer) -> Store {
    let settings = Settings::new(&server.url(), NS).expect("valid settings");
    Store::connect(&settings).await.expect("connects")
}

/// The sessions of the gem's dump: public id and payload, from its public
/// keys (`NS:` and 32 hex characters).
fn gem_sessions(dump: &Value) -> Vec<(PublicId, String)> {
    entries(dump)
        .iter()
        .filter_map(|entry| {
            let key = entry["key"].as_str()?;
            let id = PublicId::parse(key.strip_prefix(&format!("{NS}:"))?)?;
            Some((id, entry["value"].as_str()?.to_owned()))
        })
        .collect()
}

fn entries(dump: &Value) -> &Vec<Value> {
    dump["keys"].as_array().expect("a dump has a key list")
}

/// The entries a store writes: session keys and the flag.
fn store_entries(dump: &Value) -> Vec<Value> {
    entries(dump)
        .iter()
        .filter(|e| {
            let key = e["key"].as_str().unwrap_or_default();
            !key.contains(":user_sessions:") && !key.contains(":stats:")
        })
        .cloned()
        .collect()
}

#[tokio::test]
async fn every_session_the_gem_wrote_loads_with_the_same_data() {
    let server = RedisServer::start();
    let dump = read_fixture("gem_dump.json");
    server.load_dump(&dump);
    let store = store(&server).await;

    let sessions = gem_sessions(&dump);
    assert_eq!(sessions.len(), 5);
    for (id, payload) in sessions {
        let lookup = store.load(&id).await.expect("load");
        let record = lookup.into_record().expect("a gem session loads");
        assert_eq!(record.to_json(), payload);
    }
}

#[tokio::test]
async fn sessions_saved_by_the_store_match_the_gem_byte_for_byte() {
    let dump = read_fixture("gem_dump.json");
    let server = RedisServer::start();
    let store = store(&server).await;

    for (id, payload) in gem_sessions(&dump) {
        let record = Record::parse(payload.as_bytes()).expect("gem payload");
        store
            .save(&mut Session::with_id(id, record))
            .await
            .expect("save");
    }

    let ours = server.dump(&format!("{NS}:*"));
    let theirs = store_entries(&dump);
    let ours = entries(&ours);
    assert_eq!(ours.len(), theirs.len());
    for (mine, gem) in ours.iter().zip(&theirs) {
        assert_eq!(mine["key"], gem["key"]);
        assert_eq!(mine["type"], gem["type"]);
        let (ttl, gem_ttl) = (mine["ttl"].as_i64(), gem["ttl"].as_i64());
        let (ttl, gem_ttl) = (ttl.expect("ttl"), gem_ttl.expect("ttl"));
        assert!(
            ttl <= gem_ttl && ttl > gem_ttl - 10,
            "{}: {ttl}",
            gem["key"]
        );
        if gem["key"]
            .as_str()
            .is_some_and(|k| k.ends_with("secure_store_enabled"))
        {
            // The flag holds the writer's clock: epoch seconds as text.
            let epoch = mine["value"].as_str().expect("text");
            assert!(epoch.parse::<u64>().is_ok_and(|e| e > 1_735_732_800));
        } else {
            assert_eq!(mine["value"], gem["value"], "{}", gem["key"]);
        }
    }
}

#[tokio::test]
async fn ruby_writes_and_rust_reads() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let url = server.url();
    let payloads = gem_sessions(&read_fixture("gem_dump.json"));

    for (_, payload) in &payloads {
        let id = ruby_gem(&["new-id"]).trim().to_owned();
        let args = [
            "write",
            "--url",
            &url,
            "--namespace",
            NS,
            "--id",
            &id,
            "--json",
            payload,
        ];
        ruby_gem(&args);

        let public = PublicId::parse(&id).expect("the gem's ids are public ids");
        let session = store.load_session(Some(&id)).await.expect("load");
        assert_eq!(session.id(), &public, "the session was found");
        assert_eq!(&session.record().to_json(), payload);
    }
}

#[tokio::test]
async fn rust_writes_and_ruby_reads() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let url = server.url();

    for (_, payload) in gem_sessions(&read_fixture("gem_dump.json")) {
        let mut session = store.load_session(None).await.expect("load");
        *session.record_mut() = Record::parse(payload.as_bytes()).expect("gem payload");
        session
            .record_mut()
            .insert("rust", "日本語/ok")
            .expect("insert");
        store.save(&mut session).await.expect("save");

        let id = session.id().expose();
        let read = ruby_gem(&["read", "--url", &url, "--namespace", NS, "--id", id]);
        assert_eq!(read.trim(), session.record().to_json());
    }

    // Ruby also sees the flag it expects, so a Rails app reads the private
    // key first.
    let flag: Option<String> = server
        .connection()
        .get(format!("{NS}:2:secure_store_enabled"))
        .expect("GET");
    assert!(flag.is_some());
}
