//! The HTTP side port: `GET /healthz` and `GET /metrics`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;

use crate::runtime::Runtime;

/// Serves the side port until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: Arc<Runtime>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Router::new().route("/healthz", get(healthz)).route("/metrics", get(metrics)).with_state(state);
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

/// 200 when the metadata store answers within two seconds, 503 otherwise.
async fn healthz(State(state): State<Arc<Runtime>>) -> impl IntoResponse {
    match tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ok\n".to_owned()),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: metadata store failed");
            (StatusCode::SERVICE_UNAVAILABLE, "metadata store unavailable\n".to_owned())
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "metadata store: timed out\n".to_owned()),
    }
}

async fn metrics(State(state): State<Arc<Runtime>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
        state.metrics.render(),
    )
}
