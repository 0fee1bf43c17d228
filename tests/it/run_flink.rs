//! The `flink` target against a real Flink 2.3 session cluster (`scripts/flink-local.sh
//! start`): batch jobs write their rows, a PostgreSQL table is copied into PostgreSQL
//! through Flink's JDBC connector row for row, a fan-out reads once and fills every sink, a
//! streaming job stops with a savepoint and resumes from it (checked through Flink's REST
//! API), a job the cluster refuses fails START with Flink's reason, and a gateway killed
//! with SIGKILL — while its job runs, or between submitting it and reading the answer —
//! finds the job again without submitting it twice. File sinks are checked by content;
//! the streaming job's OpenLineage events (START, RUNNING, ABORT per cycle) by the file
//! they are appended to.
//!
//! The cluster has two slots, so these tests take turns ([`FLINK`]).

use std::path::Path;
use std::time::Duration;

use crate::common::failures::failure;
use crate::common::flink::{
    Answer, FLINK, SubmitProxy, finished_files, flink, flink_ready, runner_jar, running_jobs, setup,
    wait_all_running, wait_deployment,
};
use crate::common::rows::rows;
use crate::common::{Options, TestServer, require};

/// The rows of a CSV sink's finished files, `id,name` each (the test's names hold no comma
/// or line break; Flink quotes a field with a space, doubling quotes inside).
fn csv_rows(dir: &Path) -> Vec<(i64, String)> {
    let mut out: Vec<(i64, String)> = finished_files(dir)
        .iter()
        .flat_map(|text| text.lines().map(str::to_owned).collect::<Vec<_>>())
        .map(|line| {
            let (id, name) = line.split_once(',').unwrap_or_else(|| panic!("a CSV line: {line:?}"));
            let name = match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
                Some(quoted) => quoted.replace("\"\"", "\""),
                None => name.to_owned(),
            };
            (id.parse().unwrap_or_else(|_| panic!("an id: {line:?}")), name)
        })
        .collect();
    out.sort();
    out
}

/// The rows of a JSON sink's finished files.
fn json_rows(dir: &Path) -> Vec<(i64, String)> {
    let mut out: Vec<(i64, String)> = finished_files(dir)
        .iter()
        .flat_map(|text| text.lines().map(str::to_owned).collect::<Vec<_>>())
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
            (v["id"].as_i64().expect("id"), v["name"].as_str().expect("name").to_owned())
        })
        .collect();
    out.sort();
    out
}

