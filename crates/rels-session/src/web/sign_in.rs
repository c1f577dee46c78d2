//! Recording a sign-in and a user's activity from a handler, through the
//! per-user API ([`Users`]), on the request's own session.
//!
//! [`SignInRequest`] becomes an extractor: the headers the gem reads and
//! the peer address (axum's [`ConnectInfo`], when the server provides
//! it). [`RequestSession::sign_in`] and [`RequestSession::touch_activity`]
//! run [`Users::sign_in`] and [`Users::touch`] on the loaded session and
//! leave it in a state the save after the handler agrees with: a sign-in
//! has already stored the session under a fresh id, so the layer only
//! sends the new cookie; nothing stale is written again, and a session
//! revoked meanwhile stays revoked.

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::response::{IntoResponse, Response};
use http::header::{CONTENT_TYPE, RETRY_AFTER};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode};

use super::error::{SessionError, failure_response};
use super::request::{Loaded, RequestSession};
use crate::error::Error;
use crate::id::PublicId;
use crate::session::Session;
use crate::user::{SignIn, SignInRequest, UserId, Users};

/// Why a sign-in or a user's activity could not be recorded on the
/// request's session.
///
/// It implements [`IntoResponse`] as [`SessionError`] does: `503` with
/// `Retry-After` when the store is unavailable, else `500`, with a short
/// body and the detail in the log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UsersError {
    /// The session could not be loaded.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The store failed while recording.
    #[error("could not record the sign-in or activity: {0}")]
    Store(#[source] Error),
    /// The store failed when the session was loaded and the layer fails
    /// open: the handler works on an empty session that is never saved,
    /// so a sign-in on it would be lost.
    #[error("the session store was unavailable when the session was loaded")]
    Detached,
}

impl UsersError {
    /// Whether the store was unavailable: worth a retry later.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(rels_session::web::UsersError::Detached.is_unavailable());
    /// ```
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Session(err) => err.is_unavailable(),
            Self::Store(err) => err.is_unavailable(),
            Self::Detached => true,
        }
    }
}

impl IntoResponse for UsersError {
    fn into_response(self) -> Response {
        match self {
            Self::Session(err) => err.into_response(),
            Self::Store(err) => {
                tracing::error!(
                    target: "rels_session::web",
                    error = %err,
                    "could not record the sign-in or activity"
                );
                failure_response(&err)
            }
            Self::Detached => {
                tracing::error!(
                    target: "rels_session::web",
                    "sign-in refused: the session store was unavailable at load"
                );
                unavailable()
            }
        }
    }
}

