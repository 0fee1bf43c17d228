//! Waiting for a pipeline's deployment to reach a state (SHOW DEPLOYMENTS).

use std::time::{Duration, Instant};

use tokio_postgres::Client;

use crate::common::rows::rows;

/// The pipeline's latest deployment row (SHOW DEPLOYMENTS) once `done` holds for it, within
/// three minutes (a Flink job's time).
pub async fn wait_deployment(
    client: &Client,
    pipeline: &str,
    done: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    wait_deployment_within(client, pipeline, Duration::from_secs(180), done).await
}

/// The pipeline's latest deployment row (SHOW DEPLOYMENTS: id, pipeline, version, target,
/// engine, engine_job_id, state, since, last_error, savepoint, rows_in, rows_out) once
/// `done` holds for it, within `within`.
pub async fn wait_deployment_within(
    client: &Client,
    pipeline: &str,
    within: Duration,
    done: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    let deadline = Instant::now() + within;
    loop {
        let shown = rows(client, &format!("SHOW DEPLOYMENTS FOR PIPELINE {pipeline}")).await;
        if let Some(d) = shown.first()
            && done(d)
        {
            return d.clone();
        }
        assert!(Instant::now() < deadline, "deployment of {pipeline} never got there: {shown:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
