//! Devise's sign-in marker: the Warden user key a Rails app writes into
//! the session when a user signs in, `"warden.user.user.key": [[<id>],
//! "<salt>"]` (SPEC 1.4), read and written the way Devise does.
//!
//! Reading it tells a Rust handler who a Rails app signed in; writing it
//! makes a sign-in on the Rust side count as one for the Rails apps'
//! stage rules. Recording the sign-in itself (metadata, user index) is
//! `sign_in`'s job.

use std::fmt;

use serde::de::{Deserializer, Error as _};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::SessionError;
use super::request::RequestSession;
use crate::record::Record;

/// The session key under which Devise keeps the signed-in user of its
/// default scope, `user`.
pub const WARDEN_USER_KEY: &str = "warden.user.user.key";

/// The user a Rails app signed in through Devise: the value of
/// [`WARDEN_USER_KEY`], `[[<id>], "<salt>"]`.
///
/// The key is the record's primary key as Devise's `to_key` gives it: one
/// element, an integer or, for uuid keys, a string. The salt is the
/// user's `authenticatable_salt`, which Devise compares with the user's
/// on every request; it may be `null`.
///
/// Its `Debug` shows the id but not the salt, which comes from the
/// user's password hash.
///
/// # Examples
///
/// ```
/// use rels_session::Record;
/// use rels_session::web::WardenUser;
///
/// let record = Record::parse(br#"{"warden.user.user.key":[[1],"salt"]}"#)?;
/// let user = WardenUser::from_record(&record).expect("signed in");
/// assert_eq!(user.id(), &serde_json::json!(1));
/// assert_eq!(user.id_text(), Some("1".to_owned()));
/// # Ok::<(), rels_session::RecordError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct WardenUser {
    key: Vec<Value>,
    salt: Option<String>,
}

impl WardenUser {
    /// The marker for the user with `id` and Devise's `salt` for that
    /// user, as Devise writes it at sign-in.
    ///
    /// A Rails app accepts the marker only when `salt` is that user's
    /// `authenticatable_salt`; a service whose users live elsewhere can
    /// pass any text, and the Rails apps then see a signed-in session
    /// whose user they cannot load.
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::web::WardenUser;
    ///
    /// let user = WardenUser::new(42, "$2a$12$abcdefghijklmnopqrstuv");
    /// assert_eq!(user.id(), &serde_json::json!(42));
    /// ```
    #[must_use]
    pub fn new(id: impl Into<Value>, salt: impl Into<String>) -> Self {
        Self {
            key: vec![id.into()],
            salt: Some(salt.into()),
        }
    }

    /// The marker in `record`, when there is a well-formed one.
    ///
    /// A marker of another shape is treated as absent and logged without
    /// its value: Devise would not accept it either.
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::{Record, web::WardenUser};
    ///
    /// let record = Record::parse(br#"{"warden.user.user.key":"odd"}"#)?;
    /// assert!(WardenUser::from_record(&record).is_none());
    /// # Ok::<(), rels_session::RecordError>(())
    /// ```
    #[must_use]
    pub fn from_record(record: &Record) -> Option<Self> {
        match record.get(WARDEN_USER_KEY) {
            Ok(user) => user,
            Err(err) => {
                tracing::warn!(
                    target: "rels_session::web",
                    error = %err,
                    "the Warden user key has an unexpected shape; treating the session as signed out"
                );
                None
            }
        }
    }

    /// Writes the marker into `record`, replacing any other.
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::{Record, web::WardenUser};
    ///
    /// let mut record = Record::new();
    /// WardenUser::new(7, "salt").store_in(&mut record);
    /// assert_eq!(record.to_json(), r#"{"warden.user.user.key":[[7],"salt"]}"#);
    /// ```
    pub fn store_in(&self, record: &mut Record) {
        let raw = serde_json::value::to_raw_value(self)
            .expect("a list of JSON values and a string always serialize");
        record.insert_raw(WARDEN_USER_KEY, raw);
    }

    /// The user's id: the first element of the key, and for Devise's
    /// usual models the only one.
    ///
    /// # Examples
    ///
    /// ```
    /// let user = rels_session::web::WardenUser::new("a-uuid", "salt");
    /// assert_eq!(user.id(), "a-uuid");
    /// ```
    #[must_use]
    pub fn id(&self) -> &Value {
        // A key is never empty: `new` makes one element, reading refuses
        // none.
        &self.key[0]
    }

    /// The id as text: a string as it is, an integer in decimal; `None`
    /// for any other JSON value.
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::web::WardenUser;
    ///
    /// assert_eq!(WardenUser::new(1, "s").id_text().as_deref(), Some("1"));
    /// assert_eq!(WardenUser::new("u", "s").id_text().as_deref(), Some("u"));
    /// ```
    #[must_use]
    pub fn id_text(&self) -> Option<String> {
        match self.id() {
            Value::String(text) => Some(text.clone()),
            Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
            _ => None,
        }
    }

