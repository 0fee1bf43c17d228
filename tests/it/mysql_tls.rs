//! MySQL `ssl_mode` against the machine's real MariaDB, which offers no TLS: a source that
//! demands TLS (required, verify_ca, verify_identity) is refused by the server's answer in
//! every live path — never read over a plain connection — while `preferred` reads; and the
//! mode reaches the engines' artifacts as MySQL Connector/J's `sslMode`.

use crate::common::fixtures::{MariaDb, SOURCE_PASSWORD, mariadb_up};
use crate::common::rows::rows;
use crate::common::{TestServer, message, require};

#[tokio::test]
async fn a_source_demanding_tls_is_never_read_in_plain_and_its_mode_reaches_the_artifacts() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await) {
        return;
    }
    let maria = MariaDb::create().await;
    let db = &maria.name;
    let server = TestServer::start();
    let client = server.client().await;
    let password = SOURCE_PASSWORD.replace('\'', "''");
    client.batch_execute(&format!("CREATE SECRET pw AS '{password}'")).await.unwrap();
    for mode in ["preferred", "required", "verify_ca", "verify_identity"] {
        client
            .batch_execute(&format!(
                "CREATE SOURCE m_{mode} TYPE mysql WITH (host = '127.0.0.1', port = 3306, username = '{db}', \
                 password = SECRET pw, ssl_mode = '{mode}')"
            ))
            .await
            .unwrap();
    }
    let read = |mode: &str| format!("SELECT id, name FROM m_{mode}.{db}.orders ORDER BY id LIMIT 2");
    assert_eq!(rows(&client, &read("preferred")).await, vec![vec!["1", "order 1"], vec!["2", "order 2"]]);
    for mode in ["required", "verify_ca", "verify_identity"] {
        let e = client.simple_query(&read(mode)).await.expect_err(mode);
        let text = message(&e);
        assert!(text.contains(&format!("m_{mode}")), "{mode}: {text}");
        assert!(text.to_lowercase().contains("ssl") || text.to_lowercase().contains("tls"), "{mode}: {text}");
        // TEST SOURCE says the same, check by check
        let checks = rows(&client, &format!("TEST SOURCE m_{mode}")).await;
        assert!(checks.iter().any(|c| c[1] == "f"), "{mode}: {checks:?}");
    }

    maria.execute(&format!("CREATE TABLE {db}.copied (id INT PRIMARY KEY, name VARCHAR(64))")).await;
    // the gateway cannot introspect them over TLS either: their tables are declared
    client
        .batch_execute(&format!(
            "CREATE TABLE m_verify_ca.{db}.orders (id INT, name STRING); \
             CREATE TABLE m_verify_identity.{db}.orders (id INT, name STRING, PRIMARY KEY (id) NOT ENFORCED); \
             CREATE PIPELINE snap WITH (mode = 'batch') AS INSERT INTO m_preferred.{db}.copied SELECT id, name FROM m_verify_ca.{db}.orders; \
             CREATE PIPELINE snap_st WITH (mode = 'batch', engine = 'seatunnel') AS INSERT INTO m_preferred.{db}.copied SELECT id, name FROM m_verify_ca.{db}.orders; \
             CREATE PIPELINE cdc WITH (mode = 'streaming') AS INSERT INTO m_preferred.{db}.copied SELECT id, name FROM m_verify_identity.{db}.orders"
        ))
        .await
        .unwrap();
    let flink = rows(&client, "EXPLAIN PIPELINE snap FORMAT flink_sql").await[0][1].clone();
    assert!(
        flink.contains(&format!("'url' = 'jdbc:mysql://127.0.0.1:3306/{db}?sslMode=VERIFY_CA'")),
        "{flink}"
    );
    let seatunnel = rows(&client, "EXPLAIN PIPELINE snap_st FORMAT seatunnel").await[0][1].clone();
    assert!(
        seatunnel.contains(&format!("jdbc:mysql://127.0.0.1:3306/{db}?sslMode=VERIFY_CA")),
        "{seatunnel}"
    );
    let cdc = rows(&client, "EXPLAIN PIPELINE cdc FORMAT flink_sql").await[0][1].clone();
    assert!(cdc.contains("'jdbc.properties.sslMode' = 'VERIFY_IDENTITY'"), "{cdc}");
    client
        .batch_execute(&format!(
            "CREATE PIPELINE plain WITH (mode = 'batch') AS INSERT INTO m_preferred.{db}.copied SELECT id, name FROM m_preferred.{db}.orders"
        ))
        .await
        .unwrap();
    let plain = rows(&client, "EXPLAIN PIPELINE plain FORMAT flink_sql").await[0][1].clone();
    assert!(
        plain.contains(&format!("'url' = 'jdbc:mysql://127.0.0.1:3306/{db}?sslMode=PREFERRED'")),
        "{plain}"
    );
    drop(server);
    maria.drop().await;
}

