//! The `flink` target against a real Flink 2.3 session cluster (`scripts/flink-local.sh
//! start`): batch jobs write their rows, a PostgreSQL table is copied into PostgreSQL
//! through Flink's JDBC connector row for row, a fan-out reads once and fills every sink, a
//! streaming job stops with a savepoint and resumes from it (checked through Flink's REST
//! API), a job the cluster refuses fails START with Flink's reason, and a gateway killed
//! with SIGKILL finds its running job again without submitting it twice.
//!
//! The cluster has two slots, so these tests take turns ([`FLINK`]).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio_postgres::Client;

use crate::common::failures::failure;
use crate::common::flink::wait_deployment;
use crate::common::rows::rows;
use crate::common::{TestServer, require};

static FLINK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn rest_url() -> String {
    std::env::var("FLINK_REST_URL").unwrap_or_else(|_| "http://127.0.0.1:8081".into())
}

fn runner_jar() -> PathBuf {
    std::env::var("SLUICE_RUNNER_JAR").map(PathBuf::from).unwrap_or_else(|_| {
        PathBuf::from(std::env::var("HOME").unwrap_or_default())
            .join(".cache/sluice/flink/sluice-sql-runner.jar")
    })
}

/// GET `path` of Flink's REST API (with curl, as an operator would check it).
fn flink(path: &str) -> Option<Value> {
    let out = std::process::Command::new("curl")
        .args(["-sf", "--max-time", "5", &format!("{}{path}", rest_url())])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    serde_json::from_slice(&out.stdout).ok()
}

fn flink_ready() -> bool {
    flink("/overview").is_some() && runner_jar().exists()
}

async fn setup(server: &TestServer, client: &Client, out: &Path) {
    client
        .batch_execute(&format!(
            "CREATE TARGET dev TYPE flink WITH (rest_url = '{}', runner_jar = '{}');
             CREATE SOURCE gen TYPE datagen;
             CREATE TABLE gen.seq (id BIGINT, name STRING)
               WITH (number_of_rows = 1000, 'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '1000');
             CREATE TABLE gen.ticks (k INT, v BIGINT) WITH (rows_per_second = 20, 'fields.k.min' = '1', 'fields.k.max' = '3');
             CREATE SOURCE files TYPE filesystem WITH (path = '{}');
             CREATE TABLE files.out_csv (id BIGINT, name STRING) WITH (path = 'out_csv', format = 'csv');
             CREATE TABLE files.out_json (id BIGINT, name STRING) WITH (path = 'out_json', format = 'json');
             CREATE SOURCE hole TYPE blackhole;
             CREATE TABLE hole.ids (id BIGINT);
             CREATE TABLE hole.ticks (k INT, v BIGINT);",
            rest_url(),
            runner_jar().display(),
            out.display()
        ))
        .await
        .unwrap();
    let _ = server;
}

/// Lines in the finished files of directory `dir` (Flink hides in-progress files with a dot).
fn lines(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| std::fs::read_to_string(e.path()).map(|t| t.lines().count()).unwrap_or(0))
        .sum()
}

