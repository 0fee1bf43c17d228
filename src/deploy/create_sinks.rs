//! Sink tables a pipeline creates, made before an engine that does not create them runs
//! it (Flink SQL's JDBC sinks do not): for each such sink of PostgreSQL, MySQL, Doris or
//! StarRocks, the sync's DDL (or one typed from the written columns), over one
//! connection per sink source. The `local` target creates them inside its own
//! transactions instead.

use std::collections::{BTreeMap, HashSet};

use crate::connectors::access;
use crate::connectors::sink::create_statement;
use crate::error::Result;
use crate::notice::Notice;
use crate::plan::PipelinePlan;
use crate::runtime::Runtime;

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
        let Some(done) = loaded.source_type.connector.run_ddl(&endpoint, &statements).await else { continue };
        done?;
        notices.push(Notice::notice(format!(
            "created (if missing) {} table(s) of {source}: {}",
            statements.len(),
            statements.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    Ok(())
}
