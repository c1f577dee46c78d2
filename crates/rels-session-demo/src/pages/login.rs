//! Signing in and out: `GET /login` (the form), `POST /login` (records the
//! sign-in on a fresh session id) and `POST /logout`.
//!
//! A sign-in sets Devise's Warden key to the user's uuid, so the Rails
//! apps sharing the store see the session as signed in, and keeps the
//! name and uuid under `demo_user` for the pages.

use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use rels_session::web::{RequestSession, WardenUser};
use rels_session::{SignIn, SignInRequest};
use serde::Deserialize;
use time::OffsetDateTime;

use super::layout::{Nav, csrf_field, page};
use crate::csrf;
use crate::error::AppError;
use crate::state::AppState;
use crate::user::{DemoUser, user_uuid};
use crate::visitor::Visitor;

/// The salt in the Warden key. Devise compares it with the user's
/// password salt; demo users have no password, and no Rails app knows
/// them, so any fixed text does.
const WARDEN_SALT: &str = "rels-session-demo";

/// The fields of the sign-in form. Missing fields are `None`, so that a
/// missing token is answered `403` rather than a parse error.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct LoginForm {
    csrf_token: Option<String>,
    user: Option<String>,
}

/// The field of every other form.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CsrfForm {
    pub(crate) csrf_token: Option<String>,
}

impl CsrfForm {
    /// The form, or an empty one when the body is not a form at all.
    pub(crate) fn or_empty(form: Result<Form<Self>, FormRejection>) -> Self {
        form.map(|Form(form)| form).unwrap_or_default()
    }
}

/// `GET /login`.
pub(crate) async fn show(
    State(state): State<AppState>,
    session: RequestSession,
) -> Result<Response, AppError> {
    let token = csrf::token(&session).await?;
    let visitor = Visitor::load(&session, &state.users).await?;
    Ok(login_page(&visitor, &token, None).into_response())
}

/// `POST /login`: signs the visitor in as `user`, recording the device
/// (User-Agent, client address) and moving the session to a fresh id.
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    session: RequestSession,
    client: SignInRequest,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Result<Response, AppError> {
    let form = form.map(|Form(form)| form).unwrap_or_default();
    csrf::verify(&session, form.csrf_token.as_deref()).await?;
    let user = match DemoUser::named(form.user.as_deref().unwrap_or_default()) {
        Ok(user) => user,
        Err(problem) => return refuse_name(&session, problem).await,
    };

    let id = user_uuid(&user.name);
    // Signed in as someone else on this browser: that user's device list
    // must lose this session, not keep a dead entry.
    let visitor = Visitor::read(&session).await?;
    if let (Some(previous), Some(current)) = (visitor.user_id(), session.public_id().await)
        && previous != id
    {
        state.users.revoke_id(&previous, &current).await?;
    }
    csrf::rotate(&session).await?;
    session
        .set_warden_user(&WardenUser::new(id.as_str(), WARDEN_SALT))
        .await?;
    session.insert(DemoUser::KEY, &user).await?;
    let options = SignIn::new().with_sign_in_at(OffsetDateTime::now_utc());
    session.sign_in(&state.users, &id, &client, options).await?;
    tracing::info!(user = %id, "signed in");
    Ok(Redirect::to("/").into_response())
}

/// `POST /logout`: removes the session from the user's devices and
/// empties it; the client is told to drop its cookie.
pub(crate) async fn sign_out(
    State(state): State<AppState>,
    session: RequestSession,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Result<Response, AppError> {
    let form = CsrfForm::or_empty(form);
    csrf::verify(&session, form.csrf_token.as_deref()).await?;
    let visitor = Visitor::read(&session).await?;
    if let (Some(user), Some(id)) = (visitor.user_id(), session.public_id().await)
        && let Err(err) = state.users.revoke_id(&user, &id).await
    {
        // Signing out must work even when the user's index is damaged:
        // clearing the session below deletes it all the same.
        tracing::warn!(user = %user, error = %err, "could not update the user's devices at sign-out");
    }
    session.clear().await?;
    Ok(Redirect::to("/").into_response())
}

/// The sign-in page again, saying what is wrong with the name.
async fn refuse_name(session: &RequestSession, problem: &str) -> Result<Response, AppError> {
    let token = csrf::token(session).await?;
    let visitor = Visitor::read(session).await?;
    let page = login_page(&visitor, &token, Some(problem));
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}

fn login_page(visitor: &Visitor, token: &str, problem: Option<&str>) -> Markup {
    let body = html! {
        h1 { "Sign in" }
        div.card {
            @if let Some(name) = visitor.label() {
                p.note {
                    "You are signed in as " strong { (name) } ". Signing in again \
                     moves this session to a fresh id."
                }
            }
            form method="post" action="/login" {
                (csrf_field(token))
                label for="user" { "Name" }
                input #user type="text" name="user" autocomplete="username"
                    maxlength="64" required autofocus;
                @if let Some(problem) = problem {
                    p.error { (problem) }
                }
                div.actions { button type="submit" { "Sign in" } }
            }
            p.small {
                "No password: any name signs in, and the same name finds the \
                 same devices."
            }
        }
    };
    page("Sign in", &Nav::of(visitor, Some(token)), body)
}
