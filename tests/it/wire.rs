//! The wire protocol with tokio-postgres: simple and extended query, text and binary,
//! parameters, notices, transactions, prepared statements, cancel.

use std::time::Duration;

use futures::StreamExt;
use tokio_postgres::types::Type;
use tokio_postgres::{AsyncMessage, NoTls, SimpleQueryMessage};

use crate::common::{PASSWORD, TestServer, sqlstate};

fn rows(messages: &[SimpleQueryMessage]) -> Vec<Vec<Option<String>>> {
    messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some((0..r.len()).map(|i| r.get(i).map(str::to_owned)).collect()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn several_statements_in_one_simple_query() {
    let server = TestServer::start();
    let client = server.client().await;
    let messages =
        client.simple_query("SELECT 1 AS a; SELECT 'two' AS b, NULL AS c; SHOW DateStyle").await.unwrap();
    assert_eq!(
        rows(&messages),
        vec![vec![Some("1".into())], vec![Some("two".into()), None], vec![Some("ISO, MDY".into())]]
    );
    let completions: Vec<u64> = messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::CommandComplete(n) => Some(*n),
            _ => None,
        })
        .collect();
    assert_eq!(completions, vec![1, 1, 0]);
}

#[tokio::test]
async fn empty_queries_are_answered() {
    let server = TestServer::start();
    let client = server.client().await;
    assert!(rows(&client.simple_query("").await.unwrap()).is_empty());
    assert!(rows(&client.simple_query(" ;; -- nothing\n").await.unwrap()).is_empty());
    // the connection is still usable
    assert_eq!(rows(&client.simple_query("SELECT 42").await.unwrap()), vec![vec![Some("42".into())]]);
}

#[tokio::test]
async fn first_error_stops_a_multi_statement_query() {
    let server = TestServer::start();
    let client = server.client().await;
    let err = client
        .simple_query("SET application_name = 'before'; SELECT 1/0; SET application_name = 'after'")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "22012");
    let name = rows(&client.simple_query("SHOW application_name").await.unwrap());
    assert_eq!(name, vec![vec![Some("before".into())]]);
}

#[tokio::test]
async fn extended_protocol_with_untyped_and_typed_parameters() {
    let server = TestServer::start();
    let client = server.client().await;
    // untyped: DataFusion infers text from the comparison
    let found =
        client.query("SELECT name, superuser FROM sluice.roles WHERE name = $1", &[&"sluice"]).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].get::<_, String>(0), "sluice");
    assert!(found[0].get::<_, bool>(1));
    // typed by the client, values sent and returned in binary
    let stmt = client
        .prepare_typed(
            "SELECT $1::BIGINT * 2 AS doubled, $2::TEXT || '!' AS shout",
            &[Type::INT8, Type::TEXT],
        )
        .await
        .unwrap();
    let row = client.query_one(&stmt, &[&21_i64, &"hey"]).await.unwrap();
    assert_eq!(row.get::<_, i64>("doubled"), 42);
    assert_eq!(row.get::<_, String>("shout"), "hey!");
    // NULL parameters
    let row = client.query_one(&stmt, &[&None::<i64>, &"x"]).await.unwrap();
    assert_eq!(row.get::<_, Option<i64>>(0), None);
}

#[tokio::test]
async fn binary_and_text_results_agree_on_types() {
    let server = TestServer::start();
    let client = server.client().await;
    let sql = "SELECT CAST(7 AS SMALLINT) AS i2, CAST(7 AS INT) AS i4, CAST(7 AS BIGINT) AS i8, \
               CAST(1.5 AS DOUBLE) AS f8, TRUE AS b, 'text é' AS t";
    let row = client.query_one(sql, &[]).await.unwrap();
    assert_eq!(row.columns()[0].type_(), &Type::INT2);
    assert_eq!(row.columns()[1].type_(), &Type::INT4);
    assert_eq!(row.columns()[2].type_(), &Type::INT8);
    assert_eq!(row.columns()[3].type_(), &Type::FLOAT8);
    assert_eq!(row.get::<_, i16>(0), 7);
    assert_eq!(row.get::<_, i32>(1), 7);
    assert_eq!(row.get::<_, i64>(2), 7);
    assert_eq!(row.get::<_, f64>(3), 1.5);
    assert!(row.get::<_, bool>(4));
    assert_eq!(row.get::<_, String>(5), "text é");
    let text = rows(&client.simple_query(sql).await.unwrap());
    assert_eq!(
        text,
        vec![vec![
            Some("7".into()),
            Some("7".into()),
            Some("7".into()),
            Some("1.5".into()),
            Some("t".into()),
            Some("text é".into())
        ]]
    );
}

