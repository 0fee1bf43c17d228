//! A fake REST endpoint over https, for the tests of targets that reach an engine's REST
//! API over TLS: a certificate authority and a server certificate it signs (openssl), and
//! a TLS listener answering each GET from a table of paths with JSON (one request per
//! connection, `Connection: close`), logging each request line and its Authorization.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `(ca.crt, server.crt, server.key)`: a CA, and a certificate it signs for 127.0.0.1.
pub fn ca_signed_certificate(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    ca_signed_certificate_for(dir, "IP:127.0.0.1")
}

/// The same for the subject alternative name `san` (`DNS:localhost`).
pub fn ca_signed_certificate_for(dir: &Path, san: &str) -> (PathBuf, PathBuf, PathBuf) {
    let p = |name: &str| dir.join(name);
    let openssl = |args: &[&str]| {
        let status = Command::new("openssl").args(args).stderr(Stdio::null()).status().expect("openssl runs");
        assert!(status.success(), "openssl {args:?}");
    };
    let s = |path: PathBuf| path.display().to_string();
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=Sluice test CA",
        "-keyout",
        &s(p("ca.key")),
        "-out",
        &s(p("ca.crt")),
    ]);
    openssl(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        "/CN=Sluice test server",
        "-keyout",
        &s(p("server.key")),
        "-out",
        &s(p("server.csr")),
    ]);
    std::fs::write(p("ext.cnf"), format!("subjectAltName={san}\nbasicConstraints=CA:FALSE\n")).unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        &s(p("server.csr")),
        "-CA",
        &s(p("ca.crt")),
        "-CAkey",
        &s(p("ca.key")),
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        &s(p("ext.cnf")),
        "-out",
        &s(p("server.crt")),
    ]);
    (p("ca.crt"), p("server.crt"), p("server.key"))
}

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Logged {
    pub line: String,
    pub authorization: Option<String>,
}

pub struct HttpsFake {
    pub url: String,
    log: Arc<Mutex<Vec<Logged>>>,
}

impl HttpsFake {
    /// Serves `routes` (`"GET /overview"` → JSON) over TLS with `cert`/`key`; any other
    /// request is a 404.
    pub async fn start(cert: &Path, key: &Path, routes: Vec<(&'static str, String)>) -> HttpsFake {
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(cert).unwrap().collect::<Result<_, _>>().unwrap();
        let key = PrivateKeyDer::from_pem_file(key).unwrap();
        let config =
            rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(certs, key)
                .unwrap();
        let acceptor = pgwire::tokio::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://{}", listener.local_addr().unwrap());
        let log: Arc<Mutex<Vec<Logged>>> = Arc::default();
        let routes = Arc::new(routes);
        let served = log.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (acceptor, routes, log) = (acceptor.clone(), routes.clone(), served.clone());
                tokio::spawn(async move {
                    // a client that does not trust the certificate ends the handshake
                    let Ok(mut tls) = acceptor.accept(socket).await else { return };
                    let mut request = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tls.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                    let text = String::from_utf8_lossy(&request).into_owned();
                    let mut lines = text.lines();
                    let line = lines.next().unwrap_or_default().to_owned();
                    let authorization = lines
                        .find(|l| l.to_lowercase().starts_with("authorization:"))
                        .map(|l| l["authorization:".len()..].trim().to_owned());
                    let wanted = line.rsplit_once(' ').map(|(m, _)| m).unwrap_or_default().to_owned();
                    log.lock().unwrap().push(Logged { line, authorization });
                    let (status, body) = match routes.iter().find(|(r, _)| *r == wanted) {
                        Some((_, body)) => ("200 OK", body.clone()),
                        None => ("404 Not Found", r#"{"errors":["Not found"]}"#.to_owned()),
                    };
                    let response = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = tls.write_all(response.as_bytes()).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        HttpsFake { url, log }
    }

    pub fn log(&self) -> Vec<Logged> {
        self.log.lock().unwrap().clone()
    }
}
