//! The demo's users: anyone may sign in under any name, without a
//! password. A name's uuid, the key of its user index, is the UUIDv5 of
//! the name under [`USER_NAMESPACE`], so the same name always finds the
//! same devices, in every run and every copy of the demo.

use rels_session::UserId;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The namespace of the demo's user uuids (written in the README too):
/// `uuid = UUIDv5(USER_NAMESPACE, name)`.
pub const USER_NAMESPACE: Uuid = Uuid::from_u128(0xa66f98f3_fd3e_42cd_b8cd_82221b3d6bee);

/// The longest name accepted, in characters.
const MAX_NAME_CHARS: usize = 64;

/// The uuid of the user called `name`: the UUIDv5 of its UTF-8 bytes
/// under [`USER_NAMESPACE`].
///
/// # Examples
///
/// ```
/// let uuid = rels_session_demo::user_uuid("alice");
/// assert_eq!(uuid.as_str(), "fed852be-58df-5fa6-85c3-4b591e28c13e");
/// ```
#[must_use]
pub fn user_uuid(name: &str) -> UserId {
    let uuid = Uuid::new_v5(&USER_NAMESPACE, name.as_bytes());
    UserId::parse(&uuid.hyphenated().to_string()).expect("a hyphenated uuid is always a user id")
}

/// A signed-in demo user, as the session keeps it (under [`DemoUser::KEY`])
/// next to Devise's Warden key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DemoUser {
    pub(crate) name: String,
    pub(crate) uuid: String,
}

impl DemoUser {
    /// The session key of the demo's user.
    pub(crate) const KEY: &str = "demo_user";

    /// The user called `name`, once trimmed; `Err` says what is wrong
    /// with it, for the sign-in page.
    pub(crate) fn named(name: &str) -> Result<Self, &'static str> {
        let name = name.trim();
        if name.is_empty() {
            return Err("Type a name to sign in as.");
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err("That name is too long: 64 characters at most.");
        }
        if name.chars().any(char::is_control) {
            return Err("A name cannot hold control characters.");
        }
        let uuid = user_uuid(name).to_string();
        Ok(Self {
            name: name.to_owned(),
            uuid,
        })
    }

    /// The user id of the user index.
    pub(crate) fn user_id(&self) -> Option<UserId> {
        UserId::parse(&self.uuid).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_always_has_the_same_uuid() {
        assert_eq!(
            user_uuid("alice").as_str(),
            "fed852be-58df-5fa6-85c3-4b591e28c13e"
        );
        assert_eq!(
            user_uuid("Zoë").as_str(),
            "9c39d726-a7b3-5fdd-a4c9-d701dea5bed5"
        );
    }

    #[test]
    fn names_are_trimmed() {
        let user = DemoUser::named("  alice \n").expect("valid");
        assert_eq!(user.name, "alice");
        assert_eq!(user.uuid, "fed852be-58df-5fa6-85c3-4b591e28c13e");
    }

    #[test]
    fn empty_long_and_control_names_are_refused() {
        assert!(DemoUser::named("   ").is_err());
        assert!(DemoUser::named(&"x".repeat(65)).is_err());
        assert!(DemoUser::named("a\u{7}b").is_err());
        assert!(DemoUser::named(&"é".repeat(64)).is_ok());
    }
}
