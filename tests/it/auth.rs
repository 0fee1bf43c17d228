//! Authentication and roles: SCRAM-SHA-256 only, verifiers only, clear SQLSTATEs.

use std::os::unix::fs::PermissionsExt;

use crate::common::{
    Options, PASSWORD, TestServer, have_program, message, metadata_backend, require, self_signed_certificate,
    sqlstate,
};

#[tokio::test]
async fn wrong_or_missing_passwords_are_refused() {
    let server = TestServer::start();
    let err = server.client_as("sluice", "wrong").await.unwrap_err();
    assert_eq!(sqlstate(&err), "28P01");
    assert_eq!(message(&err), "password authentication failed for user \"sluice\"");
    // an unknown user fails exactly like a wrong password
    let err = server.client_as("mallory", "wrong").await.unwrap_err();
    assert_eq!(sqlstate(&err), "28P01");
    assert_eq!(message(&err), "password authentication failed for user \"mallory\"");
    // no password at all: the server demands SCRAM, so the client cannot even try
    let conn = format!("host=127.0.0.1 port={} user=sluice dbname=sluice", server.port);
    let Err(err) = tokio_postgres::connect(&conn, tokio_postgres::NoTls).await else { panic!("connected") };
    assert!(format!("{err:?}").contains("password missing"), "{err:?}");
    let metrics = crate::common::http::get(server.http_port, "/metrics").await;
    assert!(metrics.contains("sluice_authentication_failures_total 2"), "{metrics}");
}

#[tokio::test]
async fn unknown_databases_are_refused() {
    let server = TestServer::start();
    let conn =
        format!("host=127.0.0.1 port={} user=sluice password='{PASSWORD}' dbname=elsewhere", server.port);
    let Err(err) = tokio_postgres::connect(&conn, tokio_postgres::NoTls).await else { panic!("connected") };
    assert_eq!(sqlstate(&err), "3D000");
}

#[tokio::test]
async fn roles_log_in_with_their_own_passwords_and_rights() {
    let server = TestServer::start();
    let admin = server.client().await;
    admin.batch_execute("CREATE ROLE alice LOGIN PASSWORD 'wonder land'").await.unwrap();
    admin
        .batch_execute("CREATE USER bob PASSWORD 'builder'; CREATE ROLE nologin_role PASSWORD 'x'")
        .await
        .unwrap();

    let alice = server.client_as("alice", "wonder land").await.unwrap();
    let me: String = alice.query_one("SELECT current_user", &[]).await.unwrap().get(0);
    assert_eq!(me, "alice");
    // not a superuser
    let err = alice.batch_execute("CREATE ROLE eve LOGIN").await.unwrap_err();
    assert_eq!(sqlstate(&err), "42501");
    let err = alice.batch_execute("ALTER ROLE bob NOLOGIN").await.unwrap_err();
    assert_eq!(sqlstate(&err), "42501");
    // but may change her own password
    alice.batch_execute("ALTER ROLE alice PASSWORD 'looking glass'").await.unwrap();
    assert_eq!(sqlstate(&server.client_as("alice", "wonder land").await.unwrap_err()), "28P01");
    server.client_as("alice", "looking glass").await.unwrap();

    server.client_as("bob", "builder").await.unwrap();
    let err = server.client_as("nologin_role", "x").await.unwrap_err();
    assert_eq!(sqlstate(&err), "28000");

    let err = admin.batch_execute("CREATE ROLE alice").await.unwrap_err();
    assert_eq!(sqlstate(&err), "42710");
    admin.batch_execute("CREATE ROLE IF NOT EXISTS alice").await.unwrap();

    let roles: Vec<(String, bool, bool)> = admin
        .query("SELECT name, can_login, has_password FROM sluice.roles ORDER BY name", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        roles,
        vec![
            ("alice".into(), true, true),
            ("bob".into(), true, true),
            ("nologin_role".into(), false, true),
            ("sluice".into(), true, true),
            ("sluice_create_target".into(), false, false)
        ]
    );

    admin.batch_execute("ALTER ROLE bob RENAME TO robert").await.unwrap();
    server.client_as("robert", "builder").await.unwrap();
    admin.batch_execute("DROP ROLE alice, robert").await.unwrap();
    assert_eq!(sqlstate(&server.client_as("robert", "builder").await.unwrap_err()), "28P01");
    let err = admin.batch_execute("DROP ROLE nosuch").await.unwrap_err();
    assert_eq!(sqlstate(&err), "42704");
    // a failing DROP of several roles drops none
    let err = admin.batch_execute("DROP ROLE nologin_role, nosuch").await.unwrap_err();
    assert_eq!(sqlstate(&err), "42704");
    let left: i64 = admin
        .query_one("SELECT count(*) FROM sluice.roles WHERE name = 'nologin_role'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 1);
}

#[tokio::test]
async fn the_last_superuser_cannot_be_dropped_or_demoted() {
    let server = TestServer::start();
    let admin = server.client().await;
    let err = admin.batch_execute("DROP ROLE sluice").await.unwrap_err();
    assert_eq!(sqlstate(&err), "55006");
    admin.batch_execute("CREATE ROLE root2 SUPERUSER LOGIN PASSWORD 'p'").await.unwrap();
    // demoting one of two superusers is fine; then sluice is the last one
    admin.batch_execute("ALTER ROLE root2 NOSUPERUSER").await.unwrap();
    let err = admin.batch_execute("ALTER ROLE sluice NOSUPERUSER").await.unwrap_err();
    assert_eq!(sqlstate(&err), "55006");
    assert!(message(&err).contains("last superuser"), "{err}");
}

#[tokio::test]
async fn only_verifiers_are_stored() {
    let server = TestServer::start();
    let admin = server.client().await;
    admin.batch_execute("CREATE ROLE carol LOGIN PASSWORD 'plain-text-canary'").await.unwrap();
    if metadata_backend() == "sqlite" {
        for entry in std::fs::read_dir(server.data_path().join("data")).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            for needle in ["plain-text-canary", PASSWORD] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "{needle} found in {}",
                    path.display()
                );
            }
        }
    }
    let log = server.log_text();
    assert!(!log.contains("plain-text-canary") && !log.contains(PASSWORD), "a password reached the log");
}

