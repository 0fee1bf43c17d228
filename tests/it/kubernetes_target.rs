//! The `kubernetes` target, at the HTTP level: a Kubernetes API server and the Flink
//! Kubernetes Operator cannot run on this machine, so Sluice's real kube client talks to
//! [`FakeKube`] (tests/it/kube_fake.rs), which validates every applied resource against
//! the operator's CRDs and lets the test write statuses as the operator's documented
//! lifecycle does (DEPLOYED → STABLE/RUNNING, SUSPENDED, FAILED, FINISHED, savepoint info).
//! The assertions are on the exact requests: path, verb, content type, field manager and
//! body.

use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};
use tokio_postgres::Client;

use crate::common::{TestServer, free_port, have_program, require};
use crate::fixtures::{MariaDb, SOURCE_PASSWORD, mariadb_up};
use crate::kube_fake::{FakeKube, Logged};
use crate::pipelines::{failure, sinks};
use crate::run_flink::wait_deployment;
use crate::run_local::rows;
use crate::sources::maria_source;

const FD: &str = "flinkdeployments";
const NS: &str = "flink";

/// Waits until the fake has seen a request for which `pick` returns something.
async fn request<T>(fake: &FakeKube, what: &str, pick: impl Fn(&[Logged]) -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(found) = pick(&fake.log()) {
            return found;
        }
        assert!(Instant::now() < deadline, "no {what} request: {:#?}", fake.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn applies<'a>(log: &'a [Logged], plural: &str) -> Vec<&'a Logged> {
    let collection = format!("/namespaces/{NS}/{plural}/");
    log.iter()
        .filter(|r| r.method == "PATCH" && r.content_type == "application/apply-patch+yaml")
        .filter(|r| r.path.contains(&collection))
        .collect()
}

fn merges(log: &[Logged]) -> Vec<&Logged> {
    log.iter().filter(|r| r.method == "PATCH" && r.content_type == "application/merge-patch+json").collect()
}

/// Runs `sql` on a client of its own, so the test can play the operator meanwhile.
fn spawn_sql(client: Client, sql: &str) -> tokio::task::JoinHandle<Result<(), tokio_postgres::Error>> {
    let sql = sql.to_owned();
    tokio::spawn(async move { client.batch_execute(&sql).await })
}

fn running(generation: i64, job: &str) -> Value {
    json!({ "lifecycleState": "STABLE", "jobManagerDeploymentStatus": "READY", "observedGeneration": generation,
            "jobStatus": { "state": "RUNNING", "jobId": job, "jobName": "insert-into" } })
}

