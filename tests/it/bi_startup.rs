//! The SQL that 17 BI tools and drivers send when they connect and browse
//! (`../shared/compat/bi-startup/`), replayed against a fresh gateway with the suite's own
//! script — psycopg 3, every statement in the simple protocol, then as a named prepared
//! statement, then once more with binary results — browsing schema `sluice`.
//!
//! Every statement must pass, in both runs, but the two the suite skips for PostgreSQL 15
//! itself (version-specific columns) — as PostgreSQL 15 does.

use std::collections::BTreeSet;
use std::process::Command;

use crate::common::{PASSWORD, TestServer, repo, require};

/// What the suite skips on PostgreSQL 15 itself (version-specific columns).
const SKIPPED: &[&str] = &["psql#9", "tableau#4"];

struct Outcome {
    passed: BTreeSet<String>,
    failed: Vec<(String, String)>,
    skipped: BTreeSet<String>,
}

/// Replays the suite against `database`, browsing `schema`.
fn replay(
    server: &TestServer,
    python: &std::path::Path,
    script: &std::path::Path,
    extra: &[&str],
    (database, schema): (&str, &str),
) -> Outcome {
    let out = Command::new(python)
        .arg(script)
        .args(["--schema", schema])
        .args(extra)
        .env("PGHOST", "127.0.0.1")
        .env("PGPORT", server.port.to_string())
        .env("PGUSER", "sluice")
        .env("PGPASSWORD", PASSWORD)
        .env("PGDATABASE", database)
        .output()
        .expect("run replay.py");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut outcome = Outcome { passed: BTreeSet::new(), failed: Vec::new(), skipped: BTreeSet::new() };
    for line in text.lines() {
        let id = |rest: &str| rest.split(':').next().unwrap_or(rest).trim().to_owned();
        if let Some(rest) = line.strip_prefix("PASS ") {
            outcome.passed.insert(id(rest));
        } else if let Some(rest) = line.strip_prefix("FAIL ") {
            outcome.failed.push((id(rest), line.to_owned()));
        } else if let Some(rest) = line.strip_prefix("SKIP ") {
            outcome.skipped.insert(id(rest));
        }
    }
    assert!(
        outcome.passed.len() + outcome.failed.len() + outcome.skipped.len() == 145,
        "the replay did not run all 145 statements ({extra:?}):\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    outcome
}

#[test]
fn bi_tools_startup_and_browse_queries() {
    let script = repo().join("../shared/compat/bi-startup/replay.py");
    let python = crate::common::python();
    if !require("../shared/compat/bi-startup/replay.py", script.exists()) {
        return;
    }
    let Some(python) = python else {
        require("the Python venv with psycopg 3 (scripts/test.sh makes it)", false);
        return;
    };
    let server = TestServer::start();
    for extra in [&["--mode", "both"][..], &["--mode", "extended", "--binary"][..]] {
        let outcome = replay(&server, &python, &script, extra, ("sluice", "sluice"));
        let failed: Vec<&String> = outcome.failed.iter().map(|(_, line)| line).collect();
        assert!(failed.is_empty(), "statements failed ({extra:?}):\n{failed:#?}");
        assert_eq!(outcome.skipped, SKIPPED.iter().map(|s| s.to_string()).collect(), "skips ({extra:?})");
        assert_eq!(outcome.passed.len(), 143, "passed ({extra:?})");
    }
}

/// The same suite against a MariaDB source connected to as a database, browsing the
/// source's database (as a schema) and its table.
#[tokio::test]
async fn bi_tools_startup_and_browse_queries_on_a_source_database() {
    let script = repo().join("../shared/compat/bi-startup/replay.py");
    if !require("../shared/compat/bi-startup/replay.py", script.exists()) {
        return;
    }
    let Some(python) = crate::common::python() else {
        require("the Python venv with psycopg 3 (scripts/test.sh makes it)", false);
        return;
    };
    if !require("MariaDB on 127.0.0.1:3306", crate::common::fixtures::mariadb_up().await) {
        return;
    }
    let maria = crate::common::fixtures::MariaDb::create().await;
    let server = TestServer::start();
    crate::common::sources::maria_source(&server.client().await, &maria, "shop").await;
    // the server is a process of its own: the replay may block this thread
    let outcome = replay(&server, &python, &script, &["--mode", "both"], ("shop", &maria.name));
    let failed: Vec<&String> = outcome.failed.iter().map(|(_, line)| line).collect();
    assert!(failed.is_empty(), "statements failed in database shop:\n{failed:#?}");
    assert_eq!(outcome.skipped, SKIPPED.iter().map(|s| s.to_string()).collect(), "skips");
    assert_eq!(outcome.passed.len(), 143, "passed");
    maria.drop().await;
}
