//! A `redis-server` that speaks TLS, with a CA and certificates made for
//! the test by `openssl`, for tests of `rediss://` URLs.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use tempfile::TempDir;

use crate::process::{self, ChildProcess, connect, free_port, spawn_on_free_port};
use crate::server::{LOG_FILE, answers_ping, server_command};

/// A real `redis-server` with TLS on a free loopback port, for one test.
///
/// At start a CA is made, and a server certificate it signs for
/// `127.0.0.1` and `localhost`; a second CA, which signed nothing, is
/// there to test a failed verification. The server does not ask clients
/// for a certificate (`tls-auth-clients no`).
///
/// Besides its TLS port, the server listens in plain text on another
/// loopback port, which the kit uses to start it and to look inside
/// ([`connection`](Self::connection)): the code under test gets only
/// [`url`](Self::url).
///
/// The binaries are `$RELS_TEST_REDIS_SERVER` (or `redis-server`) and
/// `$RELS_TEST_OPENSSL` (or `openssl`); the server must be built with TLS,
/// as Debian's is.
///
/// # Example
///
/// ```
/// use rels_session_testkit::TlsServer;
///
/// let server = TlsServer::start();
/// assert!(server.url().starts_with("rediss://127.0.0.1:"));
/// assert!(server.ca_file().exists());
/// ```
#[derive(Debug)]
pub struct TlsServer {
    // Declared before `dir`: the process is gone before its directory is
    // removed.
    _process: ChildProcess,
    port: u16,
    tls_port: u16,
    dir: TempDir,
}

impl TlsServer {
    /// Makes the certificates, starts the server and waits until it
    /// answers.
    ///
    /// # Panics
    ///
    /// When `openssl` fails, or the server cannot be started or does not
    /// answer within 10 seconds; the message holds the end of its log.
    pub fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("rels-tls-")
            .tempdir()
            .expect("cannot create a temporary directory for redis-server");
        make_certificates(dir.path());
        let mut tls_port = 0;
        let (port, process) = spawn_on_free_port(
            "redis-server (TLS)",
            &dir.path().join(LOG_FILE),
            |port| {
                tls_port = free_port();
                tls_command(dir.path(), port, tls_port)
            },
            answers_ping,
        );
        Self {
            _process: process,
            port,
            tls_port,
            dir,
        }
    }

    /// The URL of database 0 over TLS: `rediss://127.0.0.1:<tls port>/0`.
    pub fn url(&self) -> String {
        format!("rediss://127.0.0.1:{}/0", self.tls_port)
    }

    /// The port that speaks TLS.
    pub fn tls_port(&self) -> u16 {
        self.tls_port
    }

    /// The PEM file of the CA that signed the server's certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// The PEM file of another CA, which did not sign the server's
    /// certificate: trusting only it must fail verification.
    pub fn other_ca_file(&self) -> PathBuf {
        self.dir.path().join("other-ca.pem")
    }

    /// A new synchronous connection to database 0, in plain text on the
    /// kit's own port.
    ///
    /// # Panics
    ///
    /// When the server does not accept the connection.
    pub fn connection(&self) -> redis::Connection {
        connect(&format!("redis://127.0.0.1:{}/0", self.port))
            .unwrap_or_else(|err| panic!("cannot connect to redis-server: {err}"))
    }
}

fn tls_command(dir: &Path, port: u16, tls_port: u16) -> Command {
    let mut command = server_command(dir, port);
    command
        .args(["--tls-port", &tls_port.to_string()])
        .arg("--tls-cert-file")
        .arg(dir.join("server.pem"))
        .arg("--tls-key-file")
        .arg(dir.join("server.key"))
        .arg("--tls-ca-cert-file")
        .arg(dir.join("ca.pem"))
        .args(["--tls-auth-clients", "no"]);
    command
}

/// Writes `ca.pem`, `server.pem` with `server.key`, and `other-ca.pem`
/// into `dir`.
fn make_certificates(dir: &Path) {
    make_ca(dir, "ca", "rels-session test CA");
    make_ca(dir, "other-ca", "rels-session unrelated CA");
    let extensions = dir.join("server.ext");
    std::fs::write(
        &extensions,
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n\
         basicConstraints=CA:FALSE\n\
         keyUsage=critical,digitalSignature\n\
         extendedKeyUsage=serverAuth\n",
    )
    .expect("cannot write the certificate extensions");
    openssl(dir, |command| {
        command
            .args(["req", "-new", "-nodes", "-newkey", "ec"])
            .args(["-pkeyopt", "ec_paramgen_curve:prime256v1"])
            .args(["-keyout", "server.key", "-out", "server.csr"])
            .args(["-subj", "/CN=127.0.0.1"]);
    });
    openssl(dir, |command| {
        command
            .args(["x509", "-req", "-in", "server.csr", "-days", "2"])
            .args(["-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial"])
            .args(["-out", "server.pem", "-extfile", "server.ext"]);
    });
}

fn make_ca(dir: &Path, name: &str, common_name: &str) {
    openssl(dir, |command| {
        command
            .args(["req", "-x509", "-new", "-nodes", "-newkey", "ec"])
            .args(["-pkeyopt", "ec_paramgen_curve:prime256v1"])
            .args(["-keyout", &format!("{name}.key")])
            .args(["-out", &format!("{name}.pem"), "-days", "2"])
            .args(["-subj", &format!("/CN={common_name}")])
            .args(["-addext", "basicConstraints=critical,CA:TRUE"])
            .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
    });
}

/// Runs `openssl` in `dir` with the arguments `args` adds.
fn openssl(dir: &Path, args: impl FnOnce(&mut Command)) {
    let mut command = Command::new(process::binary_from_env("RELS_TEST_OPENSSL", "openssl"));
    command.current_dir(dir);
    args(&mut command);
    let output = command
        .output()
        .unwrap_or_else(|err| panic!("cannot run openssl: {err}"));
    assert!(
        output.status.success(),
        "openssl failed: {:?}\n{}",
        command,
        String::from_utf8_lossy(&output.stderr)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_certificate_verifies_against_the_ca_only() {
        let server = TlsServer::start();
        let verify = |ca: &Path| {
            Command::new("openssl")
                .current_dir(server.dir.path())
                .arg("verify")
                .arg("-CAfile")
                .arg(ca)
                .arg("server.pem")
                .output()
                .unwrap()
                .status
                .success()
        };

        assert!(verify(&server.ca_file()));
        assert!(!verify(&server.other_ca_file()));
        let _: () = redis::cmd("PING").query(&mut server.connection()).unwrap();
    }
}
