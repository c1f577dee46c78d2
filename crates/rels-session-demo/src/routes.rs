//! Every route of the demo, and the session layer around them.

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::html;
use rels_session::Store;
use rels_session::web::SessionLayer;

use crate::api;
use crate::pages::layout::{Nav, page};
use crate::pages::{devices, home, login};
use crate::state::AppState;

/// The demo app on `store`: its pages, its JSON and `GET /healthz`.
///
/// Serve it with `into_make_service_with_connect_info::<SocketAddr>()` so
/// that sign-ins record the client's address (see [`serve`](crate::serve)).
/// The session cookie is sent without `Secure`: the demo serves plain
/// HTTP.
///
/// # Examples
///
/// ```
/// let app = rels_session_demo::app(rels_session::Store::memory());
/// # let _ = app;
/// ```
pub fn app(store: Store) -> Router {
    let layer = SessionLayer::new(store.clone()).with_secure(false);
    Router::new()
        .route("/", get(home::show))
        .route("/login", get(login::show).post(login::sign_in))
        .route("/logout", post(login::sign_out))
        .route("/devices", get(devices::show))
        .route("/devices/{handle}/revoke", post(devices::revoke))
        .route("/devices/revoke-others", post(devices::revoke_others))
        .route("/api/me", get(api::me))
        .route("/api/devices", get(api::devices))
        .fallback(not_found)
        .with_state(AppState::new(store))
        .layer(layer)
        // Outside the layer: a health check never touches a session.
        .route("/healthz", get(healthz))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn not_found() -> Response {
    let body = html! {
        h1 { "Not found" }
        p { "There is no page here. " a href="/" { "Back to the start" } }
    };
    (
        StatusCode::NOT_FOUND,
        page("Not found", &Nav::plain(), body),
    )
        .into_response()
}
