//! The `kubernetes` target, at the HTTP level: a Kubernetes API server and the Flink
//! Kubernetes Operator cannot run on this machine, so Sluice's real kube client talks to
//! [`FakeKube`] (tests/it/common/kube_fake.rs), which validates every applied resource against
//! the operator's CRDs and lets the test write statuses as the operator's documented
//! lifecycle does (DEPLOYED → STABLE/RUNNING, SUSPENDED, FAILED, FINISHED, savepoint info).
//! The assertions are on the exact requests: path, verb, content type, field manager and
//! body.

use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::json;

use crate::common::failures::failure;
use crate::common::fixtures::{SOURCE_PASSWORD, mariadb_up};
use crate::common::flink::wait_deployment;
use crate::common::kube::{FD, NS, applies, merges, request, running, setup, spawn_sql};
use crate::common::kube_fake::{FakeKube, Logged};
use crate::common::rows::rows;
use crate::common::{TestServer, free_port, require};

#[tokio::test]
async fn start_applies_and_waits_then_suspend_resume_and_stop_patch_the_job() {
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

    // START: server-side apply of the FlinkDeployment, then its ConfigMap and Secret
    let start = spawn_sql(server.client().await, "START PIPELINE orders_live");
    let deployment =
        request(&fake, "FlinkDeployment apply", |log| applies(log, FD).first().map(|r| (*r).clone())).await;
    assert_eq!(deployment.path, format!("/apis/flink.apache.org/v1beta1/namespaces/{NS}/{FD}/orders-live"));
    assert_eq!(deployment.query.get("fieldManager").map(String::as_str), Some("sluice"));
    assert_eq!(deployment.query.get("force").map(String::as_str), Some("true"));
    let (_, schema) = crate::common::k8s_schema::crd_schema("flinkdeployments.flink.apache.org-v1.yml");
    let body: serde_yaml::Value = serde_yaml::to_value(&deployment.body).unwrap();
    assert_eq!(crate::common::k8s_schema::validate(&body, &schema), Vec::<String>::new());
    assert_eq!(deployment.body["spec"]["job"]["state"], "running");
    assert_eq!(deployment.body["spec"]["job"]["upgradeMode"], "savepoint");
    let config_map =
        request(&fake, "ConfigMap apply", |log| applies(log, "configmaps").first().map(|r| (*r).clone()))
            .await;
    let secret =
        request(&fake, "Secret apply", |log| applies(log, "secrets").first().map(|r| (*r).clone())).await;
    assert_eq!(config_map.path, format!("/api/v1/namespaces/{NS}/configmaps/orders-live-script"));
    assert_eq!(config_map.query.get("fieldManager").map(String::as_str), Some("sluice"));
    let script = config_map.body["data"]["pipeline.sql"].as_str().unwrap();
    assert!(script.contains("${SLUICE_SECRET_MARIA_PW}"), "{script}");
    assert!(!script.contains(SOURCE_PASSWORD), "the script holds no secret value");
    let stored = base64::engine::general_purpose::STANDARD
        .decode(secret.body["data"]["SLUICE_SECRET_MARIA_PW"].as_str().unwrap())
        .unwrap();
    assert_eq!(stored, SOURCE_PASSWORD.as_bytes(), "the Secret carries the value");
    let uid = fake.object(FD, NS, "orders-live").unwrap()["metadata"]["uid"].clone();
    for owned in [&config_map, &secret] {
        let owner = &owned.body["metadata"]["ownerReferences"][0];
        assert_eq!((owner["kind"].as_str(), &owner["uid"]), (Some("FlinkDeployment"), &uid), "{owned:?}");
    }

    // START is synchronous: it returns once the operator reports the job RUNNING
    fake.set_status(
        FD,
        NS,
        "orders-live",
        json!({ "lifecycleState": "DEPLOYED", "observedGeneration": 1,
        "jobManagerDeploymentStatus": "DEPLOYING" }),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!start.is_finished(), "START waits while the cluster deploys");
    fake.set_status(FD, NS, "orders-live", running(1, "0f1e2d3c"));
    start.await.unwrap().unwrap();
    let shown = rows(&client, "SHOW DEPLOYMENTS FOR PIPELINE orders_live").await.remove(0);
    assert_eq!((shown[3].as_str(), shown[5].as_str(), shown[6].as_str()), ("k8s", "0f1e2d3c", "running"));
    assert!(
        !server.log_text().contains(SOURCE_PASSWORD)
            && !format!("{:?}", rows(&client, "SELECT * FROM sluice.events").await).contains(SOURCE_PASSWORD)
    );

    // SUSPEND: state suspended with upgradeMode savepoint; the savepoint from the status
    let suspend = spawn_sql(server.client().await, "SUSPEND PIPELINE orders_live");
    let patch = request(&fake, "suspend patch", |log| merges(log).first().map(|r| (*r).clone())).await;
    assert_eq!(patch.path, format!("/apis/flink.apache.org/v1beta1/namespaces/{NS}/{FD}/orders-live"));
    assert_eq!(patch.query.get("fieldManager").map(String::as_str), Some("sluice"));
    assert_eq!(
        patch.body,
        json!({ "spec": { "job": { "state": "suspended", "upgradeMode": "savepoint" } } })
    );
    fake.set_status(
        FD,
        NS,
        "orders-live",
        json!({ "lifecycleState": "SUSPENDED", "observedGeneration": 2,
        "jobStatus": { "state": "FINISHED", "upgradeSavepointPath": "s3://flink/savepoints/savepoint-1" } }),
    );
    suspend.await.unwrap().unwrap();
    let shown = rows(&client, "SHOW DEPLOYMENTS FOR PIPELINE orders_live").await.remove(0);
    assert_eq!((shown[6].as_str(), shown[9].as_str()), ("suspended", "s3://flink/savepoints/savepoint-1"));

    // RESUME: applied again, running from that savepoint
    let resume = spawn_sql(server.client().await, "RESUME PIPELINE orders_live");
    let again = request(&fake, "resume apply", |log| applies(log, FD).get(1).map(|r| (*r).clone())).await;
    let job = &again.body["spec"]["job"];
    assert_eq!(job["state"], "running");
    assert_eq!(job["initialSavepointPath"], "s3://flink/savepoints/savepoint-1");
    assert!(job["savepointRedeployNonce"].as_i64().is_some(), "{job}");
    // the script the resumed pods read is in place before the new spec reaches the operator,
    // owned by the kept resource
    let log = fake.log();
    let resumed_at = log.iter().position(|r| std::ptr::eq(r, applies(&log, FD)[1])).unwrap();
    let suspended_at =
        log[..resumed_at].iter().rposition(|r| r.content_type.contains("merge-patch")).unwrap();
    let script = log[suspended_at..resumed_at]
        .iter()
        .position(|r| r.method == "PATCH" && r.path.ends_with("/configmaps/orders-live-script"))
        .map(|i| suspended_at + i)
        .expect("the ConfigMap is applied before the FlinkDeployment on RESUME");
    let owner = &log[script].body["metadata"]["ownerReferences"][0];
    assert_eq!(owner["uid"], fake.object(FD, NS, "orders-live").unwrap()["metadata"]["uid"], "{owner}");
    let generation = fake.object(FD, NS, "orders-live").unwrap()["metadata"]["generation"].as_i64().unwrap();
    fake.set_status(FD, NS, "orders-live", running(generation, "1a2b3c4d"));
    resume.await.unwrap().unwrap();
    let shown = rows(&client, "SHOW DEPLOYMENTS FOR PIPELINE orders_live").await.remove(0);
    assert_eq!((shown[5].as_str(), shown[6].as_str()), ("1a2b3c4d", "running"));

    // savepoint history: each savepoint the status lists that is new to the open watch is
    // recorded (ones a watch finds when it (re)lists were taken before it looked)
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut history = Vec::new();
    let recorded = loop {
        history.push(json!({ "location": format!("s3://flink/savepoints/periodic-{}", history.len()),
            "triggerType": "PERIODIC", "formatType": "CANONICAL", "timeStamp": history.len() }));
        let mut status = running(generation, "1a2b3c4d");
        status["jobStatus"]["savepointInfo"] = json!({ "savepointHistory": history });
        fake.set_status(FD, NS, "orders-live", status);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let events = rows(
            &client,
            "SELECT detail FROM sluice.events WHERE object_name = 'orders_live' AND action = 'engine event'",
        )
        .await;
        if !events.is_empty() {
            break events;
        }
        assert!(Instant::now() < deadline, "no savepoint was recorded");
    };
    let last = history.len() - 1;
    assert_eq!(recorded, [[format!("savepoint s3://flink/savepoints/periodic-{last} (PERIODIC)")]]);

    // STOP WITH SAVEPOINT: savepointTriggerNonce, then suspend without another savepoint
    let stop = spawn_sql(server.client().await, "STOP PIPELINE orders_live WITH SAVEPOINT");
    let trigger = request(&fake, "savepoint trigger", |log| merges(log).get(1).map(|r| (*r).clone())).await;
    let nonce = trigger.body["spec"]["job"]["savepointTriggerNonce"].as_i64().expect("a nonce");
    let mut status = running(generation + 1, "1a2b3c4d");
    status["jobStatus"]["savepointInfo"] = json!({ "lastSavepoint": { "location": "s3://flink/savepoints/savepoint-2",
        "triggerNonce": nonce, "triggerType": "MANUAL", "formatType": "CANONICAL", "timeStamp": 1 } });
    fake.set_status(FD, NS, "orders-live", status);
    let suspended = request(&fake, "stop patch", |log| merges(log).get(2).map(|r| (*r).clone())).await;
    assert_eq!(
        suspended.body,
        json!({ "spec": { "job": { "state": "suspended", "upgradeMode": "stateless" } } })
    );
    fake.set_status(
        FD,
        NS,
        "orders-live",
        json!({ "lifecycleState": "SUSPENDED", "jobStatus": { "state": "CANCELED" } }),
    );
    stop.await.unwrap().unwrap();
    let shown = rows(&client, "SHOW DEPLOYMENTS FOR PIPELINE orders_live").await.remove(0);
    assert_eq!((shown[6].as_str(), shown[9].as_str()), ("stopped", "s3://flink/savepoints/savepoint-2"));

    // a fresh START does not resume the stopped job: what it left is deleted first
    let start = spawn_sql(server.client().await, "START PIPELINE orders_live");
    let fresh = request(&fake, "fresh apply", |log| applies(log, FD).get(2).map(|r| (*r).clone())).await;
    let log = fake.log();
    let deleted = log.iter().position(|r| r.method == "DELETE" && r.path == fresh.path);
    let applied = log.iter().rposition(|r| r.method == "PATCH" && r.path == fresh.path);
    assert!(deleted.is_some() && deleted < applied, "deleted before it is applied again");
    let job = &fresh.body["spec"]["job"];
    assert!(job.get("initialSavepointPath").is_none(), "{job}");
    fake.set_status(FD, NS, "orders-live", running(1, "2c2c"));
    start.await.unwrap().unwrap();
    let (state, _, _) = failure(&client, "DROP PIPELINE orders_live").await;
    assert_eq!(state, "2BP01", "a running pipeline is not dropped");
    let stop = spawn_sql(server.client().await, "STOP PIPELINE orders_live");
    request(&fake, "stop patch", |log| merges(log).get(3).map(|_| ())).await;
    fake.set_status(
        FD,
        NS,
        "orders-live",
        json!({ "lifecycleState": "SUSPENDED", "jobStatus": { "state": "CANCELED" } }),
    );
    stop.await.unwrap().unwrap();

    // DROP PIPELINE of several asks every target before it removes anything: one whose API
    // server does not answer leaves every pipeline and resource as it was
    let dead = server.data_path().join("dead-kubeconfig");
    let config = std::fs::read_to_string(fake.kubeconfig(server.data_path())).unwrap();
    let url = config.lines().find_map(|l| l.trim().strip_prefix("server: ")).unwrap().to_owned();
    std::fs::write(&dead, config.replace(&url, &format!("http://127.0.0.1:{}", free_port()))).unwrap();
    client
        .batch_execute(&format!(
            "CREATE TARGET k8s_gone TYPE kubernetes WITH (kubeconfig = '{}', namespace = '{NS}', timeout = '5s');
             CREATE PIPELINE orders_gone WITH (engine = 'flink', mode = 'batch', target = 'k8s_gone') AS
               INSERT INTO out.console SELECT id, amount FROM maria.{}.orders",
            dead.display(),
            maria.name
        ))
        .await
        .unwrap();
    let (state, message, _) = failure(&client, "START PIPELINE orders_gone").await;
    assert!(state.starts_with("08"), "{state}: {message}");
    let before = fake.log().len();
    let (state, message, _) = failure(&client, "DROP PIPELINE orders_live, orders_gone").await;
    assert!(state.starts_with("08") && message.contains("k8s_gone"), "{state}: {message}");
    assert!(!fake.log()[before..].iter().any(|r| r.method == "DELETE"), "nothing was deleted");
    assert!(fake.object(FD, NS, "orders-live").is_some());
    assert_eq!(rows(&client, "SHOW PIPELINES").await.len(), 2, "both pipelines are still there");

    // DROP PIPELINE deletes the FlinkDeployment (its ConfigMap and Secret go with it)
    let before = fake.log().len();
    client.batch_execute("DROP PIPELINE orders_live").await.unwrap();
    assert!(fake.log()[before..].iter().any(|r| r.method == "DELETE" && r.path == fresh.path));
    assert!(
        fake.log().iter().any(|r| r.method == "DELETE" && r.path.ends_with("/flinkdeployments/orders-live"))
    );
    assert!(fake.object(FD, NS, "orders-live").is_none());
    maria.drop().await;
}

