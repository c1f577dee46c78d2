//! Who the request's session belongs to: signed in or not, by the demo or
//! by a Rails app, and what the session holds, ready to be shown.
//!
//! Devise's Warden key decides whether a session is signed in, as it does
//! for the Rails apps. The demo's own record of the user (name and uuid)
//! counts only while the Warden key still names that uuid: a Rails app
//! that signed someone else in on the same session wins.

use rels_session::web::{RequestSession, WardenUser};
use rels_session::{Record, Stage, UserId, Users};
use serde_json::value::RawValue;

use crate::error::AppError;
use crate::user::DemoUser;

/// What a public id is replaced with wherever a session is shown.
pub(crate) const MASK: &str = "[masked]";

/// The session of a request, as the pages and the JSON show it.
#[derive(Debug)]
pub(crate) struct Visitor {
    /// Devise's signed-in user, when there is one.
    pub(crate) warden: Option<WardenUser>,
    /// The demo's user, when the demo signed this session in.
    pub(crate) demo: Option<DemoUser>,
    /// The session's stage, as the gem decides it.
    pub(crate) stage: Stage,
    /// The session's data with `meta.public_session_id` masked.
    pub(crate) shown: Record,
}

impl Visitor {
    /// Reads the request's session and, for a demo user, notes the
    /// activity ("last seen"), at most once per activity interval.
    pub(crate) async fn load(session: &RequestSession, users: &Users) -> Result<Self, AppError> {
        let visitor = Self::read(session).await?;
        match visitor.user_id() {
            Some(user) if session.touch_activity(users, &user).await? => Self::read(session).await,
            _ => Ok(visitor),
        }
    }

    /// Reads the request's session, and nothing else.
    pub(crate) async fn read(session: &RequestSession) -> Result<Self, AppError> {
        let record = session.record().await?;
        Ok(Self {
            warden: WardenUser::from_record(&record),
            demo: demo_user(&record),
            stage: Stage::of(&record),
            shown: masked(&record),
        })
    }

    /// Whether a user is signed in, by the demo or by a Rails app.
    pub(crate) fn signed_in(&self) -> bool {
        self.warden.is_some()
    }

    /// The demo user's id, the key of the user index; `None` for a
    /// session a Rails app signed in, whose user's uuid is not known here.
    pub(crate) fn user_id(&self) -> Option<UserId> {
        self.demo.as_ref().and_then(DemoUser::user_id)
    }

    /// A short name for the signed-in user, for the page header.
    pub(crate) fn label(&self) -> Option<String> {
        match (&self.demo, &self.warden) {
            (Some(user), _) => Some(user.name.clone()),
            (None, Some(warden)) => Some(format!("Rails user {}", warden.id())),
            (None, None) => None,
        }
    }
}

/// The demo's user, when the Warden key still names it.
fn demo_user(record: &Record) -> Option<DemoUser> {
    let warden = WardenUser::from_record(record)?;
    let user: DemoUser = record.get(DemoUser::KEY).ok().flatten()?;
    (warden.id_text().as_deref() == Some(user.uuid.as_str())).then_some(user)
}

/// A copy of `record` whose `meta.public_session_id`, the session's cookie
/// value, is masked (SPEC 3). Everything else keeps its exact JSON text.
pub(crate) fn masked(record: &Record) -> Record {
    let mut shown = record.clone();
    let meta = record
        .get_raw("meta")
        .and_then(|raw| Record::parse(raw.as_bytes()).ok());
    if let Some(mut meta) = meta
        && meta.contains_key("public_session_id")
        && meta.insert("public_session_id", MASK).is_ok()
        && let Ok(raw) = RawValue::from_string(object_text(&meta))
    {
        shown.insert_raw("meta", raw);
    }
    shown
}

/// A record as a JSON object with every key, `null`s included: unlike a
/// stored session, `meta` keeps its null fields (SPEC 1.4).
fn object_text(record: &Record) -> String {
    let fields: Vec<String> = record
        .keys()
        .filter_map(|key| {
            let raw = record.get_raw(key)?;
            let key = serde_json::to_string(key).ok()?;
            Some(format!("{key}:{raw}"))
        })
        .collect();
    format!("{{{}}}", fields.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(json: &str) -> Record {
        Record::parse(json.as_bytes()).expect("valid")
    }

    #[test]
    fn the_public_id_in_meta_is_masked_and_the_rest_kept() {
        let id = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
        let json = format!(
            r#"{{"n":123456789012345678901234567890,"meta":{{"ip":"203.0.113.7","public_session_id":"{id}","updated_at":null}},"x":1}}"#
        );
        let shown = masked(&record(&json)).to_json();
        assert!(!shown.contains(id));
        assert_eq!(
            shown,
            r#"{"n":123456789012345678901234567890,"meta":{"ip":"203.0.113.7","public_session_id":"[masked]","updated_at":null},"x":1}"#
        );
    }

    #[test]
    fn a_session_without_meta_is_shown_as_it_is() {
        let json = r#"{"meta":"odd","a":[1]}"#;
        assert_eq!(masked(&record(json)).to_json(), json);
    }

    #[test]
    fn the_demo_user_counts_only_under_its_own_warden_key() {
        let uuid = "fed852be-58df-5fa6-85c3-4b591e28c13e";
        let ours = format!(
            r#"{{"warden.user.user.key":[["{uuid}"],"s"],"demo_user":{{"name":"alice","uuid":"{uuid}"}}}}"#
        );
        assert_eq!(
            demo_user(&record(&ours)).map(|u| u.name),
            Some("alice".into())
        );

        let replaced = format!(
            r#"{{"warden.user.user.key":[[1],"s"],"demo_user":{{"name":"alice","uuid":"{uuid}"}}}}"#
        );
        assert!(demo_user(&record(&replaced)).is_none());
        let signed_out = format!(r#"{{"demo_user":{{"name":"alice","uuid":"{uuid}"}}}}"#);
        assert!(demo_user(&record(&signed_out)).is_none());
    }
}
