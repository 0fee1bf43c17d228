//! PREVIEW over the live tables of real MariaDB and PostgreSQL sources: what each sink
//! would receive is exactly what the same query returns when sent to the source itself.

use tokio_postgres::types::Type;

use crate::common::failures::failure;
use crate::common::fixtures::{MariaDb, Postgres, mariadb_up, postgres_up};
use crate::common::rows::result_sets;
use crate::common::sinks::sinks;
use crate::common::sources::{maria_source, pg_source, text_rows};
use crate::common::{NumericText, TestServer, message, require};

#[tokio::test]
async fn preview_returns_what_the_source_returns_one_result_set_per_sink() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await) {
        return;
    }
    let maria = MariaDb::create().await;
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    sinks(&client).await;
    let m = &maria.name;
    client
        .batch_execute(&format!(
            "CREATE PIPELINE fan WITH (mode = 'batch') AS $$ BEGIN
               INSERT INTO out.console SELECT id, amount FROM maria.{m}.orders WHERE amount > 10;
               INSERT INTO out.wide SELECT id * 10, CONCAT_WS('-', name, IF(flag, 'even', 'odd')), day FROM maria.{m}.orders WHERE id % 3 = 0;
             END $$"
        ))
        .await
        .unwrap();

    let sets = result_sets(&client, "PREVIEW PIPELINE fan LIMIT 5").await;
    assert_eq!(sets.len(), 2, "one result set per sink");
    assert_eq!(sets[0].0, ["id", "amount"], "named as the sink's columns");
    assert_eq!(sets[1].0, ["id", "label", "day"]);
    // the same queries sent to MariaDB itself
    let console = maria
        .text_rows(&format!(
            "SELECT CAST(id AS CHAR), CAST(amount AS CHAR) FROM {m}.orders WHERE amount > 10 ORDER BY id LIMIT 5"
        ))
        .await;
    let mut got = sets[0].1.clone();
    got.sort_by_key(|r| r[0].parse::<i64>().unwrap());
    assert_eq!(got, console);
    let wide = maria
        .text_rows(&format!(
            "SELECT CAST(id * 10 AS CHAR), CONCAT_WS('-', name, IF(flag, 'even', 'odd')), CAST(day AS CHAR) \
             FROM {m}.orders WHERE id % 3 = 0 ORDER BY id LIMIT 5"
        ))
        .await;
    let mut got = sets[1].1.clone();
    got.sort_by_key(|r| r[0].parse::<i64>().unwrap());
    assert_eq!(got, wide);
    assert_eq!(wide.len(), 5);

    // one sink, default limit (all 6 rows with id % 3 = 0)
    let one = result_sets(&client, "PREVIEW PIPELINE fan SINK out.wide").await;
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].1.len(), 6);
    // through the extended protocol too (one result set)
    let rows = client.query("PREVIEW PIPELINE fan SINK out.console LIMIT 3", &[]).await.unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].columns()[1].name(), "amount");
    let e = client.query("PREVIEW PIPELINE fan", &[]).await.expect_err("two result sets");
    assert_eq!(e.code().map(|c| c.code()), Some("0A000"), "{}", message(&e));

    // PREVIEW INSERT: a body given in the statement, written nowhere
    let ad_hoc = result_sets(
        &client,
        &format!("PREVIEW INSERT INTO out.console SELECT id, amount * 2 FROM maria.{m}.orders WHERE name LIKE 'order 1%'"),
    )
    .await;
    let mut got = ad_hoc[0].1.clone();
    got.sort_by_key(|r| r[0].parse::<i64>().unwrap());
    let expected = maria
        .text_rows(&format!(
            "SELECT CAST(id AS CHAR), CAST(CAST(amount * 2 AS DECIMAL(10, 2)) AS CHAR) FROM {m}.orders WHERE name LIKE 'order 1%' ORDER BY id"
        ))
        .await;
    assert_eq!(got, expected);
    assert!(text_rows(&client, "SELECT * FROM sluice.pipelines WHERE name = 'preview'").await.is_empty());

    // errors: no such sink, stream-only functions, unknown tables
    let (state, msg, _) = failure(&client, "PREVIEW PIPELINE fan SINK out.nope").await;
    assert_eq!(state, "42P01", "{msg}");
    let (state, msg, _) = failure(
        &client,
        &format!(
            "PREVIEW INSERT INTO out.wide SELECT id, CAST(PROCTIME() AS STRING), day FROM maria.{m}.orders"
        ),
    )
    .await;
    assert_eq!(state, "0A000", "{msg}");
    assert!(msg.contains("PROCTIME"), "{msg}");
    let (state, msg, _) = failure(
        &client,
        &format!(
            "PREVIEW INSERT INTO out.wide SELECT id, name, CAST(window_start AS DATE) \
             FROM TABLE(TUMBLE(TABLE maria.{m}.orders, DESCRIPTOR(at), INTERVAL '1' HOUR))"
        ),
    )
    .await;
    assert_eq!(state, "0A000", "{msg}");
    assert!(msg.contains("TUMBLE"), "{msg}");
    let (state, _, _) =
        failure(&client, "PREVIEW INSERT INTO out.console SELECT n, n FROM gen.numbers").await;
    assert_eq!(state, "0A000", "a datagen table cannot be read by the gateway");
    let (state, _, _) = failure(&client, "PREVIEW PIPELINE nosuch").await;
    assert_eq!(state, "42704");
    maria.drop().await;
}