/// `503`, as for a store that is unavailable, when there is no store
/// error at hand to describe it.
fn unavailable() -> Response {
    let mut response = Response::new(Body::from("session store unavailable"));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let headers = response.headers_mut();
    headers.insert(RETRY_AFTER, HeaderValue::from(1_u32));
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

impl SignInRequest {
    /// What a request tells about its client: the headers the gem reads
    /// (see [`with_header`](Self::with_header)) and the peer address when
    /// the server recorded it as axum's
    /// `ConnectInfo<SocketAddr>` (serve the app with
    /// `into_make_service_with_connect_info::<SocketAddr>()`). Header
    /// values that are not UTF-8 are skipped.
    ///
    /// It is also an extractor: take `SignInRequest` as a handler argument.
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::SignInRequest;
    ///
    /// let (parts, ()) = http::Request::builder()
    ///     .header("User-Agent", "Mozilla/5.0")
    ///     .body(())
    ///     .unwrap()
    ///     .into_parts();
    /// let request = SignInRequest::from_parts(&parts);
    /// # let _ = request;
    /// ```
    #[must_use]
    pub fn from_parts(parts: &Parts) -> Self {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        let request = Self::from_headers(&parts.headers);
        match peer {
            Some(ip) => request.with_peer(ip),
            None => request,
        }
    }

    /// What the headers alone tell about the client.
    ///
    /// # Examples
    ///
    /// ```
    /// use http::HeaderMap;
    /// use rels_session::SignInRequest;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("x-forwarded-for", "203.0.113.7".parse().unwrap());
    /// let request = SignInRequest::from_headers(&headers);
    /// # let _ = request;
    /// ```
    #[must_use]
    pub fn from_headers(headers: &HeaderMap) -> Self {
        headers
            .iter()
            .filter_map(|(name, value)| Some((name, std::str::from_utf8(value.as_bytes()).ok()?)))
            .fold(Self::new(), |request, (name, value)| {
                request.with_header(name.as_str(), value)
            })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SignInRequest {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::from_parts(parts))
    }
}

impl RequestSession {
    /// Records a sign-in of `user` on this session, as
    /// [`Users::sign_in`] does: the session moves to a fresh id
    /// (session fixation), gets its `meta` from `request`, is stored and
    /// joins the user's index, at once. After the handler the client gets
    /// the new cookie; the old id's keys are already gone.
    ///
    /// Set the application's own sign-in marker first, such as
    /// [`set_warden_user`](Self::set_warden_user): it is stored in the
    /// same write. Changes made after this call are saved after the
    /// handler, as usual. A token client learns its new id from
    /// [`public_id`](Self::public_id).
    ///
    /// # Errors
    ///
    /// A [`UsersError`] when the session could not be loaded or the store
    /// failed. When the session was already stored under its new id, the
    /// client still gets it; else the session is left as it was before
    /// the call.
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::web::{RequestSession, UsersError, WardenUser};
    /// use rels_session::{SignIn, SignInRequest, UserId, Users};
    ///
    /// async fn sign_in(
    ///     session: RequestSession,
    ///     client: SignInRequest,
    ///     users: Users,
    /// ) -> Result<&'static str, UsersError> {
    ///     let user = UserId::parse("11111111-2222-4333-8444-555555555555").unwrap();
    ///     session.set_warden_user(&WardenUser::new(7, "salt")).await?;
    ///     session.sign_in(&users, &user, &client, SignIn::new()).await?;
    ///     Ok("signed in")
    /// }
    /// ```
    pub async fn sign_in(
        &self,
        users: &Users,
        user: &UserId,
        request: &SignInRequest,
        options: SignIn,
    ) -> Result<(), UsersError> {
        let mut loaded = self.loaded().await?;
        if loaded.detached {
            return Err(UsersError::Detached);
        }
        let pending = loaded.retired.take();
        let before = loaded.session.clone();

        let signed_in = users
            .sign_in(&mut loaded.session, user, request, &options)
            .await;
        if let Err(err) = signed_in {
            loaded.sign_in_failed(before, pending);
            return Err(UsersError::Store(err));
        }
        loaded.signed_in();
        let Some(old) = pending else {
            return Ok(());
        };
        // A `cycle_id` earlier in this request left the id the session was
        // loaded under for the layer to delete with its save; the sign-in
        // saved the session itself, so the old keys go now.
        if let Err(err) = users.store().delete(&old).await {
            // The layer tries again after the handler.
            loaded.retired = Some(old);
            return Err(UsersError::Store(err));
        }
        Ok(())
    }

    /// Notes that `user` is active on this session, as [`Users::touch`]
    /// does: at most once per activity interval it writes
    /// `meta.updated_at` and refreshes the user index's TTL, so "last
    /// seen" stays true. Call it on authenticated requests; it is free the
    /// rest of the time.
    ///
    /// Returns whether it wrote. A session that was never recorded as a
    /// sign-in, or is new, is left alone. A session revoked while the
    /// request ran is not brought back: it stays gone, and the client's
    /// cookie is removed after the handler.
    ///
    /// # Errors
    ///
    /// A [`UsersError`] when the session could not be loaded or the store
    /// failed.
    ///
    /// # Examples
    ///
    /// ```
    /// use rels_session::web::{RequestSession, UsersError};
    /// use rels_session::{UserId, Users};
    ///
    /// async fn page(session: RequestSession, users: Users, user: UserId) -> Result<(), UsersError> {
    ///     session.touch_activity(&users, &user).await?;
    ///     Ok(())
    /// }
    /// ```
    pub async fn touch_activity(&self, users: &Users, user: &UserId) -> Result<bool, UsersError> {
        let mut loaded = self.loaded().await?;
        if loaded.detached || !loaded.session.is_stored() {
            return Ok(false);
        }
        let wrote = users
            .touch(&mut loaded.session, user)
            .await
            .map_err(UsersError::Store)?;
        if wrote {
            // The whole record was written, pending changes included.
            loaded.changed = false;
        } else if !loaded.session.is_stored() {
            // The save found the session gone. Keep treating it as stored,
            // so the save after the handler only updates it, finds it
            // gone and removes the cookie, instead of creating it again.
            loaded.session.mark_stored(true);
        }
        Ok(wrote)
    }
}

impl Loaded {
    /// The state after a recorded sign-in: the session is stored under its
    /// new id with everything it holds, and the client needs its cookie.
    fn signed_in(&mut self) {
        self.changed = false;
        // The session is in the store now: a later `cycle_id` must retire
        // this id, and a read refreshes its TTL.
        self.stored_at_load = true;
        self.retired = None;
        self.issued = true;
    }

    /// Decides what the client keeps after a failed sign-in. Once the
    /// session was saved under its new id, the client gets that id (what
    /// did not happen after, such as joining the index, the next listing
    /// or the TTL tidies). Before that, the session is put back as it was,
    /// and the layer saves it as if there had been no sign-in.
    fn sign_in_failed(&mut self, before: Session, pending: Option<PublicId>) {
        let moved = self.session.id() != before.id() || !before.is_stored();
        if self.session.is_stored() && moved {
            self.signed_in();
        } else {
            self.session = before;
        }
        self.retired = pending;
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;
    use crate::record::Record;

    fn stored_session() -> Session {
        let record = Record::parse(br#"{"a":1}"#).expect("valid");
        Session::stored(PublicId::generate().expect("random"), record)
    }

    fn loaded(session: Session) -> Loaded {
        Loaded {
            stored_at_load: session.is_stored(),
            session,
            changed: true,
            retired: None,
            detached: false,
            issued: false,
        }
    }

    #[test]
    fn a_sign_in_that_failed_before_saving_leaves_the_session_as_it_was() {
        let before = stored_session();
        let mut state = loaded(before.clone());
        state.session.cycle_id().expect("random");

        state.sign_in_failed(before.clone(), None);

        assert_eq!(state.session.id(), before.id());
        assert!(state.session.is_stored());
        assert!(state.changed, "the handler's changes are still to save");
        assert!(!state.issued);
    }

    #[test]
    fn a_sign_in_that_failed_after_saving_still_issues_the_new_id() {
        let before = stored_session();
        let mut state = loaded(before.clone());
        state.session.cycle_id().expect("random");
        state.session.mark_stored(true);

        state.sign_in_failed(before.clone(), None);

        assert_ne!(state.session.id(), before.id());
        assert!(state.issued && !state.changed);
        assert!(state.retired.is_none());
    }

    #[test]
    fn a_pending_cycle_survives_a_failed_sign_in() {
        let old = PublicId::generate().expect("random");
        let before = Session::new().expect("random");
        let mut state = loaded(before.clone());

        state.sign_in_failed(before, Some(old.clone()));

        assert_eq!(state.retired, Some(old));
    }

    #[test]
    fn the_client_is_read_from_headers_and_the_peer() {
        let (mut parts, ()) = http::Request::builder()
            .header("User-Agent", "Mozilla/5.0")
            .header("X-Forwarded-For", "203.0.113.7")
            .header(
                "X-Installation-Id",
                HeaderValue::from_bytes(b"\xff").expect("opaque"),
            )
            .body(())
            .expect("valid")
            .into_parts();
        let peer: SocketAddr = "10.0.0.2:5000".parse().expect("address");
        parts.extensions.insert(ConnectInfo(peer));

        let shown = format!("{:?}", SignInRequest::from_parts(&parts));

        assert!(shown.contains("Mozilla/5.0"), "{shown}");
        assert!(shown.contains("203.0.113.7"), "{shown}");
        assert!(shown.contains("10.0.0.2"), "{shown}");
        assert!(shown.contains("installation_id: None"), "{shown}");
    }
}
