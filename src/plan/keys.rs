//! The key of a sink a pipeline creates, inherited from what it reads: when an INSERT
//! copies rows of one table (a projection and filters over it, no join, aggregation or
//! union) and writes every column of that table's primary key unchanged, those columns
//! identify the sink's rows too. A change stream written into such a sink then updates
//! rows by key (Doris UNIQUE KEY and StarRocks PRIMARY KEY tables, Paimon primary keys)
//! instead of appending every change.

use datafusion::common::TableReference;
use datafusion::logical_expr::LogicalPlan;

use super::resolve::{TablePath, TableUse};

/// The one table `plan` copies rows of, if it does.
fn copied_table(plan: &LogicalPlan) -> Option<&TableReference> {
    match plan {
        LogicalPlan::Projection(p) => copied_table(&p.input),
        LogicalPlan::Filter(f) => copied_table(&f.input),
        LogicalPlan::Limit(l) => copied_table(&l.input),
        LogicalPlan::Sort(s) => copied_table(&s.input),
        LogicalPlan::TableScan(scan) => Some(&scan.table_name),
        _ => None,
    }
}

/// Whether `reference` (as the planner names a table) is the table at `path`.
fn names(reference: &TableReference, path: &TablePath) -> bool {
    match reference {
        TableReference::Full { catalog, schema, table } => {
            (**catalog == *path.source && **schema == *path.database && **table == *path.table)
                || (path.database.is_empty() && **schema == *path.source && **table == *path.table)
        }
        TableReference::Partial { schema, table } => {
            path.database.is_empty() && **schema == *path.source && **table == *path.table
        }
        TableReference::Bare { .. } => false,
    }
}

/// Marks as keys the columns of the created sink `sink` that carry the whole primary key
/// of the one table `plan` copies.
pub fn inherit(used: &mut [TableUse], sink: usize, plan: &LogicalPlan) {
    let Some(reference) = copied_table(plan) else { return };
    let Some(read) = used.iter().position(|t| names(reference, &t.path)) else { return };
    let keys: Vec<String> = used[read].columns.iter().filter(|c| c.is_key).map(|c| c.name.clone()).collect();
    if keys.is_empty() {
        return;
    }
    let schema = plan.schema();
    // output position of each key column, written unchanged (still qualified by the table)
    let mut positions = Vec::with_capacity(keys.len());
    for key in &keys {
        let found = (0..schema.fields().len()).find(|&i| {
            let (qualifier, field) = schema.qualified_field(i);
            qualifier == Some(reference) && field.name() == key
        });
        match found {
            Some(i) => positions.push(i),
            None => return,
        }
    }
    for i in positions {
        if let Some(c) = used[sink].columns.get_mut(i) {
            c.is_key = true;
            c.nullable = false;
        }
    }
}
