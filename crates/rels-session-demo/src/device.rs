//! One device a user is signed in on, as the devices page and
//! `GET /api/devices` show it: never with its public id, always with its
//! handle (SPEC 3).

use rels_session::web::RequestSession;
use rels_session::{Meta, Stage, UserSession, Users};
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use crate::error::AppError;
use crate::visitor::Visitor;

/// A device, with the fields and order of `GET /api/devices`. Times are
/// RFC 3339 in UTC (`2025-01-01T12:00:00Z`).
#[derive(Clone, Debug, Serialize)]
pub(crate) struct DeviceView {
    pub(crate) handle: String,
    pub(crate) current: bool,
    pub(crate) browser: Option<String>,
    pub(crate) os: Option<String>,
    pub(crate) device_name: Option<String>,
    pub(crate) device_type: Option<String>,
    pub(crate) ip: Option<String>,
    pub(crate) client_platform: Option<String>,
    pub(crate) session_key_type: &'static str,
    pub(crate) created_at: Option<String>,
    pub(crate) updated_at: Option<String>,
    pub(crate) stage: &'static str,
}

impl DeviceView {
    fn new(handle: String, current: bool, stage: Stage, meta: Meta) -> Self {
        Self {
            handle,
            current,
            session_key_type: meta.session_key_type.as_str(),
            created_at: meta.created_at.and_then(rfc3339),
            updated_at: meta.updated_at.and_then(rfc3339),
            stage: stage.as_str(),
            browser: meta.browser,
            os: meta.os,
            device_name: meta.device_name,
            device_type: meta.device_type,
            ip: meta.ip,
            client_platform: meta.client_platform,
        }
    }
}

impl From<UserSession> for DeviceView {
    fn from(session: UserSession) -> Self {
        Self::new(
            session.handle.as_str().to_owned(),
            session.current,
            session.stage,
            session.meta,
        )
    }
}

/// The devices of the visitor's user, newest first. A session a Rails app
/// signed in has no known user uuid, so only its own device is shown.
pub(crate) async fn devices_of(
    visitor: &Visitor,
    session: &RequestSession,
    users: &Users,
) -> Result<Vec<DeviceView>, AppError> {
    let current = session.public_id().await;
    if let Some(user) = visitor.user_id() {
        let listed = users.list(&user, current.as_ref()).await?;
        return Ok(listed.into_iter().map(DeviceView::from).collect());
    }
    let Some(id) = current else {
        return Ok(Vec::new());
    };
    let record = session.record().await?;
    Ok(Meta::from_record(&record)
        .map(|read| {
            let handle = id.private_id().handle().as_str().to_owned();
            DeviceView::new(handle, true, visitor.stage, read.meta)
        })
        .into_iter()
        .collect())
}

/// A time in RFC 3339, in UTC with `Z`.
pub(crate) fn rfc3339(at: OffsetDateTime) -> Option<String> {
    at.to_offset(UtcOffset::UTC).format(&Rfc3339).ok()
}

/// A time for people to read: `2025-01-01 12:00 UTC`.
pub(crate) fn readable(at: &str) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    OffsetDateTime::parse(at, &Rfc3339)
        .ok()
        .and_then(|t| t.to_offset(UtcOffset::UTC).format(&format).ok())
        .unwrap_or_else(|| at.to_owned())
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn times_are_rfc3339_in_utc() {
        let at = datetime!(2025-01-01 21:00:00 +09:00);
        assert_eq!(rfc3339(at).as_deref(), Some("2025-01-01T12:00:00Z"));
    }

    #[test]
    fn readable_times_drop_the_seconds() {
        assert_eq!(readable("2025-01-01T12:00:59Z"), "2025-01-01 12:00 UTC");
        assert_eq!(readable("soon"), "soon");
    }
}