/// `got` equals `want`; else the counts and the first row that differs (not a thousand rows).
fn same_rows(got: &[(i64, String)], want: &[(i64, String)], what: &str) {
    if got != want {
        let at = got.iter().zip(want).position(|(g, w)| g != w).unwrap_or(got.len().min(want.len()));
        panic!(
            "{what}: {} rows, {} wanted; first difference at {at}: {:?} vs {:?}",
            got.len(),
            want.len(),
            got.get(at),
            want.get(at)
        );
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
    setup(&client, &out).await;
    // names Flink must carry and upper-case beyond ASCII
    let names: Vec<(i64, String)> = (1..=1000).map(|i| (i, format!("ñandú {i} straße"))).collect();
    std::fs::create_dir_all(out.join("names")).unwrap();
    let text: String = names.iter().map(|(i, n)| format!("{i},{n}\n")).collect();
    std::fs::write(out.join("names/part-0.csv"), text).unwrap();
    client
        .batch_execute(
            "CREATE TABLE files.names (id BIGINT, name STRING) WITH (path = 'names', format = 'csv');
             CREATE PIPELINE to_csv WITH (mode = 'batch', target = 'dev') AS
               INSERT INTO files.out_csv SELECT id, name FROM files.names;
             START PIPELINE to_csv;",
        )
        .await
        .unwrap();
    let d = wait_deployment(&client, "to_csv", |d| d[6] != "running").await;
    assert_eq!(d[6], "finished", "{d:?}");
    same_rows(&csv_rows(&out.join("out_csv")), &names, "every row as it was read");
    assert_eq!(d[5].len(), 32, "Flink's job id is kept: {d:?}");
    let job = flink(&format!("/jobs/{}", d[5])).expect("the job is known to Flink");
    assert_eq!(job["state"], "FINISHED");

    // one source read once, three sinks (a filter Flink pushes into one sink's scan would
    // make it a scan of its own)
    client
        .batch_execute(
            "CREATE PIPELINE fan WITH (mode = 'batch', target = 'dev') AS $$ BEGIN
               INSERT INTO files.out_json SELECT id, name FROM files.names;
               INSERT INTO hole.ids SELECT id FROM files.names;
               INSERT INTO files.out_csv SELECT id, UPPER(name) FROM files.names;
             END $$;
             START PIPELINE fan;",
        )
        .await
        .unwrap();
    let d = wait_deployment(&client, "fan", |d| d[6] != "running").await;
    assert_eq!(d[6], "finished", "{d:?}");
    same_rows(&json_rows(&out.join("out_json")), &names, "every row in JSON");
    let mut both: Vec<(i64, String)> =
        names.iter().cloned().chain(names.iter().map(|(i, n)| (*i, n.to_uppercase()))).collect();
    both.sort();
    assert!(both.contains(&(1, "ÑANDÚ 1 STRASSE".to_owned())), "upper-cased as Java and Rust both do");
    same_rows(&csv_rows(&out.join("out_csv")), &both, "UPPER(name) appended to the first run's rows");
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
    setup(&client, &server.data_path().join("out")).await;
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
    let lineage = tempfile::tempdir().unwrap();
    let events_file = lineage.path().join("events.jsonl");
    let server = TestServer::start_with(Options {
        extra_args: vec!["--openlineage-url".into(), events_file.display().to_string()],
        ..Options::default()
    });
    let client = server.client().await;
    setup(&client, &server.data_path().join("out")).await;
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

    // every move of the deployment was an OpenLineage event: STOP and SUSPEND end a run
    // (ABORT), RESUME starts the next; the deployment is each run's parent
    let events = openlineage_events(&events_file, 9).await;
    let types: Vec<&str> = events.iter().map(|e| e["eventType"].as_str().unwrap_or_default()).collect();
    let cycle = ["START", "RUNNING", "ABORT"];
    assert_eq!(types, [cycle, cycle, cycle].concat(), "{events:#?}");
    let parent = &events[0]["run"]["facets"]["parent"]["run"]["runId"];
    assert!(
        parent.is_string() && events.iter().all(|e| &e["run"]["facets"]["parent"]["run"]["runId"] == parent)
    );
    let runs: Vec<&serde_json::Value> = events.iter().map(|e| &e["run"]["runId"]).collect();
    for run in runs.chunks(3) {
        assert!(run[0] == run[1] && run[1] == run[2], "one run per cycle: {runs:?}");
    }
    assert!(runs[0] != runs[3] && runs[3] != runs[6] && runs[0] != runs[6], "{runs:?}");
    let datasets = |key: &str| events[0][key].clone();
    assert_eq!(datasets("inputs"), serde_json::json!([{ "namespace": "sluice/gen", "name": "ticks" }]));
    assert_eq!(datasets("outputs")[0]["name"], "ticks");
    assert_eq!(events[0]["job"]["facets"]["jobType"]["processingType"], "STREAMING");
}

/// The OpenLineage events appended to `file`, once there are `count` of them (or after
/// 20 s).
async fn openlineage_events(file: &Path, count: usize) -> Vec<serde_json::Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let events: Vec<serde_json::Value> =
            text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
        if events.len() >= count || std::time::Instant::now() > deadline {
            return events;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_gateway_killed_while_its_job_runs_finds_the_job_again() {
    if !require("a Flink cluster (scripts/flink-local.sh start)", flink_ready()) {
        return;
    }
    let _turn = FLINK.lock().await;
    let mut server = TestServer::start();
    let client = server.client().await;
    setup(&client, &server.data_path().join("out")).await;
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
    let running = running_jobs("survivor");
    assert_eq!(running.len(), 1, "submitted once: {running:?}");
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
    setup(&client, &server.data_path().join("out")).await;
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
         day date, at timestamp(3), flag boolean, doc jsonb)"
    ))
    .await;
    let server = TestServer::start();
    let client = server.client().await;
    setup(&client, &server.data_path().join("out")).await;
    client
        .batch_execute(&format!(
            "CREATE SOURCE dw TYPE postgres WITH (host = '127.0.0.1', database = 'test', username = 'postgres');
             CREATE PIPELINE pg_copy WITH (mode = 'batch', target = 'dev') AS
               INSERT INTO dw.{p}.copied
                 SELECT id, amount, name, UPPER(name), day, at, flag, '{{\"n\": ' || CAST(id AS STRING) || '}}' FROM dw.{p}.src;
             START PIPELINE pg_copy;"
        ))
        .await
        .unwrap();
    let d = wait_deployment(&client, "pg_copy", |d| d[6] != "running").await;
    assert_eq!(d[6], "finished", "{d:?}");
    // every row, column by column, as PostgreSQL computes the same from the source
    let copied = pg
        .text_rows(&format!(
            "SELECT id::text, amount::text, name, label, day::text, at::text, flag::text, doc::text FROM {p}.copied ORDER BY id"
        ))
        .await;
    let expected = pg
        .text_rows(&format!(
            "SELECT id::text, amount::text, name, upper(name), day::text, at::text, flag::text, doc::text FROM {p}.orders ORDER BY id"
        ))
        .await;
    assert_eq!(copied.len(), 20);
    assert_eq!(copied, expected);
    pg.drop().await;
}

