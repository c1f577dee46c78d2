//! [`Secret`]: a configuration value, such as a password, that must never
//! reach output or logs.

use std::fmt;

/// A password from the configuration.
///
/// It has no `Display`, and its `Debug` prints `Secret(<redacted>)`, so a
/// `{:?}` of any settings type cannot leak it. The text is reachable only
/// through [`Secret::expose`], whose name makes each use easy to review.
///
/// # Examples
///
/// ```
/// use rels_session::Secret;
///
/// let password = Secret::new("hunter2");
/// assert_eq!(format!("{password:?}"), "Secret(<redacted>)");
/// assert_eq!(password.expose(), "hunter2");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret text.
    ///
    /// # Examples
    ///
    /// ```
    /// let password = rels_session::Secret::new(String::from("hunter2"));
    /// # assert_eq!(password.expose(), "hunter2");
    /// ```
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The secret text, to hand to the Redis client and nowhere else.
    ///
    /// # Examples
    ///
    /// ```
    /// let password = rels_session::Secret::new("hunter2");
    /// assert_eq!(password.expose(), "hunter2");
    /// ```
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_text() {
        let debug = format!("{:?}", Secret::new("hunter2"));
        assert_eq!(debug, "Secret(<redacted>)");
        assert!(!format!("{:#?}", Secret::new("hunter2")).contains("hunter2"));
    }
}