#[tokio::test]
async fn start_fails_with_the_operators_error_and_the_watch_moves_states_without_polling() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await) {
        return;
    }
    let fake = FakeKube::start().await;
    let server = TestServer::start();
    let client = server.client().await;
    let maria = setup(&fake, &server, &client, "").await;
    let db = &maria.name;
    client
        .batch_execute(&format!(
            "CREATE PIPELINE broken WITH (engine = 'flink', mode = 'batch', target = 'k8s') AS
               INSERT INTO out.console SELECT id, amount FROM maria.{db}.orders;
             CREATE PIPELINE nightly WITH (engine = 'flink', mode = 'batch', target = 'k8s') AS
               INSERT INTO out.console SELECT id, amount FROM maria.{db}.orders WHERE amount > 0;"
        ))
        .await
        .unwrap();

    // TEST TARGET: the API server, the namespace, the operator's resources
    let checks = rows(&client, "TEST TARGET k8s").await;
    let names: Vec<(&str, &str)> = checks.iter().map(|c| (c[0].as_str(), c[1].as_str())).collect();
    assert_eq!(names, [("kubernetes api", "t"), ("namespace", "t"), ("operator", "t")], "{checks:?}");
    assert!(checks[0][3].contains("Kubernetes 1.33"), "{checks:?}");

    // the operator's error text comes back as START's error
    let start = spawn_sql(server.client().await, "START PIPELINE broken");
    request(&fake, "apply", |log| applies(log, FD).first().map(|_| ())).await;
    let error = json!({ "type": "org.apache.flink.kubernetes.operator.exception.DeploymentFailedException",
        "message": format!("Back-off pulling image \"flink:2.2-typo\" (registry password {SOURCE_PASSWORD})"),
        "additionalMetadata": { "reason": "ErrImagePull" },
        "throwableList": [] });
    fake.set_status(
        FD,
        NS,
        "broken",
        json!({ "lifecycleState": "DEPLOYED", "observedGeneration": 1,
        "jobManagerDeploymentStatus": "ERROR", "error": error.to_string() }),
    );
    let e = start.await.unwrap().expect_err("START fails");
    let db_error = e.as_db_error().unwrap();
    assert_eq!(db_error.code().code(), "58000");
    assert!(db_error.message().contains("Back-off pulling image \"flink:2.2-typo\""), "{db_error:?}");
    // a secret value the operator's text quotes is masked, for the client and in the catalog
    assert!(
        db_error.message().contains("(registry password ***)")
            && !db_error.message().contains(SOURCE_PASSWORD),
        "{db_error:?}"
    );
    let shown = rows(&client, "SHOW DEPLOYMENTS FOR PIPELINE broken").await.remove(0);
    assert_eq!(shown[6], "failed");
    assert!(shown[8].contains("Back-off pulling image") && shown[8].contains("password ***"), "{shown:?}");

    assert!(fake.object(FD, NS, "broken").is_none(), "a failed START leaves nothing running behind it");

    // START again; a job that finishes while START waits is released by START itself
    let start = spawn_sql(server.client().await, "START PIPELINE broken");
    request(&fake, "re-apply", |log| applies(log, FD).get(1).map(|_| ())).await;
    fake.set_status(
        FD,
        NS,
        "broken",
        json!({ "lifecycleState": "STABLE", "observedGeneration": 1,
        "jobStatus": { "state": "FINISHED", "jobId": "b0b0" } }),
    );
    start.await.unwrap().unwrap();
    let shown = rows(&client, "SHOW DEPLOYMENTS FOR PIPELINE broken").await.remove(0);
    assert_eq!((shown[5].as_str(), shown[6].as_str()), ("b0b0", "finished"), "{shown:?}");
    assert!(fake.object(FD, NS, "broken").is_none(), "START released the finished batch cluster");

    // a resource of the same name that is not the pipeline's is neither taken over nor
    // deleted
    fake.insert(
        FD,
        NS,
        "clash",
        json!({ "apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
        "metadata": { "name": "clash", "namespace": NS }, "spec": { "flinkVersion": "v2_0" } }),
    );
    client
        .batch_execute(&format!(
            "CREATE PIPELINE clash_ WITH (engine = 'flink', mode = 'batch', target = 'k8s') AS
               INSERT INTO out.console SELECT id, amount FROM maria.{db}.orders"
        ))
        .await
        .unwrap();
    let (state, message, _) = failure(&client, "START PIPELINE clash_").await;
    assert_eq!(state, "55006", "{message}");
    assert!(
        message.contains("FlinkDeployment flink/clash") && message.contains("no Sluice pipeline"),
        "{message}"
    );
    assert_eq!(applies(&fake.log(), FD).len(), 2, "nothing applied over it");
    client.batch_execute("DROP PIPELINE clash_").await.unwrap();
    assert!(fake.object(FD, NS, "clash").is_some(), "DROP PIPELINE left the foreign resource alone");

    // a batch job: START returns on RUNNING; FINISHED comes through the watch, and its
    // FlinkDeployment is deleted
    let start = spawn_sql(server.client().await, "START PIPELINE nightly");
    let applied = request(&fake, "apply", |log| applies(log, FD).get(2).map(|r| (*r).clone())).await;
    assert_eq!(applied.path, format!("/apis/flink.apache.org/v1beta1/namespaces/{NS}/{FD}/nightly"));
    assert_eq!(applied.body["spec"]["job"]["upgradeMode"], "stateless");
    assert_eq!(applied.body["metadata"]["labels"]["sluice.io/bounded"], "true");
    fake.set_status(FD, NS, "nightly", running(1, "77aa"));
    start.await.unwrap().unwrap();
    // the target's watch: a LIST and a WATCH on the managed-by label, opened once
    request(&fake, "watch", |log| {
        log.iter()
            .find(|r| {
                r.is_watch()
                    && r.query.get("labelSelector").map(String::as_str)
                        == Some("app.kubernetes.io/managed-by=sluice")
            })
            .map(|_| ())
    })
    .await;
    request(&fake, "operator events watch", |log| {
        log.iter()
            .find(|r| {
                r.is_watch()
                    && r.path.ends_with("/events")
                    && r.query.get("fieldSelector").map(String::as_str)
                        == Some("involvedObject.kind=FlinkDeployment")
            })
            .map(|_| ())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = fake.log().len();
    // the operator's events land in sluice.events, for the pipeline they concern
    fake.emit_event(
        NS,
        "FlinkDeployment",
        "nightly",
        "JobStatusChanged",
        "Job status changed from RECONCILING to RUNNING",
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let recorded = rows(&client, "SELECT actor, detail FROM sluice.events WHERE object_name = 'nightly' AND action = 'engine event'").await;
        if let Some(e) = recorded.first() {
            assert_eq!(e[0], "kubernetes operator");
            assert_eq!(
                e[1],
                "FlinkDeployment nightly: Normal JobStatusChanged: Job status changed from RECONCILING to RUNNING"
            );
            break;
        }
        assert!(Instant::now() < deadline, "the operator's event was not recorded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    fake.set_status(
        FD,
        NS,
        "nightly",
        json!({ "lifecycleState": "STABLE", "observedGeneration": 1,
        "jobStatus": { "state": "FINISHED", "jobId": "77aa" } }),
    );
    let uid = fake.object(FD, NS, "nightly").unwrap()["metadata"]["uid"].clone();
    let finished = wait_deployment(&client, "nightly", |d| d[6] == "finished").await;
    assert_eq!(finished[5], "77aa");
    let deleted = request(&fake, "delete", |log| {
        log.iter().find(|r| r.method == "DELETE" && r.path.ends_with("/flinkdeployments/nightly")).cloned()
    })
    .await;
    assert_eq!(deleted.body["propagationPolicy"], "Background");
    assert_eq!(deleted.body["preconditions"]["uid"], uid, "only the finished job's object is deleted");
    assert!(fake.object(FD, NS, "nightly").is_none(), "the finished batch cluster is gone");
    // no polling: nothing read the resource, nor listed resources outside a watch's own
    // (re)list; only the finished cluster's deletion was written
    let after: Vec<Logged> = fake.log()[before..].to_vec();
    let managed = Some("app.kubernetes.io/managed-by=sluice");
    let polls: Vec<&Logged> = after
        .iter()
        .filter(|r| r.method == "GET" && !r.is_watch() && !r.path.ends_with("/events"))
        .filter(|r| {
            r.path.ends_with("/nightly") || r.query.get("labelSelector").map(String::as_str) != managed
        })
        .collect();
    assert!(polls.is_empty(), "the status arrived through the watch, with no polling request: {polls:#?}");
    assert!(after.iter().all(|r| r.method == "GET" || r.method == "DELETE"), "{after:#?}");
    // history stays in Sluice
    let shown = rows(&client, "SHOW DEPLOYMENTS FOR PIPELINE nightly").await;
    assert_eq!(shown.len(), 1);
    let events = rows(
        &client,
        "SELECT actor, detail FROM sluice.events WHERE object_name = 'nightly' AND action = 'state'",
    )
    .await;
    assert!(events.iter().any(|e| e[0] == "watcher" && e[1].ends_with("running -> finished")), "{events:?}");
    maria.drop().await;
}
