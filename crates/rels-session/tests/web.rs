//! The web layer in front of a real `redis-server`: an axum router with
//! [`SessionLayer`], driven in-process with `oneshot`.
#![cfg(feature = "axum")]

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::header::{COOKIE, RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderName, Request, Response, StatusCode};
use axum::routing::{get, post};
use http_body_util::BodyExt;
use redis::Commands;
use rels_session::web::{FailureMode, Refresh, RequestSession, SessionError, SessionLayer};
use rels_session::{PublicId, Settings, Store};
use rels_session_testkit::{RedisServer, read_fixture};
use tower::ServiceExt;

const NS: &str = "rels:session";
const TOKEN: &str = "x-session-token";

async fn store(server: &RedisServer) -> Store {
    let settings = Settings::new(&server.url(), NS).expect("valid settings");
    Store::connect(&settings).await.expect("connects")
}

/// The routes every test uses. `/revoke` deletes its own session from the
/// store in the middle of the request, as an admin on another app would.
fn routes(store: Store) -> Router {
    Router::new()
        .route("/untouched", get(|| async { "ok" }))
        .route("/visits", get(visits))
        .route("/read", get(read))
        .route("/user", get(user))
        .route("/id", get(public_id))
        .route("/debug", get(debug))
        .route("/clear", post(clear))
        .route("/sign_in", post(sign_in))
        .route("/shape", get(shape))
        .route("/careless", get(careless))
        .route(
            "/revoke/{then}",
            post(move |s, then| revoke(s, store, then)),
        )
}

fn app(store: &Store, configure: impl FnOnce(SessionLayer) -> SessionLayer) -> Router {
    routes(store.clone()).layer(configure(SessionLayer::new(store.clone())))
}

async fn visits(session: RequestSession) -> Result<String, SessionError> {
    let visits: u64 = session.get("visits").await?.unwrap_or(0);
    session.insert("visits", &(visits + 1)).await?;
    Ok((visits + 1).to_string())
}

async fn read(session: RequestSession) -> Result<String, SessionError> {
    let visits: Option<u64> = session.get("visits").await?;
    Ok(visits.map_or_else(|| "none".to_owned(), |v| v.to_string()))
}

async fn user(session: RequestSession) -> Result<String, SessionError> {
    let user: Option<serde_json::Value> = session.get("warden.user.user.key").await?;
    Ok(user.map_or_else(|| "none".to_owned(), |v| v.to_string()))
}

async fn public_id(session: RequestSession) -> String {
    let id = session.public_id().await;
    id.map_or_else(|| "none".to_owned(), |id| id.expose().to_owned())
}

async fn debug(session: RequestSession) -> Result<String, SessionError> {
    session.get::<u64>("visits").await?;
    Ok(format!("{session:?} {session}"))
}

async fn clear(session: RequestSession) -> Result<(), SessionError> {
    session.clear().await
}

async fn sign_in(session: RequestSession) -> Result<(), SessionError> {
    session.cycle_id().await?;
    session.insert("warden.user.user.key", &([7], "salt")).await
}

/// Reads a string as a number: a handler bug, answered with 500.
async fn shape(session: RequestSession) -> Result<String, SessionError> {
    let token: Option<u64> = session.get("_csrf_token").await?;
    Ok(format!("{token:?}"))
}

/// Ignores a failure to load: the layer still answers for it.
async fn careless(session: RequestSession) -> &'static str {
    let _ = session.get::<u64>("visits").await;
    "fine"
}

/// Deletes its own session from the store in the middle of the request,
/// as an admin on another app would, then writes, signs in or only reads.
async fn revoke(
    session: RequestSession,
    store: Store,
    axum::extract::Path(then): axum::extract::Path<String>,
) -> Result<(), SessionError> {
    let visits: u64 = session.get("visits").await?.unwrap_or(0);
    let id = session.public_id().await.expect("a stored session");
    store.delete(&id).await.expect("delete");
    match then.as_str() {
        "write" => session.insert("visits", &(visits + 1)).await,
        "sign_in" => sign_in(session).await,
        _ => Ok(()),
    }
}

fn request(method: &str, path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(id) = cookie {
        builder = builder.header(COOKIE, format!("rels_session={id}"));
    }
    builder.body(Body::empty()).expect("valid request")
}

