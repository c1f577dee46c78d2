//! The token every form carries against cross-site request forgery.
//!
//! It lives in the session under `_csrf_token`, where Rails keeps its own:
//! a session that a Rails app started brings its token along, and a token
//! made here has the form Rails makes (32 random bytes in URL-safe
//! Base64), so a Rails app accepts it too. A POST is refused unless its
//! `csrf_token` field equals the session's token, compared in constant
//! time.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rels_session::web::{RequestSession, SessionError};
use subtle::ConstantTimeEq as _;

use crate::error::AppError;

/// The session key of the token, as in Rails.
const KEY: &str = "_csrf_token";

/// Random bytes in a new token, as in Rails.
const TOKEN_BYTES: usize = 32;

/// The session's token, made and stored now if it has none.
pub(crate) async fn token(session: &RequestSession) -> Result<String, AppError> {
    if let Some(token) = stored(session).await? {
        return Ok(token);
    }
    let token = generate()?;
    session.insert(KEY, &token).await?;
    Ok(token)
}

/// Replaces the session's token, as Devise does at sign-in, so that a
/// token planted before a sign-in is worthless after it.
pub(crate) async fn rotate(session: &RequestSession) -> Result<(), AppError> {
    session.insert(KEY, &generate()?).await?;
    Ok(())
}

/// Passes when `given` is the session's token.
///
/// # Errors
///
/// [`AppError::Forbidden`] when `given` is missing or another value, or
/// the session has no token.
pub(crate) async fn verify(session: &RequestSession, given: Option<&str>) -> Result<(), AppError> {
    let stored = stored(session).await?;
    match (stored, given) {
        (Some(stored), Some(given)) if matches(&stored, given) => Ok(()),
        _ => {
            tracing::warn!("form refused: missing or wrong CSRF token");
            Err(AppError::Forbidden)
        }
    }
}

/// The stored token; a value of another shape counts as none.
async fn stored(session: &RequestSession) -> Result<Option<String>, SessionError> {
    match session.get::<String>(KEY).await {
        Err(err) if err.is_value() => Ok(None),
        result => result.map(|token| token.filter(|t| !t.is_empty())),
    }
}

fn generate() -> Result<String, AppError> {
    let mut bytes = [0_u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(|err| AppError::Random(err.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Equal texts, in time that does not depend on where they differ.
fn matches(stored: &str, given: &str) -> bool {
    bool::from(stored.as_bytes().ct_eq(given.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_token_matches() {
        assert!(matches("abc", "abc"));
        assert!(!matches("abc", "abd"));
        assert!(!matches("abc", "ab"));
        assert!(!matches("abc", ""));
    }

    #[test]
    fn new_tokens_look_like_rails_tokens() {
        let token = generate().expect("random");
        assert_eq!(token.len(), 43);
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_ne!(token, generate().expect("random"));
    }
}
