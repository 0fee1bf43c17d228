//! Rows of a simple query, as text.

use tokio_postgres::{Client, SimpleQueryMessage};

/// Rows of a simple query, as text.
pub async fn rows(client: &Client, sql: &str) -> Vec<Vec<String>> {
    client
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {}", crate::common::message(&e)))
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => {
                Some((0..r.len()).map(|i| r.get(i).unwrap_or("NULL").to_owned()).collect())
            }
            _ => None,
        })
        .collect()
}

/// One simple query's result sets: (column names, rows as text).
pub async fn result_sets(client: &Client, sql: &str) -> Vec<(Vec<String>, Vec<Vec<String>>)> {
    let mut sets = Vec::new();
    let mut columns: Vec<String> = Vec::new();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for m in
        client.simple_query(sql).await.unwrap_or_else(|e| panic!("{sql}: {}", crate::common::message(&e)))
    {
        match m {
            SimpleQueryMessage::RowDescription(cols) => {
                columns = cols.iter().map(|c| c.name().to_owned()).collect()
            }
            SimpleQueryMessage::Row(r) => {
                rows.push((0..r.len()).map(|i| r.get(i).unwrap_or("NULL").to_owned()).collect())
            }
            SimpleQueryMessage::CommandComplete(_) => {
                sets.push((std::mem::take(&mut columns), std::mem::take(&mut rows)))
            }
            _ => {}
        }
    }
    sets
}