async fn send(app: &Router, request: Request<Body>) -> Response<Body> {
    app.clone().oneshot(request).await.expect("infallible")
}

async fn text(response: Response<Body>) -> String {
    let bytes = response.into_body().collect().await.expect("body");
    String::from_utf8(bytes.to_bytes().to_vec()).expect("utf-8")
}

fn set_cookies(response: &Response<Body>) -> Vec<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .collect()
}

/// The id a `Set-Cookie` value gives the client.
fn cookie_value(set_cookie: &str) -> &str {
    let pair = set_cookie.split(';').next().expect("a pair");
    pair.strip_prefix("rels_session=").expect("our cookie")
}

fn is_removal(set_cookie: &str) -> bool {
    cookie_value(set_cookie).is_empty() && set_cookie.contains("Max-Age=0")
}

fn private_key(id: &str) -> String {
    let id = PublicId::parse(id).expect("well-formed id");
    format!("{NS}:{}", id.private_id().expose())
}

fn session_keys(server: &RedisServer) -> Vec<String> {
    let mut keys: Vec<String> = server.connection().keys(format!("{NS}:*")).expect("KEYS");
    keys.retain(|k| !k.ends_with(":2:secure_store_enabled"));
    keys.sort();
    keys
}

fn ttl(server: &RedisServer, key: &str) -> i64 {
    server.connection().ttl(key).expect("TTL")
}

/// Sends `request` and returns the response with the Redis commands it
/// caused, by name.
async fn commands_of(
    server: &RedisServer,
    app: &Router,
    request: Request<Body>,
) -> (Response<Body>, BTreeMap<String, u64>) {
    let before = server.command_calls();
    let response = send(app, request).await;
    let after = server.command_calls();
    let delta = after
        .into_iter()
        .filter_map(|(cmd, n)| {
            let delta = n - before.get(&cmd).copied().unwrap_or(0);
            (delta > 0).then_some((cmd, delta))
        })
        .collect();
    (response, delta)
}

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

/// Creates a session with one visit and returns its cookie value.
async fn visited(app: &Router) -> String {
    let response = send(app, request("GET", "/visits", None)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookies = set_cookies(&response);
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    cookie_value(&cookies[0]).to_owned()
}

#[tokio::test]
async fn an_untouched_handler_sends_no_command_and_no_cookie() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let app = app(&store, |layer| layer);
    let id = visited(&app).await;

    for cookie in [None, Some(id.as_str())] {
        let (response, commands) =
            commands_of(&server, &app, request("GET", "/untouched", cookie)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(set_cookies(&response).is_empty());
        assert_eq!(commands, counts(&[]));
    }
}

#[tokio::test]
async fn the_first_write_sets_a_safe_cookie_and_stores_the_session() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let app = app(&store, |layer| layer);

    let response = send(&app, request("GET", "/visits", None)).await;
    let cookies = set_cookies(&response);
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let cookie = &cookies[0];
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Max-Age"), "{cookie}");

    let id = cookie_value(cookie);
    assert!(
        PublicId::parse(id).is_some(),
        "the value is a bare public id"
    );
    let public_key = format!("{NS}:{id}");
    let mut expected = vec![private_key(id), public_key.clone()];
    expected.sort();
    assert_eq!(session_keys(&server), expected);
    let stored: String = server.connection().get(&public_key).expect("GET");
    assert_eq!(stored, r#"{"visits":1}"#);
}

#[tokio::test]
async fn the_cookie_brings_the_session_back() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let app = app(&store, |layer| layer);
    let id = visited(&app).await;

    let response = send(&app, request("GET", "/visits", Some(&id))).await;
    assert!(
        set_cookies(&response).is_empty(),
        "an update sets no cookie"
    );
    assert_eq!(text(response).await, "2");

    let response = send(&app, request("GET", "/id", Some(&id))).await;
    assert_eq!(text(response).await, id);
    let response = send(&app, request("GET", "/id", None)).await;
    assert_eq!(
        text(response).await,
        "none",
        "no id for an empty new session"
    );
}

#[tokio::test]
async fn an_unchanged_read_only_refreshes_the_ttl_on_load() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let app = app(&store, |layer| layer);
    let id = visited(&app).await;
    let key = private_key(&id);
    let _: () = server.connection().expire(&key, 100).expect("EXPIRE");

    let (response, commands) = commands_of(&server, &app, request("GET", "/read", Some(&id))).await;
    assert!(set_cookies(&response).is_empty());
    assert_eq!(text(response).await, "1");
    assert_eq!(commands, counts(&[("expire", 2), ("mget", 1)]));
    assert!(ttl(&server, &key) > 1_000_000, "TTL was reset");
}

