//! Federated reads against the machine's real MariaDB and PostgreSQL: each query shape a
//! BI tool sends (sorted top-n, filtered count, grouping, a join of one source's tables)
//! returns what the same query returns at the source, row by row, and `EXPLAIN` shows the
//! whole shape in the one statement sent there. A join across the two sources is not
//! federated; each side's scan takes its filter to its own source.

use tokio_postgres::Client;

use crate::common::fixtures::{MariaDb, Postgres, mariadb_up, postgres_up};
use crate::common::sources::{maria_source, pg_source, physical_plan, text_rows};
use crate::common::{TestServer, require};

/// The statements sent to sources by `sql`'s physical plan: a federated part
/// (datafusion-federation's `VirtualExecutionPlan`, the SQL as it is finally sent) or a
/// scan with its pushed filters (`SqlExec`, `MySQLSQLExec`).
async fn pushed(client: &Client, sql: &str) -> Vec<String> {
    physical_plan(client, sql, &[])
        .await
        .lines()
        .filter(|l| {
            l.contains("VirtualExecutionPlan") || l.contains("SQLExec sql=") || l.contains("SqlExec sql=")
        })
        .map(|l| {
            let at = l.find("rewritten_sql_query=").or_else(|| l.find("sql=")).unwrap_or(0);
            l[at..].to_owned()
        })
        .collect()
}

/// One shape: the query through Sluice (`{s}` is the source's schema), the same query at
/// the source with every column as text, and what its pushed statement must contain.
struct Shape {
    sluice: &'static str,
    direct: &'static str,
    pushed: &'static [&'static str],
}

const SHAPES: &[Shape] = &[
    Shape {
        sluice: "SELECT id, name FROM {s}.orders WHERE id > 5 ORDER BY id DESC LIMIT 3",
        direct: "SELECT CAST(id AS {text}) AS c1, name FROM {d}.orders WHERE id > 5 ORDER BY id DESC LIMIT 3",
        pushed: &["ORDER BY", "DESC", "LIMIT 3", "> 5"],
    },
    Shape {
        sluice: "SELECT id * 2 AS twice, upper(name) AS name FROM {s}.orders WHERE id > 2 ORDER BY id LIMIT 4",
        direct: "SELECT CAST(id * 2 AS {text}) AS c1, upper(name) FROM {d}.orders WHERE id > 2 ORDER BY id LIMIT 4",
        pushed: &["LIMIT 4", "* 2", "upper("],
    },
    Shape {
        sluice: "SELECT count(*) FROM {s}.orders WHERE id > 12",
        direct: "SELECT CAST(count(*) AS {text}) FROM {d}.orders WHERE id > 12",
        pushed: &["count(", "> 12"],
    },
    Shape {
        sluice: "SELECT id % 3 AS k, count(*) AS n, sum(amount) AS total FROM {s}.orders GROUP BY id % 3 ORDER BY k",
        direct: "SELECT CAST(id % 3 AS {text}), CAST(count(*) AS {text}), CAST(sum(amount) AS {text}) \
                 FROM {d}.orders GROUP BY id % 3 ORDER BY id % 3",
        pushed: &["GROUP BY", "sum("],
    },
    Shape {
        sluice: "SELECT o.id, l.qty FROM {s}.orders o JOIN {s}.lines l ON l.order_id = o.id \
                 WHERE o.id BETWEEN 3 AND 5 ORDER BY o.id, l.qty",
        direct: "SELECT CAST(o.id AS {text}), CAST(l.qty AS {text}) FROM {d}.orders o JOIN {d}.lines l ON l.order_id = o.id \
                 WHERE o.id BETWEEN 3 AND 5 ORDER BY o.id, l.qty",
        pushed: &["JOIN", "lines", "orders"],
    },
];

