//! Pipelines as code: SQL files kept in a (temporary) repository, planned against a real
//! gateway with `sluice plan`, applied with `sluice apply`, edited, planned and applied
//! again, and written back with `sluice dump`; EXPLAIN APPLY for psql/JDBC users; files
//! with errors refused at their file and line with nothing changed; a running pipeline
//! not restarted without --allow-restart.

use std::path::Path;
use std::process::Output;

use sluice::sql::ast::GatewayStatement;
use sluice::sql::{Statement, parse};
use tokio_postgres::Client;

use crate::common::failures::failure;
use crate::common::fixtures::{MariaDb, Postgres, SOURCE_PASSWORD, mariadb_up, postgres_up};
use crate::common::flink::{FLINK, flink_ready, setup, wait_deployment};
use crate::common::rows::rows;
use crate::common::{TestServer, require};

use crate::common::sluice_cli as sluice;

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn write(dir: &Path, file: &str, sql: &str) {
    let path = dir.join(file);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(path, sql).expect("write");
}

/// The repository: the bootstrap superuser, a secret, three sources, a declared table, a
/// target, three pipelines, a sync and a schedule, in files by kind.
fn repository(dir: &Path, maria: &MariaDb, pg: &Postgres, render: &Path) {
    let (m, p) = (&maria.name, &pg.name);
    let password = SOURCE_PASSWORD.replace('\'', "''");
    write(dir, "roles/sluice.sql", "CREATE ROLE sluice WITH SUPERUSER LOGIN;\n");
    write(dir, "secrets/maria_pw.sql", &format!("CREATE SECRET maria_pw AS '{password}';\n"));
    write(
        dir,
        "sources/maria.sql",
        &format!(
            "CREATE SOURCE maria TYPE mysql WITH (host = '127.0.0.1', password = SECRET maria_pw, port = 3306, username = '{m}');\n"
        ),
    );
    write(
        dir,
        "sources/dw.sql",
        "CREATE SOURCE dw TYPE postgres WITH (database = 'test', host = '127.0.0.1', username = 'postgres');\n",
    );
    write(dir, "sources/hole.sql", "CREATE SOURCE hole TYPE blackhole;\n");
    write(dir, "tables/hole.void.sql", "CREATE TABLE hole.void (id INT, name STRING);\n");
    write(
        dir,
        "targets/render.sql",
        &format!("CREATE TARGET render TYPE directory WITH (path = '{}');\n", render.display()),
    );
    write(
        dir,
        "pipelines/copy.sql",
        &format!(
            "CREATE PIPELINE copy WITH (mode = 'batch') AS\n  INSERT INTO dw.{p}.copied SELECT id, name FROM maria.{m}.orders;\n"
        ),
    );
    write(
        dir,
        "pipelines/drain.sql",
        &format!("CREATE PIPELINE drain AS INSERT INTO hole.void SELECT id, name FROM maria.{m}.orders;\n"),
    );
    write(
        dir,
        "pipelines/recent.sql",
        &format!(
            "CREATE PIPELINE recent WITH (mode = 'batch') AS\n  INSERT INTO dw.{p}.copied SELECT id, name FROM maria.{m}.orders WHERE id > 10;\n"
        ),
    );
    write(
        dir,
        "syncs/mirror.sql",
        &format!(
            "CREATE SYNC DATABASE mirror FROM maria DATABASE {m} TO dw DATABASE {p} WITH (table_prefix = 'm_');\n"
        ),
    );
    write(
        dir,
        "schedules/nightly.sql",
        "CREATE SCHEDULE nightly CRON '0 3 * * *' AS BEGIN\n  RUN PIPELINE copy;\n  RUN PIPELINE recent AFTER copy;\nEND;\n",
    );
}

