//! [`Namespace`]: the prefix of every Redis key the store writes
//! (`NS` in SPEC 1.2).
//!
//! The store also escapes it for `SCAN` patterns, but validation keeps it
//! tame: a namespace is short, printable and free of glob characters.

/// Longest namespace accepted, in characters.
const MAX_LEN: usize = 128;

/// The namespace that the gem uses when none is configured.
const GEM_DEFAULT: &str = "rels:session";

/// The prefix of every Redis key the store reads or writes.
///
/// A valid namespace is 1 to 128 characters from `A-Z a-z 0-9 _ - . :`,
/// neither starts nor ends with `:`, and has no `::` (which would be
/// confused with the `2::` of a private id).
///
/// # Examples
///
/// ```
/// use rels_session::Namespace;
///
/// let namespace = Namespace::parse("rels:session")?;
/// assert_eq!(namespace.as_str(), "rels:session");
/// assert!(Namespace::parse("rels session").is_err());
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Namespace(String);

impl Namespace {
    /// Checks `text` and wraps it.
    ///
    /// # Errors
    ///
    /// A message saying what is wrong with `text`.
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::Namespace;
    ///
    /// assert!(Namespace::parse("turtle:sessions").is_ok());
    /// assert!(Namespace::parse("").is_err());
    /// assert!(Namespace::parse("a::b").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Err("must not be empty".to_owned());
        }
        if let Some(bad) = text.chars().find(|&c| !is_allowed(c)) {
            return Err(format!(
                "may contain only letters, digits, '_', '-', '.' and ':', \
                 found {bad:?}"
            ));
        }
        Self::check_shape(text)?;
        Ok(Self(text.to_owned()))
    }

    /// The namespace that the gem uses by default, `rels:session`.
    ///
    /// Loading from a file never falls back to it: a file must name its
    /// namespace. Only [`Settings::from_env`] uses it when no namespace is
    /// set.
    ///
    /// [`Settings::from_env`]: crate::config::Settings::from_env
    ///
    /// # Examples
    ///
    /// ```
    /// let namespace = rels_session::Namespace::default_gem();
    /// assert_eq!(namespace.as_str(), "rels:session");
    /// ```
    pub fn default_gem() -> Self {
        Self(GEM_DEFAULT.to_owned())
    }

    /// The namespace as text, without a trailing `:`.
    ///
    /// # Examples
    ///
    /// ```
    /// let namespace = rels_session::Namespace::default_gem();
    /// assert_eq!(format!("{}:stats", namespace.as_str()), "rels:session:stats");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks the rules about length and colons; the characters are known
    /// to be allowed.
    fn check_shape(text: &str) -> Result<(), String> {
        if text.len() > MAX_LEN {
            return Err(format!("must be at most {MAX_LEN} characters long"));
        }
        if text.starts_with(':') || text.ends_with(':') {
            return Err("must not start or end with ':'".to_owned());
        }
        if text.contains("::") {
            return Err("must not contain '::'".to_owned());
        }
        Ok(())
    }
}

fn is_allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usual_namespaces_are_accepted() {
        for text in ["rels:session", "a", "Turtle-1.sessions_v2", "x:y:z"] {
            let namespace = Namespace::parse(text).expect("valid namespace");
            assert_eq!(namespace.as_str(), text);
        }
    }

    #[test]
    fn the_longest_namespace_is_accepted() {
        assert!(Namespace::parse(&"a".repeat(MAX_LEN)).is_ok());
    }

    #[test]
    fn malformed_namespaces_are_rejected_with_a_reason() {
        let cases = [
            ("", "must not be empty"),
            ("rels session", "found ' '"),
            ("rels:*", "found '*'"),
            ("sessions:", "start or end"),
            (":sessions", "start or end"),
            ("a::b", "'::'"),
            ("é", "found 'é'"),
        ];
        for (text, reason) in cases {
            let message = Namespace::parse(text).expect_err(text);
            assert!(message.contains(reason), "{text:?}: {message}");
        }
        let too_long = Namespace::parse(&"a".repeat(MAX_LEN + 1));
        assert!(too_long.is_err());
    }

    #[test]
    fn the_gem_default_is_valid() {
        let default = Namespace::default_gem();
        assert_eq!(Namespace::parse(default.as_str()), Ok(default));
    }
}
