//! Sources over the test databases of [`crate::common::fixtures`], and reading a simple
//! query's rows as text.

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, SimpleQueryMessage};

use crate::common::fixtures::{MariaDb, Postgres, SOURCE_PASSWORD};
use crate::common::{TestServer, message};

/// Rows of a simple query, as text (NULL as "NULL").
pub async fn text_rows(client: &Client, sql: &str) -> Vec<Vec<String>> {
    client
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {}", message(&e)))
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => {
                Some((0..r.len()).map(|i| r.get(i).unwrap_or("NULL").to_owned()).collect())
            }
            _ => None,
        })
        .collect()
}

/// The physical plan `EXPLAIN sql` prints, with `params` bound to its `$n` (extended
/// protocol when there are any).
pub async fn physical_plan(client: &Client, sql: &str, params: &[&(dyn ToSql + Sync)]) -> String {
    let explain = format!("EXPLAIN {sql}");
    let rows: Vec<Vec<String>> = if params.is_empty() {
        text_rows(client, &explain).await
    } else {
        let rows =
            client.query(&explain, params).await.unwrap_or_else(|e| panic!("{explain}: {}", message(&e)));
        rows.iter().map(|r| vec![r.get(0), r.get(1)]).collect()
    };
    rows.into_iter().filter(|r| r[0] == "physical_plan").map(|r| r[1].clone()).collect()
}

fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub async fn maria_source(client: &Client, db: &MariaDb, name: &str) {
    client
        .batch_execute(&format!(
            "CREATE SECRET {name}_pw AS {}; \
             CREATE SOURCE {name} TYPE mysql WITH (host = '127.0.0.1', port = 3306, username = '{}', password = SECRET {name}_pw)",
            literal(SOURCE_PASSWORD),
            db.name
        ))
        .await
        .unwrap();
}

/// A gateway with `maria`'s server as source `maria` and the machine's PostgreSQL
/// database `test` as source `dw`: the two ends of the sync tests.
pub async fn maria_to_dw(maria: &MariaDb) -> (TestServer, Client) {
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, maria, "maria").await;
    client
        .batch_execute("CREATE SOURCE dw TYPE postgres WITH (host = '127.0.0.1', database = 'test', username = 'postgres')")
        .await
        .unwrap();
    (server, client)
}

pub async fn pg_source(client: &Client, db: &Postgres, name: &str) {
    client
        .batch_execute(&format!(
            "CREATE SECRET {name}_pw AS 'pg-pw'; \
             CREATE SOURCE {name} TYPE postgres WITH (host = '127.0.0.1', database = 'test', username = '{}', password = SECRET {name}_pw)",
            db.name
        ))
        .await
        .unwrap();
}