/// Each `.sql` file under `dir`, its statements parsed and printed back (the layout and
/// comments a dump normalises away) and secret values replaced by the dump's placeholder.
fn normalised(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for kind in std::fs::read_dir(dir).expect("dir") {
        for file in std::fs::read_dir(kind.expect("entry").path()).expect("kind dir") {
            let path = file.expect("entry").path();
            let sql = std::fs::read_to_string(&path).expect("text");
            let statements: Vec<String> = parse(&sql)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                .into_iter()
                .map(|p| match p.statement {
                    Statement::Gateway(GatewayStatement::CreateSecret(s)) => s.redacted(),
                    Statement::Gateway(g) => g.to_string(),
                    Statement::Query(q) => q.to_string(),
                })
                .collect();
            out.push((
                path.strip_prefix(dir).expect("under dir").display().to_string(),
                statements.join("\n"),
            ));
        }
    }
    out.sort();
    out
}

fn lines_starting(stdout: &str, prefixes: &[&str]) -> Vec<String> {
    stdout.lines().filter(|l| prefixes.iter().any(|p| l.starts_with(p))).map(str::to_owned).collect()
}

async fn catalog(client: &Client) -> Vec<Vec<String>> {
    rows(client, "SHOW CREATE ALL").await
}

#[tokio::test]
async fn files_are_planned_applied_edited_and_dumped_like_a_repository() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await)
        || !require("PostgreSQL on 127.0.0.1", postgres_up().await)
    {
        return;
    }
    let (maria, pg) = (MariaDb::create().await, Postgres::create().await);
    pg.execute(&format!("CREATE TABLE {}.copied (id int, name text)", pg.name)).await;
    let server = TestServer::start();
    let client = server.client().await;
    let repo = tempfile::tempdir().expect("temp dir");
    repository(repo.path(), &maria, &pg, &server.data_path().join("render"));
    let dir = repo.path().to_str().expect("utf-8 path");

    // everything is to be created
    let out = sluice(&server, &["plan", dir]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert_eq!(
        lines_starting(&stdout, &["+", "=", "~", "-/+"]),
        [
            "= role sluice: unchanged",
            "+ secret maria_pw: create",
            "+ source dw: create",
            "+ source hole: create",
            "+ source maria: create",
            "+ table hole.void: create",
            "+ target render: create",
            "+ pipeline copy: create",
            "+ pipeline drain: create",
            "+ pipeline recent: create",
            "+ sync mirror: create",
            "+ schedule nightly: create",
        ]
    );
    assert!(stdout.contains("Plan: 11 to create, 0 to alter, 0 to replace, 1 unchanged."), "{stdout}");
    assert!(!stdout.contains(SOURCE_PASSWORD), "{stdout}");
    assert!(catalog(&client).await.iter().all(|r| r[0] == "role"), "plan changed nothing");

    let out = sluice(&server, &["apply", "--auto-approve", dir]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("Applied 11 changes."), "{stdout}");
    // applied for real: the pipeline runs and its rows arrive
    rows(&client, "START PIPELINE copy").await;
    assert_eq!(pg.text_rows(&format!("SELECT count(*)::text FROM {}.copied", pg.name)).await, [["20"]]);

    // the same files again: nothing to do
    let out = sluice(&server, &["plan", dir]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("Plan: 0 to create, 0 to alter, 0 to replace, 12 unchanged."), "{stdout}");

    // one pipeline's body and one source's option edited: exactly those two, with diffs
    let recent = repo.path().join("pipelines/recent.sql");
    let edited = std::fs::read_to_string(&recent).unwrap().replace("id > 10", "id > 15");
    std::fs::write(&recent, edited).unwrap();
    let maria_file = repo.path().join("sources/maria.sql");
    let edited = std::fs::read_to_string(&maria_file).unwrap().replace("(host", "(fetch_size = 500, host");
    std::fs::write(&maria_file, edited).unwrap();
    let out = sluice(&server, &["plan", dir]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert_eq!(
        lines_starting(&stdout, &["+ ", "~ ", "-/+ "]),
        ["~ source maria: alter", "-/+ pipeline recent: replace"]
    );
    let (m, p) = (&maria.name, &pg.name);
    assert!(
        stdout.contains(&format!(
            "    -CREATE PIPELINE recent WITH (mode = 'batch') AS INSERT INTO dw.{p}.copied SELECT id, name FROM maria.{m}.orders WHERE id > 10\n\
             \x20   +CREATE PIPELINE recent WITH (mode = 'batch') AS INSERT INTO dw.{p}.copied SELECT id, name FROM maria.{m}.orders WHERE id > 15\n"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("    +CREATE SOURCE maria TYPE mysql WITH (fetch_size = 500, host = '127.0.0.1'"),
        "{stdout}"
    );
    let out = sluice(&server, &["apply", "--auto-approve", dir]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert!(text(&out).0.contains("Applied 2 changes."), "{:?}", text(&out));
    assert_eq!(sluice(&server, &["plan", dir]).status.code(), Some(0));

    // the catalog written back equals the files, modulo the layout the dump normalises
    let dumped = tempfile::tempdir().expect("temp dir");
    let out = sluice(&server, &["dump", "--dir", dumped.path().to_str().unwrap()]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(normalised(dumped.path()), normalised(repo.path()));

    // a file removed: left alone, unless --prune, which drops it (only of the kinds the
    // files declare)
    std::fs::remove_file(repo.path().join("pipelines/drain.sql")).unwrap();
    assert_eq!(sluice(&server, &["plan", dir]).status.code(), Some(0));
    let out = sluice(&server, &["plan", "--prune", dir]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert_eq!(lines_starting(&stdout, &["+ ", "~ ", "-/+ ", "- "]), ["- pipeline drain: drop"]);
    assert!(
        stdout.contains(&format!(
            "    -CREATE PIPELINE drain AS INSERT INTO hole.void SELECT id, name FROM maria.{m}.orders\n"
        )),
        "{stdout}"
    );
    let out = sluice(&server, &["apply", "--prune", "--auto-approve", dir]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let pipelines = rows(&client, "SELECT name FROM sluice.pipelines ORDER BY name").await;
    assert_eq!(pipelines, [["copy"], ["mirror"], ["recent"]]);
    assert_eq!(sluice(&server, &["plan", "--prune", dir]).status.code(), Some(0));
    maria.drop().await;
    pg.drop().await;
}

#[tokio::test]
async fn explain_apply_answers_psql_and_jdbc_and_bad_files_change_nothing() {
    let server = TestServer::start();
    let client = server.client().await;
    client.batch_execute("CREATE SOURCE hole TYPE blackhole; CREATE TABLE hole.void (id INT)").await.unwrap();
    let script =
        "EXPLAIN APPLY $$ CREATE SOURCE hole TYPE blackhole; CREATE TABLE hole.void (id INT, note STRING);
                  CREATE SECRET s AS 'value-never-shown'; GRANT USAGE ON SECRET s TO PUBLIC $$";
    let simple = rows(&client, script).await;
    assert_eq!(
        simple,
        [
            ["secret", "s", "create", "f", "+CREATE SECRET s AS '***'\n+GRANT USAGE ON SECRET s TO PUBLIC"],
            ["source", "hole", "unchanged", "f", ""],
            [
                "table",
                "hole.void",
                "replace",
                "f",
                "-CREATE TABLE hole.void (id INT)\n+CREATE TABLE hole.void (id INT, note STRING)"
            ],
        ]
        .map(|r| r.map(str::to_owned).to_vec())
    );
    // the extended protocol (JDBC) describes and returns the same rows
    let extended = client.query(script, &[]).await.unwrap();
    let columns: Vec<&str> = extended[0].columns().iter().map(|c| c.name()).collect();
    assert_eq!(columns, ["kind", "name", "action", "restart", "diff"]);
    assert_eq!(extended.len(), 3);
    assert_eq!(
        rows(&client, "SELECT count(*) FROM sluice.secrets").await,
        [["0"]],
        "EXPLAIN changes nothing"
    );

    let repo = tempfile::tempdir().expect("temp dir");
    let render =
        format!("CREATE TARGET render TYPE directory WITH (path = '{}');", repo.path().join("out").display());
    client
        .batch_execute(&format!(
            "CREATE SOURCE gen TYPE datagen; CREATE TABLE gen.a (id INT); CREATE TABLE gen.b (id INT);
             CREATE SOURCE out TYPE print; CREATE TABLE out.o (id INT); {render}"
        ))
        .await
        .unwrap();
    let before = catalog(&client).await;
    write(repo.path(), "a/good.sql", "CREATE SOURCE more TYPE blackhole;\n");
    let on_target = format!(
        "{render}\nCREATE PIPELINE joined WITH (mode = 'batch', engine = 'seatunnel', target = 'render') AS\n  \
         INSERT INTO out.o SELECT a.id FROM gen.a JOIN gen.b ON a.id = b.id;\n"
    );
    // each bad file: where it fails and with which SQLSTATE
    for (file, sql, expected, state) in [
        (
            "b/syntax.sql",
            "CREATE SOURCE s2 TYPE blackhole;\nCREATE PIPELINE p AS\n  INSERT INTO hole.void SELEC 1;\n",
            "b/syntax.sql:3:",
            "42601",
        ),
        (
            "b/binding.sql",
            "CREATE PIPELINE p AS\n  INSERT INTO hole.void SELECT nope FROM hole.void;\n",
            "b/binding.sql:2:42",
            "42809",
        ),
        ("b/verb.sql", "\n\nSTART PIPELINE p;\n", "b/verb.sql:3:1", "0A000"),
        ("b/secret.sql", "CREATE SECRET fresh AS '***';\n", "b/secret.sql:1:1", "22023"),
        (
            "b/twice.sql",
            "CREATE SOURCE s3 TYPE blackhole;\nCREATE SOURCE s3 TYPE blackhole;\n",
            "b/twice.sql:2:1",
            "42710",
        ),
        ("b/orphan.sql", "GRANT USAGE ON SOURCE hole TO PUBLIC;\n", "b/orphan.sql:1:1", "42704"),
        // binds, but its engine cannot run it (SeaTunnel's Sql transform reads one table):
        // plan says so, as CREATE PIPELINE would
        (
            "b/engine.sql",
            "\nCREATE PIPELINE joined WITH (mode = 'streaming', engine = 'seatunnel') AS\n  \
             INSERT INTO out.o SELECT a.id FROM gen.a JOIN gen.b ON a.id = b.id;\n",
            "b/engine.sql:2:1",
            "0A000",
        ),
        // … also when the files declare its target as it is (dump writes every target)
        ("b/engine_on_target.sql", on_target.as_str(), "b/engine_on_target.sql:2:1", "0A000"),
    ] {
        write(repo.path(), file, sql);
        for verb in ["plan", "apply"] {
            let dir = repo.path().to_str().unwrap();
            let args = if verb == "apply" { vec!["apply", "--auto-approve", dir] } else { vec!["plan", dir] };
            let out = sluice(&server, &args);
            let (stdout, stderr) = text(&out);
            assert_eq!(out.status.code(), Some(1), "{verb} {file}: {stdout}{stderr}");
            let located = format!("{}/{expected}", repo.path().display());
            assert!(stderr.contains(&located), "{verb} {file}: {stderr}");
            assert!(stderr.contains(&format!("(SQLSTATE {state})")), "{verb} {file}: {stderr}");
            if file.starts_with("b/engine") {
                assert!(
                    stderr.contains("its Sql transform reads exactly one table"),
                    "{verb} {file}: {stderr}"
                );
            }
            assert_eq!(catalog(&client).await, before, "{verb} {file} changed nothing");
        }
        std::fs::remove_file(repo.path().join(file)).unwrap();
    }
    let (state, _, _) = failure(&client, "APPLY $$ SELECT 1 $$").await;
    assert_eq!(state, "0A000");

    // a secret's value is compared only for its owner: anyone else learns nothing from
    // EXPLAIN APPLY about what is stored; the dump's placeholder keeps the value
    client
        .batch_execute(
            "CREATE SECRET kept AS 'right-value'; CREATE SECRET keytab AS decode('AAEC', 'base64');
             CREATE ROLE eve LOGIN PASSWORD 'eve-pw'",
        )
        .await
        .unwrap();
    let action = |rows: Vec<Vec<String>>| rows.into_iter().map(|r| r[2].clone()).collect::<Vec<_>>();
    let check = "EXPLAIN APPLY $$ CREATE SECRET kept AS 'right-value'; CREATE SECRET keytab AS decode('***', 'base64') $$";
    assert_eq!(action(rows(&client, check).await), ["unchanged", "unchanged"]);
    let wrong = "EXPLAIN APPLY $$ CREATE SECRET kept AS 'wrong-value' $$";
    assert_eq!(action(rows(&client, wrong).await), ["alter"]);
    let eve = server.client_as("eve", "eve-pw").await.expect("eve logs in");
    assert_eq!(action(rows(&eve, check).await), ["alter", "unchanged"]);
    assert_eq!(action(rows(&eve, wrong).await), ["alter"]);
}

#[tokio::test]
async fn a_running_pipeline_is_not_restarted_without_allow_restart() {
    if !require("a Flink cluster (scripts/flink-local.sh start)", flink_ready()) {
        return;
    }
    let _turn = FLINK.lock().await;
    let server = TestServer::start();
    let client = server.client().await;
    setup(&client, &server.data_path().join("out")).await;
    let repo = tempfile::tempdir().expect("temp dir");
    let body = "CREATE PIPELINE ticks WITH (mode = 'streaming', target = 'dev') AS\n  INSERT INTO hole.ticks SELECT k, v FROM gen.ticks";
    write(repo.path(), "pipelines/ticks.sql", &format!("{body};\n"));
    let dir = repo.path().to_str().unwrap();
    assert_eq!(sluice(&server, &["apply", "--auto-approve", dir]).status.code(), Some(0));
    rows(&client, "START PIPELINE ticks").await;
    let first = wait_deployment(&client, "ticks", |d| d[6] == "running" && d[5] != "NULL").await;

    write(repo.path(), "pipelines/ticks.sql", &format!("{body} WHERE k > 1;\n"));
    let out = sluice(&server, &["plan", dir]);
    let (stdout, _) = text(&out);
    assert!(stdout.contains("-/+ pipeline ticks: replace (restarts its running deployment)"), "{stdout}");
    let before = catalog(&client).await;
    let out = sluice(&server, &["apply", "--auto-approve", dir]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("ticks is running") && stderr.contains("SQLSTATE 55000"), "{stderr}");
    assert_eq!(catalog(&client).await, before, "nothing applied");
    let versions =
        rows(&client, "SELECT max(version) FROM sluice.pipeline_versions WHERE pipeline = 'ticks'").await;
    assert_eq!(versions, [["1"]]);

    // allowed: stopped, replaced, started again on its target as a new job
    let out = sluice(&server, &["apply", "--auto-approve", "--allow-restart", dir]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let again =
        wait_deployment(&client, "ticks", |d| d[6] == "running" && d[5] != "NULL" && d[5] != first[5]).await;
    assert_eq!(again[2], "2", "the new version runs: {again:?}");
    assert_eq!(sluice(&server, &["plan", dir]).status.code(), Some(0));
    rows(&client, "STOP PIPELINE ticks").await;
}