#[tokio::test]
async fn each_query_shape_runs_whole_at_its_source_and_returns_the_sources_rows() {
    if !require("MariaDB and PostgreSQL on 127.0.0.1", mariadb_up().await && postgres_up().await) {
        return;
    }
    let (maria, pg) = two_sources().await;
    let (m, p) = (&maria.name, &pg.name);
    let (server, client) = through_sluice(&maria, &pg).await;

    for shape in SHAPES {
        let maria_sql = shape.sluice.replace("{s}", &format!("maria.{}", maria.name));
        let through = text_rows(&client, &maria_sql).await;
        let direct =
            maria.text_rows(&shape.direct.replace("{d}", &maria.name).replace("{text}", "CHAR")).await;
        assert_eq!(through, direct, "{maria_sql}");
        assert!(!through.is_empty(), "{maria_sql}: the shape should have rows");
        let statements = pushed(&client, &maria_sql).await;
        assert_eq!(statements.len(), 1, "{maria_sql}: one statement at the source: {statements:?}");
        for part in shape.pushed {
            assert!(statements[0].contains(part), "{maria_sql}: {part} not pushed: {}", statements[0]);
        }

        let pg_sql = shape.sluice.replace("{s}", &format!("pg.{}", pg.name));
        let through = text_rows(&client, &pg_sql).await;
        let direct = pg.text_rows(&shape.direct.replace("{d}", &pg.name).replace("{text}", "text")).await;
        assert_eq!(through, direct, "{pg_sql}");
        let statements = pushed(&client, &pg_sql).await;
        assert_eq!(statements.len(), 1, "{pg_sql}: one statement at the source: {statements:?}");
        for part in shape.pushed {
            assert!(statements[0].contains(part), "{pg_sql}: {part} not pushed: {}", statements[0]);
        }
    }

    // a prepared statement is federated once its parameters are bound
    for schema in [format!("maria.{m}"), format!("pg.{p}")] {
        let sql = format!("SELECT id, name FROM {schema}.orders WHERE id > $1 ORDER BY id DESC LIMIT 3");
        let rows = client.query(&sql, &[&15i32]).await.unwrap();
        let ids: Vec<i32> = rows.iter().map(|r| r.get(0)).collect();
        assert_eq!(ids, [20, 19, 18], "{sql}");
        let physical = physical_plan(&client, &sql, &[&15i32]).await;
        let federated = physical.lines().find(|l| l.contains("VirtualExecutionPlan")).unwrap_or_default();
        assert!(federated.contains("DESC") && federated.contains("LIMIT 3"), "{sql}: {physical}");
    }

    // a projection over an unordered LIMIT (the shape a BI tool's data preview sends)
    for (schema, direct) in [
        (format!("maria.{m}"), maria.text_rows(&format!("SELECT CAST(id AS CHAR) FROM {m}.orders")).await),
        (format!("pg.{p}"), pg.text_rows(&format!("SELECT CAST(id AS text) FROM {p}.orders")).await),
    ] {
        let sql = format!("SELECT CAST(id AS INT) AS id FROM {schema}.orders LIMIT 100");
        let mut through = text_rows(&client, &sql).await;
        let mut direct = direct;
        through.sort();
        direct.sort();
        assert_eq!(through, direct, "{sql}");
    }

    // a join across sources is planned by DataFusion: each side's scan takes its filter to
    // its own source
    let mixed = format!(
        "SELECT m.id, p.name FROM maria.{m}.orders m JOIN pg.{p}.orders p ON m.id = p.id \
         WHERE m.id < 5 AND p.id > 2 ORDER BY m.id",
        m = maria.name,
        p = pg.name
    );
    assert_eq!(text_rows(&client, &mixed).await, [["3", "order 3"], ["4", "order 4"]]);
    let statements = pushed(&client, &mixed).await;
    assert_eq!(statements.len(), 2, "{statements:?}");
    assert!(statements.iter().any(|s| s.contains("< 5") && s.contains(&maria.name)), "{statements:?}");
    assert!(statements.iter().any(|s| s.contains("> 2") && s.contains(&pg.name)), "{statements:?}");
    drop(server);
    maria.drop().await;
    pg.drop().await;
}

/// A gateway with `maria` and `pg` as sources, and a client of it.
async fn through_sluice(maria: &MariaDb, pg: &Postgres) -> (TestServer, Client) {
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, maria, "maria").await;
    pg_source(&client, pg, "pg").await;
    (server, client)
}

/// A MariaDB and a PostgreSQL test database, each with `orders` (20 rows) and `lines`
/// (60 rows, 1–3 per order).
async fn two_sources() -> (MariaDb, Postgres) {
    let (maria, pg) = (MariaDb::create().await, Postgres::create().await);
    let (m, p) = (&maria.name, &pg.name);
    maria.execute(&format!("CREATE TABLE {m}.lines (id INT PRIMARY KEY, order_id INT, qty INT)")).await;
    maria
        .execute(&format!("INSERT INTO {m}.lines SELECT seq, 1 + seq % 20, seq * 7 % 11 FROM seq_1_to_60"))
        .await;
    pg.execute(&format!("CREATE TABLE {p}.lines (id int PRIMARY KEY, order_id int, qty int)")).await;
    pg.execute(&format!(
        "INSERT INTO {p}.lines SELECT g, 1 + g % 20, g * 7 % 11 FROM generate_series(1, 60) g"
    ))
    .await;
    pg.execute(&format!("GRANT SELECT ON {p}.lines TO {p}")).await;
    (maria, pg)
}

