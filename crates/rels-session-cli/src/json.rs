//! The documents the CLI prints, field by field, in the order `--json`
//! writes them. Tables are made from the same documents, so both outputs
//! always agree.
//!
//! Times are RFC 3339 in UTC with `Z`. A session's metadata keeps the
//! gem's 13 field names in the gem's order, with the public id masked.

use std::time::Duration;

use rels_session::{Handle, Meta, Problem, Revoked, Stage, Totals};
use serde::Serialize;
use serde_json::value::RawValue;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::mask::MASK;

/// `config check`.
#[derive(Serialize)]
pub(crate) struct ConfigReport {
    /// Whether the configuration has no problem.
    pub(crate) ok: bool,
    /// Where the configuration came from: the file, or the environment.
    pub(crate) source: String,
    /// Every problem, with its path.
    pub(crate) problems: Vec<ProblemJson>,
}

/// One problem of a configuration.
#[derive(Serialize)]
pub(crate) struct ProblemJson {
    /// Where: a field path, an environment variable or an option.
    pub(crate) path: String,
    /// What is wrong.
    pub(crate) message: String,
}

impl From<Problem> for ProblemJson {
    fn from(problem: Problem) -> Self {
        Self {
            path: problem.path,
            message: problem.message,
        }
    }
}

/// `sessions count`.
#[derive(Serialize)]
pub(crate) struct Count {
    /// How many sessions.
    pub(crate) count: u64,
    /// The stage counted, or `null` for every session.
    pub(crate) stage: Option<&'static str>,
}

/// `sessions list`.
#[derive(Serialize)]
pub(crate) struct SessionList {
    /// The sessions, in scan order.
    pub(crate) sessions: Vec<SessionRow>,
}

/// `user sessions`.
#[derive(Serialize)]
pub(crate) struct UserSessions {
    /// The user's uuid.
    pub(crate) user: String,
    /// The user's sessions, newest first.
    pub(crate) sessions: Vec<SessionRow>,
}

/// One session of a listing.
#[derive(Serialize)]
pub(crate) struct SessionRow {
    /// Its handle.
    pub(crate) handle: String,
    /// Its stage.
    pub(crate) stage: &'static str,
    /// Seconds left to live; `null` when unknown or without expiry.
    pub(crate) ttl: Option<u64>,
    /// Its metadata; `null` for a session without one.
    pub(crate) meta: Option<MetaJson>,
}

impl SessionRow {
    /// A row for a session.
    pub(crate) fn new(
        handle: &Handle,
        stage: Stage,
        ttl: Option<Duration>,
        meta: Option<&Meta>,
    ) -> Self {
        Self {
            handle: handle.to_string(),
            stage: stage.as_str(),
            ttl: ttl.map(|ttl| ttl.as_secs()),
            meta: meta.map(MetaJson::from),
        }
    }
}

/// A session's `meta`, under the gem's names and in the gem's order.
#[derive(Serialize)]
pub(crate) struct MetaJson {
    /// Client address.
    pub(crate) ip: Option<String>,
    /// Browser name.
    pub(crate) browser: Option<String>,
    /// Operating system name.
    pub(crate) os: Option<String>,
    /// The app's version.
    pub(crate) app_version: Option<String>,
    /// Device name.
    pub(crate) device_name: Option<String>,
    /// Device type.
    pub(crate) device_type: Option<String>,
    /// App installation.
    pub(crate) installation_id: Option<String>,
    /// Course.
    pub(crate) course_id: Option<String>,
    /// `web`, `mobile_web`, `ios_app`...
    pub(crate) client_platform: Option<String>,
    /// Always the mask, or `null` when the session records none.
    pub(crate) public_session_id: Option<&'static str>,
    /// `cookie` or `token`.
    pub(crate) session_key_type: &'static str,
    /// Sign-in time.
    pub(crate) created_at: Option<String>,
    /// When the metadata was last written.
    pub(crate) updated_at: Option<String>,
}

