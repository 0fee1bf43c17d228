//! Limits on clients: `--tls-mode require` refuses a plain start-up (28000) and serves
//! TLS; `--max-connections` refuses a session beyond it (53300) and keeps a reserve for
//! superusers; failed logins are answered after a delay, and an address with too many in
//! the window is refused until it passes.

use std::time::{Duration, Instant};

use crate::common::{
    Options, PASSWORD, TestServer, have_program, require, self_signed_certificate, sqlstate,
};

fn message(e: &tokio_postgres::Error) -> String {
    crate::common::message(e)
}

#[tokio::test]
async fn tls_require_refuses_plain_connections() {
    if !require("openssl and psql", have_program("openssl") && have_program("psql")) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed_certificate(dir.path(), &["-subj", "/CN=localhost"]);
    let server = TestServer::start_with(Options {
        extra_args: vec![
            "--tls-cert".into(),
            cert.display().to_string(),
            "--tls-key".into(),
            key.display().to_string(),
            "--tls-mode".into(),
            "require".into(),
        ],
        ..Options::default()
    });
    let e = server.client_as("sluice", PASSWORD).await.expect_err("a plain connection");
    assert_eq!(sqlstate(&e), "28000", "{}", message(&e));
    assert!(message(&e).contains("without TLS"), "{}", message(&e));
    let tls = std::process::Command::new("psql")
        .arg(format!("host=127.0.0.1 port={} user=sluice dbname=sluice sslmode=require", server.port))
        .args(["-XAtc", "SELECT 'over tls'"])
        .env("PGPASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(tls.status.success(), "{}", String::from_utf8_lossy(&tls.stderr));
    assert_eq!(String::from_utf8_lossy(&tls.stdout).trim(), "over tls");
    // allow and require need a certificate
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["serve", "--tls-mode", "require", "--data-dir"])
        .arg(dir.path().join("unused"))
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("need --tls-cert and --tls-key"));
}

#[tokio::test]
async fn sessions_beyond_max_connections_are_refused_but_superusers_keep_a_reserve() {
    let server = TestServer::start_with(Options {
        extra_args: vec![
            "--max-connections".into(),
            "5".into(),
            "--superuser-reserved-connections".into(),
            "1".into(),
        ],
        ..Options::default()
    });
    let admin = server.client().await; // one of the 5
    admin.batch_execute("CREATE ROLE worker LOGIN PASSWORD 'w'").await.unwrap();
    let mut workers = Vec::new();
    for _ in 0..4 {
        workers.push(server.client_as("worker", "w").await.expect("within the limit"));
    }
    let e = server.client_as("worker", "w").await.expect_err("the sixth session");
    assert_eq!(sqlstate(&e), "53300", "{}", message(&e));
    assert_eq!(message(&e), "sorry, too many clients already");
    // a superuser gets the reserved one, and no more
    let reserve = server.client().await;
    let e = server.client_as("sluice", PASSWORD).await.expect_err("beyond the reserve");
    assert_eq!(sqlstate(&e), "53300");
    // closed sessions give their places back (the superuser's counted among all)
    drop(reserve);
    drop(workers.pop());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match server.client_as("worker", "w").await {
            Ok(_) => break,
            Err(e) if Instant::now() < deadline && sqlstate(&e) == "53300" => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => panic!("{}", message(&e)),
        }
    }
}

#[tokio::test]
async fn failed_logins_are_slowed_then_refused_for_the_window() {
    let server = TestServer::start_with(Options {
        extra_args: vec![
            "--auth-delay".into(),
            "100ms".into(),
            "--auth-failure-limit".into(),
            "20".into(),
            "--auth-failure-window".into(),
            "8s".into(),
        ],
        ..Options::default()
    });
    let started = Instant::now();
    for i in 0..20 {
        let e = server.client_as("sluice", "wrong").await.expect_err("a wrong password");
        assert_eq!(sqlstate(&e), "28P01", "attempt {i}: {}", message(&e));
    }
    // each failure waited its delay before it was answered
    assert!(started.elapsed() >= Duration::from_millis(20 * 100), "{:?}", started.elapsed());
    // the 21st attempt is refused — even with the right password — until the window passes
    let e = server.client_as("sluice", PASSWORD).await.expect_err("refused for the window");
    assert_eq!(sqlstate(&e), "28000", "{}", message(&e));
    assert!(message(&e).contains("too many failed logins from 127.0.0.1"), "{}", message(&e));
    // the window passes from the first failure on
    let deadline = started + Duration::from_secs(8);
    tokio::time::sleep(deadline.saturating_duration_since(Instant::now()) + Duration::from_millis(200)).await;
    server.client().await;
}
