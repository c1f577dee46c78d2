//! The middleware: [`SessionService`] gives each request a
//! [`RequestSession`], runs the inner service, then stores the session
//! and sets or removes the cookie on the way out.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::BoxError;
use axum::body::{Body, Bytes, HttpBody};
use futures_util::future::BoxFuture;
use http::header::SET_COOKIE;
use http::{Request, Response};
use tower_service::Service;

use super::commit::Outcome;
use super::config::Config;
use super::error::failure_response;
use super::incoming::Incoming;
use super::request::RequestSession;
use crate::store::Store;

/// The service [`SessionLayer`](super::SessionLayer) wraps around a
/// router or handler. See the [module docs](super) for what it does.
#[derive(Clone)]
pub struct SessionService<S> {
    inner: S,
    store: Store,
    config: Arc<Config>,
}

impl<S> SessionService<S> {
    pub(crate) fn new(inner: S, store: Store, config: Arc<Config>) -> Self {
        Self {
            inner,
            store,
            config,
        }
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: HttpBody<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let incoming = Incoming::read(request.headers(), &self.config);
        let session = RequestSession::new(self.store.clone(), Arc::clone(&self.config), incoming);
        request.extensions_mut().insert(session.clone());

        // Call the clone that poll_ready made ready and keep a fresh one
        // for the next call. See: "Be careful when cloning inner services"
        // in the docs of tower's `Service`.
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let config = Arc::clone(&self.config);
        ResponseFuture {
            inner: Box::pin(async move {
                let response = inner.call(request).await?;
                Ok(finish(&session, &config, response.map(Body::new)).await)
            }),
        }
    }
}

/// Stores the session and adds its cookie to `response`, or replaces the
/// response when the store failed and the layer fails closed.
async fn finish(
    session: &RequestSession,
    config: &Config,
    mut response: Response<Body>,
) -> Response<Body> {
    let header = match session.commit().await {
        Outcome::Untouched => None,
        Outcome::Failed(err) => return failure_response(&err),
        Outcome::SetCookie(id) => {
            tracing::debug!(target: "rels_session::web", "session cookie set");
            config.cookie.set(&id)
        }
        Outcome::RemoveCookie => {
            tracing::debug!(target: "rels_session::web", "session cookie removed");
            config.cookie.removal()
        }
    };
    if let Some(value) = header {
        // Appended: the handler may set cookies of its own.
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

impl<S> fmt::Debug for SessionService<S>
where
    S: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            inner,
            store: _,
            config,
        } = self;
        f.debug_struct("SessionService")
            .field("inner", inner)
            .field("config", config)
            .finish_non_exhaustive()
    }
}

/// The response future of [`SessionService`].
pub struct ResponseFuture<E> {
    inner: BoxFuture<'static, Result<Response<Body>, E>>,
}

impl<E> Future for ResponseFuture<E> {
    type Output = Result<Response<Body>, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

impl<E> fmt::Debug for ResponseFuture<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