#[tokio::test]
async fn an_unchanged_read_sends_nothing_more_on_change() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let app = app(&store, |layer| layer.with_refresh(Refresh::OnChange));
    let id = visited(&app).await;
    let key = private_key(&id);
    let _: () = server.connection().expire(&key, 100).expect("EXPIRE");

    let (response, commands) = commands_of(&server, &app, request("GET", "/read", Some(&id))).await;
    assert_eq!(text(response).await, "1");
    assert_eq!(commands, counts(&[("mget", 1)]));
    assert!(ttl(&server, &key) <= 100, "TTL untouched");
}

#[tokio::test]
async fn a_max_age_slides_with_every_refresh() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let max_age = Duration::from_secs(3600);
    let app = app(&store, |layer| layer.with_max_age(Some(max_age)));
    let id = visited(&app).await;

    for path in ["/read", "/visits"] {
        let response = send(&app, request("GET", path, Some(&id))).await;
        let cookies = set_cookies(&response);
        assert_eq!(cookies.len(), 1, "{path}: {cookies:?}");
        assert_eq!(cookie_value(&cookies[0]), id);
        assert!(cookies[0].contains("Max-Age=3600"), "{}", cookies[0]);
    }
}

#[tokio::test]
async fn a_session_revoked_mid_request_is_not_brought_back() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let app = app(&store, |layer| layer);

    for then in ["write", "sign_in", "read"] {
        let id = visited(&app).await;
        let path = format!("/revoke/{then}");
        let response = send(&app, request("POST", &path, Some(&id))).await;
        assert_eq!(response.status(), StatusCode::OK, "{then}");
        let cookies = set_cookies(&response);
        assert_eq!(cookies.len(), 1, "{then}: {cookies:?}");
        assert!(is_removal(&cookies[0]), "{then}: {}", cookies[0]);
        assert_eq!(session_keys(&server), Vec::<String>::new(), "{then}");
    }
}

#[tokio::test]
async fn clearing_deletes_the_keys_and_removes_the_cookie() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let app = app(&store, |layer| {
        layer.with_domain("example.com").expect("valid")
    });
    let id = visited(&app).await;

    let (response, commands) =
        commands_of(&server, &app, request("POST", "/clear", Some(&id))).await;
    let cookies = set_cookies(&response);
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let removal = &cookies[0];
    assert!(is_removal(removal), "{removal}");
    for attribute in [
        "Domain=example.com",
        "Path=/",
        "Secure",
        "SameSite=Lax",
        "Expires=",
    ] {
        assert!(removal.contains(attribute), "{removal}");
    }
    assert_eq!(session_keys(&server), Vec::<String>::new());
    assert_eq!(commands, counts(&[("del", 1), ("mget", 1)]));
}

#[tokio::test]
async fn signing_in_moves_the_data_to_a_new_id() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let app = app(&store, |layer| layer);
    let old = visited(&app).await;

    let response = send(&app, request("POST", "/sign_in", Some(&old))).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookies = set_cookies(&response);
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let new = cookie_value(&cookies[0]).to_owned();
    assert_ne!(new, old);
    assert!(PublicId::parse(&new).is_some());

    let mut expected = vec![private_key(&new), format!("{NS}:{new}")];
    expected.sort();
    assert_eq!(session_keys(&server), expected, "old keys are gone");
    let stored: String = server.connection().get(private_key(&new)).expect("GET");
    assert_eq!(
        stored,
        r#"{"visits":1,"warden.user.user.key":[[7],"salt"]}"#
    );

    let response = send(&app, request("GET", "/read", Some(&old))).await;
    assert_eq!(text(response).await, "none", "the old id opens nothing");
}

#[tokio::test]
async fn malformed_cookies_mean_a_fresh_session_and_no_command() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let app = app(&store, |layer| layer);
    let id = visited(&app).await;

    let private = PublicId::parse(&id).expect("id").private_id();
    let oversized = "a".repeat(4000);
    let malformed = [
        private.expose(),
        &format!("{NS}:{id}"),
        &id.to_uppercase(),
        &oversized,
        "",
        "*",
    ];
    for value in malformed {
        let (response, commands) =
            commands_of(&server, &app, request("GET", "/read", Some(value))).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(set_cookies(&response).is_empty());
        assert_eq!(text(response).await, "none", "{value:?}");
        assert_eq!(commands, counts(&[]), "{value:?}");
    }
}