async fn setup(fake: &FakeKube, server: &TestServer, client: &Client, extra: &str) -> MariaDb {
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
    let (_, schema) = crate::k8s_schema::crd_schema("flinkdeployments.flink.apache.org-v1.yml");
    let body: serde_yaml::Value = serde_yaml::to_value(&deployment.body).unwrap();
    assert_eq!(crate::k8s_schema::validate(&body, &schema), Vec::<String>::new());
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
    let generation = fake.object(FD, NS, "orders-live").unwrap()["metadata"]["generation"].as_i64().unwrap();
    fake.set_status(FD, NS, "orders-live", running(generation, "1a2b3c4d"));
    resume.await.unwrap().unwrap();
    let shown = rows(&client, "SHOW DEPLOYMENTS FOR PIPELINE orders_live").await.remove(0);
    assert_eq!((shown[5].as_str(), shown[6].as_str()), ("1a2b3c4d", "running"));

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
        "message": "Back-off pulling image \"flink:2.2-typo\"", "additionalMetadata": { "reason": "ErrImagePull" },
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
    let shown = rows(&client, "SHOW DEPLOYMENTS FOR PIPELINE broken").await.remove(0);
    assert_eq!(shown[6], "failed");
    assert!(shown[8].contains("Back-off pulling image"), "{shown:?}");

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
    assert_eq!(rows(&client, "SHOW DEPLOYMENTS FOR PIPELINE broken").await[0][6], "finished");
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
    let finished = wait_deployment(&client, "nightly", |d| d[6] == "finished").await;
    assert_eq!(finished[5], "77aa");
    let deleted = request(&fake, "delete", |log| {
        log.iter().find(|r| r.method == "DELETE" && r.path.ends_with("/flinkdeployments/nightly")).cloned()
    })
    .await;
    assert_eq!(deleted.body["propagationPolicy"], "Background");
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

/// A self-signed certificate for 127.0.0.1 (openssl).
fn certificate(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (cert, key) = (dir.join("artifacts.crt"), dir.join("artifacts.key"));
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
        ])
        .args(["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    (cert, key)
}

/// `curl` over https trusting `cert`: (HTTP status, body).
fn curl(cert: &std::path::Path, url: &str) -> (String, Vec<u8>) {
    let out = std::process::Command::new("curl")
        .args(["-s", "-o", "-", "-w", "\n%{http_code}", "--cacert"])
        .arg(cert)
        .arg(url)
        .output()
        .unwrap();
    let mut body = out.stdout;
    let split = body.iter().rposition(|b| *b == b'\n').unwrap_or(0);
    let code = String::from_utf8_lossy(&body[split + 1..]).into_owned();
    body.truncate(split);
    (code, body)
}

#[tokio::test]
async fn session_jobs_fetch_their_jar_and_script_over_https_with_a_token() {
    if !require(
        "MariaDB, openssl and curl",
        mariadb_up().await && have_program("openssl") && have_program("curl"),
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = certificate(dir.path());
    let jar = dir.path().join("sluice-sql-runner.jar");
    std::fs::write(&jar, b"PK\x03\x04 a runner jar").unwrap();
    let udfs = dir.path().join("my-udfs.jar");
    std::fs::write(&udfs, b"PK\x03\x04 user functions").unwrap();
    let port = free_port();
    let server = TestServer::start_with(crate::common::Options {
        extra_args: vec![
            "--tls-cert".into(),
            cert.display().to_string(),
            "--tls-key".into(),
            key.display().to_string(),
            "--artifacts-listen".into(),
            format!("127.0.0.1:{port}"),
        ],
        ..Default::default()
    });
    let fake = FakeKube::start().await;
    let client = server.client().await;
    let extra = format!(", mode = 'session', session_cluster = 'shared', runner_jar = '{}'", jar.display());
    let maria = setup(&fake, &server, &client, &extra).await;
    client
        .batch_execute(&format!(
            "CREATE PIPELINE shared_job WITH (engine = 'flink', target = 'k8s', jars = '{}, https://repo.example/udfs.jar') AS
             INSERT INTO out.console SELECT id, amount FROM maria.{}.orders",
            udfs.display(),
            maria.name
        ))
        .await
        .unwrap();
    let start = spawn_sql(server.client().await, "START PIPELINE shared_job");
    let applied = request(&fake, "FlinkSessionJob apply", |log| {
        applies(log, "flinksessionjobs").first().map(|r| (*r).clone())
    })
    .await;
    assert_eq!(
        applied.path,
        format!("/apis/flink.apache.org/v1beta1/namespaces/{NS}/flinksessionjobs/shared-job")
    );
    let (_, schema) = crate::k8s_schema::crd_schema("flinksessionjobs.flink.apache.org-v1.yml");
    let body: serde_yaml::Value = serde_yaml::to_value(&applied.body).unwrap();
    assert_eq!(crate::k8s_schema::validate(&body, &schema), Vec::<String>::new());
    let job = &applied.body["spec"]["job"];
    assert_eq!(applied.body["spec"]["deploymentName"], "shared");
    assert_eq!(job["entryClass"], "io.sluice.runner.SqlRunner");
    let jar_url = job["jarURI"].as_str().unwrap().to_owned();
    let script_url = job["args"][1].as_str().unwrap().to_owned();
    let base = format!("https://127.0.0.1:{port}/artifacts/");
    assert!(jar_url.starts_with(&base) && script_url.starts_with(&base), "{job}");
    assert!(!applied.body.to_string().contains(SOURCE_PASSWORD), "the resource holds no secret value");
    // extra jars: a gateway file through the endpoint, a URL as given
    let classpaths =
        applied.body["spec"]["flinkConfiguration"]["pipeline.classpaths"].as_str().unwrap().to_owned();
    let (served, given) = classpaths.split_once(';').unwrap();
    assert!(served.starts_with(&base) && served.ends_with("/my-udfs.jar"), "{classpaths}");
    assert_eq!(given, "https://repo.example/udfs.jar");
    assert_eq!(curl(&cert, served), ("200".to_owned(), std::fs::read(&udfs).unwrap()));

    // a token holder gets the jar and the script; a wrong or missing token gets 403
    let (code, body) = curl(&cert, &jar_url);
    assert_eq!((code.as_str(), body.as_slice()), ("200", std::fs::read(&jar).unwrap().as_slice()));
    let (code, script) = curl(&cert, &script_url);
    assert_eq!(code, "200");
    assert!(String::from_utf8_lossy(&script).contains("INSERT INTO"), "the script is served");
    let token = jar_url.trim_start_matches(&base).split('/').next().unwrap().to_owned();
    let forged = jar_url.replace(&token, &format!("{}x", &token[..token.len() - 1]));
    assert_eq!(curl(&cert, &forged).0, "403");
    assert_eq!(curl(&cert, &format!("{base}sluice-sql-runner.jar")).0, "404");
    assert_eq!(
        curl(&cert, &jar_url.replace("sluice-sql-runner.jar", "pipeline.sql")).0,
        "403",
        "a token opens one artifact"
    );

    let mut status = running(1, "5e55");
    status.as_object_mut().unwrap().remove("jobManagerDeploymentStatus"); // FlinkDeployment only
    fake.set_status("flinksessionjobs", NS, "shared-job", status);
    start.await.unwrap().unwrap();
    // STOP ends the deployment: its tokens are revoked
    let stop = spawn_sql(server.client().await, "STOP PIPELINE shared_job");
    request(&fake, "stop patch", |log| merges(log).first().map(|_| ())).await;
    fake.set_status(
        "flinksessionjobs",
        NS,
        "shared-job",
        json!({ "lifecycleState": "SUSPENDED", "jobStatus": { "state": "CANCELED" } }),
    );
    stop.await.unwrap().unwrap();
    assert_eq!(curl(&cert, &jar_url).0, "403", "revoked when the deployment ended");
    assert!(!server.log_text().contains(&token), "tokens are not logged");

    // without the artifact endpoint, session mode says what it needs
    let plain = TestServer::start();
    let other = plain.client().await;
    let other_maria = setup(&fake, &plain, &other, &extra).await;
    other
        .batch_execute(&format!(
            "CREATE PIPELINE p WITH (engine = 'flink', target = 'k8s') AS INSERT INTO out.console SELECT id, amount FROM maria.{}.orders",
            other_maria.name
        ))
        .await
        .unwrap();
    let (state, message, _) = failure(&other, "START PIPELINE p").await;
    assert_eq!(state, "0A000", "{message}");
    assert!(message.contains("artifact endpoint"), "{message}");
    maria.drop().await;
    other_maria.drop().await;
}

#[tokio::test]
async fn extra_jars_reach_every_pod_of_an_application_cluster() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await) {
        return;
    }
    let fake = FakeKube::start().await;
    let server = TestServer::start();
    let client = server.client().await;
    let (state, message, _) = failure(
        &client,
        "CREATE TARGET bad TYPE kubernetes WITH (connector_jars = 'mysqll: https://repo.example/cdc.jar')",
    )
    .await;
    assert_eq!(state, "22023", "{message}");
    assert!(message.contains("mysqll"), "{message}");
    let cdc = "https://repo.example/flink-sql-connector-mysql-cdc-3.4.0.jar";
    let (state, message, _) =
        failure(&client, "CREATE TARGET bad TYPE kubernetes WITH (pod_template = '[1, 2]')").await;
    assert_eq!((state.as_str(), message.contains("pod_template")), ("22023", true), "{message}");
    let extra = format!(
        ", connector_jars = 'mysql: {cdc}; kafka: https://repo.example/kafka.jar', jobmanager_cpu = '0.5',
         pod_template = 'spec:\n  nodeSelector:\n    pool: flink\n  tolerations:\n  - key: dedicated\n    value: flink'"
    );
    let maria = setup(&fake, &server, &client, &extra).await;
    client
        .batch_execute(&format!(
            "CREATE PIPELINE with_jars WITH (engine = 'flink', mode = 'batch', target = 'k8s',
               jars = 'https://repo.example/udfs.jar, local:///opt/flink/opt/flink-python.jar') AS
             INSERT INTO out.console SELECT id, amount FROM maria.{}.orders",
            maria.name
        ))
        .await
        .unwrap();
    let start = spawn_sql(server.client().await, "START PIPELINE with_jars");
    let applied = request(&fake, "apply", |log| applies(log, FD).first().map(|r| (*r).clone())).await;
    let spec = &applied.body["spec"];
    for role in ["jobManager", "taskManager"] {
        let pod = &spec[role]["podTemplate"]["spec"];
        let fetch = pod["initContainers"].as_array().unwrap().iter().find(|c| c["name"] == "fetch-jars");
        let fetch = fetch.unwrap_or_else(|| panic!("{role} fetches the jars: {pod}"));
        let args: Vec<&str> = fetch["args"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert!(args.contains(&"https://repo.example/udfs.jar") && args.contains(&cdc), "{args:?}");
        assert!(!args.contains(&"https://repo.example/kafka.jar"), "only the source types the pipeline uses");
        let mounts = pod["containers"][0]["volumeMounts"].to_string();
        assert!(mounts.contains("/opt/flink/usrlib/sluice"), "{role}: {mounts}");
    }
    assert_eq!(spec["flinkConfiguration"]["pipeline.classpaths"], "file:///opt/flink/opt/flink-python.jar");
    // the target's pod template and resources
    assert_eq!(spec["podTemplate"]["spec"]["nodeSelector"], json!({ "pool": "flink" }));
    assert_eq!(spec["podTemplate"]["spec"]["tolerations"][0]["key"], "dedicated");
    assert_eq!(spec["jobManager"]["resource"]["cpu"], 0.5);
    fake.set_status(FD, NS, "with-jars", running(1, "ab12"));
    start.await.unwrap().unwrap();
    // deleted behind Sluice's back (kubectl delete): the watch fails the deployment
    fake.delete(FD, NS, "with-jars");
    let failed = wait_deployment(&client, "with_jars", |d| d[6] == "failed").await;
    assert!(failed[8].contains("deleted outside Sluice"), "{failed:?}");

    // a gateway file cannot reach an application cluster; other targets do not ship jars
    client
        .batch_execute(&format!(
            "CREATE PIPELINE file_jar WITH (engine = 'flink', mode = 'batch', target = 'k8s', jars = '/tmp/my.jar') AS
               INSERT INTO out.console SELECT id, amount FROM maria.{db}.orders;
             CREATE PIPELINE local_jar WITH (mode = 'batch', jars = 'https://repo.example/udfs.jar') AS
               INSERT INTO out.console SELECT id, amount FROM maria.{db}.orders;",
            db = maria.name
        ))
        .await
        .unwrap();
    let (state, message, _) = failure(&client, "START PIPELINE file_jar").await;
    assert_eq!(state, "22023", "{message}");
    assert!(message.contains("/tmp/my.jar"), "{message}");
    assert_eq!(applies(&fake.log(), FD).len(), 1, "nothing applied for it");
    let (state, message, _) = failure(&client, "START PIPELINE local_jar").await;
    assert_eq!(state, "0A000", "{message}");
    assert!(message.contains("jars"), "{message}");
    maria.drop().await;
}
