//! A secret's value never shows: not in any result row, SHOW CREATE, EXPLAIN APPLY, error,
//! NOTICE, the server's debug log, the metadata store, or what `sluice dump` and `sluice
//! plan` write.

use std::sync::{Arc, Mutex};

use futures::StreamExt;
use tokio_postgres::{AsyncMessage, NoTls, SimpleQueryMessage};

use crate::common::fixtures::{MariaDb, mariadb_up};
use crate::common::{PASSWORD, TestServer, metadata_backend, require};

const CANARY: &str = "Canary-7f2a-SECRET";

#[tokio::test]
async fn secret_values_appear_in_no_channel() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await) {
        return;
    }
    let maria = MariaDb::create().await;
    sqlx::query(sqlx::AssertSqlSafe(format!("ALTER USER '{}'@'%' IDENTIFIED BY '{CANARY}'", maria.name)))
        .execute(&sqlx::MySqlPool::connect("mysql://root@127.0.0.1:3306/test").await.unwrap())
        .await
        .unwrap();
    let server = TestServer::start();
    let (client, mut connection) =
        tokio_postgres::connect(&server.conn_str("sluice", PASSWORD), NoTls).await.unwrap();
    let seen = Arc::new(Mutex::new(String::new()));
    let notices = seen.clone();
    let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
    tokio::spawn(async move {
        while let Some(Ok(message)) = messages.next().await {
            if let AsyncMessage::Notice(n) = message {
                let mut s = notices.lock().unwrap();
                s.push_str(&format!("{} {:?} {:?}\n", n.message(), n.detail(), n.hint()));
            }
        }
    });
    let base64_canary = "QmluYXJ5LUNhbmFyeS03ZjJhLVNFQ1JFVA=="; // "Binary-Canary-7f2a-SECRET"
    let statements = vec![
        format!("CREATE SECRET db_pw AS '{CANARY}'"),
        format!("CREATE SECRET IF NOT EXISTS db_pw AS '{CANARY}'"),
        format!("CREATE SECRET keytab AS decode('{base64_canary}', 'base64')"),
        format!(
            "CREATE SOURCE maria TYPE mysql WITH (host = '127.0.0.1', username = '{}', password = SECRET db_pw, database = '{}')",
            maria.name, maria.name
        ),
        "CREATE SOURCE lake TYPE paimon WITH (warehouse = 'file:///tmp', 'fs.s3.secret-key' = SECRET keytab)"
            .into(),
        "CREATE ROLE leak_reader".into(),
        "GRANT USAGE ON SECRET db_pw TO leak_reader WITH GRANT OPTION".into(),
        "GRANT SELECT ON SOURCE maria TO leak_reader".into(),
        "ALTER SECRET keytab OWNER TO leak_reader".into(),
        "SHOW GRANTS".into(),
        "SHOW GRANTS FOR leak_reader".into(),
        "SHOW GRANTS ON SECRET db_pw".into(),
        "SELECT * FROM sluice.grants".into(),
        "SELECT has_table_privilege('leak_reader', 'maria.x.y', 'SELECT')".into(),
        "SHOW SECRETS".into(),
        "SHOW SOURCES".into(),
        "SHOW CREATE SOURCE maria".into(),
        "SHOW CREATE SOURCE lake".into(),
        "SHOW CREATE SECRET db_pw".into(),
        "SHOW CREATE SECRET keytab".into(),
        "SHOW CREATE ALL".into(),
        format!("EXPLAIN APPLY $$ CREATE SECRET db_pw AS '{CANARY}'; CREATE SECRET fresh AS '{CANARY}' $$"),
        format!(
            "APPLY $$ CREATE SECRET applied AS '{CANARY}'; CREATE SECRET keytab AS decode('{base64_canary}', 'base64') $$"
        ),
        format!("APPLY $$ CREATE SECRET broken AS '{CANARY}'; CREATE SOURCE broken TYPE nope $$"),
        "DESCRIBE SOURCE maria".into(),
        "DESCRIBE SOURCE lake".into(),
        "TEST SOURCE maria".into(),
        format!("SHOW TABLES FROM maria.{}", maria.name),
        format!("DESCRIBE maria.{}.orders", maria.name),
        format!("SELECT * FROM maria.{}.orders LIMIT 2", maria.name),
        "REFRESH SOURCE maria".into(),
        "SELECT * FROM sluice.secrets".into(),
        "SELECT * FROM sluice.sources".into(),
        "SELECT * FROM sluice.events".into(),
        "SELECT * FROM sluice.tables".into(),
        "DROP SECRET db_pw".into(),
        format!("ALTER SECRET db_pw AS '{CANARY}' EXTRA"),
        format!("CREATE SOURCE leak TYPE mysql WITH (host = 'h', username = 'u', password = '{CANARY}')"),
        format!("CREATE SOURCE leak TYPE mysql WITH (host = 'h' password = '{CANARY}')"),
        format!("ALTER SECRET db_pw AS '{CANARY}'"),
        "ALTER SOURCE maria SET (username = 'someone_else')".into(),
        "TEST SOURCE maria".into(),
        format!("SELECT * FROM maria.{}.orders", maria.name),
    ];
    let mut transcript = String::new();
    for sql in &statements {
        match client.simple_query(sql).await {
            Ok(messages) => {
                for m in messages {
                    if let SimpleQueryMessage::Row(r) = m {
                        for i in 0..r.len() {
                            transcript.push_str(r.get(i).unwrap_or(""));
                            transcript.push('|');
                        }
                        transcript.push('\n');
                    }
                }
            }
            Err(e) => {
                let db = e.as_db_error();
                transcript.push_str(&format!(
                    "ERROR {:?} {:?} {:?} {:?}\n",
                    db.map(|d| d.message()),
                    db.and_then(|d| d.detail()),
                    db.and_then(|d| d.hint()),
                    db.and_then(|d| d.where_())
                ));
            }
        }
    }
    assert!(transcript.contains("SECRET db_pw"), "the transcript is real: {transcript}");
    assert!(transcript.contains("Access denied"), "the failing test was run: {transcript}");
    let secrets = ["Canary-7f2a", base64_canary, "Binary-Canary"];
    let channels = [
        ("results and errors", transcript),
        ("notices", seen.lock().unwrap().clone()),
        ("the server log (debug)", server.log_text()),
        ("sluice dump and sluice plan", client_modes(&server, CANARY)),
    ];
    for (channel, text) in &channels {
        for secret in secrets {
            assert!(!text.contains(secret), "{secret} leaked into {channel}:\n{text}");
        }
    }
    assert!(channels[2].1.contains("DEBUG"), "the log is at debug level");
    if metadata_backend() == "sqlite" {
        for entry in std::fs::read_dir(server.data_path().join("data")).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            for secret in secrets {
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "{secret} in {}",
                    path.display()
                );
            }
        }
    } else {
        let dump = std::process::Command::new("pg_dump")
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "--data-only",
                server.pg_database().unwrap_or("test"),
            ])
            .output()
            .unwrap();
        assert!(dump.status.success());
        let dump = String::from_utf8_lossy(&dump.stdout);
        assert!(dump.contains("db_pw"), "the dump holds the catalog");
        for secret in secrets {
            assert!(!dump.contains(secret), "{secret} in the metadata database");
        }
    }
    maria.drop().await;
}

