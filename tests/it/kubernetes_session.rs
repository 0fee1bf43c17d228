//! The `kubernetes` target's extra deliveries, at the HTTP level like
//! `kubernetes_target.rs` (no Kubernetes API server can run here; [`FakeKube`] plays it and
//! validates resources against the operator's CRDs): session jobs fetching their runner
//! jar, script and extra jars from the gateway's https artifact endpoint (a real TLS
//! server, fetched with curl), and extra jars, pod templates and CPU of application
//! clusters.

use serde_json::{Value, json};

use crate::common::failures::failure;
use crate::common::fixtures::{SOURCE_PASSWORD, mariadb_up};
use crate::common::flink::wait_deployment;
use crate::common::kube::{FD, NS, applies, merges, request, running, setup, spawn_sql};
use crate::common::kube_fake::FakeKube;
use crate::common::{TestServer, free_port, have_program, require, self_signed_certificate};

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
    let (cert, key) = self_signed_certificate(
        dir.path(),
        &["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
    );
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
    let (_, schema) = crate::common::k8s_schema::crd_schema("flinksessionjobs.flink.apache.org-v1.yml");
    let body: serde_yaml::Value = serde_yaml::to_value(&applied.body).unwrap();
    assert_eq!(crate::common::k8s_schema::validate(&body, &schema), Vec::<String>::new());
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

    // what a session job cannot be given: no runner, a runner or extra jar that is no jar
    let kubeconfig = fake.kubeconfig(server.data_path());
    client
        .batch_execute(&format!(
            "CREATE TARGET no_runner TYPE kubernetes WITH (kubeconfig = '{k}', namespace = '{NS}', mode = 'session', session_cluster = 'shared');
             CREATE TARGET odd_runner TYPE kubernetes WITH (kubeconfig = '{k}', namespace = '{NS}', mode = 'session', session_cluster = 'shared', runner_jar = '{cert}');
             CREATE PIPELINE refused WITH (engine = 'flink', mode = 'batch') AS INSERT INTO out.console SELECT id, amount FROM maria.{db}.orders;
             CREATE PIPELINE odd_jar WITH (engine = 'flink', mode = 'batch', target = 'k8s', jars = '{cert}') AS INSERT INTO out.console SELECT id, amount FROM maria.{db}.orders;",
            k = kubeconfig.display(),
            cert = cert.display(),
            db = maria.name
        ))
        .await
        .unwrap();
    for (sql, needle) in [
        ("START PIPELINE refused ON TARGET no_runner", "runner_jar"),
        ("START PIPELINE refused ON TARGET odd_runner", "is not a .jar file"),
        ("START PIPELINE odd_jar", "is not a .jar file"),
    ] {
        let (state, message, _) = failure(&client, sql).await;
        assert_eq!(state, "22023", "{sql}: {message}");
        assert!(message.contains(needle), "{sql}: {message}");
    }
    assert_eq!(applies(&fake.log(), "flinksessionjobs").len(), 1, "none of them was applied");
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

    // a SeaTunnel pipeline does not run on the operator; CPU must be a number of cores
    client
        .batch_execute(&format!(
            "CREATE PIPELINE st_job WITH (engine = 'seatunnel', mode = 'batch', target = 'k8s') AS
               INSERT INTO out.console SELECT id, amount FROM maria.{db}.orders;
             CREATE TARGET greedy TYPE kubernetes WITH (kubeconfig = '{k}', namespace = '{NS}', taskmanager_cpu = 'lots');",
            db = maria.name,
            k = fake.kubeconfig(server.data_path()).display()
        ))
        .await
        .unwrap();
    let (state, message, _) = failure(&client, "START PIPELINE st_job").await;
    assert_eq!(state, "0A000", "{message}");
    assert!(message.contains("engine seatunnel"), "{message}");
    let (state, message, _) = failure(&client, "START PIPELINE local_jar ON TARGET greedy").await;
    assert_eq!(state, "22023", "{message}");
    assert!(message.contains("taskmanager_cpu"), "{message}");

    // an operator that never reports the job running: START gives up after the target's
    // timeout with what the status last said, and leaves nothing behind
    client
        .batch_execute(&format!(
            "CREATE TARGET slow TYPE kubernetes WITH (kubeconfig = '{}', namespace = '{NS}', timeout = '2s')",
            fake.kubeconfig(server.data_path()).display()
        ))
        .await
        .unwrap();
    // the earlier STARTs of local_jar logged requests to the same path: wait for this one's apply
    let before = fake.log().len();
    let start = spawn_sql(server.client().await, "START PIPELINE local_jar ON TARGET slow");
    request(&fake, "apply", |log| {
        log[before.min(log.len())..]
            .iter()
            .find(|r| r.method == "PATCH" && r.path.ends_with("/flinkdeployments/local-jar"))
            .map(|_| ())
    })
    .await;
    fake.set_status(
        FD,
        NS,
        "local-jar",
        json!({ "lifecycleState": "DEPLOYED", "observedGeneration": 1,
        "error": "{\"type\":\"RestClientException\",\"message\":\"JobManager not reachable yet\"}" }),
    );
    let e = start.await.unwrap().expect_err("START gives up");
    let db_error = e.as_db_error().unwrap();
    assert_eq!(db_error.code().code(), "58000", "{db_error:?}");
    assert!(
        db_error.message().contains("no running job after 2s")
            && db_error.message().contains("the operator says: JobManager not reachable yet"),
        "{db_error:?}"
    );
    assert!(fake.object(FD, NS, "local-jar").is_none(), "the resource of the failed START is deleted");
    maria.drop().await;
}
