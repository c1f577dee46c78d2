//! Reading what the operator names on the command line: a session by
//! public id or handle, a handle, a user uuid.
//!
//! A value that does not parse is described, never quoted: a mistyped
//! public id is still most of a cookie value.

use rels_session::{Handle, PublicId, UserId};

use crate::exit::Failure;

/// What a public id looks like, for error messages.
const PUBLIC_ID_SHAPE: &str = "32 lowercase hex characters";

/// What a handle looks like, for error messages.
const HANDLE_SHAPE: &str = "h_ and 32 lowercase hex characters";

/// A session named on the command line.
#[derive(Debug)]
pub(crate) enum Target {
    /// By its public id: the cookie value.
    Public(PublicId),
    /// By its handle.
    Handle(Handle),
}

impl Target {
    /// Reads a public id or a handle.
    pub(crate) fn parse(text: &str) -> Result<Self, Failure> {
        if let Some(id) = PublicId::parse(text) {
            return Ok(Self::Public(id));
        }
        if let Some(handle) = Handle::parse(text) {
            return Ok(Self::Handle(handle));
        }
        Err(Failure::Usage(format!(
            "<PUBLIC_ID|HANDLE> is neither a public id ({PUBLIC_ID_SHAPE}) \
             nor a handle ({HANDLE_SHAPE})"
        )))
    }

    /// The session's handle, which is safe to show.
    pub(crate) fn handle(&self) -> Handle {
        match self {
            Self::Public(id) => id.private_id().handle(),
            Self::Handle(handle) => handle.clone(),
        }
    }

    /// How to name this target in a message, without its public id.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Public(id) => {
                format!("the given public id (handle {})", id.private_id().handle())
            }
            Self::Handle(handle) => format!("handle {handle}"),
        }
    }
}

/// Reads a handle; `what` names the argument in the error.
pub(crate) fn handle(text: &str, what: &str) -> Result<Handle, Failure> {
    Handle::parse(text)
        .ok_or_else(|| Failure::Usage(format!("{what} is not a handle ({HANDLE_SHAPE})")))
}

/// Reads every handle of a list, numbering them in the error.
pub(crate) fn handles(texts: &[String]) -> Result<Vec<Handle>, Failure> {
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| handle(text, &format!("<HANDLE> number {}", i + 1)))
        .collect()
}

/// Reads a user uuid, in lower case: Rails apps write uuids in lower case
/// (as PostgreSQL and `SecureRandom.uuid` do) and index keys are
/// case-sensitive, so an upper-case copy from elsewhere would match nothing.
pub(crate) fn user(text: &str) -> Result<UserId, Failure> {
    UserId::parse(&text.to_ascii_lowercase())
        .map_err(|why| Failure::Usage(format!("<UUID> is {why}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLIC: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    #[test]
    fn a_public_id_becomes_its_handle() {
        let target = Target::parse(PUBLIC).expect("a public id");
        let expected = PublicId::parse(PUBLIC).map(|id| id.private_id().handle());
        assert_eq!(Some(target.handle()), expected);
        assert!(!target.describe().contains(PUBLIC));
        assert!(!format!("{target:?}").contains(PUBLIC));
    }

    #[test]
    fn a_handle_is_taken_as_it_is() {
        let text = "h_0123456789abcdef0123456789abcdef";
        let target = Target::parse(text).expect("a handle");
        assert_eq!(target.handle().as_str(), text);
    }

    #[test]
    fn bad_values_are_described_not_quoted() {
        let nearly = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        for failure in [
            Target::parse(nearly).expect_err("upper case"),
            handle(nearly, "<HANDLE>").expect_err("not a handle"),
            user(nearly).expect_err("not a uuid"),
        ] {
            let line = failure.to_string();
            assert!(!line.contains(nearly), "{line}");
            assert_eq!(failure.code(), 2);
        }
    }

    #[test]
    fn user_uuids_are_read_in_lower_case() {
        let user = user("FED852BE-58DF-5FA6-85C3-4B591E28C13E").expect("a uuid");
        assert_eq!(user.as_str(), "fed852be-58df-5fa6-85c3-4b591e28c13e");
    }

    #[test]
    fn the_bad_handle_of_a_list_is_numbered() {
        let texts = [
            "h_0123456789abcdef0123456789abcdef".to_owned(),
            "x".to_owned(),
        ];
        let line = handles(&texts).expect_err("second is bad").to_string();
        assert!(line.starts_with("<HANDLE> number 2 "), "{line}");
    }
}
