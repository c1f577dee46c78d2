//! The Redis key layout shared with the gem (SPEC 1.2), in one place.
//!
//! Every key the crate touches is built here from the namespace and a
//! validated id, so no text from a client can reach a key or a pattern.

use crate::backend::Counter;
use crate::config::Namespace;
use crate::id::{PRIVATE_ID_PREFIX, PUBLIC_ID_LEN, PrivateId, PublicId};

/// What follows the namespace in a user index key.
const USER_INDEX: &str = "user_sessions:";

/// Builds the keys of one namespace.
#[derive(Clone, Debug)]
pub(crate) struct Keyspace {
    /// The namespace followed by `:`.
    prefix: String,
    /// The namespace with glob characters escaped, followed by `:`.
    pattern_prefix: String,
}

impl Keyspace {
    pub(crate) fn new(namespace: &Namespace) -> Self {
        let ns = namespace.as_str();
        Self {
            prefix: format!("{ns}:"),
            pattern_prefix: format!("{}:", escape_glob(ns)),
        }
    }

    /// `NS:2::<sha256>`
    pub(crate) fn private_key(&self, id: &PrivateId) -> String {
        self.key(id.expose())
    }

    /// `NS:<public id>`
    pub(crate) fn public_key(&self, id: &PublicId) -> String {
        self.key(id.expose())
    }

    /// `NS:<tail>`, without the formatting machinery: keys are built on
    /// every request.
    fn key(&self, tail: &str) -> String {
        let mut key = String::with_capacity(self.prefix.len() + tail.len());
        key.push_str(&self.prefix);
        key.push_str(tail);
        key
    }

    /// `NS:2:secure_store_enabled`
    pub(crate) fn flag_key(&self) -> String {
        format!("{}2:secure_store_enabled", self.prefix)
    }

    /// `NS:user_sessions:<uuid>`
    pub(crate) fn user_index_key(&self, user: &str) -> String {
        format!("{}{USER_INDEX}{user}", self.prefix)
    }

    /// The `SCAN MATCH` pattern of every user index.
    pub(crate) fn user_index_pattern(&self) -> String {
        format!("{}{USER_INDEX}*", self.pattern_prefix)
    }

    /// The user uuid of a scanned user index key.
    pub(crate) fn user_of_index_key<'k>(&self, key: &'k [u8]) -> Option<&'k str> {
        self.tail(key)?.strip_prefix(USER_INDEX)
    }

    /// `NS:stats:total_sessions` and `NS:stats:last_updated_at`.
    pub(crate) fn counter(&self) -> Counter {
        Counter {
            total: format!("{}stats:total_sessions", self.prefix),
            updated_at: format!("{}stats:last_updated_at", self.prefix),
        }
    }

    /// The `SCAN MATCH` pattern of every private key.
    pub(crate) fn private_pattern(&self) -> String {
        format!("{}{}*", self.pattern_prefix, escape_glob(PRIVATE_ID_PREFIX))
    }

    /// The `SCAN MATCH` pattern of every public key: 32 hex characters.
    pub(crate) fn public_pattern(&self) -> String {
        format!(
            "{}{}",
            self.pattern_prefix,
            "[0-9a-f]".repeat(PUBLIC_ID_LEN)
        )
    }

    /// The private id of a scanned private key.
    pub(crate) fn private_id_of(&self, key: &[u8]) -> Option<PrivateId> {
        PrivateId::parse(self.tail(key)?)
    }

    /// The public id of a scanned public key.
    pub(crate) fn public_id_of(&self, key: &[u8]) -> Option<PublicId> {
        PublicId::parse(self.tail(key)?)
    }

    fn tail<'k>(&self, key: &'k [u8]) -> Option<&'k str> {
        std::str::from_utf8(key).ok()?.strip_prefix(&self.prefix)
    }
}

/// Escapes the characters that `SCAN MATCH` treats as glob syntax.
fn escape_glob(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\' | '^' | '-') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyspace(ns: &str) -> Keyspace {
        Keyspace::new(&Namespace::parse(ns).expect("valid namespace"))
    }

    #[test]
    fn keys_follow_the_gem_layout() {
        let keys = keyspace("rels:session");
        let id = PublicId::parse("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").expect("valid");
        assert_eq!(
            keys.private_key(&id.private_id()),
            "rels:session:2::3ba3f5f43b92602683c19aee62a20342b084dd5971ddd33808d81a328879a547"
        );
        assert_eq!(
            keys.public_key(&id),
            "rels:session:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        );
        assert_eq!(keys.flag_key(), "rels:session:2:secure_store_enabled");
        assert_eq!(keys.private_pattern(), "rels:session:2::*");
    }

    #[test]
    fn scanned_keys_give_back_their_ids() {
        let keys = keyspace("rels:session");
        let id = PublicId::parse("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").expect("valid");
        let private = keys.private_key(&id.private_id());
        assert_eq!(
            keys.private_id_of(private.as_bytes()),
            Some(id.private_id())
        );
        assert_eq!(keys.public_id_of(keys.public_key(&id).as_bytes()), Some(id));
        assert_eq!(
            keys.private_id_of(b"rels:session:2:secure_store_enabled"),
            None
        );
        assert_eq!(keys.private_id_of(b"other:2::abc"), None);
    }

    #[test]
    fn glob_characters_in_a_namespace_are_escaped() {
        assert_eq!(escape_glob("a*b?c[d]e\\f"), "a\\*b\\?c\\[d\\]e\\\\f");
        assert_eq!(keyspace("app-1").private_pattern(), "app\\-1:2::*");
    }
}