impl From<&Meta> for MetaJson {
    fn from(meta: &Meta) -> Self {
        Self {
            ip: meta.ip.clone(),
            browser: meta.browser.clone(),
            os: meta.os.clone(),
            app_version: meta.app_version.clone(),
            device_name: meta.device_name.clone(),
            device_type: meta.device_type.clone(),
            installation_id: meta.installation_id.clone(),
            course_id: meta.course_id.clone(),
            client_platform: meta.client_platform.clone(),
            public_session_id: meta.public_session_id.as_ref().map(|_| MASK),
            session_key_type: meta.session_key_type.as_str(),
            created_at: meta.created_at.and_then(rfc3339),
            updated_at: meta.updated_at.and_then(rfc3339),
        }
    }
}

/// `sessions show`.
#[derive(Serialize)]
pub(crate) struct Shown {
    /// The session's handle.
    pub(crate) handle: String,
    /// Its stage; `null` when the payload is not a JSON object.
    pub(crate) stage: Option<&'static str>,
    /// Seconds left to live; `null` when unknown or without expiry.
    pub(crate) ttl: Option<u64>,
    /// The stored payload, its public id masked. When it is not a JSON
    /// object: `null`, or its text as a JSON string with `--reveal`.
    pub(crate) session: Option<Box<RawValue>>,
}

/// `users list`.
#[derive(Serialize)]
pub(crate) struct UserList {
    /// Every user with an index, by uuid.
    pub(crate) users: Vec<UserRow>,
}

/// One user of `users list`.
#[derive(Serialize)]
pub(crate) struct UserRow {
    /// The user's uuid.
    pub(crate) uuid: String,
    /// How many live sessions the user has.
    pub(crate) sessions: u64,
}

/// `sessions delete`, `user revoke` and `user revoke-all`.
#[derive(Serialize, Default)]
pub(crate) struct RevokeReport {
    /// Handles of the sessions revoked.
    pub(crate) revoked: Vec<String>,
    /// Handles named that were not found.
    pub(crate) not_found: Vec<String>,
}

impl From<Revoked> for RevokeReport {
    fn from(revoked: Revoked) -> Self {
        let names = |handles: Vec<Handle>| handles.iter().map(Handle::to_string).collect();
        Self {
            revoked: names(revoked.revoked),
            not_found: names(revoked.not_found),
        }
    }
}

/// `stats` and `stats reconcile`.
#[derive(Serialize)]
pub(crate) struct TotalsJson {
    /// Sessions counted.
    pub(crate) total_sessions: u64,
    /// When the counter last changed.
    pub(crate) last_updated_at: Option<String>,
}

impl From<Totals> for TotalsJson {
    fn from(totals: Totals) -> Self {
        Self {
            total_sessions: totals.total_sessions,
            last_updated_at: totals.last_updated_at.and_then(rfc3339),
        }
    }
}

/// A time as RFC 3339 in UTC, `2025-01-01T12:00:00Z`.
pub(crate) fn rfc3339(time: OffsetDateTime) -> Option<String> {
    time.to_offset(time::UtcOffset::UTC).format(&Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn times_are_utc_with_a_z() {
        let tokyo = datetime!(2025-01-01 21:00:00 +09:00);
        assert_eq!(rfc3339(tokyo).as_deref(), Some("2025-01-01T12:00:00Z"));
    }

    #[test]
    fn meta_keeps_the_gem_names_in_order_and_masks_the_id() {
        let mut meta = Meta::default();
        meta.public_session_id = rels_session::PublicId::parse("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
        meta.updated_at = Some(datetime!(2025-01-01 12:00:00 UTC));
        let json = serde_json::to_string(&MetaJson::from(&meta)).expect("serializable");
        assert_eq!(
            json,
            r#"{"ip":null,"browser":null,"os":null,"app_version":null,"device_name":null,"device_type":null,"installation_id":null,"course_id":null,"client_platform":null,"public_session_id":"****","session_key_type":"cookie","created_at":null,"updated_at":"2025-01-01T12:00:00Z"}"#
        );
    }
}
