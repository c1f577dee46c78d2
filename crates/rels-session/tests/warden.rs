//! Devise's marker, recorded sign-ins and activity from axum handlers, in
//! front of a real `redis-server`: the session a handler signs in is
//! stored once, under a fresh id, and the client gets that id; nothing
//! revoked comes back.
#![cfg(feature = "axum")]

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::header::{COOKIE, SET_COOKIE, USER_AGENT};
use axum::http::{Request, Response, StatusCode};
use axum::routing::{get, post};
use http_body_util::BodyExt;
use redis::Commands;
use rels_session::web::{
    Refresh, RequestSession, SessionError, SessionLayer, UsersError, WardenUser,
};
use rels_session::{PublicId, Settings, SignIn, SignInRequest, Store, UserId, Users};
use rels_session_testkit::{RedisServer, read_fixture};
use serde_json::Value;
use tower::ServiceExt;

const NS: &str = "rels:session";
const USER: &str = "0c6f8a4e-1b7d-5f0e-9a3c-2d4b6e8f0a1c";
const GEM_ID: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const CHROME_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) \
    AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

async fn store(server: &RedisServer) -> Store {
    let settings = Settings::new(&server.url(), NS).expect("valid settings");
    Store::connect(&settings).await.expect("connects")
}

fn user() -> UserId {
    UserId::parse(USER).expect("a uuid")
}

fn app(store: &Store, refresh: Refresh) -> Router {
    Router::new()
        .route("/visits", get(visits))
        .route("/warden", get(warden))
        .route("/sign_in", post(sign_in))
        .route("/sign_in_then_write", post(sign_in_then_write))
        .route("/cycle_then_sign_in", post(cycle_then_sign_in))
        .route("/touch", get(touch))
        .route("/touch_revoked", post(touch_revoked))
        .with_state(Users::new(store.clone()))
        .layer(SessionLayer::new(store.clone()).with_refresh(refresh))
}

async fn visits(session: RequestSession) -> Result<(), SessionError> {
    let visits: u64 = session.get("visits").await?.unwrap_or(0);
    session.insert("visits", &(visits + 1)).await
}

async fn warden(session: RequestSession) -> Result<String, SessionError> {
    let user = session.warden_user().await?;
    Ok(user.map_or_else(|| "none".to_owned(), |u| u.id().to_string()))
}

async fn sign_in(
    session: RequestSession,
    client: SignInRequest,
    State(users): State<Users>,
) -> Result<(), UsersError> {
    session
        .set_warden_user(&WardenUser::new(USER, "salt"))
        .await?;
    session
        .sign_in(&users, &user(), &client, SignIn::new())
        .await
}

async fn sign_in_then_write(
    session: RequestSession,
    client: SignInRequest,
    users: State<Users>,
) -> Result<(), UsersError> {
    sign_in(session.clone(), client, users).await?;
    Ok(session.insert("after", &1).await?)
}

async fn cycle_then_sign_in(
    session: RequestSession,
    client: SignInRequest,
    users: State<Users>,
) -> Result<(), UsersError> {
    session.cycle_id().await?;
    sign_in(session, client, users).await
}

async fn touch(session: RequestSession, State(users): State<Users>) -> Result<String, UsersError> {
    let wrote = session.touch_activity(&users, &user()).await?;
    Ok(if wrote { "wrote" } else { "skipped" }.to_owned())
}

/// Deletes its own session from the store mid-request, as a revoke from
/// another device would, then notes activity and writes.
async fn touch_revoked(
    session: RequestSession,
    State(users): State<Users>,
) -> Result<String, UsersError> {
    session.get::<Value>("meta").await?;
    let id = session.public_id().await.expect("a stored session");
    users.store().delete(&id).await.expect("delete");
    let wrote = session.touch_activity(&users, &user()).await?;
    session.insert("after", &1).await?;
    Ok(if wrote { "wrote" } else { "skipped" }.to_owned())
}

