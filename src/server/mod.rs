//! The PostgreSQL side of the gateway: listener, TLS, authentication, and pgwire's
//! simple and extended query handlers over the statement handlers.

mod auth;
pub mod cancel;
mod connection;
mod encode;
pub mod errors;
mod extended;
pub mod limits;
pub mod params;
pub mod scram;
pub mod session;
mod simple;
pub mod state;

use std::sync::Arc;

use pgwire::tokio::TlsAcceptor;
use pgwire::tokio::tokio_rustls::rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::StartError;
use crate::config::{Config, TlsMode};
use crate::runtime::Runtime;
use cancel::CancelRegistry;
use connection::{Connection, Handlers};
use state::ServerState;

/// Starts the gateway and serves until `shutdown` flips to true.
pub async fn run(config: Config, mut shutdown: watch::Receiver<bool>) -> Result<(), StartError> {
    let config = Arc::new(config);
    let runtime = Runtime::open(config.clone()).await?;
    let tls = match (&config.tls, config.tls_mode) {
        (Some((cert, key)), TlsMode::Allow | TlsMode::Require) => {
            Some(tls_acceptor(cert, key, b"postgresql")?)
        }
        _ => None,
    };
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| StartError(format!("cannot listen on {}: {e}", config.listen)))?;
    let http_listener = TcpListener::bind(config.http_listen)
        .await
        .map_err(|e| StartError(format!("cannot listen on {}: {e}", config.http_listen)))?;
    let state = Arc::new(ServerState {
        runtime: runtime.clone(),
        cancels: Arc::new(CancelRegistry::default()),
        pids: pgwire::api::RandomPidSecretKeyGenerator::default(),
        mock_secret: rand::random(),
        limits: limits::Counters::new(config.limits),
        tls_required: config.tls_mode == TlsMode::Require,
    });
    let watcher = runtime.start(shutdown.clone()).await?;

    if let (Some((listen, url)), Some((cert, key))) = (&config.artifacts, &config.tls) {
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|e| StartError(format!("cannot listen on {listen}: {e}")))?;
        let acceptor = tls_acceptor(cert, key, b"http/1.1")?;
        let mut stop = shutdown.clone();
        let artifacts = runtime.deployments.artifacts.clone();
        tokio::spawn(async move {
            let done = async move {
                let _ = stop.wait_for(|stop| *stop).await;
            };
            if let Err(e) = crate::artifacts::serve(listener, acceptor, artifacts, done).await {
                tracing::error!(error = %e, "the artifact endpoint stopped");
            }
        });
        tracing::info!(listen = %listen, url = %url, "artifact endpoint is serving https");
    }
    let mut http_shutdown = shutdown.clone();
    let http = tokio::spawn(crate::http::serve(http_listener, runtime.clone(), async move {
        let _ = http_shutdown.wait_for(|stop| *stop).await;
    }));
    tracing::info!(
        postgres = %config.listen,
        http = %config.http_listen,
        metadata = %runtime.store.backend(),
        tls = tls.is_some(),
        "Sluice is ready: psql -h {} -p {} -U sluice sluice",
        config.listen.ip(),
        config.listen.port(),
    );

    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (socket, peer) = match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        continue;
                    }
                };
                let handlers = Handlers(Connection::new(state.clone()));
                let tls = tls.clone();
                tokio::spawn(async move {
                    if let Err(e) = pgwire::tokio::process_socket(socket, tls, handlers).await {
                        tracing::debug!(peer = %peer, error = %e, "connection ended with an error");
                    }
                });
            }
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
    }
    tracing::info!("shutting down");
    let _ = http.await;
    // the watcher lets its watches finish what they are applying before the store closes
    let _ = tokio::time::timeout(std::time::Duration::from_secs(15), watcher).await;
    runtime.store.close().await;
    Ok(())
}

fn tls_acceptor(
    cert: &std::path::Path,
    key: &std::path::Path,
    alpn: &[u8],
) -> Result<TlsAcceptor, StartError> {
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| StartError(format!("cannot read TLS certificate {}: {e}", cert.display())))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| StartError(format!("cannot read TLS key {}: {e}", key.display())))?;
    let mut config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| StartError(format!("invalid TLS certificate or key: {e}")))?;
    config.alpn_protocols = vec![alpn.to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