#[tokio::test]
async fn preview_on_postgres_with_flink_functions() {
    if !require("PostgreSQL on 127.0.0.1", postgres_up().await) {
        return;
    }
    let pg = Postgres::create().await;
    let server = TestServer::start();
    let client = server.client().await;
    pg_source(&client, &pg, "pg").await;
    sinks(&client).await;
    let p = &pg.name;
    let sets = result_sets(
        &client,
        &format!(
            "PREVIEW INSERT INTO out.wide SELECT id, DATE_FORMAT(at, 'yyyy-MM-dd HH:mm'), day FROM pg.{p}.orders \
             WHERE flag AND id <= 8"
        ),
    )
    .await;
    let mut got = sets[0].1.clone();
    got.sort_by_key(|r| r[0].parse::<i64>().unwrap());
    let expected = pg
        .text_rows(&format!(
            "SELECT id::text, to_char(at, 'YYYY-MM-DD HH24:MI'), day::text FROM {p}.orders WHERE flag AND id <= 8 ORDER BY id"
        ))
        .await;
    assert_eq!(got, expected);
    assert_eq!(got.len(), 4);
    pg.drop().await;
}

#[tokio::test]
async fn gateway_statements_take_bind_parameters_where_literals_stand() {
    if !require("PostgreSQL on 127.0.0.1", postgres_up().await) {
        return;
    }
    let pg = Postgres::create().await;
    let server = TestServer::start();
    let client = server.client().await;
    pg_source(&client, &pg, "pg").await;
    sinks(&client).await;
    let p = &pg.name;

    // PREVIEW's parameters are typed from the query, as DataFusion infers them
    let with_params = format!(
        "PREVIEW INSERT INTO out.console SELECT id, amount FROM pg.{p}.orders WHERE id > $1 AND name LIKE $2"
    );
    let statement = client.prepare(&with_params).await.unwrap_or_else(|e| panic!("{}", message(&e)));
    assert_eq!(statement.params(), [Type::INT4, Type::TEXT], "ParameterDescription");
    let names: Vec<&str> = statement.columns().iter().map(|c| c.name()).collect();
    assert_eq!(names, ["id", "amount"]);
    let rows = client.query(&statement, &[&15i32, &"order 1%"]).await.unwrap();
    let mut got: Vec<Vec<String>> =
        rows.iter().map(|r| vec![r.get::<_, i32>(0).to_string(), r.get::<_, NumericText>(1).0]).collect();
    got.sort();
    // the same rows as the statement with the literals written in
    let literal = format!(
        "PREVIEW INSERT INTO out.console SELECT id, amount FROM pg.{p}.orders WHERE id > 15 AND name LIKE 'order 1%'"
    );
    let mut expected = result_sets(&client, &literal).await.remove(0).1;
    expected.sort();
    assert_eq!(got, expected);
    assert_eq!(
        expected,
        pg.text_rows(&format!(
            "SELECT id::text, amount::text FROM {p}.orders WHERE id > 15 AND name LIKE 'order 1%' ORDER BY id"
        ))
        .await
    );
    assert_eq!(expected.len(), 4, "{expected:?}");

    // an option value: the statement's grammar takes a literal there, and gets the value
    let create = "CREATE SOURCE pg2 TYPE postgres WITH (host = $1, database = $2, username = 'u', password = SECRET pg_pw)";
    let statement = client.prepare(create).await.unwrap_or_else(|e| panic!("{}", message(&e)));
    assert_eq!(statement.params(), [Type::TEXT, Type::TEXT]);
    client.execute(&statement, &[&"db.example.com", &"it's"]).await.unwrap();
    let shown = text_rows(&client, "SHOW CREATE SOURCE pg2").await;
    assert!(
        shown[0].last().unwrap().contains("host = 'db.example.com'")
            && shown[0].last().unwrap().contains("database = 'it''s'"),
        "{shown:?}"
    );

    // a parameter with no value is PostgreSQL's 42P02, and changes nothing
    let e = client.simple_query(&with_params).await.expect_err("no values in a simple query");
    assert_eq!(e.code().map(|c| c.code()), Some("42P02"), "{}", message(&e));
    pg.drop().await;
}
