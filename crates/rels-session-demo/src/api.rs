//! The JSON for scripts: `GET /api/me` and `GET /api/devices`. Their
//! shapes are a contract (see the README); a public id never appears in
//! them.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rels_session::Record;
use rels_session::web::RequestSession;
use serde::Serialize;
use serde_json::{Value, json};

use crate::csrf;
use crate::device::{DeviceView, devices_of};
use crate::error::AppError;
use crate::state::AppState;
use crate::visitor::Visitor;

/// The body of `GET /api/me`.
#[derive(Debug, Serialize)]
struct Me {
    signed_in: bool,
    user: Option<MeUser>,
    stage: &'static str,
    csrf_token: String,
    session: Record,
}

/// Who is signed in: `name` and `uuid` are the demo's, `null` for a
/// session a Rails app signed in; `warden_id` is the id in Devise's key.
#[derive(Debug, Serialize)]
struct MeUser {
    name: Option<String>,
    uuid: Option<String>,
    warden_id: Value,
}

/// The body of `GET /api/devices`.
#[derive(Debug, Serialize)]
struct Devices {
    devices: Vec<DeviceView>,
}

/// `GET /api/me`: who the session belongs to, its stage, its CSRF token
/// (made now if it has none, for a script's next POST) and its contents.
pub(crate) async fn me(
    State(state): State<AppState>,
    session: RequestSession,
) -> Result<Response, AppError> {
    let csrf_token = csrf::token(&session).await?;
    let visitor = Visitor::load(&session, &state.users).await?;
    let user = visitor.warden.as_ref().map(|warden| MeUser {
        name: visitor.demo.as_ref().map(|u| u.name.clone()),
        uuid: visitor.demo.as_ref().map(|u| u.uuid.clone()),
        warden_id: warden.id().clone(),
    });
    let me = Me {
        signed_in: visitor.signed_in(),
        user,
        stage: visitor.stage.as_str(),
        csrf_token,
        session: visitor.shown,
    };
    Ok(Json(me).into_response())
}

/// `GET /api/devices`: the signed-in user's devices, newest first; `401`
/// when nobody is signed in.
pub(crate) async fn devices(
    State(state): State<AppState>,
    session: RequestSession,
) -> Result<Response, AppError> {
    let visitor = Visitor::load(&session, &state.users).await?;
    if !visitor.signed_in() {
        let body = Json(json!({"error": "not signed in"}));
        return Ok((StatusCode::UNAUTHORIZED, body).into_response());
    }
    let devices = devices_of(&visitor, &session, &state.users).await?;
    Ok(Json(Devices { devices }).into_response())
}
