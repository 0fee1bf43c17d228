//! The artifact endpoint: pipeline artifacts (the runner jar, extra jars, scripts) served
//! over https to whoever holds the artifact's token — the way a Flink Kubernetes Operator
//! fetches a session job's `jarURI` and the runner its `--scriptUri`.
//!
//! `GET /artifacts/{token}/{file}`: every published artifact has its own random 256-bit
//! token; the registry keeps only the tokens' SHA-256, so a lookup compares digests. A
//! token is revoked when its deployment ends (any state that is not active). Tokens live
//! in the gateway's memory: after a restart, running jobs keep what they fetched, and a
//! new START publishes again.
//!
//! The operator must be allowed to fetch https artifacts from the gateway's host:
//! `kubernetes.operator.user.artifacts.allowed-schemes: https` (and, where the operator
//! restricts hosts, the gateway's) — see the README's Kubernetes section.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pgwire::tokio::tokio_rustls::TlsAcceptor;
use ring::digest::{SHA256, digest};
use tokio::net::{TcpListener, TcpStream};

use crate::error::{Result, SluiceError};

/// What an artifact holds.
#[derive(Debug, Clone)]
pub enum Content {
    Bytes(bytes::Bytes),
    /// A file on the gateway, read when fetched.
    File(PathBuf),
}

#[derive(Debug, Clone)]
struct Item {
    deployment: i64,
    file: String,
    content: Content,
}

/// The published artifacts, by their token's digest.
#[derive(Debug, Default)]
pub struct Artifacts {
    /// The endpoint's public URL (`None`: not configured).
    base_url: Option<String>,
    items: Mutex<HashMap<Vec<u8>, Item>>,
}

impl Artifacts {
    pub fn new(base_url: Option<String>) -> Artifacts {
        Artifacts { base_url, items: Mutex::new(HashMap::new()) }
    }

    /// Publishes `content` as `file` of `deployment`; returns its URL (token included).
    pub fn publish(&self, deployment: i64, file: &str, content: Content) -> Result<String> {
        let Some(base) = &self.base_url else {
            return Err(SluiceError::not_supported(
                format!("artifact \"{file}\" needs the gateway's https artifact endpoint, which is off"),
                Some(
                    "Start the gateway with --artifacts-listen (and --tls-cert, --tls-key, --artifacts-url).",
                ),
            ));
        };
        if let Content::File(path) = &content
            && !path.is_file()
        {
            return Err(SluiceError::InvalidOption {
                message: format!("artifact \"{file}\": {} is not a readable file", path.display()),
                hint: None,
            });
        }
        let token = token();
        let item = Item { deployment, file: file.to_owned(), content };
        if let Ok(mut items) = self.items.lock() {
            items.insert(digest(&SHA256, token.as_bytes()).as_ref().to_vec(), item);
        }
        Ok(format!("{base}/artifacts/{token}/{file}"))
    }

    /// Revokes every token of `deployment`.
    pub fn revoke(&self, deployment: i64) {
        if let Ok(mut items) = self.items.lock() {
            items.retain(|_, item| item.deployment != deployment);
        }
    }

    /// Revokes `deployment`'s token for `file` (once the engine has read it).
    pub fn revoke_file(&self, deployment: i64, file: &str) {
        if let Ok(mut items) = self.items.lock() {
            items.retain(|_, item| item.deployment != deployment || item.file != file);
        }
    }

    fn find(&self, token: &str, file: &str) -> Option<Content> {
        let key = digest(&SHA256, token.as_bytes());
        let items = self.items.lock().ok()?;
        items.get(key.as_ref()).filter(|item| item.file == file).map(|item| item.content.clone())
    }
}

/// 32 random bytes, URL-safe base64.
fn token() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Serves the endpoint until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    tls: TlsAcceptor,
    artifacts: Arc<Artifacts>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Router::new().route("/artifacts/{token}/{file}", get(fetch)).with_state(artifacts);
    axum::serve(TlsListener::new(listener, tls)?, app).with_graceful_shutdown(shutdown).await
}

async fn fetch(
    State(artifacts): State<Arc<Artifacts>>,
    Path((token, file)): Path<(String, String)>,
) -> Response {
    let Some(content) = artifacts.find(&token, &file) else {
        tracing::info!(file = %file, "artifact refused: unknown or revoked token");
        return (StatusCode::FORBIDDEN, "unknown or revoked artifact token\n").into_response();
    };
    let kind = if file.ends_with(".jar") { "application/java-archive" } else { "text/plain; charset=utf-8" };
    let body = match content {
        Content::Bytes(bytes) => Body::from(bytes),
        Content::File(path) => match tokio::fs::read(&path).await {
            Ok(bytes) => Body::from(bytes),
            Err(e) => {
                tracing::warn!(file = %file, error = %e, "artifact file cannot be read");
                return (StatusCode::NOT_FOUND, "artifact file is gone\n").into_response();
            }
        },
    };
    tracing::debug!(file = %file, "artifact served");
    ([(header::CONTENT_TYPE, kind)], body).into_response()
}

type TlsStream = pgwire::tokio::tokio_rustls::server::TlsStream<TcpStream>;

/// Connections whose TLS handshake (10 s at most, each in its own task, so a client that
/// stalls delays nobody else) is done before axum sees them.
struct TlsListener {
    ready: tokio::sync::mpsc::Receiver<(TlsStream, SocketAddr)>,
    local: SocketAddr,
    accepting: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    fn new(tcp: TcpListener, tls: TlsAcceptor) -> std::io::Result<TlsListener> {
        let local = tcp.local_addr()?;
        let (done, ready) = tokio::sync::mpsc::channel(64);
        // at most this many handshakes at once: accepting waits for a free one
        let handshakes = Arc::new(tokio::sync::Semaphore::new(256));
        let accepting = tokio::spawn(async move {
            loop {
                let Ok(permit) = handshakes.clone().acquire_owned().await else { return };
                let (socket, peer) = match tcp.accept().await {
                    Ok(pair) => pair,
                    Err(e) => {
                        tracing::debug!(error = %e, "artifact endpoint: accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let (tls, done) = (tls.clone(), done.clone());
                tokio::spawn(async move {
                    let _permit = permit;
                    match tokio::time::timeout(Duration::from_secs(10), tls.accept(socket)).await {
                        Ok(Ok(stream)) => {
                            let _ = done.send((stream, peer)).await;
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(peer = %peer, error = %e, "artifact endpoint: TLS handshake failed")
                        }
                        Err(_) => tracing::debug!(peer = %peer, "artifact endpoint: TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(TlsListener { ready, local, accepting })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // the accepting task is gone (aborted on drop only): nothing more will come
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_opens_its_own_artifact_until_revoked() {
        let artifacts = Artifacts::new(Some("https://gw:5456".into()));
        let url = artifacts.publish(7, "a.jar", Content::Bytes("jar".into())).unwrap();
        let token = url.trim_start_matches("https://gw:5456/artifacts/").trim_end_matches("/a.jar");
        assert!(token.len() >= 43, "{url}");
        assert!(artifacts.find(token, "a.jar").is_some());
        assert!(artifacts.find(token, "b.jar").is_none(), "a token opens one artifact");
        assert!(artifacts.find("guess", "a.jar").is_none());
        artifacts.revoke(7);
        assert!(artifacts.find(token, "a.jar").is_none());
        assert!(Artifacts::new(None).publish(1, "a.jar", Content::Bytes("x".into())).is_err());
    }
}
