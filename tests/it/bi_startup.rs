//! The SQL that 17 BI tools and drivers send when they connect and browse
//! (`../shared/compat/bi-startup/`), replayed against a fresh gateway with the suite's own
//! script — psycopg 3, every statement in the simple protocol, then as a named prepared
//! statement, then once more with binary results — browsing schema `sluice`.
//!
//! Every statement must pass except those named in [`KNOWN_FAILURES`], each with what is
//! missing; a known failure that passes again fails this test too, so the list only
//! shrinks. PostgreSQL 15 passes all but the two statements the suite skips for it.

use std::collections::BTreeSet;
use std::process::Command;

use crate::common::{PASSWORD, TestServer, repo, require};

/// Statements that fail today, and why.
const KNOWN_FAILURES: &[(&str, &str)] = &[
    ("grafana#1", "an IN (subquery) inside ORDER BY is not planned by DataFusion"),
    ("pgcli#8", "unnest of a correlated scalar subquery cannot be decorrelated"),
    ("pgcli#17", "pg_get_functiondef is missing"),
    ("psql#11", "a scalar subquery with a bound parameter fails in the extended protocol (XX000)"),
    ("sigma#3", "generate_series over the outer row's array (a lateral call in FROM) is not planned"),
];

/// What the suite skips on PostgreSQL 15 itself (version-specific columns).
const SKIPPED: &[&str] = &["psql#9", "tableau#4"];

struct Outcome {
    passed: BTreeSet<String>,
    failed: Vec<(String, String)>,
    skipped: BTreeSet<String>,
}

fn replay(
    server: &TestServer,
    python: &std::path::Path,
    script: &std::path::Path,
    extra: &[&str],
) -> Outcome {
    let out = Command::new(python)
        .arg(script)
        .args(["--schema", "sluice"])
        .args(extra)
        .env("PGHOST", "127.0.0.1")
        .env("PGPORT", server.port.to_string())
        .env("PGUSER", "sluice")
        .env("PGPASSWORD", PASSWORD)
        .env("PGDATABASE", "sluice")
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
    let python = super::clients::python();
    if !require("../shared/compat/bi-startup/replay.py", script.exists()) {
        return;
    }
    let Some(python) = python else {
        require("the Python venv with psycopg 3 (scripts/test.sh makes it)", false);
        return;
    };
    let server = TestServer::start();
    let known: BTreeSet<&str> = KNOWN_FAILURES.iter().map(|(id, _)| *id).collect();
    let mut failed_somewhere = BTreeSet::new();
    for extra in [&["--mode", "both"][..], &["--mode", "extended", "--binary"][..]] {
        let outcome = replay(&server, &python, &script, extra);
        let unexpected: Vec<&String> = outcome
            .failed
            .iter()
            .filter(|(id, _)| !known.contains(id.as_str()))
            .map(|(_, line)| line)
            .collect();
        assert!(unexpected.is_empty(), "statements that must pass failed ({extra:?}):\n{unexpected:#?}");
        assert_eq!(outcome.skipped, SKIPPED.iter().map(|s| s.to_string()).collect(), "skips ({extra:?})");
        failed_somewhere.extend(outcome.failed.into_iter().map(|(id, _)| id));
    }
    let fixed: Vec<&&str> = known.iter().filter(|id| !failed_somewhere.contains(**id)).collect();
    assert!(fixed.is_empty(), "known failures that pass now — remove them from KNOWN_FAILURES: {fixed:?}");
}