/// What `sluice dump` writes (files, stdout, stderr) and what `sluice plan` prints for a
/// file holding the secret's value.
fn client_modes(server: &TestServer, canary: &str) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |args: &[&str]| crate::common::sluice_cli(server, args);
    let dump = dir.path().join("dump");
    let mut out = String::new();
    let dumped = run(&["dump", "--dir", dump.to_str().expect("utf-8")]);
    assert!(dumped.status.success(), "{}", String::from_utf8_lossy(&dumped.stderr));
    out.push_str(&String::from_utf8_lossy(&dumped.stdout));
    let mut files = 0;
    for kind in std::fs::read_dir(&dump).expect("dump dir") {
        for file in std::fs::read_dir(kind.expect("entry").path()).expect("kind dir") {
            out.push_str(&std::fs::read_to_string(file.expect("entry").path()).expect("text"));
            files += 1;
        }
    }
    assert!(files > 3 && out.contains("CREATE SECRET db_pw AS '***'"), "the dump is real: {out}");
    let file = dir.path().join("secret.sql");
    std::fs::write(
        &file,
        format!("CREATE SECRET db_pw AS '{canary}';\nCREATE SECRET other AS '{canary}';\n"),
    )
    .unwrap();
    let planned = run(&["plan", file.to_str().expect("utf-8")]);
    assert_eq!(planned.status.code(), Some(2), "{}", String::from_utf8_lossy(&planned.stderr));
    out.push_str(&String::from_utf8_lossy(&planned.stdout));
    out.push_str(&String::from_utf8_lossy(&planned.stderr));
    out
}
