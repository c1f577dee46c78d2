//! `GET /`: who the visitor is, the session's stage and what the session
//! holds (with its public id masked).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use rels_session::web::RequestSession;

use super::layout::{Nav, page, stage_badge};
use crate::csrf;
use crate::error::AppError;
use crate::state::AppState;
use crate::visitor::Visitor;

/// `GET /`.
pub(crate) async fn show(
    State(state): State<AppState>,
    session: RequestSession,
) -> Result<Response, AppError> {
    let visitor = Visitor::load(&session, &state.users).await?;
    // Only a signed-in visitor sees a form (sign out): an anonymous one
    // gets no session just for looking.
    let csrf = match visitor.signed_in() {
        true => Some(csrf::token(&session).await?),
        false => None,
    };
    let body = html! {
        h1 { "Who am I" }
        (identity(&visitor))
        h2 { "Session contents" }
        (contents(&visitor))
        (store_note(&state))
    };
    let nav = Nav::of(&visitor, csrf.as_deref());
    Ok(page("Home", &nav, body).into_response())
}

fn identity(visitor: &Visitor) -> Markup {
    html! {
        div.card {
            dl {
                dt { "Signed in" }
                dd {
                    @if let Some(user) = &visitor.demo {
                        "Yes, as " strong { (user.name) } " (signed in here)"
                    } @else if visitor.warden.is_some() {
                        "Yes, by a Rails app"
                    } @else {
                        "No. " a href="/login" { "Sign in" }
                    }
                }
                @if let Some(user) = &visitor.demo {
                    dt { "User uuid" }
                    dd { code { (user.uuid) } }
                }
                @if let Some(warden) = &visitor.warden {
                    dt { "Warden id" }
                    dd { code { (warden.id()) } }
                }
                dt { "Stage" }
                dd { (stage_badge(visitor.stage.as_str())) }
            }
        }
    }
}

fn contents(visitor: &Visitor) -> Markup {
    if visitor.shown.is_empty() {
        return html! { p.note { "This session holds nothing yet." } };
    }
    let pretty =
        serde_json::to_string_pretty(&visitor.shown).unwrap_or_else(|_| visitor.shown.to_json());
    html! {
        pre { (pretty) }
        p.small { "The public id in " code { "meta" } " is masked: it is the cookie's value." }
    }
}

fn store_note(state: &AppState) -> Markup {
    html! {
        p.note {
            @if state.is_memory() {
                "Sessions live in this process's memory: Rails apps do not see them. \
                 Start the demo with REDIS_URL to share them."
            } @else {
                "Sessions live in Redis, shared with the Rails apps that use it."
            }
        }
    }
}
