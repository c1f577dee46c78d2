//! Recording a sign-in (SPEC 2.2), and moving a session to a fresh id.

use std::net::IpAddr;
use std::time::Duration;

use serde_json::value::RawValue;
use time::OffsetDateTime;

use super::{UserId, Users};
use crate::device::{self, Device};
use crate::error::Error;
use crate::id::PublicId;
use crate::meta::{Meta, SessionKeyType};
use crate::record::Record;
use crate::session::Session;
use crate::store::Saved;

/// What a sign-in request tells about the client: the headers the gem
/// reads and the peer address. Build it from a request's parts.
///
/// # Examples
///
/// ```
/// use rels_session::SignInRequest;
///
/// let request = SignInRequest::new()
///     .with_user_agent("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X)")
///     .with_header("X-Forwarded-For", "203.0.113.7")
///     .with_peer("10.0.0.2".parse().unwrap());
/// ```
#[derive(Clone, Debug, Default)]
pub struct SignInRequest {
    user_agent: Option<String>,
    forwarded_for: Vec<String>,
    peer: Option<IpAddr>,
    app_version: Option<String>,
    device: Option<String>,
    installation_id: Option<String>,
    course_id: Option<String>,
}

impl SignInRequest {
    /// A request that says nothing yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The `User-Agent` header.
    #[must_use]
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// The address the request came from (the TCP peer).
    #[must_use]
    pub fn with_peer(mut self, peer: IpAddr) -> Self {
        self.peer = Some(peer);
        self
    }

    /// One request header. The ones the gem reads are kept (names compare
    /// without regard to case): `User-Agent`, `X-Forwarded-For` (each
    /// value, in order), `AppVersion` (also `App-Version`, `App_Version`),
    /// `X-Device`, `X-Installation-Id` and `X-Course-Id`. Others are
    /// ignored.
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        let value = value.trim();
        let slot = match name.to_ascii_lowercase().replace('_', "-").as_str() {
            "user-agent" => &mut self.user_agent,
            "x-forwarded-for" => {
                self.forwarded_for.push(value.to_owned());
                return self;
            }
            "appversion" | "app-version" => &mut self.app_version,
            "x-device" => &mut self.device,
            "x-installation-id" => &mut self.installation_id,
            "x-course-id" => &mut self.course_id,
            _ => return self,
        };
        if !value.is_empty() {
            *slot = Some(value.to_owned());
        }
        self
    }
}

/// Options of one sign-in.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct SignIn {
    session_key_type: SessionKeyType,
    sign_in_at: Option<OffsetDateTime>,
    index_ttl: Option<Duration>,
}

impl SignIn {
    /// A cookie sign-in at an unspecified time, with the store's TTL for
    /// the user index.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// How the client carries its id: a cookie (the default) or a token
    /// header.
    #[must_use]
    pub fn with_session_key_type(mut self, kind: SessionKeyType) -> Self {
        self.session_key_type = kind;
        self
    }

    /// The sign-in time, written as `meta.created_at`.
    #[must_use]
    pub fn with_sign_in_at(mut self, at: OffsetDateTime) -> Self {
        self.sign_in_at = Some(at);
        self
    }

    /// How long the user index lives, when not the store's session TTL.
    #[must_use]
    pub fn with_index_ttl(mut self, ttl: Duration) -> Self {
        self.index_ttl = Some(ttl);
        self
    }
}