#[tokio::test]
async fn a_generated_initial_password_is_written_privately() {
    let server = TestServer::start_with(Options { no_password_env: true, ..Options::default() });
    let path = server.data_path().join("data").join("initial-password");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let password = std::fs::read_to_string(&path).unwrap().trim().to_owned();
    assert!(password.len() >= 20);
    server.client_as("sluice", &password).await.unwrap();
    let log = server.log_text();
    assert!(log.contains(&path.display().to_string()), "the log says where the password is");
    assert!(!log.contains(&password), "the password itself is not logged");
}

#[tokio::test]
async fn tls_is_served_when_configured() {
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
        ],
        ..Options::default()
    });
    let out = std::process::Command::new("psql")
        .arg(format!("host=127.0.0.1 port={} user=sluice dbname=sluice sslmode=require", server.port))
        .args(["-XAtc", "SELECT 'over tls'"])
        .env("PGPASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "over tls");
    // without TLS configured, sslmode=require is refused by the server's answer to SSLRequest
    let plain = TestServer::start();
    let out = std::process::Command::new("psql")
        .arg(format!("host=127.0.0.1 port={} user=sluice dbname=sluice sslmode=require", plain.port))
        .args(["-XAtc", "SELECT 1"])
        .env("PGPASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SSL"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn the_first_password_can_come_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pw");
    std::fs::write(&file, "from a file\n").unwrap();
    let server = TestServer::start_with(Options {
        no_password_env: true,
        extra_args: vec!["--password-file".into(), file.display().to_string()],
        ..Options::default()
    });
    server.client_as("sluice", "from a file").await.unwrap();
    assert!(!server.data_path().join("data").join("initial-password").exists());
}

#[tokio::test]
async fn a_demoted_superuser_loses_rights_in_open_sessions() {
    let server = TestServer::start();
    let admin = server.client().await;
    admin.batch_execute("CREATE ROLE deputy SUPERUSER LOGIN PASSWORD 'd'").await.unwrap();
    let deputy = server.client_as("deputy", "d").await.unwrap();
    deputy.batch_execute("CREATE ROLE made_by_deputy").await.unwrap();
    admin.batch_execute("ALTER ROLE deputy NOSUPERUSER").await.unwrap();
    let err = deputy.batch_execute("CREATE ROLE too_late").await.unwrap_err();
    assert_eq!(sqlstate(&err), "42501");
    // the only superuser that can log in cannot lose its login or password either
    for sql in ["ALTER ROLE sluice NOLOGIN", "ALTER ROLE sluice PASSWORD NULL"] {
        let err = admin.batch_execute(sql).await.unwrap_err();
        assert_eq!(sqlstate(&err), "55006", "{sql}");
    }
}

#[tokio::test]
async fn savepoints_recover_a_block_over_the_extended_protocol() {
    let server = TestServer::start();
    let mut client = server.client().await;
    let mut tx = client.transaction().await.unwrap();
    let nested = tx.savepoint("sp").await.unwrap();
    assert_eq!(sqlstate(&nested.query("SELECT nope FROM sluice.roles", &[]).await.unwrap_err()), "42703");
    nested.rollback().await.unwrap();
    let n: i64 = tx.query_one("SELECT count(*) FROM sluice.roles", &[]).await.unwrap().get(0);
    assert_eq!(n, 2, "sluice and the predefined sluice_create_target");
    // the same, with SAVEPOINT and ROLLBACK TO sent as extended-protocol statements
    tx.execute("SAVEPOINT again", &[]).await.unwrap();
    assert_eq!(sqlstate(&tx.query("SELECT nope FROM sluice.roles", &[]).await.unwrap_err()), "42703");
    assert_eq!(sqlstate(&tx.query("SELECT 1", &[]).await.unwrap_err()), "25P02");
    tx.execute("ROLLBACK TO SAVEPOINT again", &[]).await.unwrap();
    let n: i64 = tx.query_one("SELECT count(*) FROM sluice.roles", &[]).await.unwrap().get(0);
    assert_eq!(n, 2, "sluice and the predefined sluice_create_target");
    tx.commit().await.unwrap();
}