fn request(method: &str, path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header(USER_AGENT, CHROME_MAC)
        .header("X-Forwarded-For", "198.51.100.4");
    if let Some(id) = cookie {
        builder = builder.header(COOKIE, format!("rels_session={id}"));
    }
    let mut request = builder.body(Body::empty()).expect("valid request");
    // The peer is a proxy on a private network, which Rails trusts: the
    // client is the address it forwarded for.
    let peer: SocketAddr = "10.0.0.2:40000".parse().expect("address");
    request.extensions_mut().insert(ConnectInfo(peer));
    request
}

async fn send(app: &Router, request: Request<Body>) -> Response<Body> {
    app.clone().oneshot(request).await.expect("infallible")
}

async fn text(response: Response<Body>) -> String {
    let bytes = response.into_body().collect().await.expect("body");
    String::from_utf8(bytes.to_bytes().to_vec()).expect("utf-8")
}

/// The ids the response's `Set-Cookie` headers give; `""` for a removal.
fn cookies(response: &Response<Body>) -> Vec<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| {
            let pair = v.to_str().expect("ascii").split(';').next().expect("pair");
            pair.strip_prefix("rels_session=").expect("ours").to_owned()
        })
        .collect()
}

fn private_key(id: &str) -> String {
    let id = PublicId::parse(id).expect("well-formed id");
    format!("{NS}:{}", id.private_id().expose())
}

fn session_keys(server: &RedisServer) -> Vec<String> {
    let mut keys: Vec<String> = server.connection().keys(format!("{NS}:*")).expect("KEYS");
    keys.retain(|k| k.starts_with(&format!("{NS}:2::")) || k.len() == NS.len() + 33);
    keys.sort();
    keys
}

fn expected_keys(id: &str) -> Vec<String> {
    let mut keys = vec![private_key(id), format!("{NS}:{id}")];
    keys.sort();
    keys
}

fn stored(server: &RedisServer, id: &str) -> Value {
    let json: String = server.connection().get(private_key(id)).expect("GET");
    serde_json::from_str(&json).expect("JSON")
}

fn index(server: &RedisServer) -> Vec<String> {
    let key = format!("{NS}:user_sessions:{USER}");
    server.connection().smembers(key).expect("SMEMBERS")
}

async fn commands_of(
    server: &RedisServer,
    app: &Router,
    request: Request<Body>,
) -> (Response<Body>, BTreeMap<String, u64>) {
    let before = server.command_calls();
    let response = send(app, request).await;
    let delta = server
        .command_calls()
        .into_iter()
        .filter_map(|(cmd, n)| {
            let delta = n - before.get(&cmd).copied().unwrap_or(0);
            (delta > 0).then_some((cmd, delta))
        })
        .collect();
    (response, delta)
}

/// An anonymous session with one visit; returns its id.
async fn visited(app: &Router) -> String {
    let response = send(app, request("GET", "/visits", None)).await;
    let ids = cookies(&response);
    assert_eq!(ids.len(), 1, "{ids:?}");
    ids[0].clone()
}

#[tokio::test]
async fn a_session_signed_in_by_a_rails_app_names_its_user() {
    let server = RedisServer::start();
    server.load_dump(&read_fixture("gem_dump.json"));
    let app = app(&store(&server).await, Refresh::OnLoad);

    let response = send(&app, request("GET", "/warden", Some(GEM_ID))).await;
    assert_eq!(text(response).await, "1");

    let anonymous = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let response = send(&app, request("GET", "/warden", Some(anonymous))).await;
    assert_eq!(text(response).await, "none");
}