/// Waits until every task of Flink job `job` runs.
async fn wait_all_running(job: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(d) = flink(&format!("/jobs/{job}"))
            && d["state"] == "RUNNING"
            && d["vertices"].as_array().is_some_and(|v| v.iter().all(|v| v["status"] == "RUNNING"))
        {
            return;
        }
        assert!(Instant::now() < deadline, "job {job} never ran all its tasks");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn batch_pipelines_on_flink_finish_with_their_rows_in_the_files() {
    if !require("a Flink cluster (scripts/flink-local.sh start)", flink_ready()) {
        return;
    }
    let _turn = FLINK.lock().await;
    let server = TestServer::start();
    let client = server.client().await;
    let out = server.data_path().join("out");
    setup(&server, &client, &out).await;
    client
        .batch_execute(
            "CREATE PIPELINE to_csv WITH (mode = 'batch', target = 'dev') AS
               INSERT INTO files.out_csv SELECT id, name FROM gen.seq;
             START PIPELINE to_csv;",
        )
        .await
        .unwrap();
    let d = wait_deployment(&client, "to_csv", |d| d[6] != "running").await;
    assert_eq!(d[6], "finished", "{d:?}");
    assert_eq!(lines(&out.join("out_csv")), 1000);
    assert_eq!(d[5].len(), 32, "Flink's job id is kept: {d:?}");
    let job = flink(&format!("/jobs/{}", d[5])).expect("the job is known to Flink");
    assert_eq!(job["state"], "FINISHED");

    // one source read once, three sinks
    client
        .batch_execute(
            "CREATE PIPELINE fan WITH (mode = 'batch', target = 'dev') AS $$ BEGIN
               INSERT INTO files.out_json SELECT id, name FROM gen.seq WHERE id % 2 = 0;
               INSERT INTO hole.ids SELECT id FROM gen.seq;
               INSERT INTO files.out_csv SELECT id, UPPER(name) FROM gen.seq;
             END $$;
             START PIPELINE fan;",
        )
        .await
        .unwrap();
    let d = wait_deployment(&client, "fan", |d| d[6] != "running").await;
    assert_eq!(d[6], "finished", "{d:?}");
    assert_eq!(lines(&out.join("out_json")), 500);
    assert_eq!(lines(&out.join("out_csv")), 2000, "appended to the first run's 1000");
    let plan = flink(&format!("/jobs/{}/plan", d[5])).expect("plan");
    let sources = plan["plan"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["description"].as_str().is_some_and(|s| s.contains("TableSourceScan")))
        .count();
    assert_eq!(sources, 1, "the source is read once: {plan}");
}

#[tokio::test]
async fn a_job_the_cluster_refuses_fails_start_with_flinks_reason() {
    use crate::common::fixtures::{MariaDb, mariadb_up};
    if !require("a Flink cluster (scripts/flink-local.sh start)", flink_ready())
        || !require("MariaDB on 127.0.0.1", mariadb_up().await)
    {
        return;
    }
    let _turn = FLINK.lock().await;
    let maria = MariaDb::create().await;
    let server = TestServer::start();
    let client = server.client().await;
    setup(&server, &client, &server.data_path().join("out")).await;
    crate::common::sources::maria_source(&client, &maria, "maria").await;
    // the local cluster has the JDBC connector but no MySQL dialect: only the cluster can
    // tell, and the message names the jar it lacks and how to supply it
    client
        .batch_execute(&format!(
            "CREATE PIPELINE from_maria WITH (mode = 'batch', target = 'dev') AS
               INSERT INTO files.out_csv SELECT CAST(id AS BIGINT), name FROM maria.{}.orders;",
            maria.name
        ))
        .await
        .unwrap();
    let (state, message, _) = failure(&client, "START PIPELINE from_maria").await;
    assert_eq!(state, "58000", "{message}");
    assert!(
        message.contains("target \"dev\"") && message.contains("jdbc:mysql"),
        "Flink's own reason: {message}"
    );
    assert!(
        message.contains("flink-connector-jdbc-mysql")
            && message.contains("jars")
            && message.contains("connector_jars"),
        "the missing jar and the options that supply it: {message}"
    );
    assert!(!message.contains("exit code"), "{message}");
    let shown = rows(&client, "SHOW DEPLOYMENTS FOR PIPELINE from_maria").await;
    assert_eq!(shown[0][6], "failed");
    assert!(shown[0][8].contains("flink-connector-jdbc-mysql"), "{:?}", shown[0]);
    // the failure released the pipeline: START may be tried again (and fails again)
    let (state, _, _) = failure(&client, "START PIPELINE from_maria").await;
    assert_eq!(state, "58000");
    maria.drop().await;
}

#[tokio::test]
async fn a_streaming_job_stops_with_a_savepoint_and_resumes_from_it() {
    if !require("a Flink cluster (scripts/flink-local.sh start)", flink_ready()) {
        return;
    }
    let _turn = FLINK.lock().await;
    let server = TestServer::start();
    let client = server.client().await;
    setup(&server, &client, &server.data_path().join("out")).await;
    client
        .batch_execute(
            "CREATE PIPELINE ticks WITH (mode = 'streaming', target = 'dev', checkpoint_interval = '2s') AS
               INSERT INTO hole.ticks SELECT k, v FROM gen.ticks;
             START PIPELINE ticks;",
        )
        .await
        .unwrap();
    let d = wait_deployment(&client, "ticks", |d| d[6] == "running" && d[5] != "NULL").await;
    let first_job = d[5].clone();
    wait_all_running(&first_job).await;
    let (state, message, _) = failure(&client, "START PIPELINE ticks").await;
    assert_eq!(state, "55000", "one active deployment per pipeline: {message}");

    // an operator who owns nothing: OPERATE on the pipeline and USAGE on its target let
    // it stop, resume and suspend the job (the job reads with its owner's rights)
    client.batch_execute("CREATE ROLE oncall LOGIN PASSWORD 'o'").await.unwrap();
    let ops = server.client_as("oncall", "o").await.unwrap();
    let (state, message, _) = failure(&ops, "STOP PIPELINE ticks WITH SAVEPOINT").await;
    assert!(state == "42501" && message.contains("pipeline ticks"), "{state} {message}");
    client.batch_execute("GRANT OPERATE ON PIPELINE ticks TO oncall").await.unwrap();
    let (state, message, _) = failure(&ops, "STOP PIPELINE ticks WITH SAVEPOINT").await;
    assert!(state == "42501" && message.contains("target dev"), "{state} {message}");
    client.batch_execute("GRANT USAGE ON TARGET dev TO oncall").await.unwrap();
    ops.batch_execute("STOP PIPELINE ticks WITH SAVEPOINT").await.unwrap();
    let stopped = rows(&client, "SHOW DEPLOYMENTS FOR PIPELINE ticks").await.remove(0);
    assert_eq!(stopped[6], "stopped", "{stopped:?}");
    let savepoint = stopped[9].clone();
    assert!(savepoint.contains("savepoint-"), "the savepoint is recorded: {stopped:?}");
    assert_eq!(flink(&format!("/jobs/{first_job}")).unwrap()["state"], "FINISHED");

    ops.batch_execute("RESUME PIPELINE ticks").await.unwrap();
    let resumed = wait_deployment(&client, "ticks", |d| d[6] == "running" && d[5] != first_job).await;
    let second_job = resumed[5].clone();
    wait_all_running(&second_job).await;
    let checkpoints = flink(&format!("/jobs/{second_job}/checkpoints")).expect("checkpoints");
    assert_eq!(
        checkpoints["latest"]["restored"]["external_path"].as_str(),
        Some(savepoint.as_str()),
        "Flink restored the job from the savepoint: {checkpoints}"
    );
    assert_eq!(resumed[0], stopped[0], "the same deployment goes on");

    ops.batch_execute("SUSPEND PIPELINE ticks").await.unwrap();
    let suspended = rows(&client, "SHOW DEPLOYMENTS FOR PIPELINE ticks").await.remove(0);
    assert_eq!(suspended[6], "suspended");
    assert_ne!(suspended[9], savepoint, "a new savepoint");
    client.batch_execute("REVOKE OPERATE ON PIPELINE ticks FROM oncall").await.unwrap();
    let (state, message, _) = failure(&ops, "RESUME PIPELINE ticks").await;
    assert!(state == "42501" && message.contains("pipeline ticks"), "{state} {message}");
    client.batch_execute("RESUME PIPELINE ticks").await.unwrap();
    let third = wait_deployment(&client, "ticks", |d| d[6] == "running" && d[5] != second_job).await;
    client.batch_execute("STOP PIPELINE ticks").await.unwrap();
    assert_eq!(flink(&format!("/jobs/{}", third[5])).unwrap()["state"], "CANCELED");
    assert_eq!(rows(&client, "SHOW DEPLOYMENTS FOR PIPELINE ticks").await[0][6], "stopped");
}

#[tokio::test]
async fn a_gateway_killed_while_its_job_runs_finds_the_job_again() {
    if !require("a Flink cluster (scripts/flink-local.sh start)", flink_ready()) {
        return;
    }
    let _turn = FLINK.lock().await;
    let mut server = TestServer::start();
    let client = server.client().await;
    setup(&server, &client, &server.data_path().join("out")).await;
    client
        .batch_execute(
            "CREATE PIPELINE survivor WITH (mode = 'streaming', target = 'dev') AS
               INSERT INTO hole.ticks SELECT k, v FROM gen.ticks;
             START PIPELINE survivor;",
        )
        .await
        .unwrap();
    let before = wait_deployment(&client, "survivor", |d| d[6] == "running" && d[5] != "NULL").await;
    wait_all_running(&before[5]).await;
    drop(client);

    server.kill_and_restart();
    let client = server.client().await;
    // the watcher keeps polling the same job after the restart
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = rows(&client, "SHOW DEPLOYMENTS FOR PIPELINE survivor").await;
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!((after[0][5].as_str(), after[0][6].as_str()), (before[5].as_str(), "running"), "{after:?}");
    let overview = flink("/jobs/overview").unwrap();
    let running: Vec<&Value> = overview["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["name"] == "survivor" && j["state"] == "RUNNING")
        .collect();
    assert_eq!(running.len(), 1, "submitted once: {overview}");
    client.batch_execute("STOP PIPELINE survivor").await.unwrap();
    assert_eq!(rows(&client, "SHOW DEPLOYMENTS FOR PIPELINE survivor").await[0][6], "stopped");
}

#[tokio::test]
async fn a_sync_started_on_flink_creates_its_sink_tables_first() {
    use crate::common::fixtures::{MariaDb, Postgres, mariadb_up, postgres_up};
    if !require("a Flink cluster (scripts/flink-local.sh start)", flink_ready())
        || !require("MariaDB on 127.0.0.1", mariadb_up().await)
        || !require("PostgreSQL on 127.0.0.1", postgres_up().await)
    {
        return;
    }
    let _turn = FLINK.lock().await;
    let (maria, pg) = (MariaDb::create().await, Postgres::create().await);
    let server = TestServer::start();
    let client = server.client().await;
    setup(&server, &client, &server.data_path().join("out")).await;
    crate::common::sources::maria_source(&client, &maria, "maria").await;
    client
        .batch_execute(&format!(
            "CREATE SOURCE dw TYPE postgres WITH (host = '127.0.0.1', database = 'test', username = 'postgres');
             CREATE SYNC DATABASE copy FROM maria DATABASE {} TO dw DATABASE {} \
               WITH (mode = 'full', engine = 'flink', target = 'dev', table_suffix = '_copy');",
            maria.name, pg.name
        ))
        .await
        .unwrap();
    // the local cluster has no MySQL dialect (flink-connector-jdbc-mysql), so it refuses
    // the job — after Sluice created the sink table, which Flink's JDBC sink would not do
    let (state, message, _) = failure(&client, "START PIPELINE copy").await;
    assert_eq!(state, "58000", "{message}");
    let columns = pg
        .text_rows(&format!(
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = '{}' AND table_name = 'orders_copy' ORDER BY ordinal_position",
            pg.name
        ))
        .await;
    assert_eq!(columns.first().map(|c| c[0].as_str()), Some("id"), "{columns:?}");
    assert!(columns.contains(&vec!["big".to_owned(), "numeric".to_owned()]), "bigint unsigned: {columns:?}");
    maria.drop().await;
    pg.drop().await;
}

#[tokio::test]
async fn a_postgresql_table_is_copied_into_postgresql_by_flink_row_for_row() {
    use crate::common::fixtures::{Postgres, postgres_up};
    if !require("a Flink cluster (scripts/flink-local.sh start)", flink_ready())
        || !require("PostgreSQL on 127.0.0.1", postgres_up().await)
    {
        return;
    }
    let _turn = FLINK.lock().await;
    let pg = Postgres::create().await;
    let p = &pg.name;
    // Flink's PostgreSQL dialect reads no timestamptz (TIMESTAMP_LTZ), and a JDBC table is
    // declared with all its columns: the source is the fixture's table without that column
    pg.execute(&format!(
        "CREATE TABLE {p}.src AS SELECT id, amount, name, day, at, flag FROM {p}.orders; \
         ALTER TABLE {p}.src ADD PRIMARY KEY (id); \
         CREATE TABLE {p}.copied (id int PRIMARY KEY, amount numeric(10,2), name varchar(64), label text, \
         day date, at timestamp(3), flag boolean)"
    ))
    .await;
    let server = TestServer::start();
    let client = server.client().await;
    setup(&server, &client, &server.data_path().join("out")).await;
    client
        .batch_execute(&format!(
            "CREATE SOURCE dw TYPE postgres WITH (host = '127.0.0.1', database = 'test', username = 'postgres');
             CREATE PIPELINE pg_copy WITH (mode = 'batch', target = 'dev') AS
               INSERT INTO dw.{p}.copied SELECT id, amount, name, UPPER(name), day, at, flag FROM dw.{p}.src;
             START PIPELINE pg_copy;"
        ))
        .await
        .unwrap();
    let d = wait_deployment(&client, "pg_copy", |d| d[6] != "running").await;
    assert_eq!(d[6], "finished", "{d:?}");
    // every row, column by column, as PostgreSQL computes the same from the source
    let copied = pg
        .text_rows(&format!(
            "SELECT id::text, amount::text, name, label, day::text, at::text, flag::text FROM {p}.copied ORDER BY id"
        ))
        .await;
    let expected = pg
        .text_rows(&format!(
            "SELECT id::text, amount::text, name, upper(name), day::text, at::text, flag::text FROM {p}.orders ORDER BY id"
        ))
        .await;
    assert_eq!(copied.len(), 20);
    assert_eq!(copied, expected);
    pg.drop().await;
}

/// A proxy to Flink's REST API that passes everything through but the answer to a job
/// submission (`POST /jars/…/run`): the request reaches Flink, the answer never comes back
/// (the connection closes), as when a network or a load balancer drops it. Returns its
/// port and the count of answers it dropped.
async fn answer_losing_proxy() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let upstream = rest_url().trim_start_matches("http://").to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let dropped = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = dropped.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let upstream = upstream.clone();
            let counted = counted.clone();
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(upstream).await else { return };
                let (mut client_in, mut client_out) = client.into_split();
                let (mut server_in, mut server_out) = server.into_split();
                let swallow = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
                let seen = swallow.clone();
                let requests = async move {
                    let mut buf = vec![0u8; 1 << 16];
                    while let Ok(n) = client_in.read(&mut buf).await {
                        let chunk = &buf[..n];
                        if n == 0 || server_out.write_all(chunk).await.is_err() {
                            break;
                        }
                        let text = String::from_utf8_lossy(chunk);
                        if text.starts_with("POST /jars/")
                            && text.lines().next().is_some_and(|l| l.contains("/run"))
                        {
                            seen.store(true, std::sync::atomic::Ordering::SeqCst);
                        }
                    }
                };
                let answers = async move {
                    let mut buf = vec![0u8; 1 << 16];
                    while let Ok(n) = server_in.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        if swallow.load(std::sync::atomic::Ordering::SeqCst) {
                            // the submission's answer is dropped with the connection
                            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            break;
                        }
                        if client_out.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                };
                tokio::select! {
                    _ = requests => {}
                    _ = answers => {}
                }
            });
        }
    });
    (port, dropped)
}

