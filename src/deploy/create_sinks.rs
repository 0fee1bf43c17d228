//! Sink tables a pipeline creates, made before an engine that does not create them runs
//! it (Flink SQL's JDBC sinks do not): for each such sink of PostgreSQL, MySQL, Doris or
//! StarRocks, the sync's DDL (or one typed from the written columns), over one
//! connection per sink source. The `local` target creates them inside its own
//! transactions instead.

use std::collections::{BTreeMap, HashSet};

use sqlx::Connection;

use super::writer::{create_statement, db_error};
use crate::connectors::access;
use crate::error::{Result, SluiceError};
use crate::notice::Notice;
use crate::plan::PipelinePlan;
use crate::runtime::Runtime;

/// Runs `(table, statement)`s over `conn` (PostgreSQL or MySQL), then closes it.
macro_rules! run_all {
    ($conn:expr, $statements:expr) => {{
        let mut conn = $conn;
        for (table, ddl) in &$statements {
            sqlx::raw_sql(sqlx::AssertSqlSafe(ddl.clone()))
                .execute(&mut conn)
                .await
                .map_err(|e| db_error(table, e))?;
        }
        let _ = conn.close().await;
    }};
}

/// Runs the CREATE TABLE IF NOT EXISTS of every created sink of `plan`.
pub async fn create_sink_tables(rt: &Runtime, plan: &PipelinePlan, notices: &mut Vec<Notice>) -> Result<()> {
    // source → (table shown, statement)
    let mut by_source: BTreeMap<&str, Vec<(String, String)>> = BTreeMap::new();
    let mut seen = HashSet::new();
    for insert in &plan.bound.inserts {
        let table = &plan.bound.tables[insert.sink];
        // a sink several INSERTs write is created once, with the first one's columns
        if !table.create || !seen.insert(insert.sink) {
            continue;
        }
        let Some(ddl) = create_statement(table, &insert.columns) else { continue };
        by_source.entry(table.path.source.as_str()).or_default().push((table.path.to_string(), ddl));
    }
    for (source, statements) in by_source {
        let loaded = access::load(&rt.store, &rt.master_key, source).await?;
        let endpoint = loaded.endpoint();
        let unavailable =
            |message: String| SluiceError::SourceUnavailable { name: source.to_owned(), message };
        match loaded.source_type.name {
            "postgres" => {
                let conn =
                    crate::connectors::postgres::live::connect(&endpoint).await.map_err(unavailable)?;
                run_all!(conn, statements);
            }
            kind @ ("mysql" | "doris" | "starrocks") => {
                let conn = match kind {
                    "mysql" => crate::connectors::mysql::live::connect(&endpoint).await,
                    "doris" => crate::connectors::mysql::live::connect_frontend(&endpoint, "fenodes").await,
                    _ => crate::connectors::mysql::live::connect_frontend(&endpoint, "load_url").await,
                }
                .map_err(unavailable)?;
                run_all!(conn, statements);
            }
            _ => continue,
        }
        notices.push(Notice::notice(format!(
            "created (if missing) {} table(s) of {source}: {}",
            statements.len(),
            statements.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    Ok(())
}
