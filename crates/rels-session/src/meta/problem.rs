//! What can be wrong with a stored `meta`, named without quoting it.

use std::fmt;

/// Something wrong with one field of a stored `meta` (or with the whole
/// object), found while reading it. The field got its default.
///
/// The message names the field and never quotes the stored value, which
/// may be a secret such as the public id.
///
/// # Examples
///
/// ```
/// use rels_session::MetaProblem;
///
/// let problem = MetaProblem::Missing("ip");
/// assert_eq!(problem.field(), Some("ip"));
/// assert_eq!(problem.to_string(), "session meta has no `ip`");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MetaProblem {
    /// The `meta` value is not a JSON object.
    NotAnObject,
    /// The field is absent.
    Missing(&'static str),
    /// The field is `null` where the gem always writes a value.
    Null(&'static str),
    /// The field holds another JSON type than the one it should.
    WrongType(&'static str),
    /// The field has the right JSON type but a value we cannot read: a
    /// time in no known form, a malformed public id, an unknown session
    /// key type.
    Unreadable(&'static str),
}

impl MetaProblem {
    /// The field the problem is about; `None` for the whole object.
    #[must_use]
    pub fn field(self) -> Option<&'static str> {
        match self {
            Self::NotAnObject => None,
            Self::Missing(field)
            | Self::Null(field)
            | Self::WrongType(field)
            | Self::Unreadable(field) => Some(field),
        }
    }
}

impl fmt::Display for MetaProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAnObject => f.write_str("session meta is not a JSON object"),
            Self::Missing(field) => write!(f, "session meta has no `{field}`"),
            Self::Null(field) => write!(f, "session meta field `{field}` is null"),
            Self::WrongType(field) => {
                write!(f, "session meta field `{field}` has the wrong JSON type")
            }
            Self::Unreadable(field) => {
                write!(
                    f,
                    "session meta field `{field}` has a value that cannot be read"
                )
            }
        }
    }
}