#[tokio::test]
async fn signing_in_moves_the_session_and_records_the_client() {
    let server = RedisServer::start();
    let app = app(&store(&server).await, Refresh::OnLoad);
    let old = visited(&app).await;

    let (response, commands) =
        commands_of(&server, &app, request("POST", "/sign_in", Some(&old))).await;
    assert_eq!(response.status(), StatusCode::OK);
    let ids = cookies(&response);
    assert_eq!(ids.len(), 1, "{ids:?}");
    let new = &ids[0];
    assert_ne!(new, &old);

    assert_eq!(session_keys(&server), expected_keys(new), "old keys gone");
    assert_eq!(index(&server), [new.as_str()]);
    let record = stored(&server, new);
    assert_eq!(record["visits"], 1);
    assert_eq!(
        record["warden.user.user.key"],
        serde_json::json!([[USER], "salt"])
    );
    let meta = &record["meta"];
    assert_eq!(meta["ip"], "198.51.100.4");
    assert_eq!(meta["browser"], "Chrome");
    assert_eq!(meta["os"], "Mac");
    assert_eq!(meta["client_platform"], "web");
    assert_eq!(meta["public_session_id"], new.as_str());
    // Both keys once, and the counter's time; nothing saved again after
    // the handler.
    assert_eq!(commands.get("set"), Some(&3), "{commands:?}");
}

#[tokio::test]
async fn a_new_visitor_signing_in_gets_a_cookie_whatever_the_refresh() {
    for refresh in [Refresh::OnLoad, Refresh::OnChange] {
        let server = RedisServer::start();
        let app = app(&store(&server).await, refresh);

        let response = send(&app, request("POST", "/sign_in", None)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let ids = cookies(&response);
        assert_eq!(ids.len(), 1, "{refresh:?}: {ids:?}");
        assert_eq!(session_keys(&server), expected_keys(&ids[0]));
        assert_eq!(
            stored(&server, &ids[0])["meta"]["public_session_id"],
            ids[0]
        );

        let response = send(&app, request("GET", "/warden", Some(&ids[0]))).await;
        assert_eq!(text(response).await, format!("\"{USER}\""));
    }
}

#[tokio::test]
async fn a_write_after_signing_in_is_saved_under_the_new_id() {
    let server = RedisServer::start();
    let app = app(&store(&server).await, Refresh::OnChange);
    let old = visited(&app).await;

    let request = request("POST", "/sign_in_then_write", Some(&old));
    let response = send(&app, request).await;
    let ids = cookies(&response);
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(session_keys(&server), expected_keys(&ids[0]));
    assert_eq!(stored(&server, &ids[0])["after"], 1);
}

#[tokio::test]
async fn a_cycled_id_before_signing_in_leaves_no_old_keys() {
    let server = RedisServer::start();
    let app = app(&store(&server).await, Refresh::OnLoad);
    let old = visited(&app).await;

    let response = send(&app, request("POST", "/cycle_then_sign_in", Some(&old))).await;
    let ids = cookies(&response);
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_ne!(ids[0], old);
    assert_eq!(session_keys(&server), expected_keys(&ids[0]));
    assert_eq!(index(&server), [ids[0].as_str()]);
}

#[tokio::test]
async fn activity_refreshes_last_seen_once_per_interval() {
    let server = RedisServer::start();
    server.load_dump(&read_fixture("gem_dump.json"));
    let app = app(&store(&server).await, Refresh::OnLoad);

    let response = send(&app, request("GET", "/touch", Some(GEM_ID))).await;
    assert!(cookies(&response).is_empty());
    assert_eq!(text(response).await, "wrote");
    let seen = stored(&server, GEM_ID)["meta"]["updated_at"].clone();
    assert_ne!(seen, "2025-01-01 12:00:00 UTC");

    let response = send(&app, request("GET", "/touch", Some(GEM_ID))).await;
    assert_eq!(text(response).await, "skipped");
    assert_eq!(stored(&server, GEM_ID)["meta"]["updated_at"], seen);
}

#[tokio::test]
async fn activity_on_a_revoked_session_does_not_bring_it_back() {
    let server = RedisServer::start();
    server.load_dump(&read_fixture("gem_dump.json"));
    let app = app(&store(&server).await, Refresh::OnLoad);

    let response = send(&app, request("POST", "/touch_revoked", Some(GEM_ID))).await;
    assert_eq!(cookies(&response), [""], "the cookie is removed");
    assert_eq!(text(response).await, "skipped");
    let gone: Option<String> = server.connection().get(private_key(GEM_ID)).expect("GET");
    assert_eq!(gone, None);
}