/// Against a MariaDB that speaks TLS (a server of the test's own, see
/// `common::tls_mariadb`) whose certificate names `localhost` only: verify_ca and
/// verify_identity read over a verified, encrypted session; a certificate from another CA
/// and, for verify_identity, a host the certificate does not name are refused.
#[tokio::test]
async fn verified_modes_read_over_tls_and_refuse_a_certificate_they_cannot_verify() {
    use crate::common::tls_mariadb::{TlsMariaDb, available};
    if !require("mariadbd, mariadb-install-db, mysql and openssl", available()) {
        return;
    }
    let maria = TlsMariaDb::start();
    maria.execute(
        "CREATE DATABASE tlsdb; CREATE TABLE tlsdb.orders (id INT PRIMARY KEY, name VARCHAR(32)); \
         INSERT INTO tlsdb.orders VALUES (1, 'first'), (2, 'second'); \
         CREATE VIEW tlsdb.session_tls AS SELECT VARIABLE_VALUE AS cipher FROM information_schema.SESSION_STATUS \
         WHERE VARIABLE_NAME = 'Ssl_cipher'; \
         CREATE USER 'reader'@'%' IDENTIFIED BY 'r-pw' REQUIRE SSL; GRANT SELECT ON tlsdb.* TO 'reader'@'%'",
    );
    let server = TestServer::start();
    let client = server.client().await;
    let source = |name: &str, host: &str, mode: &str, ca: &std::path::Path| {
        format!(
            "CREATE SOURCE {name} TYPE mysql WITH (host = '{host}', port = {}, username = 'reader', \
             password = SECRET reader_pw, ssl_mode = '{mode}', ssl_ca = '{}');",
            maria.port,
            ca.display()
        )
    };
    let statements = [
        "CREATE SECRET reader_pw AS 'r-pw';".to_owned(),
        source("by_ca", "localhost", "verify_ca", &maria.ca),
        source("by_name", "localhost", "verify_identity", &maria.ca),
        source("wrong_ca", "localhost", "verify_ca", &maria.other_ca),
        source("wrong_name", "127.0.0.1", "verify_identity", &maria.ca),
    ];
    client.batch_execute(&statements.concat()).await.unwrap();
    for name in ["by_ca", "by_name"] {
        let got = rows(&client, &format!("SELECT id, name FROM {name}.tlsdb.orders ORDER BY id")).await;
        assert_eq!(got, vec![vec!["1", "first"], vec!["2", "second"]], "{name}");
        // the session the gateway reads with is encrypted (the server says with what)
        let cipher = rows(&client, &format!("SELECT cipher FROM {name}.tlsdb.session_tls")).await;
        assert!(cipher.len() == 1 && cipher[0][0].starts_with("TLS_"), "{name}: {cipher:?}");
        let checks = rows(&client, &format!("TEST SOURCE {name}")).await;
        assert!(checks.iter().all(|c| c[1] == "t"), "{name}: {checks:?}");
    }
    for name in ["wrong_ca", "wrong_name"] {
        let e = client.simple_query(&format!("SELECT id FROM {name}.tlsdb.orders")).await.expect_err(name);
        let text = message(&e);
        assert!(text.contains(name), "{name}: {text}");
        assert!(text.to_lowercase().contains("certificate"), "{name}: the refusal should say why: {text}");
        let checks = rows(&client, &format!("TEST SOURCE {name}")).await;
        assert!(checks.iter().any(|c| c[1] == "f"), "{name}: {checks:?}");
    }
}
