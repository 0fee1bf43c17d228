//! DROP SOURCE … CASCADE drops the pipelines that use the source the way DROP PIPELINE
//! drops them: refused (2BP01, naming the pipeline and its deployment) while one runs —
//! here on the kubernetes target, against the fake API server — and, once stopped, the
//! FlinkDeployment it left is deleted and its deployments go with it. A schedule that runs
//! a dependent pipeline refuses the cascade too.

use serde_json::json;

use crate::common::failures::failure;
use crate::common::fixtures::mariadb_up;
use crate::common::kube::{FD, NS, applies, merges, request, running, setup, spawn_sql};
use crate::common::kube_fake::FakeKube;
use crate::common::rows::rows;
use crate::common::{TestServer, require};

#[tokio::test]
async fn a_cascade_goes_through_drop_pipelines_checks_and_clean_up() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await) {
        return;
    }
    let fake = FakeKube::start().await;
    let server = TestServer::start();
    let client = server.client().await;
    let maria = setup(&fake, &server, &client, "").await;
    client
        .batch_execute(&format!(
            "CREATE PIPELINE orders_live WITH (engine = 'flink', mode = 'streaming', target = 'k8s') AS
             INSERT INTO out.console SELECT id, amount FROM maria.{}.orders",
            maria.name
        ))
        .await
        .unwrap();
    let start = spawn_sql(server.client().await, "START PIPELINE orders_live");
    request(&fake, "FlinkDeployment apply", |log| applies(log, FD).first().map(|_| ())).await;
    fake.set_status(FD, NS, "orders-live", running(1, "0f1e2d3c"));
    start.await.unwrap().unwrap();
    let id =
        rows(&client, "SELECT id FROM sluice.deployments WHERE pipeline = 'orders_live'").await[0][0].clone();

    // running: the cascade is refused, naming the pipeline and its deployment; nothing goes
    let (state, message, _) = failure(&client, "DROP SOURCE maria CASCADE").await;
    assert_eq!(state, "2BP01", "{message}");
    assert!(message.contains("orders_live"), "{message}");
    let (_, _, detail) = crate::common::failures::failure_detail(&client, "DROP SOURCE maria CASCADE").await;
    assert!(detail.contains(&format!("deployment {id} on target k8s is running")), "{detail}");
    assert_eq!(rows(&client, "SELECT name FROM sluice.pipelines").await, [["orders_live"]]);
    assert!(rows(&client, "SELECT name FROM sluice.sources").await.iter().any(|r| r[0] == "maria"));
    assert!(!fake.log().iter().any(|r| r.method == "DELETE"), "nothing was removed");

    // stopped: the cascade drops the pipeline, deletes what it left, and its deployments
    let stop = spawn_sql(server.client().await, "STOP PIPELINE orders_live");
    request(&fake, "stop patch", |log| merges(log).first().map(|_| ())).await;
    fake.set_status(
        FD,
        NS,
        "orders-live",
        json!({ "lifecycleState": "SUSPENDED", "jobStatus": { "state": "CANCELED" } }),
    );
    stop.await.unwrap().unwrap();
    client.batch_execute("DROP SOURCE maria CASCADE").await.unwrap();
    let deleted = fake.log().into_iter().find(|r| r.method == "DELETE");
    assert_eq!(
        deleted.map(|r| r.path),
        Some(format!("/apis/flink.apache.org/v1beta1/namespaces/{NS}/{FD}/orders-live")),
        "the FlinkDeployment is deleted"
    );
    assert!(rows(&client, "SELECT name FROM sluice.pipelines").await.is_empty());
    assert!(
        rows(&client, "SELECT id FROM sluice.deployments").await.is_empty(),
        "its deployments went with it"
    );
    maria.drop().await;
}

#[tokio::test]
async fn a_cascade_is_refused_while_a_schedule_runs_a_dependent_pipeline() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await) {
        return;
    }
    let maria = crate::common::fixtures::MariaDb::create().await;
    let server = TestServer::start();
    let client = server.client().await;
    crate::common::sources::maria_source(&client, &maria, "maria").await;
    crate::common::sinks::sinks(&client).await;
    client
        .batch_execute(&format!(
            "CREATE PIPELINE nightly WITH (mode = 'batch') AS
               INSERT INTO out.console SELECT id, amount FROM maria.{}.orders;
             CREATE SCHEDULE every_night CRON '0 3 * * *' AS BEGIN RUN PIPELINE nightly; END;",
            maria.name
        ))
        .await
        .unwrap();
    let (state, message, _) = failure(&client, "DROP SOURCE maria CASCADE").await;
    assert_eq!(state, "2BP01", "{message}");
    let (_, _, detail) = crate::common::failures::failure_detail(&client, "DROP SOURCE maria CASCADE").await;
    assert!(detail.contains("schedule every_night runs it"), "{detail}");
    assert_eq!(rows(&client, "SELECT name FROM sluice.pipelines").await, [["nightly"]]);
    client.batch_execute("DROP SCHEDULE every_night; DROP SOURCE maria CASCADE").await.unwrap();
    assert!(rows(&client, "SELECT name FROM sluice.pipelines").await.is_empty());
    maria.drop().await;
}
