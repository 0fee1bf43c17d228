//! The PostgreSQL side of the gateway: listener, TLS, authentication, and pgwire's
//! simple and extended query handlers over the statement handlers.

mod auth;
pub mod cancel;
mod connection;
mod encode;
pub mod errors;
mod extended;
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
use crate::config::Config;
use crate::engine::{ConstantCache, Engine};
use crate::metrics::Metrics;
use cancel::CancelRegistry;
use connection::{Connection, Handlers};
use state::ServerState;

/// Starts the gateway and serves until `shutdown` flips to true.
pub async fn run(config: Config, mut shutdown: watch::Receiver<bool>) -> Result<(), StartError> {
    crate::bootstrap::data_dir(&config.data_dir).map_err(|e| {
        StartError(format!("cannot create data directory {}: {e}", config.data_dir.display()))
    })?;
    let store = sluice_catalog::Store::open(&config.metadata_url).await.map_err(|e| {
        StartError(format!(
            "cannot open the metadata store {}: {e}",
            sluice_catalog::store::redact_url(&config.metadata_url)
        ))
    })?;
    crate::bootstrap::first_superuser(
        &store,
        &config.data_dir,
        config.initial_password.as_ref(),
        config.password_file.as_deref(),
    )
    .await?;
    let master_key = Arc::new(crate::secrets::MasterKey::load(
        config.master_key.as_ref().map(|k| k.0.as_str()),
        &config.data_dir,
    )?);
    let source_types = crate::connectors::catalog_batch().map_err(|e| StartError(e.to_string()))?;
    let engine = Engine::new(store.clone(), source_types, config.listen)
        .await
        .map_err(|e| StartError(e.to_string()))?;
    let tls = match &config.tls {
        Some((cert, key)) => Some(tls_acceptor(cert, key, b"postgresql")?),
        None => None,
    };
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| StartError(format!("cannot listen on {}: {e}", config.listen)))?;
    let http_listener = TcpListener::bind(config.http_listen)
        .await
        .map_err(|e| StartError(format!("cannot listen on {}: {e}", config.http_listen)))?;
    let config = Arc::new(config);
    let state = Arc::new(ServerState {
        config: config.clone(),
        store: store.clone(),
        engine,
        constants: ConstantCache::default(),
        metrics: Metrics::new(),
        cancels: Arc::new(CancelRegistry::default()),
        master_key: master_key.clone(),
        pids: pgwire::api::RandomPidSecretKeyGenerator::default(),
        mock_secret: rand::random(),
        deployments: crate::deploy::Deployments::new(
            store.clone(),
            master_key,
            config.artifacts.as_ref().map(|(_, url)| url.clone()),
        ),
        scheduler: crate::scheduler::Scheduler::new(config.gateway_id.clone(), config.run_lease),
    });
    store.ensure_target(crate::handler::target_access::LOCAL, "local", "sluice").await?;
    let watcher = tokio::spawn(crate::deploy::watcher::run(state.clone(), shutdown.clone()));
    tokio::spawn(crate::scheduler::run(state.clone(), shutdown.clone()));

    for source in store.sources().await? {
        if let Err(e) = crate::handler::source_access::publish(&state, &source.name).await {
            tracing::warn!(source = %source.name, error = %e, "source is not queryable live");
        }
    }

    if let (Some((listen, url)), Some((cert, key))) = (&config.artifacts, &config.tls) {
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|e| StartError(format!("cannot listen on {listen}: {e}")))?;
        let acceptor = tls_acceptor(cert, key, b"http/1.1")?;
        let mut stop = shutdown.clone();
        let artifacts = state.deployments.artifacts.clone();
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
    let http = tokio::spawn(crate::http::serve(http_listener, state.clone(), async move {
        let _ = http_shutdown.wait_for(|stop| *stop).await;
    }));
    tracing::info!(
        postgres = %config.listen,
        http = %config.http_listen,
        metadata = %store.backend(),
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
    store.close().await;
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
