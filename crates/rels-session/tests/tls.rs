//! `rediss://`: sessions over TLS, trusting the CA of
//! `redis_options.ssl_params.ca_file`, and a clear error when the server's
//! certificate does not verify.
#![cfg(feature = "tls")]

use rels_session::{Error, Lookup, PublicId, Record, Session, Settings, Store};
use rels_session_testkit::TlsServer;

const NS: &str = "rels:session";

fn settings(server: &TlsServer, ca_file: Option<std::path::PathBuf>) -> Settings {
    let mut settings = Settings::new(&server.url(), NS).expect("valid settings");
    settings.redis.ca_file = ca_file;
    settings
}

fn assert_certificate_error(err: &Error) {
    assert!(matches!(err, Error::Rejected(_)), "{err:?}");
    assert!(!err.is_unavailable(), "retrying cannot help");
    let message = err.to_string();
    assert!(
        message.contains("TLS certificate failed verification"),
        "{message}"
    );
    assert!(message.contains("ssl_params.ca_file"), "{message}");
}

#[tokio::test]
async fn sessions_travel_over_tls_trusting_the_ca_file_of_the_settings_file() {
    let server = TlsServer::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("settings.yml");
    let yaml = format!(
        "session_store:\n  redis_options:\n    url: {}\n    namespace: {NS}\n    \
         ssl_params:\n      ca_file: {}\n",
        server.url(),
        server.ca_file().display()
    );
    std::fs::write(&path, yaml).expect("write settings");
    let settings = Settings::load(&path).expect("valid settings");
    let store = Store::connect(&settings).await.expect("connects over TLS");

    let id = PublicId::generate().expect("random");
    let record = Record::parse(br#"{"tls":true}"#).expect("valid");
    store
        .save(&mut Session::with_id(id.clone(), record))
        .await
        .expect("save");
    assert!(matches!(
        store.load(&id).await.expect("load"),
        Lookup::Found(_)
    ));

    let size: u64 = redis::cmd("DBSIZE")
        .query(&mut server.connection())
        .expect("DBSIZE");
    assert_eq!(size, 3, "two session keys and the flag");
}

#[tokio::test]
async fn a_certificate_signed_by_another_ca_is_refused_with_a_clear_error() {
    let server = TlsServer::start();
    let settings = settings(&server, Some(server.other_ca_file()));

    let err = Store::connect(&settings).await.expect_err("not trusted");

    assert_certificate_error(&err);
}

#[tokio::test]
async fn without_a_ca_file_the_system_roots_do_not_trust_a_private_ca() {
    let server = TlsServer::start();
    let settings = settings(&server, None);

    let err = Store::connect(&settings).await.expect_err("not trusted");

    assert_certificate_error(&err);
}

#[tokio::test]
async fn a_missing_ca_file_is_refused_at_start_naming_the_setting() {
    let server = TlsServer::start();
    let missing = std::env::temp_dir().join("rels-session-no-such-ca.pem");
    let settings = settings(&server, Some(missing));

    let err = Store::connect(&settings).await.expect_err("no CA file");

    assert!(matches!(err, Error::Rejected(_)), "{err:?}");
    assert!(err.to_string().contains("ssl_params.ca_file"), "{err}");
}