#[tokio::test]
async fn a_submission_whose_answer_is_lost_finds_its_job_by_id_and_is_not_submitted_twice() {
    if !require("a Flink cluster (scripts/flink-local.sh start)", flink_ready()) {
        return;
    }
    let _turn = FLINK.lock().await;
    let (proxy, dropped) = answer_losing_proxy().await;
    let server = TestServer::start();
    let client = server.client().await;
    setup(&server, &client, &server.data_path().join("out")).await;
    client
        .batch_execute(&format!(
            "CREATE TARGET lossy TYPE flink WITH (rest_url = 'http://127.0.0.1:{proxy}', runner_jar = '{}');
             CREATE PIPELINE lost_answer WITH (mode = 'streaming', target = 'lossy') AS
               INSERT INTO hole.ticks SELECT k, v FROM gen.ticks;",
            runner_jar().display()
        ))
        .await
        .unwrap();
    // the answer is lost; the job, submitted with the id Sluice chose, is found by it
    client.batch_execute("START PIPELINE lost_answer").await.unwrap();
    assert_eq!(dropped.load(std::sync::atomic::Ordering::SeqCst), 1, "the submission's answer was lost");
    let d = wait_deployment(&client, "lost_answer", |d| d[6] == "running" && d[5] != "NULL").await;
    let job = flink(&format!("/jobs/{}", d[5])).expect("Flink knows the recorded job id");
    assert_eq!(job["name"], "lost_answer", "{job}");
    // a second START is refused: the job runs, and only one of it
    let (state, message, _) = failure(&client, "START PIPELINE lost_answer").await;
    assert!(state.starts_with("55"), "{state}: {message}");
    let overview = flink("/jobs/overview").unwrap();
    let running: Vec<&Value> = overview["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["name"] == "lost_answer" && j["state"] == "RUNNING")
        .collect();
    assert_eq!(running.len(), 1, "submitted once: {overview}");
    client.batch_execute("STOP PIPELINE lost_answer").await.unwrap();
    assert_eq!(rows(&client, "SHOW DEPLOYMENTS FOR PIPELINE lost_answer").await[0][6], "stopped");
}
