//! Federated reads against the machine's real MariaDB and PostgreSQL: each query shape a
//! BI tool sends (sorted top-n, filtered count, grouping, a join of one source's tables)
//! returns what the same query returns at the source, row by row, and `EXPLAIN` shows the
//! whole shape in the one statement sent there. A join across the two sources is not
//! federated; each side's scan takes its filter to its own source.

use tokio_postgres::Client;

use crate::common::fixtures::{MariaDb, Postgres, mariadb_up, postgres_up};
use crate::common::sources::{maria_source, pg_source, text_rows};
use crate::common::{TestServer, require};

/// The statements sent to sources by `sql`'s physical plan: a federated part
/// (datafusion-federation's `VirtualExecutionPlan`, the SQL as it is finally sent) or a
/// scan with its pushed filters (`SqlExec`, `MySQLSQLExec`).
async fn pushed(client: &Client, sql: &str) -> Vec<String> {
    let plan = text_rows(client, &format!("EXPLAIN {sql}")).await;
    let physical = plan.iter().find(|r| r[0] == "physical_plan").map(|r| r[1].clone()).unwrap_or_default();
    physical
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
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    pg_source(&client, &pg, "pg").await;

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