#[tokio::test]
async fn prepared_statements_are_reused_and_deallocated() {
    let server = TestServer::start();
    let client = server.client().await;
    let stmt = client
        .prepare("SELECT count(*) FROM sluice.roles WHERE name NOT IN ($1, 'sluice_create_target')")
        .await
        .unwrap();
    for i in 0..10 {
        let n: i64 = client.query_one(&stmt, &[&format!("nobody{i}")]).await.unwrap().get(0);
        assert_eq!(n, 1);
    }
    client.batch_execute("DEALLOCATE ALL").await.unwrap();
    let err = client.query_one(&stmt, &[&"x"]).await.unwrap_err();
    assert_eq!(sqlstate(&err), "26000");
    let err = client.batch_execute("DEALLOCATE nosuch").await.unwrap_err();
    assert_eq!(sqlstate(&err), "26000");
}

#[tokio::test]
async fn set_show_reset_of_session_parameters() {
    let server = TestServer::start();
    let client = server.client().await;
    client
        .batch_execute("SET application_name = 'etl'; SET extra_float_digits = 3; SET DateStyle TO 'ISO, DMY'; SET TIME ZONE 'Asia/Shanghai'; SET search_path TO sluice, public")
        .await
        .unwrap();
    let show = |name: &'static str| {
        let client = &client;
        async move { rows(&client.simple_query(&format!("SHOW {name}")).await.unwrap())[0][0].clone().unwrap() }
    };
    assert_eq!(show("application_name").await, "etl");
    assert_eq!(show("extra_float_digits").await, "3");
    assert_eq!(show("datestyle").await, "ISO, DMY");
    assert_eq!(show("TIME ZONE").await, "Asia/Shanghai");
    assert_eq!(show("search_path").await, "sluice, public");
    // search_path decides where unqualified names resolve
    let n: i64 = client.query_one("SELECT count(*) FROM roles", &[]).await.unwrap().get(0);
    assert_eq!(n, 2, "sluice and sluice_create_target");
    assert_eq!(
        client
            .query_one("SELECT current_setting('application_name')", &[])
            .await
            .unwrap()
            .get::<_, String>(0),
        "etl"
    );
    client.batch_execute("RESET application_name; RESET ALL").await.unwrap();
    assert_eq!(show("application_name").await, "");
    assert_eq!(show("search_path").await, "\"$user\", public");
    assert_eq!(show("transaction isolation level").await, "read committed");
    let err = client.batch_execute("SET no_such_parameter = 1").await.unwrap_err();
    assert_eq!(sqlstate(&err), "42704");
    let err = client.batch_execute("SHOW no_such_parameter").await.unwrap_err();
    assert_eq!(sqlstate(&err), "42704");
    let err = client.batch_execute("SET extra_float_digits = 99").await.unwrap_err();
    assert_eq!(sqlstate(&err), "22023");
    let all = client.simple_query("SHOW ALL").await.unwrap();
    assert!(rows(&all).iter().any(|r| r[0].as_deref() == Some("server_version")));
}

#[tokio::test]
async fn transactions_are_accepted_and_errors_abort_them() {
    let server = TestServer::start();
    let mut client = server.client().await;
    let tx = client.transaction().await.unwrap();
    // an integer literal is an int4, as in PostgreSQL
    assert_eq!(tx.query_one("SELECT 1", &[]).await.unwrap().get::<_, i32>(0), 1);
    tx.commit().await.unwrap();

    client.batch_execute("BEGIN").await.unwrap();
    let err = client.batch_execute("SELECT * FROM nowhere").await.unwrap_err();
    assert_eq!(sqlstate(&err), "42P01");
    let err = client.batch_execute("SELECT 1").await.unwrap_err();
    assert_eq!(sqlstate(&err), "25P02");
    client.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(rows(&client.simple_query("SELECT 2").await.unwrap()), vec![vec![Some("2".into())]]);
}

#[tokio::test]
async fn notices_reach_the_client() {
    let server = TestServer::start();
    let (client, mut connection) =
        tokio_postgres::connect(&server.conn_str("sluice", PASSWORD), NoTls).await.unwrap();
    let (tx, mut notices) = tokio::sync::mpsc::unbounded_channel();
    let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
    tokio::spawn(async move {
        while let Some(Ok(message)) = messages.next().await {
            if let AsyncMessage::Notice(n) = message {
                let _ = tx.send((n.severity().to_owned(), n.message().to_owned()));
            }
        }
    });
    client.batch_execute("DROP ROLE IF EXISTS nobody_here").await.unwrap();
    let (severity, message) =
        tokio::time::timeout(Duration::from_secs(10), notices.recv()).await.unwrap().unwrap();
    assert_eq!(severity, "NOTICE");
    assert_eq!(message, "role \"nobody_here\" does not exist, skipping");
}

#[tokio::test]
async fn a_running_query_can_be_cancelled() {
    let server = TestServer::start();
    let client = server.client().await;
    let token = client.cancel_token();
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        token.cancel_query(NoTls).await
    });
    let err =
        client.simple_query("SELECT count(*) FROM generate_series(1, 100000000000) a").await.unwrap_err();
    assert_eq!(sqlstate(&err), "57014");
    canceller.await.unwrap().unwrap();
    // the connection survives the cancel
    assert_eq!(rows(&client.simple_query("SELECT 'alive'").await.unwrap()), vec![vec![Some("alive".into())]]);
}
