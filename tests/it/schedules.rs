//! Schedules against the machine's real MariaDB and PostgreSQL, on the `local` target:
//! a DAG fired by a seconds cron runs in order, failures retry and then block their
//! downstream, a task past its timeout is cancelled, a backfill loads each interval it
//! names, and two gateways sharing one PostgreSQL metadata store fire every fire time
//! once — and finish the run of the one that is killed.
//!
//! No test waits for wall-clock minutes: crons fire every second or few, or runs are
//! started with RUN SCHEDULE.

use std::future::Future;
use std::time::{Duration, Instant};

use tokio_postgres::Client;

use crate::common::failures::failure;
use crate::common::fixtures::{MariaDb, Postgres, mariadb_up, postgres_up};
use crate::common::rows::rows;
use crate::common::sources::maria_source;
use crate::common::{Options, TestServer, psql_local, require};

/// Columns of SHOW RUNS.
const RUN: usize = 0;
const TRIGGER: usize = 2;
const INTERVAL_START: usize = 3;
const INTERVAL_END: usize = 4;
const RUN_STATE: usize = 5;
const PIPELINE: usize = 6;
const STATE: usize = 7;
const ATTEMPT: usize = 8;
const DEPLOYMENT: usize = 9;
const STARTED: usize = 10;
const FINISHED: usize = 11;
const ERROR: usize = 12;