#[tokio::test]
async fn each_side_of_a_query_over_two_sources_runs_whole_at_its_source() {
    if !require("MariaDB and PostgreSQL on 127.0.0.1", mariadb_up().await && postgres_up().await) {
        return;
    }
    let (maria, pg) = two_sources().await;
    let (server, client) = through_sluice(&maria, &pg).await;
    let (m, p) = (&maria.name, &pg.name);

    // MariaDB's side is a join and an aggregate of its own tables; PostgreSQL's a filter
    let mixed = format!(
        "SELECT t.order_id, t.total, o.name FROM \
           (SELECT l.order_id, sum(l.qty) AS total FROM maria.{m}.lines l JOIN maria.{m}.orders mo \
            ON mo.id = l.order_id WHERE mo.id < 9 GROUP BY l.order_id) t \
         JOIN pg.{p}.orders o ON o.id = t.order_id WHERE o.id > 4 ORDER BY t.order_id"
    );
    let through = text_rows(&client, &mixed).await;
    // the same at MariaDB alone (its orders have the same rows as PostgreSQL's)
    let direct = maria
        .text_rows(&format!(
            "SELECT CAST(t.order_id AS CHAR), CAST(t.total AS CHAR), o.name FROM \
               (SELECT l.order_id, sum(l.qty) AS total FROM {m}.lines l JOIN {m}.orders mo \
                ON mo.id = l.order_id WHERE mo.id < 9 GROUP BY l.order_id) t \
             JOIN {m}.orders o ON o.id = t.order_id WHERE o.id > 4 ORDER BY t.order_id"
        ))
        .await;
    assert_eq!(through, direct);
    assert_eq!(through.len(), 4, "orders 5 to 8");
    let statements = pushed(&client, &mixed).await;
    assert_eq!(statements.len(), 2, "one statement per source: {statements:?}");
    let maria_side = statements.iter().find(|s| s.contains(m.as_str())).expect("MariaDB's statement");
    for part in ["JOIN", "sum(", "GROUP BY", "< 9"] {
        assert!(maria_side.contains(part), "{part} not in {maria_side}");
    }
    let pg_side = statements.iter().find(|s| s.contains(p.as_str())).expect("PostgreSQL's statement");
    assert!(pg_side.contains("> 4"), "{pg_side}");
    drop(server);
    maria.drop().await;
    pg.drop().await;
}

#[tokio::test]
async fn what_a_source_would_answer_differently_is_answered_by_datafusion() {
    if !require("MariaDB and PostgreSQL on 127.0.0.1", mariadb_up().await && postgres_up().await) {
        return;
    }
    let (maria, pg) = two_sources().await;
    let (server, client) = through_sluice(&maria, &pg).await;
    let (m, p) = (&maria.name, &pg.name);

    // MariaDB's LIKE ignores case under its default collation; Sluice's does not
    let at_maria = maria
        .text_rows(&format!("SELECT CAST(count(*) AS CHAR) FROM {m}.orders WHERE name LIKE 'ORDER 1%'"))
        .await;
    assert_eq!(at_maria, [["11"]], "MariaDB's own answer");
    let like = format!("SELECT count(*) FROM maria.{m}.orders WHERE name LIKE 'ORDER 1%'");
    assert_eq!(text_rows(&client, &like).await, [["0"]]);
    let like = format!("SELECT id FROM maria.{m}.orders WHERE name LIKE 'order 1%' AND id < 12 ORDER BY id");
    assert_eq!(text_rows(&client, &like).await, [["1"], ["10"], ["11"]]);
    let statements = pushed(&client, &like).await;
    assert!(statements.iter().all(|s| !s.contains("LIKE") && s.contains("< 12")), "{statements:?}");
    // PostgreSQL's LIKE is DataFusion's: it goes to the source
    let like = format!("SELECT id FROM pg.{p}.orders WHERE name LIKE 'order 1%' AND id < 12 ORDER BY id");
    assert_eq!(text_rows(&client, &like).await, [["1"], ["10"], ["11"]]);
    let statements = pushed(&client, &like).await;
    assert!(statements.iter().any(|s| s.contains("LIKE")), "{statements:?}");

    // a function Sluice implements (md5) is computed here, over rows the source filtered
    let hashed = format!("SELECT md5(name) FROM maria.{m}.orders WHERE id = 3");
    let expected = maria.text_rows(&format!("SELECT MD5(name) FROM {m}.orders WHERE id = 3")).await;
    assert_eq!(text_rows(&client, &hashed).await, expected);
    let statements = pushed(&client, &hashed).await;
    assert!(
        statements.iter().all(|s| !s.to_lowercase().contains("md5") && s.contains("= 3")),
        "{statements:?}"
    );
    drop(server);
    maria.drop().await;
    pg.drop().await;
}

