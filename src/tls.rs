//! The https client Sluice reaches REST APIs with (engines, Gravitino): rustls with
//! ring's provider (as pgwire, kube and sqlx use), trusting the certificates of a CA file
//! the object names, else Mozilla's roots (webpki-roots).

use std::sync::Arc;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::error::{Result, SluiceError};

/// A reqwest client builder, with ring installed as the process's rustls provider first
/// (reqwest is built without one of its own).
pub fn client_builder() -> reqwest::ClientBuilder {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        // another part of the process may have installed ring already: either is ring
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
}

/// An https client trusting the certificates of `ca_file` (PEM), else Mozilla's roots.
pub fn https_client(ca_file: Option<&str>, owner: &str) -> Result<reqwest::Client> {
    let invalid = |message: String| SluiceError::InvalidOption { message, hint: None };
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .and_then(|it| it.collect())
                .map_err(|e| invalid(format!("ca_file of {owner}: cannot read {path}: {e}")))?;
            if certs.is_empty() {
                return Err(invalid(format!("ca_file of {owner}: {path} holds no certificate")));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| invalid(format!("ca_file of {owner}: {path}: {e}")))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SluiceError::Internal(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    client_builder()
        .connect_timeout(std::time::Duration::from_secs(5))
        .tls_backend_preconfigured(config)
        .build()
        .map_err(|e| SluiceError::Internal(format!("https client of {owner}: {e}")))
}

/// An error with its causes, `outer: cause: root` — reqwest's own text stops at "error
/// sending request", and a user needs the cause ("invalid peer certificate: UnknownIssuer").
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let next = inner.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        cause = inner.source();
    }
    text
}
