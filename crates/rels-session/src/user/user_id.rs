//! The id of a user, as the gem keys its user index: the user's uuid.

use std::fmt;

/// A user's uuid, in the canonical text form the Rails apps use for the
/// user index key (`NS:user_sessions:<uuid>`): 36 characters, hex digits
/// in groups of 8-4-4-4-12. Upper-case input is kept as given, since the
/// key is case-sensitive and must match what the gem wrote.
///
/// # Examples
///
/// ```
/// use rels_session::UserId;
///
/// let user = UserId::parse("11111111-2222-4333-8444-555555555555")?;
/// assert_eq!(user.as_str(), "11111111-2222-4333-8444-555555555555");
/// assert!(UserId::parse("1 OR 1=1").is_err());
/// # Ok::<(), rels_session::InvalidUserId>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(String);

/// A text that is not a user uuid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a user uuid: expected 36 characters of hex digits in groups of 8-4-4-4-12")]
#[non_exhaustive]
pub struct InvalidUserId;

impl UserId {
    /// Reads a user uuid.
    ///
    /// # Errors
    ///
    /// [`InvalidUserId`] unless `text` is a uuid in its hyphenated form.
    pub fn parse(text: &str) -> Result<Self, InvalidUserId> {
        let groups: Vec<&str> = text.split('-').collect();
        let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
        let hex = groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()));
        if lengths == [8, 4, 4, 4, 12] && hex {
            Ok(Self(text.to_owned()))
        } else {
            Err(InvalidUserId)
        }
    }

    /// The uuid as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UserId").field(&self.0).finish()
    }
}

impl std::str::FromStr for UserId {
    type Err = InvalidUserId;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hyphenated_uuids_are_user_ids() {
        for good in [
            "11111111-2222-4333-8444-555555555555",
            "ABCDEF00-2222-4333-8444-555555555555",
        ] {
            assert_eq!(UserId::parse(good).map(|u| u.0), Ok(good.to_owned()));
        }
        for bad in [
            "",
            "*",
            "11111111222243338444555555555555",
            "{11111111-2222-4333-8444-555555555555}",
            "11111111-2222-4333-8444-55555555555g",
            "11111111-2222-4333-8444-555555555555:x",
        ] {
            assert!(UserId::parse(bad).is_err(), "{bad}");
        }
    }
}