/// Polls `check` until it holds; fails naming `what` after `secs` seconds.
async fn until<F, Fut>(what: &str, secs: u64, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check().await {
        assert!(Instant::now() < deadline, "gave up waiting {secs}s for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn runs_of(client: &Client, schedule: &str) -> Vec<Vec<String>> {
    rows(client, &format!("SHOW RUNS FOR SCHEDULE {schedule}")).await
}

/// Whether every run of `schedule` has ended (and there is at least one).
async fn all_ended(client: &Client, schedule: &str) -> bool {
    let runs = runs_of(client, schedule).await;
    !runs.is_empty() && runs.iter().all(|r| !matches!(r[RUN_STATE].as_str(), "queued" | "running"))
}

/// `YYYY-MM-DD HH:MM:SS` of a timestamp as text (whole seconds).
fn seconds(text: &str) -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str(&text[..19], "%Y-%m-%d %H:%M:%S")
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

async fn pg_sink(client: &Client) {
    client
        .batch_execute("CREATE SOURCE dw TYPE postgres WITH (host = '127.0.0.1', database = 'test', username = 'postgres')")
        .await
        .unwrap();
}

async fn exec(client: &Client, sql: &str) {
    client.batch_execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {}", crate::common::message(&e)));
}

fn services_up(maria: bool, pg: bool) -> bool {
    require("MariaDB on 127.0.0.1", maria) && require("PostgreSQL on 127.0.0.1", pg)
}

#[tokio::test]
async fn a_three_pipeline_dag_runs_in_order_on_a_seconds_cron() {
    if !services_up(mariadb_up().await, postgres_up().await) {
        return;
    }
    let (maria, pg) = (MariaDb::create().await, Postgres::create().await);
    let (m, p) = (maria.name.clone(), pg.name.clone());
    maria.execute(&format!("CREATE TABLE {m}.users (id INT PRIMARY KEY, name VARCHAR(32))")).await;
    maria.execute(&format!("INSERT INTO {m}.users SELECT seq, CONCAT('user ', seq) FROM seq_1_to_7")).await;
    pg.execute(&format!(
        "CREATE TABLE {p}.orders_copy (id int PRIMARY KEY, amount numeric(10,2)); \
         CREATE TABLE {p}.users_copy (id int PRIMARY KEY, name text); \
         CREATE TABLE {p}.totals (kind text, n bigint)"
    ))
    .await;
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    pg_sink(&client).await;
    exec(
        &client,
        &format!(
            "CREATE PIPELINE load_orders WITH (mode = 'batch', write_mode = 'overwrite') AS \
               INSERT INTO dw.{p}.orders_copy SELECT id, amount FROM maria.{m}.orders WHERE at < ${{interval_end}}; \
             CREATE PIPELINE load_users WITH (mode = 'batch', write_mode = 'overwrite') AS \
               INSERT INTO dw.{p}.users_copy SELECT id, name FROM maria.{m}.users; \
             CREATE PIPELINE totals WITH (mode = 'batch', write_mode = 'overwrite') AS \
               INSERT INTO dw.{p}.totals SELECT 'orders', count(*) FROM dw.{p}.orders_copy \
               UNION ALL SELECT 'users', count(*) FROM dw.{p}.users_copy"
        ),
    )
    .await;
    exec(
        &client,
        "CREATE SCHEDULE nightly CRON '*/3 * * * * *' TIMEZONE 'Europe/Berlin' \
         WITH (max_active_runs = 1, max_active_tasks = 1) AS BEGIN \
           RUN PIPELINE load_orders; RUN PIPELINE load_users; RUN PIPELINE totals AFTER load_orders, load_users; END",
    )
    .await;

    let dag = rows(&client, "DESCRIBE SCHEDULE nightly").await;
    let tasks: Vec<(&str, &str, &str)> = dag
        .iter()
        .filter(|r| r[0] == "task")
        .map(|r| (r[1].as_str(), r[2].as_str(), r[3].as_str()))
        .collect();
    assert_eq!(
        tasks,
        [("load_orders", "{}", "0"), ("load_users", "{}", "0"), ("totals", "{load_orders,load_users}", "1")]
    );
    let fires: Vec<&Vec<String>> = dag.iter().filter(|r| r[0] == "fire").collect();
    assert_eq!(fires.len(), 5, "{dag:?}");
    assert!(
        fires.iter().all(|f| seconds(&f[5]).and_utc().timestamp() % 3 == 0),
        "every third second: {fires:?}"
    );

    until("a succeeded run", 90, || async {
        runs_of(&client, "nightly").await.iter().any(|r| r[RUN_STATE] == "succeeded")
    })
    .await;
    exec(&client, "PAUSE SCHEDULE nightly").await;
    let shown = rows(&client, "SHOW SCHEDULES").await;
    assert_eq!((shown[0][0].as_str(), shown[0][3].as_str()), ("nightly", "paused"));

    let runs = runs_of(&client, "nightly").await;
    let first = runs
        .iter()
        .filter(|r| r[RUN_STATE] == "succeeded")
        .map(|r| r[RUN].clone())
        .min_by_key(|id| id.parse::<i64>().unwrap_or(0));
    let first = first.expect("a succeeded run");
    let tasks: Vec<&Vec<String>> = runs.iter().filter(|r| r[RUN] == first).collect();
    assert_eq!(tasks.len(), 3, "{runs:?}");
    for t in &tasks {
        assert_eq!(
            (t[TRIGGER].as_str(), t[STATE].as_str(), t[ATTEMPT].as_str()),
            ("cron", "succeeded", "1"),
            "{t:?}"
        );
        assert_ne!(t[DEPLOYMENT], "NULL", "each task ran as a deployment: {t:?}");
    }
    let task = |name: &str| tasks.iter().find(|t| t[PIPELINE] == name).expect("task");
    let (orders, users, totals) = (task("load_orders"), task("load_users"), task("totals"));
    assert!(totals[STARTED] >= orders[FINISHED] && totals[STARTED] >= users[FINISHED], "order: {tasks:?}");
    assert!(
        users[STARTED] >= orders[FINISHED] || orders[STARTED] >= users[FINISHED],
        "max_active_tasks = 1 runs the two loads one after the other: {tasks:?}"
    );
    let interval = seconds(&orders[INTERVAL_END]) - seconds(&orders[INTERVAL_START]);
    assert_eq!(interval.num_seconds(), 3, "a run covers the interval since the previous fire time");

    until("every run to end", 60, || all_ended(&client, "nightly")).await;
    let copied = pg.text_rows(&format!("SELECT kind, n::text FROM {p}.totals ORDER BY kind")).await;
    assert_eq!(copied, [["orders", "20"], ["users", "7"]], "the aggregate ran after both loads");
    let for_pipeline = rows(&client, "SHOW RUNS FOR PIPELINE totals").await;
    assert!(!for_pipeline.is_empty() && for_pipeline.iter().all(|r| r[PIPELINE] == "totals"));

    let (state, message, _) = failure(&client, "DROP PIPELINE totals").await;
    assert_eq!(state, "2BP01", "{message}");
    assert!(message.contains("pipeline totals"), "{message}");
    exec(&client, "DROP SCHEDULE nightly; DROP PIPELINE totals").await;
    maria.drop().await;
    pg.drop().await;
}

#[tokio::test]
async fn failed_tasks_retry_then_block_their_downstream_and_timeouts_cancel() {
    if !services_up(true, postgres_up().await) {
        return;
    }
    let pg = Postgres::create().await;
    let p = pg.name.clone();
    pg.execute(&format!(
        "CREATE TABLE {p}.negative (v int CHECK (v < 0)); CREATE TABLE {p}.after_bad (v int); \
         CREATE TABLE {p}.fine (v int); CREATE VIEW {p}.slow AS SELECT 1 AS id FROM pg_sleep(6); \
         CREATE TABLE {p}.slow_copy (id int)"
    ))
    .await;
    let server = TestServer::start();
    let client = server.client().await;
    pg_sink(&client).await;
    for (name, sink, from) in [
        ("bad", "negative", "orders"),
        ("after_bad", "after_bad", "orders"),
        ("fine", "fine", "orders"),
        ("slow", "slow_copy", "slow"),
    ] {
        exec(
            &client,
            &format!("CREATE PIPELINE {name} WITH (mode = 'batch') AS INSERT INTO dw.{p}.{sink} SELECT id FROM dw.{p}.{from}"),
        )
        .await;
    }
    exec(
        &client,
        "CREATE SCHEDULE flaky CRON '0 0 1 1 *' WITH (retries = 2, retry_delay = '200ms', on_failure = 'continue') AS \
         BEGIN RUN PIPELINE bad; RUN PIPELINE after_bad AFTER bad; RUN PIPELINE fine; END; PAUSE SCHEDULE flaky; \
         RUN SCHEDULE flaky",
    )
    .await;
    until("the run to end", 60, || all_ended(&client, "flaky")).await;
    let runs = runs_of(&client, "flaky").await;
    let task = |name: &str| runs.iter().find(|t| t[PIPELINE] == name).expect("task").clone();
    let bad = task("bad");
    assert_eq!((bad[TRIGGER].as_str(), bad[RUN_STATE].as_str()), ("manual", "failed"));
    assert_eq!((bad[STATE].as_str(), bad[ATTEMPT].as_str()), ("failed", "3"), "tried 1 + 2 retries: {bad:?}");
    assert!(bad[ERROR].contains("check"), "the sink's error: {bad:?}");
    let after = task("after_bad");
    assert_eq!((after[STATE].as_str(), after[ATTEMPT].as_str()), ("upstream_failed", "0"), "{after:?}");
    assert!(after[ERROR].contains("\"bad\""), "{after:?}");
    assert_eq!(task("fine")[STATE], "succeeded", "on_failure = 'continue' runs the independent branch");
    let deployments = rows(&client, "SHOW DEPLOYMENTS FOR PIPELINE bad").await;
    assert_eq!(deployments.len(), 3, "one deployment per attempt: {deployments:?}");
    assert!(deployments.iter().all(|d| d[6] == "failed"));
    let counts = pg
        .text_rows(&format!(
            "SELECT (SELECT count(*) FROM {p}.negative)::text, (SELECT count(*) FROM {p}.after_bad)::text, \
             (SELECT count(*) FROM {p}.fine)::text"
        ))
        .await;
    assert_eq!(counts, [["0", "0", "20"]]);

    // on_failure = 'stop' (the default) starts nothing after a failure; with one task at a
    // time, `fine` waits behind `bad` and is skipped
    exec(
        &client,
        "CREATE SCHEDULE strict CRON '0 0 1 1 *' WITH (max_active_tasks = 1) AS \
         BEGIN RUN PIPELINE bad; RUN PIPELINE fine; END; PAUSE SCHEDULE strict; RUN SCHEDULE strict",
    )
    .await;
    until("the run to end", 60, || all_ended(&client, "strict")).await;
    let runs = runs_of(&client, "strict").await;
    let states: Vec<(&str, &str)> = runs.iter().map(|r| (r[PIPELINE].as_str(), r[STATE].as_str())).collect();
    assert_eq!(states, [("bad", "failed"), ("fine", "skipped")], "{runs:?}");
    assert!(runs[1][ERROR].contains("on_failure"), "{runs:?}");

    // depends_on_past: a task whose previous run's instance failed is skipped
    exec(
        &client,
        "CREATE SCHEDULE past CRON '0 0 * * *' WITH (depends_on_past = true) AS RUN PIPELINE bad; \
         PAUSE SCHEDULE past; RUN SCHEDULE past FOR RANGE '2026-11-01' TO '2026-11-03'",
    )
    .await;
    until("both runs to end", 60, || all_ended(&client, "past")).await;
    let mut runs = runs_of(&client, "past").await;
    runs.sort_by(|a, b| a[INTERVAL_START].cmp(&b[INTERVAL_START]));
    let states: Vec<&str> = runs.iter().map(|r| r[STATE].as_str()).collect();
    assert_eq!(states, ["failed", "skipped"], "{runs:?}");
    assert!(runs[1][ERROR].contains("depends_on_past"), "{runs:?}");

    exec(
        &client,
        "CREATE SCHEDULE sleepy CRON '0 0 1 1 *' WITH (task_timeout = '1s') AS RUN PIPELINE slow; \
         PAUSE SCHEDULE sleepy; RUN SCHEDULE sleepy",
    )
    .await;
    until("the run to end", 60, || all_ended(&client, "sleepy")).await;
    let runs = runs_of(&client, "sleepy").await;
    assert_eq!((runs[0][RUN_STATE].as_str(), runs[0][STATE].as_str()), ("failed", "timed_out"), "{runs:?}");
    assert!(runs[0][ERROR].contains("task_timeout"), "{runs:?}");
    let deployments = rows(&client, "SHOW DEPLOYMENTS FOR PIPELINE slow").await;
    assert_eq!(deployments[0][6], "stopped", "the deployment was cancelled: {deployments:?}");
    tokio::time::sleep(Duration::from_secs(6)).await;
    let copied = pg.text_rows(&format!("SELECT count(*)::text FROM {p}.slow_copy")).await;
    assert_eq!(copied, [["0"]], "the cancelled attempt wrote nothing");

    // the run's own timeout cancels what runs and ends the run timed_out
    exec(
        &client,
        "CREATE SCHEDULE capped CRON '0 0 1 1 *' WITH (timeout = '1s') AS RUN PIPELINE slow; \
         PAUSE SCHEDULE capped; RUN SCHEDULE capped",
    )
    .await;
    until("the run to end", 60, || all_ended(&client, "capped")).await;
    let runs = runs_of(&client, "capped").await;
    assert_eq!(
        (runs[0][RUN_STATE].as_str(), runs[0][STATE].as_str()),
        ("timed_out", "timed_out"),
        "{runs:?}"
    );
    pg.drop().await;
}

#[tokio::test]
async fn a_backfill_makes_a_run_per_interval_with_its_parameters() {
    if !services_up(mariadb_up().await, postgres_up().await) {
        return;
    }
    let (maria, pg) = (MariaDb::create().await, Postgres::create().await);
    let (m, p) = (maria.name.clone(), pg.name.clone());
    maria.execute(&format!("CREATE TABLE {m}.events (id INT PRIMARY KEY, at DATETIME)")).await;
    maria
        .execute(&format!(
            "INSERT INTO {m}.events SELECT seq, TIMESTAMP('2026-11-01 03:00:00') + INTERVAL (seq - 1) * 6 HOUR FROM seq_1_to_20"
        ))
        .await;
    pg.execute(&format!("CREATE TABLE {p}.loaded (id int PRIMARY KEY, at timestamp)")).await;
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    pg_sink(&client).await;
    exec(
        &client,
        &format!(
            "CREATE PIPELINE day_load WITH (mode = 'batch') AS INSERT INTO dw.{p}.loaded \
             SELECT id, at FROM maria.{m}.events WHERE at >= ${{interval_start}} AND at < ${{interval_end}}"
        ),
    )
    .await;
    let shown = rows(&client, "SHOW CREATE PIPELINE day_load").await;
    assert!(
        shown[0].iter().any(|c| c.contains("at >= ${interval_start} AND at < ${interval_end}")),
        "{shown:?}"
    );
    exec(&client, "CREATE SCHEDULE daily CRON '0 0 * * *' AS RUN PIPELINE day_load; PAUSE SCHEDULE daily")
        .await;

    for (sql, reason) in [
        ("RUN SCHEDULE daily FOR RANGE '2026-11-04' TO '2026-11-01'", "before its end"),
        ("RUN SCHEDULE daily FOR RANGE 'yesterday' TO '2026-11-01'", "is not a time"),
        ("RUN SCHEDULE daily FOR RANGE '2026-11-01 01:00' TO '2026-11-01 23:00'", "no interval"),
    ] {
        let (state, message, _) = failure(&client, sql).await;
        assert_eq!(state, "22023", "{sql}: {message}");
        assert!(message.contains(reason), "{sql}: {message}");
    }
    assert!(runs_of(&client, "daily").await.is_empty(), "a refused backfill queues nothing");

    exec(&client, "RUN SCHEDULE daily FOR RANGE '2026-11-01' TO '2026-11-04'").await;
    until("the backfill to end", 90, || all_ended(&client, "daily")).await;
    let mut runs = runs_of(&client, "daily").await;
    runs.sort_by(|a, b| a[INTERVAL_START].cmp(&b[INTERVAL_START]));
    let intervals: Vec<(String, String, &str, &str)> = runs
        .iter()
        .map(|r| {
            (
                r[INTERVAL_START][..10].to_owned(),
                r[INTERVAL_END][..10].to_owned(),
                r[TRIGGER].as_str(),
                r[STATE].as_str(),
            )
        })
        .collect();
    assert_eq!(
        intervals,
        [
            ("2026-11-01".into(), "2026-11-02".into(), "backfill", "succeeded"),
            ("2026-11-02".into(), "2026-11-03".into(), "backfill", "succeeded"),
            ("2026-11-03".into(), "2026-11-04".into(), "backfill", "succeeded"),
        ]
    );
    let loaded =
        pg.text_rows(&format!("SELECT min(id)::text, max(id)::text, count(*)::text FROM {p}.loaded")).await;
    assert_eq!(loaded, [["1", "12", "12"]], "each run loaded its own day, once");
    maria.drop().await;
    pg.drop().await;
}

#[tokio::test]
async fn two_gateways_fire_each_time_once_and_take_over_a_killed_run() {
    if !require("PostgreSQL on 127.0.0.1", postgres_up().await) {
        return;
    }
    let pg = Postgres::create().await;
    let p = pg.name.clone();
    pg.execute(&format!(
        "CREATE TABLE {p}.tick (id int PRIMARY KEY, amount numeric(10,2)); \
         CREATE VIEW {p}.slow AS SELECT 1 AS id FROM pg_sleep(5); CREATE TABLE {p}.slow_copy (id int)"
    ))
    .await;
    let db = format!("sluice_sched_{}", std::process::id());
    psql_local(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
    psql_local(&format!("CREATE DATABASE {db}"));
    let gateway = |id: &str| {
        TestServer::start_with(Options {
            metadata_url: Some(format!("postgres://postgres@127.0.0.1:5432/{db}")),
            extra_args: vec!["--gateway-id".into(), id.into(), "--run-lease".into(), "2s".into()],
            // gateways sharing a catalog share its master key
            envs: vec![("SLUICE_MASTER_KEY".into(), "44".repeat(32))],
            ..Options::default()
        })
    };
    let mut servers = vec![gateway("gw-a"), gateway("gw-b")];
    let (a, b) = (servers[0].client().await, servers[1].client().await);
    pg_sink(&a).await;
    exec(
        &a,
        &format!(
            "CREATE PIPELINE tick WITH (mode = 'batch', write_mode = 'overwrite') AS \
               INSERT INTO dw.{p}.tick SELECT id, amount FROM dw.{p}.orders; \
             CREATE PIPELINE slow WITH (mode = 'batch') AS INSERT INTO dw.{p}.slow_copy SELECT id FROM dw.{p}.slow; \
             CREATE SCHEDULE every_second CRON '* * * * * *' AS RUN PIPELINE tick"
        ),
    )
    .await;
    until("30 fire times", 120, || async { runs_of(&b, "every_second").await.len() >= 30 }).await;
    exec(&b, "PAUSE SCHEDULE every_second").await;
    until("every run to end", 60, || all_ended(&a, "every_second")).await;
    let runs = runs_of(&a, "every_second").await;
    let mut fired: Vec<i64> = runs.iter().map(|r| seconds(&r[INTERVAL_END]).and_utc().timestamp()).collect();
    fired.sort_unstable();
    let n = fired.len() as i64;
    fired.dedup();
    assert_eq!(fired.len() as i64, n, "no fire time made two runs: {runs:?}");
    assert_eq!(fired[fired.len() - 1] - fired[0], n - 1, "no fire time was skipped: {fired:?}");
    assert!(runs.iter().all(|r| r[STATE] == "succeeded" && r[TRIGGER] == "cron"), "{runs:?}");
    let owners =
        rows(&a, "SELECT DISTINCT lease_owner FROM sluice.runs WHERE schedule = 'every_second'").await;
    println!("runs executed by {owners:?}");

    // A run whose gateway is killed mid-task is finished by the other.
    exec(&a, "CREATE SCHEDULE takeover CRON '0 0 1 1 *' AS RUN PIPELINE slow; PAUSE SCHEDULE takeover; RUN SCHEDULE takeover").await;
    until("the slow task to run", 30, || async {
        let d = rows(&a, "SHOW DEPLOYMENTS FOR PIPELINE slow").await;
        d.len() == 1 && matches!(d[0][6].as_str(), "submitting" | "running")
    })
    .await;
    let owner = rows(&a, "SELECT lease_owner FROM sluice.runs WHERE schedule = 'takeover'").await;
    let killed = if owner[0][0] == "gw-a" { 0 } else { 1 };
    servers[killed].kill();
    let survivor = servers[1 - killed].client().await;
    until("the survivor to finish the run", 60, || all_ended(&survivor, "takeover")).await;
    let run = runs_of(&survivor, "takeover").await;
    assert_eq!((run[0][RUN_STATE].as_str(), run[0][STATE].as_str()), ("succeeded", "succeeded"), "{run:?}");
    let now_owner = rows(&survivor, "SELECT lease_owner FROM sluice.runs WHERE schedule = 'takeover'").await;
    assert_ne!(now_owner[0][0], owner[0][0], "the other gateway took the run over");
    let deployments = rows(&survivor, "SHOW DEPLOYMENTS FOR PIPELINE slow").await;
    let mut states: Vec<&str> = deployments.iter().map(|d| d[6].as_str()).collect();
    states.sort_unstable();
    assert_eq!(
        states,
        ["failed", "finished"],
        "the killed attempt failed, the new one finished: {deployments:?}"
    );
    let copied = pg.text_rows(&format!("SELECT count(*)::text FROM {p}.slow_copy")).await;
    assert_eq!(copied, [["1"]], "the killed attempt's rows were rolled back; the row arrived once");
    drop(servers);
    psql_local(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
    pg.drop().await;
}

#[tokio::test]
async fn create_schedule_refuses_cycles_unknown_and_streaming_pipelines_and_bad_crons() {
    if !require("PostgreSQL on 127.0.0.1", postgres_up().await) {
        return;
    }
    let pg = Postgres::create().await;
    let p = pg.name.clone();
    pg.execute(&format!("CREATE TABLE {p}.copy (id int)")).await;
    let server = TestServer::start();
    let client = server.client().await;
    pg_sink(&client).await;
    for (name, mode) in [("a", "batch"), ("b", "batch"), ("c", "batch"), ("stream", "streaming")] {
        exec(
            &client,
            &format!("CREATE PIPELINE {name} WITH (mode = '{mode}') AS INSERT INTO dw.{p}.copy SELECT id FROM dw.{p}.orders"),
        )
        .await;
    }
    let dag = "AS BEGIN RUN PIPELINE a; RUN PIPELINE b AFTER a; END";
    for (sql, state, needle) in [
        (
            "CREATE SCHEDULE s CRON '* * * * *' AS BEGIN RUN PIPELINE a AFTER c; RUN PIPELINE b AFTER a; RUN PIPELINE c AFTER b; END".to_owned(),
            "42P17",
            "a -> b -> c -> a",
        ),
        ("CREATE SCHEDULE s CRON '* * * * *' AS BEGIN RUN PIPELINE a; RUN PIPELINE nope AFTER a; END".into(), "42704", "pipeline \"nope\""),
        ("CREATE SCHEDULE s CRON '* * * * *' AS BEGIN RUN PIPELINE a; RUN PIPELINE b AFTER x; END".into(), "42P17", "\"x\""),
        ("CREATE SCHEDULE s CRON '* * * * *' AS BEGIN RUN PIPELINE a; RUN PIPELINE stream AFTER a; END".into(), "0A000", "streaming"),
        (format!("CREATE SCHEDULE s CRON '0 25 * * *' {dag}"), "22023", "'0 25 * * *'"),
        (format!("CREATE SCHEDULE s CRON '* * *' {dag}"), "22023", "has 3 fields"),
        (format!("CREATE SCHEDULE s CRON '0 2 * * *' TIMEZONE 'Moon/Base' {dag}"), "22023", "Moon/Base"),
        (format!("CREATE SCHEDULE s CRON '0 2 * * *' WITH (retrys = 1) {dag}"), "22023", "retrys"),
        (format!("CREATE SCHEDULE s CRON '0 2 * * *' WITH (on_failure = 'ignore') {dag}"), "22023", "on_failure"),
        (format!("CREATE SCHEDULE s CRON '0 2 * * *' WITH (target = 'nowhere') {dag}"), "42704", "nowhere"),
    ] {
        let (got, message, _) = failure(&client, &sql).await;
        assert_eq!(got, state, "{sql}: {message}");
        assert!(message.contains(needle), "{sql}: {message}");
    }
    assert!(rows(&client, "SHOW SCHEDULES").await.is_empty(), "a refused schedule stores nothing");
    exec(&client, &format!("CREATE SCHEDULE s CRON '0 2 * * *' TIMEZONE 'Asia/Shanghai' {dag}")).await;
    let (state, message, _) = failure(&client, &format!("CREATE SCHEDULE s CRON '0 3 * * *' {dag}")).await;
    assert_eq!(state, "42710", "{message}");
    exec(&client, "ALTER SCHEDULE s CRON '30 4 * * *'; ALTER SCHEDULE s SET (retries = 3)").await;
    let shown = rows(&client, "SELECT cron, timezone, options FROM sluice.schedules").await;
    assert_eq!((shown[0][0].as_str(), shown[0][1].as_str()), ("30 4 * * *", "Asia/Shanghai"));
    assert!(shown[0][2].contains("retries"), "{shown:?}");
    let (state, _, _) = failure(&client, "ALTER SCHEDULE s CRON 'every day'").await;
    assert_eq!(state, "22023");
    for (sql, state, needle) in [
        ("RUN SCHEDULE nope", "42704", "schedule \"nope\""),
        ("PAUSE SCHEDULE nope", "42704", "schedule \"nope\""),
        ("DROP SCHEDULE nope", "42704", "schedule \"nope\""),
        ("SHOW RUNS FOR SCHEDULE nope", "42704", "schedule \"nope\""),
        ("ALTER SCHEDULE s RESET (nope)", "22023", "\"nope\""),
        ("ALTER SCHEDULE s SET (target = 'nowhere')", "42704", "nowhere"),
        ("RUN SCHEDULE s FOR RANGE '2000-01-01' TO '2040-01-01'", "22023", "in parts"),
        ("CREATE SCHEDULE t CRON '* * * * *' AS BEGIN RUN PIPELINE a; RUN PIPELINE a; END", "42710", "\"a\""),
    ] {
        let (got, message, _) = failure(&client, sql).await;
        assert_eq!(got, state, "{sql}: {message}");
        assert!(message.contains(needle), "{sql}: {message}");
    }
    exec(&client, "DROP SCHEDULE s; DROP SCHEDULE IF EXISTS s").await;
    pg.drop().await;
}

#[tokio::test]
async fn fire_times_missed_while_the_gateway_was_down_follow_catchup() {
    if !require("PostgreSQL on 127.0.0.1", postgres_up().await) {
        return;
    }
    let pg = Postgres::create().await;
    let p = pg.name.clone();
    pg.execute(&format!("CREATE TABLE {p}.a (id int); CREATE TABLE {p}.b (id int)")).await;
    let mut server = TestServer::start();
    let client = server.client().await;
    pg_sink(&client).await;
    exec(
        &client,
        &format!(
            "CREATE PIPELINE load_a WITH (mode = 'batch', write_mode = 'overwrite') AS INSERT INTO dw.{p}.a SELECT id FROM dw.{p}.orders; \
             CREATE PIPELINE load_b WITH (mode = 'batch', write_mode = 'overwrite') AS INSERT INTO dw.{p}.b SELECT id FROM dw.{p}.orders; \
             CREATE SCHEDULE every CRON '*/2 * * * * *' WITH (catchup = true) AS RUN PIPELINE load_a; \
             CREATE SCHEDULE latest CRON '*/2 * * * * *' WITH (catchup = false) AS RUN PIPELINE load_b"
        ),
    )
    .await;
    until("a run of each", 30, || async {
        !runs_of(&client, "every").await.is_empty() && !runs_of(&client, "latest").await.is_empty()
    })
    .await;
    drop(client);
    server.kill();
    tokio::time::sleep(Duration::from_secs(7)).await;
    server.restart();
    let client = server.client().await;
    let after = chrono::Utc::now().timestamp();
    until("runs after the restart", 30, || async {
        let fired = |runs: Vec<Vec<String>>| {
            runs.iter().any(|r| seconds(&r[INTERVAL_END]).and_utc().timestamp() > after)
        };
        fired(runs_of(&client, "every").await) && fired(runs_of(&client, "latest").await)
    })
    .await;
    exec(&client, "PAUSE SCHEDULE every; PAUSE SCHEDULE latest").await;
    let fire_times = |runs: &[Vec<String>]| {
        let mut t: Vec<i64> = runs.iter().map(|r| seconds(&r[INTERVAL_END]).and_utc().timestamp()).collect();
        t.sort_unstable();
        t
    };
    let every = fire_times(&runs_of(&client, "every").await);
    assert!(
        every.windows(2).all(|w| w[1] - w[0] == 2),
        "catchup = true runs every missed interval: {every:?}"
    );
    let latest = fire_times(&runs_of(&client, "latest").await);
    assert!(latest.windows(2).any(|w| w[1] - w[0] > 2), "catchup = false skips to the latest: {latest:?}");
    assert!(every.len() > latest.len(), "{every:?} {latest:?}");
    pg.drop().await;
}
