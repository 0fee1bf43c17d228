//! Playing the Flink operator against [`FakeKube`]: waiting for requests, picking applies
//! and merge patches, statuses, and a pipeline's setup on the `kubernetes` target.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio_postgres::Client;

use crate::common::TestServer;
use crate::common::fixtures::MariaDb;
use crate::common::kube_fake::{FakeKube, Logged};
use crate::common::sinks::sinks;
use crate::common::sources::maria_source;

pub(crate) const FD: &str = "flinkdeployments";
pub(crate) const NS: &str = "flink";

/// Waits until the fake has seen a request for which `pick` returns something.
pub(crate) async fn request<T>(fake: &FakeKube, what: &str, pick: impl Fn(&[Logged]) -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(found) = pick(&fake.log()) {
            return found;
        }
        assert!(Instant::now() < deadline, "no {what} request: {:#?}", fake.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) fn applies<'a>(log: &'a [Logged], plural: &str) -> Vec<&'a Logged> {
    let collection = format!("/namespaces/{NS}/{plural}/");
    log.iter()
        .filter(|r| r.method == "PATCH" && r.content_type == "application/apply-patch+yaml")
        .filter(|r| r.path.contains(&collection))
        .collect()
}

pub(crate) fn merges(log: &[Logged]) -> Vec<&Logged> {
    log.iter().filter(|r| r.method == "PATCH" && r.content_type == "application/merge-patch+json").collect()
}

/// Runs `sql` on a client of its own, so the test can play the operator meanwhile.
pub(crate) fn spawn_sql(
    client: Client,
    sql: &str,
) -> tokio::task::JoinHandle<Result<(), tokio_postgres::Error>> {
    let sql = sql.to_owned();
    tokio::spawn(async move { client.batch_execute(&sql).await })
}

pub(crate) fn running(generation: i64, job: &str) -> Value {
    json!({ "lifecycleState": "STABLE", "jobManagerDeploymentStatus": "READY", "observedGeneration": generation,
            "jobStatus": { "state": "RUNNING", "jobId": job, "jobName": "insert-into" } })
}

pub(crate) async fn setup(fake: &FakeKube, server: &TestServer, client: &Client, extra: &str) -> MariaDb {
    let maria = MariaDb::create().await;
    maria_source(client, &maria, "maria").await;
    sinks(client).await;
    let kubeconfig = fake.kubeconfig(server.data_path());
    client
        .batch_execute(&format!(
            "CREATE TARGET k8s TYPE kubernetes WITH (kubeconfig = '{}', namespace = '{NS}', timeout = '30s'{extra})",
            kubeconfig.display()
        ))
        .await
        .unwrap();
    maria
}