#[tokio::test]
async fn a_submission_whose_answer_is_lost_finds_its_job_by_id_and_is_not_submitted_twice() {
    if !require("a Flink cluster (scripts/flink-local.sh start)", flink_ready()) {
        return;
    }
    let _turn = FLINK.lock().await;
    let proxy = SubmitProxy::start(Answer::Drop).await;
    let server = TestServer::start();
    let client = server.client().await;
    setup(&client, &server.data_path().join("out")).await;
    client
        .batch_execute(&format!(
            "CREATE TARGET lossy TYPE flink WITH (rest_url = 'http://127.0.0.1:{}', runner_jar = '{}');
             CREATE PIPELINE lost_answer WITH (mode = 'streaming', target = 'lossy') AS
               INSERT INTO hole.ticks SELECT k, v FROM gen.ticks;",
            proxy.port,
            runner_jar().display()
        ))
        .await
        .unwrap();
    // the answer is lost; the job, submitted with the id Sluice chose, is found by it
    client.batch_execute("START PIPELINE lost_answer").await.unwrap();
    assert_eq!(
        proxy.stopped.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "the submission's answer was lost"
    );
    let d = wait_deployment(&client, "lost_answer", |d| d[6] == "running" && d[5] != "NULL").await;
    let job = flink(&format!("/jobs/{}", d[5])).expect("Flink knows the recorded job id");
    assert_eq!(job["name"], "lost_answer", "{job}");
    // a second START is refused: the job runs, and only one of it
    let (state, message, _) = failure(&client, "START PIPELINE lost_answer").await;
    assert!(state.starts_with("55"), "{state}: {message}");
    let running = running_jobs("lost_answer");
    assert_eq!(running.len(), 1, "submitted once: {running:?}");
    client.batch_execute("STOP PIPELINE lost_answer").await.unwrap();
    assert_eq!(rows(&client, "SHOW DEPLOYMENTS FOR PIPELINE lost_answer").await[0][6], "stopped");
}

#[tokio::test]
async fn a_gateway_killed_between_submitting_a_job_and_reading_the_answer_finds_it_and_submits_once() {
    if !require("a Flink cluster (scripts/flink-local.sh start)", flink_ready()) {
        return;
    }
    let _turn = FLINK.lock().await;
    let proxy = SubmitProxy::start(Answer::Hold).await;
    let mut server = TestServer::start();
    let client = server.client().await;
    setup(&client, &server.data_path().join("out")).await;
    client
        .batch_execute(&format!(
            "CREATE TARGET held TYPE flink WITH (rest_url = 'http://127.0.0.1:{}', runner_jar = '{}');
             CREATE PIPELINE half_sent WITH (mode = 'streaming', target = 'held') AS
               INSERT INTO hole.ticks SELECT k, v FROM gen.ticks;",
            proxy.port,
            runner_jar().display()
        ))
        .await
        .unwrap();
    // START waits for Flink's answer, which the proxy holds: the gateway dies right then
    let start = tokio::spawn(async move { client.batch_execute("START PIPELINE half_sent").await });
    proxy.wait_stopped().await;
    server.kill_and_restart();
    assert!(start.await.unwrap().is_err(), "the client lost its gateway mid-START");

    let client = server.client().await;
    let d = wait_deployment(&client, "half_sent", |d| d[6] != "submitting").await;
    assert_eq!(d[6], "running", "the restarted gateway found the job by its recorded id: {d:?}");
    let job = flink(&format!("/jobs/{}", d[5])).expect("Flink knows the recorded job id");
    assert_eq!(job["name"], "half_sent", "{job}");
    let (state, message, _) = failure(&client, "START PIPELINE half_sent").await;
    assert!(state.starts_with("55"), "{state}: {message}");
    let running = running_jobs("half_sent");
    assert_eq!(running.len(), 1, "submitted once: {running:?}");
    client.batch_execute("STOP PIPELINE half_sent").await.unwrap();
    assert_eq!(rows(&client, "SHOW DEPLOYMENTS FOR PIPELINE half_sent").await[0][6], "stopped");
}