#[tokio::test]
async fn a_token_header_names_the_session_and_gets_no_cookie() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let header = HeaderName::from_static(TOKEN);
    let app = app(&store, |layer| layer.with_token_header(header));
    let id = visited(&app).await;

    let by_token = |path: &str, token: &str| {
        Request::builder()
            .uri(path)
            .header(TOKEN, token)
            .body(Body::empty())
            .expect("valid request")
    };
    let response = send(&app, by_token("/visits", &id)).await;
    assert!(set_cookies(&response).is_empty());
    assert_eq!(text(response).await, "2");
    let response = send(&app, by_token("/read", &id)).await;
    assert_eq!(text(response).await, "2");

    // A token naming no session: a new one is created under a fresh id,
    // which the handler hands out itself.
    let unknown = "cccccccccccccccccccccccccccccccc";
    let response = send(&app, by_token("/visits", unknown)).await;
    assert!(set_cookies(&response).is_empty());
    assert_eq!(text(response).await, "1");
    assert_eq!(
        session_keys(&server).len(),
        4,
        "two sessions, two keys each"
    );
}

#[tokio::test]
async fn debug_and_display_never_show_the_id() {
    let server = RedisServer::start();
    let store = store(&server).await;
    let app = app(&store, |layer| layer);
    let id = visited(&app).await;

    let shown = text(send(&app, request("GET", "/debug", Some(&id))).await).await;
    assert!(shown.contains("RequestSession"), "{shown}");
    assert!(!shown.contains(&id), "{shown}");
}

#[tokio::test]
async fn redis_down_fails_closed_with_a_503() {
    let mut server = RedisServer::start();
    let store = store(&server).await;
    let app = app(&store, |layer| layer);
    let id = visited(&app).await;
    server.stop();

    // At the load (also when the handler ignored the error), and at the
    // save of a new session after the handler.
    let cases = [
        ("/read", Some(id.as_str())),
        ("/careless", Some(id.as_str())),
        ("/visits", None),
    ];
    for (path, cookie) in cases {
        let response = send(&app, request("GET", path, cookie)).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        let retry: u64 = response.headers()[RETRY_AFTER]
            .to_str()
            .expect("ascii")
            .parse()
            .expect("whole seconds");
        assert!(retry >= 1);
        assert!(set_cookies(&response).is_empty());
        assert_eq!(text(response).await, "session store unavailable");
    }
}

#[tokio::test]
async fn redis_down_fails_open_with_an_empty_session() {
    let mut server = RedisServer::start();
    let store = store(&server).await;
    let app = app(&store, |layer| layer.with_failure_mode(FailureMode::Open));
    let id = visited(&app).await;
    server.stop();

    let response = send(&app, request("GET", "/read", Some(&id))).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(set_cookies(&response).is_empty());
    assert_eq!(text(response).await, "none");

    let response = send(&app, request("GET", "/visits", None)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(set_cookies(&response).is_empty(), "nothing was saved");
}

#[tokio::test]
async fn a_session_written_by_the_gem_is_readable() {
    let server = RedisServer::start();
    server.load_dump(&read_fixture("gem_dump.json"));
    let store = store(&server).await;
    let app = app(&store, |layer| layer);

    let gem_id = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    let response = send(&app, request("GET", "/user", Some(gem_id))).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(text(response).await, r#"[[1],"salt"]"#);
}

#[tokio::test]
async fn a_value_of_another_shape_answers_500_without_internals() {
    let server = RedisServer::start();
    server.load_dump(&read_fixture("gem_dump.json"));
    let store = store(&server).await;
    let app = app(&store, |layer| layer);

    let gem_id = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    let response = send(&app, request("GET", "/shape", Some(gem_id))).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(text(response).await, "session error");
}

#[tokio::test]
async fn a_route_without_the_layer_answers_500() {
    let app: Router = Router::new().route("/read", get(read));
    let response = send(&app, request("GET", "/read", None)).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(text(response).await, "session layer missing");
}