    /// Every element of the key, for models with a composite primary key.
    ///
    /// # Examples
    ///
    /// ```
    /// let user = rels_session::web::WardenUser::new(3, "s");
    /// assert_eq!(user.key().len(), 1);
    /// ```
    #[must_use]
    pub fn key(&self) -> &[Value] {
        &self.key
    }

    /// The salt Devise checks against the user's, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// let user = rels_session::web::WardenUser::new(3, "s");
    /// assert_eq!(user.salt(), Some("s"));
    /// ```
    #[must_use]
    pub fn salt(&self) -> Option<&str> {
        self.salt.as_deref()
    }
}

impl Serialize for WardenUser {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (&self.key, &self.salt).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for WardenUser {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (key, salt) = <(Vec<Value>, Option<String>)>::deserialize(deserializer)?;
        if key.is_empty() {
            return Err(D::Error::custom("the Warden user key names no id"));
        }
        Ok(Self { key, salt })
    }
}

impl fmt::Debug for WardenUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self { key, salt: _ } = self;
        f.debug_struct("WardenUser")
            .field("key", key)
            .field("salt", &"<redacted>")
            .finish()
    }
}

impl RequestSession {
    /// The user a Rails app (or [`set_warden_user`](Self::set_warden_user))
    /// signed in, read from Devise's Warden user key; `None` for a session
    /// without a well-formed one.
    ///
    /// # Errors
    ///
    /// A [`SessionError`] when the session could not be loaded.
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::web::{RequestSession, SessionError};
    ///
    /// async fn whoami(session: RequestSession) -> Result<String, SessionError> {
    ///     Ok(match session.warden_user().await? {
    ///         Some(user) => format!("user {}", user.id()),
    ///         None => "nobody".to_owned(),
    ///     })
    /// }
    /// ```
    pub async fn warden_user(&self) -> Result<Option<WardenUser>, SessionError> {
        let record = self.loaded().await?;
        Ok(WardenUser::from_record(record.session.record()))
    }

    /// Writes Devise's Warden user key, so the Rails apps see the session
    /// as signed in. Call it before [`sign_in`](Self::sign_in), which then
    /// stores it with the rest of the session in one write.
    ///
    /// # Errors
    ///
    /// A [`SessionError`] when the session could not be loaded.
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::web::{RequestSession, SessionError, WardenUser};
    ///
    /// async fn mark(session: RequestSession) -> Result<(), SessionError> {
    ///     session.set_warden_user(&WardenUser::new(7, "salt")).await
    /// }
    /// ```
    pub async fn set_warden_user(&self, user: &WardenUser) -> Result<(), SessionError> {
        self.insert(WARDEN_USER_KEY, user).await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read(json: &str) -> Option<WardenUser> {
        WardenUser::from_record(&Record::parse(json.as_bytes()).expect("valid JSON"))
    }

    #[test]
    fn an_integer_id_reads_as_devise_wrote_it() {
        let user = read(r#"{"warden.user.user.key":[[1],"salt"]}"#).expect("marker");
        assert_eq!(user.id(), &json!(1));
        assert_eq!(user.id_text().as_deref(), Some("1"));
        assert_eq!(user.salt(), Some("salt"));
    }

    #[test]
    fn a_uuid_id_and_a_null_salt_read() {
        let json = r#"{"warden.user.user.key":[["0c6f8a4e-1b7d-5f0e-9a3c-2d4b6e8f0a1c"],null]}"#;
        let user = read(json).expect("marker");
        assert_eq!(
            user.id_text().as_deref(),
            Some("0c6f8a4e-1b7d-5f0e-9a3c-2d4b6e8f0a1c")
        );
        assert_eq!(user.salt(), None);
    }

    #[test]
    fn markers_of_other_shapes_mean_signed_out() {
        for json in [
            r#"{}"#,
            r#"{"warden.user.user.key":null}"#,
            r#"{"warden.user.user.key":[[],"salt"]}"#,
            r#"{"warden.user.user.key":[1,"salt"]}"#,
            r#"{"warden.user.user.key":{"id":1}}"#,
            r#"{"warden.user.user.key":[[1],2]}"#,
        ] {
            assert!(read(json).is_none(), "{json}");
        }
    }

    #[test]
    fn writing_gives_the_bytes_devise_writes() {
        let mut record = Record::parse(br#"{"_csrf_token":"t"}"#).expect("valid");
        WardenUser::new(12, "$2a$12$abc").store_in(&mut record);
        assert_eq!(
            record.to_json(),
            r#"{"_csrf_token":"t","warden.user.user.key":[[12],"$2a$12$abc"]}"#
        );
    }

    #[test]
    fn a_composite_key_survives_a_round_trip() {
        let json = r#"{"warden.user.user.key":[[1,"eu"],"s"]}"#;
        let user = read(json).expect("marker");
        let mut record = Record::new();
        user.store_in(&mut record);
        assert_eq!(record.to_json(), json);
        assert_eq!(user.key().len(), 2);
    }

    #[test]
    fn debug_hides_the_salt() {
        let shown = format!("{:?}", WardenUser::new(5, "SECRET-SALT"));
        assert!(shown.contains('5'));
        assert!(!shown.contains("SECRET-SALT"));
    }
}