#[tokio::test]
async fn preview_of_a_body_with_its_own_limit_reads_the_source() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await) {
        return;
    }
    let maria = MariaDb::create().await;
    let m = &maria.name;
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    crate::common::sinks::sinks(&client).await;
    // the sink's names and types are applied below the body's LIMIT
    let limited = text_rows(
        &client,
        &format!(
            "PREVIEW INSERT INTO out.console SELECT id, amount FROM maria.{m}.orders WHERE id > 5 LIMIT 3"
        ),
    )
    .await;
    assert_eq!(limited.len(), 3, "{limited:?}");
    for row in &limited {
        let id: i64 = row[0].parse().unwrap();
        assert!(id > 5, "{limited:?}");
        assert_eq!(row[1], format!("{:.2}", id as f64 * 1.25), "amount of order {id}");
    }
    drop(server);
    maria.drop().await;
}

/// Column types (as the client sees them) and values of `sql`'s rows.
async fn typed_rows(client: &Client, sql: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let described = client.prepare(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    let types = described.columns().iter().map(|c| format!("{} {}", c.name(), c.type_().name())).collect();
    (types, text_rows(client, sql).await)
}

#[tokio::test]
async fn types_are_the_same_whether_a_query_runs_at_the_source_or_not() {
    if !require("MariaDB and PostgreSQL on 127.0.0.1", mariadb_up().await && postgres_up().await) {
        return;
    }
    let (maria, pg) = (MariaDb::create().await, Postgres::create().await);
    let (m, p) = (&maria.name, &pg.name);
    maria
        .execute(&format!(
            "CREATE TABLE {m}.kinds (id INT PRIMARY KEY, d DECIMAL(12,4), dt DATETIME(6), ub BIGINT UNSIGNED, \
             j JSON, e ENUM('small','large'), flag TINYINT(1), b BLOB, ts TIMESTAMP(3) NULL)"
        ))
        .await;
    maria
        .execute(&format!(
            "INSERT INTO {m}.kinds VALUES \
             (1, 12.3400, '2026-01-02 03:04:05.123456', 18446744073709551615, '{{\"k\": 1}}', 'large', 1, X'00FF', '2026-01-02 03:04:05.678'), \
             (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"
        ))
        .await;
    pg.execute(&format!(
        "CREATE TABLE {p}.kinds (id int PRIMARY KEY, d numeric(12,4), t timestamp(6), tz timestamptz, \
         j jsonb, b bytea, flag boolean)"
    ))
    .await;
    pg.execute(&format!(
        "INSERT INTO {p}.kinds VALUES \
         (1, 12.34, '2026-01-02 03:04:05.123456', '2026-01-02 03:04:05.678+00', '{{\"k\": 1}}', '\\x00ff', true), \
         (2, NULL, NULL, NULL, NULL, NULL, NULL)"
    ))
    .await;
    pg.execute(&format!("GRANT SELECT ON {p}.kinds TO {p}")).await;
    let (server, client) = through_sluice(&maria, &pg).await;
    client.batch_execute("SET TIME ZONE 'UTC'").await.unwrap();

    for table in [format!("maria.{m}.kinds"), format!("pg.{p}.kinds")] {
        // federated: the sorted query runs whole at the source
        let pushed_sql = format!("SELECT * FROM {table} ORDER BY id");
        assert!(pushed(&client, &pushed_sql).await.iter().any(|s| s.contains("ORDER BY")), "{pushed_sql}");
        // not federated (md5 is Sluice's): DataFusion sorts the scanned rows
        let scanned_sql =
            format!("SELECT * FROM {table} WHERE md5(CAST(id AS TEXT)) IS NOT NULL ORDER BY id");
        assert!(pushed(&client, &scanned_sql).await.iter().all(|s| !s.contains("ORDER BY")), "{scanned_sql}");
        let (pushed_types, pushed_rows) = typed_rows(&client, &pushed_sql).await;
        let (scanned_types, scanned_rows) = typed_rows(&client, &scanned_sql).await;
        assert_eq!(pushed_types, scanned_types, "{table}");
        assert_eq!(pushed_rows, scanned_rows, "{table}");
        assert_eq!(pushed_rows.len(), 2);
    }
    let (types, rows) = typed_rows(&client, &format!("SELECT * FROM maria.{m}.kinds ORDER BY id")).await;
    assert_eq!(types[1], "d numeric");
    assert_eq!(rows[0][1], "12.3400", "the decimal's scale is kept");
    assert_eq!(rows[0][2], "2026-01-02 03:04:05.123456", "datetime(6) keeps microseconds");
    assert_eq!(rows[0][3], "18446744073709551615", "bigint unsigned");
    let (types, rows) = typed_rows(&client, &format!("SELECT * FROM pg.{p}.kinds ORDER BY id")).await;
    assert_eq!(types[3], "tz timestamptz");
    assert_eq!(rows[0][1], "12.3400");
    drop(server);
    maria.drop().await;
    pg.drop().await;
}
