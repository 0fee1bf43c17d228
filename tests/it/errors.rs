//! Every error reaches the client with the right SQLSTATE, a message naming the object,
//! and a position where there is one — never a blanket XX000 for a user mistake.

use crate::common::TestServer;

async fn error_of(client: &tokio_postgres::Client, sql: &str) -> (String, String, Option<u32>) {
    let err = client.simple_query(sql).await.expect_err(sql);
    let db = err.as_db_error().unwrap_or_else(|| panic!("{sql}: not a server error: {err:?}"));
    let position = match db.position() {
        Some(tokio_postgres::error::ErrorPosition::Original(p)) => Some(*p),
        _ => None,
    };
    (db.code().code().to_owned(), db.message().to_owned(), position)
}

#[tokio::test]
async fn user_mistakes_get_their_sqlstate_and_position() {
    let server = TestServer::start();
    let client = server.client().await;
    let cases: &[(&str, &str, &str, Option<u32>)] = &[
        ("SELEC 1", "42601", "SELEC", Some(1)),
        ("SELECT 1 FROM", "42601", "Expected", Some(14)),
        ("SELECT * FROM sluice.nope", "42P01", "relation \"sluice.nope\" does not exist", Some(15)),
        ("SELECT 1;\nSELECT * FROM  missing_table", "42P01", "\"missing_table\"", Some(26)),
        ("SELECT nosuch FROM sluice.roles", "42703", "column \"nosuch\" does not exist", Some(8)),
        ("SELECT 1/0", "22012", "division by zero", None),
        ("SELECT no_such_function(1)", "42883", "function no_such_function does not exist", None),
        ("INSERT INTO sluice.roles (name) VALUES ('x')", "0A000", "not supported", None),
        ("CREATE ROLE x CREATEDB", "42601", "CREATEDB", Some(15)),
        ("SET nonsense = 1", "42704", "unrecognized configuration parameter \"nonsense\"", None),
    ];
    for (sql, code, message, position) in cases {
        let (got_code, got_message, got_position) = error_of(&client, sql).await;
        assert_eq!(&got_code, code, "{sql}: {got_message}");
        assert!(got_message.contains(message), "{sql}: {got_message}");
        if position.is_some() {
            assert_eq!(&got_position, position, "{sql}: {got_message}");
        }
    }
}

#[tokio::test]
async fn permission_errors_name_what_was_refused() {
    let server = TestServer::start();
    let admin = server.client().await;
    admin.batch_execute("CREATE ROLE dora LOGIN PASSWORD 'explorer'").await.unwrap();
    let dora = server.client_as("dora", "explorer").await.unwrap();
    let (code, message, _) = error_of(&dora, "DROP ROLE sluice").await;
    assert_eq!(code, "42501");
    assert!(message.contains("drop roles"), "{message}");
}

#[tokio::test]
async fn a_failed_statement_changes_nothing() {
    let server = TestServer::start();
    let client = server.client().await;
    let before: i64 = client.query_one("SELECT count(*) FROM sluice.events", &[]).await.unwrap().get(0);
    let _ = client.batch_execute("CREATE ROLE sluice").await.expect_err("duplicate");
    let _ = client.batch_execute("ALTER ROLE nobody LOGIN").await.expect_err("no such role");
    let after: i64 = client.query_one("SELECT count(*) FROM sluice.events", &[]).await.unwrap().get(0);
    assert_eq!(before, after);
}
