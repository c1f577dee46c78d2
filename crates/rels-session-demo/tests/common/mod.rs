//! A browser for in-process tests: it drives the demo's router with
//! `oneshot`, keeps the session cookie as a browser would, and checks
//! that no response body ever holds a cookie value it has seen.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE, USER_AGENT};
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use rels_session::{Settings, Store};
use rels_session_testkit::RedisServer;
use serde_json::Value;
use tower::ServiceExt;

pub const NS: &str = "rels:session";

pub const CHROME_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) \
    AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
pub const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) \
    AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
pub const FIREFOX_LINUX: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";

/// The uuid the demo gives the name `alice`.
pub const ALICE: &str = "fed852be-58df-5fa6-85c3-4b591e28c13e";

/// A store for one test, and the Redis server behind it when there is
/// one (kept alive as long as the store is used).
pub struct Backend {
    pub store: Store,
    pub server: Option<RedisServer>,
}

impl Backend {
    pub fn memory() -> Self {
        Self {
            store: Store::memory(),
            server: None,
        }
    }

    pub async fn redis() -> Self {
        let server = RedisServer::start();
        let store = connect(&server).await;
        Self {
            store,
            server: Some(server),
        }
    }

    /// The demo on this store, and the list of cookie values its browsers
    /// share.
    pub fn app(&self) -> Demo {
        Demo {
            app: rels_session_demo::app(self.store.clone()),
            seen: Arc::default(),
        }
    }
}

pub async fn connect(server: &RedisServer) -> Store {
    let settings = Settings::new(&server.url(), NS).expect("valid settings");
    Store::connect(&settings).await.expect("connects")
}

/// The demo's router and every cookie value its browsers were given.
#[derive(Clone)]
pub struct Demo {
    app: Router,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Demo {
    pub fn browser(&self, user_agent: &'static str, ip: &str) -> Browser {
        Browser {
            demo: self.clone(),
            cookie: None,
            user_agent,
            peer: SocketAddr::new(ip.parse().expect("an IP"), 50_000),
        }
    }
}

/// One browser profile: its own cookie, User-Agent and address.
pub struct Browser {
    demo: Demo,
    pub cookie: Option<String>,
    user_agent: &'static str,
    peer: SocketAddr,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub location: Option<String>,
    pub set_cookie: Vec<String>,
    pub content_type: Option<String>,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

impl Browser {
    pub async fn get(&mut self, path: &str) -> Reply {
        let request = self.request("GET", path).body(Body::empty());
        self.send(request.expect("valid request")).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body = serde_urlencoded::to_string(fields).expect("encodable form");
        let request = self
            .request("POST", path)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body));
        self.send(request.expect("valid request")).await
    }

    /// `GET /api/me`, as JSON.
    pub async fn me(&mut self) -> Value {
        let reply = self.get("/api/me").await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.json()
    }

    /// The session's CSRF token, from `GET /api/me`.
    pub async fn csrf(&mut self) -> String {
        let me = self.me().await;
        me["csrf_token"].as_str().expect("a token").to_owned()
    }

    /// Signs in as `name` through the form, as a person would.
    pub async fn sign_in(&mut self, name: &str) -> Reply {
        let token = self.csrf().await;
        let reply = self
            .post("/login", &[("csrf_token", &token), ("user", name)])
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        reply
    }

    /// `GET /api/devices`, as JSON.
    pub async fn devices(&mut self) -> Vec<Value> {
        let reply = self.get("/api/devices").await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.json()["devices"]
            .as_array()
            .expect("a list of devices")
            .clone()
    }

    fn request(&self, method: &str, path: &str) -> axum::http::request::Builder {
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(USER_AGENT, self.user_agent)
            .extension(ConnectInfo(self.peer));
        if let Some(id) = &self.cookie {
            builder = builder.header(COOKIE, format!("rels_session={id}"));
        }
        builder
    }

    async fn send(&mut self, request: Request<Body>) -> Reply {
        let response = self
            .demo
            .app
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let header = |name| {
            response
                .headers()
                .get(name)
                .map(|v: &axum::http::HeaderValue| v.to_str().expect("ascii").to_owned())
        };
        let (location, content_type) = (header(LOCATION), header(CONTENT_TYPE));
        let set_cookie: Vec<String> = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().expect("ascii").to_owned())
            .collect();
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("body");
        let body = String::from_utf8(bytes.to_bytes().to_vec()).expect("UTF-8 body");

        for header in &set_cookie {
            self.keep(header);
        }
        self.assert_no_cookie_value_in(&body);
        Reply {
            status,
            location,
            set_cookie,
            content_type,
            body,
        }
    }

    /// Keeps the session cookie a `Set-Cookie` header gives, or drops it.
    fn keep(&mut self, header: &str) {
        let pair = header.split(';').next().expect("a pair");
        let value = pair.strip_prefix("rels_session=").expect("our cookie");
        assert!(
            !header.contains("Secure"),
            "plain HTTP: no Secure: {header}"
        );
        assert!(header.contains("HttpOnly"), "{header}");
        if value.is_empty() {
            self.cookie = None;
        } else {
            self.demo.seen.lock().expect("lock").push(value.to_owned());
            self.cookie = Some(value.to_owned());
        }
    }

    fn assert_no_cookie_value_in(&self, body: &str) {
        for value in self.demo.seen.lock().expect("lock").iter() {
            assert!(!body.contains(value.as_str()), "a cookie value in a body");
        }
    }
}
