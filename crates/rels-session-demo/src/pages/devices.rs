//! The devices page: `GET /devices` lists the sessions the user is signed
//! in on, `POST /devices/{handle}/revoke` signs one out and
//! `POST /devices/revoke-others` signs out all but this one.
//!
//! Devices are named by their handles: a handle cannot be used as a
//! cookie, and one that is not among the user's sessions is answered
//! `404`, whoever it belongs to.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use rels_session::Handle;
use rels_session::web::RequestSession;

use super::layout::{Nav, csrf_field, page, stage_badge};
use super::login::CsrfForm;
use crate::csrf;
use crate::device::{DeviceView, devices_of, readable};
use crate::error::AppError;
use crate::state::AppState;
use crate::visitor::Visitor;

/// `GET /devices`; a visitor who is not signed in is sent to sign in.
pub(crate) async fn show(
    State(state): State<AppState>,
    session: RequestSession,
) -> Result<Response, AppError> {
    let visitor = Visitor::load(&session, &state.users).await?;
    if !visitor.signed_in() {
        return Ok(Redirect::to("/login").into_response());
    }
    let token = csrf::token(&session).await?;
    let devices = devices_of(&visitor, &session, &state.users).await?;
    let body = html! {
        h1 { "Your devices" }
        @if visitor.user_id().is_none() {
            p.note {
                "A Rails app signed this session in. Its user's uuid is not \
                 known here, so only this device is shown."
            }
        }
        (table(&devices, &token))
        @if devices.len() > 1 {
            form.actions method="post" action="/devices/revoke-others" {
                (csrf_field(&token))
                button.danger type="submit" { "Sign out all other devices" }
            }
        }
    };
    let nav = Nav::of(&visitor, Some(&token));
    Ok(page("Devices", &nav, body).into_response())
}

/// `POST /devices/{handle}/revoke`.
pub(crate) async fn revoke(
    State(state): State<AppState>,
    session: RequestSession,
    Path(handle): Path<String>,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Result<Response, AppError> {
    let form = CsrfForm::or_empty(form);
    csrf::verify(&session, form.csrf_token.as_deref()).await?;
    let visitor = signed_in(&session, &state).await?;
    let user = visitor.user_id().ok_or(AppError::NotFound)?;
    let handle = Handle::parse(&handle).ok_or(AppError::NotFound)?;
    let revoked = state.users.revoke(&user, &[handle]).await?;
    if revoked.revoked.is_empty() {
        return Err(AppError::NotFound);
    }
    tracing::info!(user = %user, "device signed out");
    Ok(Redirect::to("/devices").into_response())
}

/// `POST /devices/revoke-others`.
pub(crate) async fn revoke_others(
    State(state): State<AppState>,
    session: RequestSession,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Result<Response, AppError> {
    let form = CsrfForm::or_empty(form);
    csrf::verify(&session, form.csrf_token.as_deref()).await?;
    let visitor = signed_in(&session, &state).await?;
    if let (Some(user), Some(current)) = (visitor.user_id(), session.public_id().await) {
        let revoked = state.users.revoke_others(&user, &current).await?;
        tracing::info!(user = %user, count = revoked.revoked.len(), "other devices signed out");
    }
    Ok(Redirect::to("/devices").into_response())
}

/// The visitor, who must be signed in.
async fn signed_in(session: &RequestSession, state: &AppState) -> Result<Visitor, AppError> {
    let visitor = Visitor::load(session, &state.users).await?;
    if visitor.signed_in() {
        Ok(visitor)
    } else {
        Err(AppError::SignInRequired)
    }
}

fn table(devices: &[DeviceView], token: &str) -> Markup {
    html! {
        div.scroll { table {
            thead {
                tr {
                    th { "Device" } th { "IP" } th { "Platform" }
                    th { "Signed in" } th { "Last seen" } th { "Stage" } th {}
                }
            }
            tbody {
                @for device in devices {
                    (row(device, token))
                }
                @if devices.is_empty() {
                    tr { td colspan="7" { "No devices recorded." } }
                }
            }
        } }
    }
}

fn row(device: &DeviceView, token: &str) -> Markup {
    let browser = device.browser.as_deref().unwrap_or("Unknown browser");
    let os = device.os.as_deref().unwrap_or("unknown OS");
    html! {
        tr class=[device.current.then_some("current")] {
            td {
                strong { (browser) } " on " (os)
                div.small {
                    (device.device_name.as_deref().unwrap_or("")) " "
                    (device.device_type.as_deref().unwrap_or(""))
                }
                div.small { code { (device.handle) } }
            }
            td { (device.ip.as_deref().unwrap_or("–")) }
            td {
                (device.client_platform.as_deref().unwrap_or("–"))
                div.small { (device.session_key_type) }
            }
            td { (time(device.created_at.as_deref())) }
            td { (time(device.updated_at.as_deref())) }
            td { (stage_badge(device.stage)) }
            td {
                @if device.current {
                    span.badge.here { "This device" }
                } @else {
                    form.inline method="post" action={ "/devices/" (device.handle) "/revoke" } {
                        (csrf_field(token))
                        button.danger type="submit" { "Sign out" }
                    }
                }
            }
        }
    }
}

/// A time as a date over the time of day.
fn time(at: Option<&str>) -> Markup {
    let Some(at) = at else {
        return html! { "–" };
    };
    let text = readable(at);
    let (date, clock) = text.split_once(' ').unwrap_or((text.as_str(), ""));
    html! { time datetime=(at) { (date) div.small { (clock) } } }
}