impl Users {
    /// Records a sign-in: moves the session to a fresh id when it was
    /// already stored (so an id known before sign-in is worthless after
    /// it), writes its `meta` and `course_id`, saves it, and adds it to the
    /// user's index. With a cap on sessions per user, the sessions seen
    /// least recently beyond the cap are revoked.
    ///
    /// The application sets its own sign-in marker (such as Devise's
    /// `warden.user.user.key`) in the record before or after; this call
    /// saves what the record holds.
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] or [`Error::Rejected`] when Redis fails.
    pub async fn sign_in(
        &self,
        session: &mut Session,
        user: &UserId,
        request: &SignInRequest,
        options: &SignIn,
    ) -> Result<(), Error> {
        let old = session
            .is_stored()
            .then(|| session.cycle_id())
            .transpose()?;
        let meta = self.meta_for(session, request, options);
        let course_id = course_id_for(session.record(), request);
        let record = session.record_mut();
        if let Some(raw) = course_id {
            record.insert_raw("course_id", raw);
        }
        meta.store_in(record);

        self.store.save(session).await?;
        let ttl = options.index_ttl.unwrap_or_else(|| self.store.ttl());
        self.add_to_index(user, session.id(), ttl).await?;
        if let Some(old) = old {
            self.forget(user, &old).await?;
        }
        self.enforce_cap(user, session.id()).await
    }

    /// Moves a signed-in session to a fresh id: data, TTL, index
    /// membership and `meta.public_session_id` move; the old keys are
    /// deleted. Returns `false`, changing nothing, when the session is not
    /// stored.
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`] or [`Error::Rejected`] when Redis fails.
    pub async fn move_session(&self, session: &mut Session, user: &UserId) -> Result<bool, Error> {
        if !session.is_stored() {
            return Ok(false);
        }
        let old = session.cycle_id()?;
        if let Some(read) = Meta::from_record(session.record()) {
            let mut meta = read.meta;
            meta.public_session_id = Some(session.id().clone());
            meta.update_in(session.record_mut());
        }
        if self.store.save(session).await? != Saved::Created {
            return Ok(false);
        }
        self.add_to_index(user, session.id(), self.store.ttl())
            .await?;
        self.forget(user, &old).await?;
        Ok(true)
    }

    /// Deletes an old id's keys and its index membership.
    async fn forget(&self, user: &UserId, old: &PublicId) -> Result<(), Error> {
        self.store.delete(old).await?;
        self.remove_from_index(user, std::slice::from_ref(old))
            .await?;
        Ok(())
    }

    fn meta_for(&self, session: &Session, request: &SignInRequest, options: &SignIn) -> Meta {
        let detected = request
            .user_agent
            .as_deref()
            .map(device::detect)
            .unwrap_or_default();
        let forwarded: Vec<&str> = request.forwarded_for.iter().map(String::as_str).collect();
        let ip = self.trusted_proxies.client_ip(&forwarded, request.peer);

        Meta {
            ip: Some(ip.map(|ip| ip.to_string()).unwrap_or_default()),
            client_platform: Some(client_platform(request, &detected).to_owned()),
            browser: detected.browser,
            os: detected.os,
            app_version: request.app_version.clone(),
            device_name: request.device.clone().or(detected.device_name),
            device_type: detected.device_type,
            installation_id: request.installation_id.clone(),
            course_id: meta_course_id(session.record(), request),
            public_session_id: Some(session.id().clone()),
            session_key_type: options.session_key_type,
            created_at: options.sign_in_at,
            updated_at: Some(OffsetDateTime::now_utc()),
        }
    }
}

/// SPEC 2.2: app clients are told apart by their OS or `X-Device`; web
/// clients by their device type.
fn client_platform(request: &SignInRequest, detected: &Device) -> &'static str {
    if request.installation_id.is_none() {
        let mobile = matches!(
            detected.device_type.as_deref(),
            Some("smartphone" | "tablet" | "phablet")
        );
        return if mobile { "mobile_web" } else { "web" };
    }
    let names = [detected.os.as_deref(), request.device.as_deref()];
    let mentions = |words: &[&str]| {
        names.iter().flatten().any(|name| {
            let name = name.to_ascii_lowercase();
            words.iter().any(|w| name.contains(w))
        })
    };
    if mentions(&["ios", "iphone", "ipad"]) {
        "ios_app"
    } else if mentions(&["android"]) {
        "android_app"
    } else {
        "mobile_app"
    }
}

/// The raw value for the session's top-level `course_id`: the header's,
/// else the session's own `course_id` or `course_uuid`, unconverted.
fn course_id_for(record: &Record, request: &SignInRequest) -> Option<Box<RawValue>> {
    if let Some(header) = &request.course_id {
        return serde_json::value::to_raw_value(header).ok();
    }
    course_in(record).and_then(|text| RawValue::from_string(text.to_owned()).ok())
}

/// `meta.course_id`: the header, else what the session holds (SPEC 1.4).
fn meta_course_id(record: &Record, request: &SignInRequest) -> Option<String> {
    request
        .course_id
        .clone()
        .or_else(|| Meta::course_id_of(record))
}

/// The first present `course_id` or `course_uuid` of an object.
fn course_in(record: &Record) -> Option<&str> {
    ["course_id", "course_uuid"]
        .iter()
        .filter_map(|key| record.get_raw(key))
        .find(|raw| crate::stage::is_present(raw))
}
