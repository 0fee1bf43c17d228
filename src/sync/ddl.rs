//! The `CREATE TABLE IF NOT EXISTS` a sync runs on its sink, in the sink's dialect:
//! columns with their mapped types, NOT NULL, and the primary key. Doris and StarRocks
//! tables need their key columns first and a distribution; a table without a primary key
//! becomes a duplicate-key (append-only) table there. Kafka and Paimon sinks get no DDL:
//! the engine creates their topics and tables.

use super::SyncColumn;
use crate::sql::ast::quote_ident;

fn backtick(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// The DDL for `table` in `database` of a sink of `sink_type` (empty when the sink
/// creates its own tables).
pub fn create_table(sink_type: &str, database: &str, table: &str, columns: &[SyncColumn]) -> String {
    let keys: Vec<&SyncColumn> = columns.iter().filter(|c| c.key).collect();
    match sink_type {
        "postgres" => standard(quote_ident, database, table, columns, &keys),
        "mysql" => standard(backtick, database, table, columns, &keys),
        "doris" | "starrocks" => olap(sink_type, database, table, columns, &keys),
        _ => String::new(),
    }
}

fn column_line(quote: fn(&str) -> String, c: &SyncColumn) -> String {
    let not_null = if c.nullable && !c.key { "" } else { " NOT NULL" };
    format!("  {} {}{not_null}", quote(&c.name), c.sink_type)
}

fn standard(
    quote: fn(&str) -> String,
    database: &str,
    table: &str,
    columns: &[SyncColumn],
    keys: &[&SyncColumn],
) -> String {
    let mut lines: Vec<String> = columns.iter().map(|c| column_line(quote, c)).collect();
    if !keys.is_empty() {
        let list = keys.iter().map(|c| quote(&c.name)).collect::<Vec<_>>().join(", ");
        lines.push(format!("  PRIMARY KEY ({list})"));
    }
    format!("CREATE TABLE IF NOT EXISTS {}.{} (\n{}\n)", quote(database), quote(table), lines.join(",\n"))
}

fn olap(
    sink_type: &str,
    database: &str,
    table: &str,
    columns: &[SyncColumn],
    keys: &[&SyncColumn],
) -> String {
    // key columns first, in key order, as both systems require
    let ordered: Vec<&SyncColumn> = keys.iter().copied().chain(columns.iter().filter(|c| !c.key)).collect();
    let lines: Vec<String> = ordered.iter().map(|c| column_line(backtick, c)).collect();
    let (model, distributed) = if keys.is_empty() {
        let first = backtick(&ordered[0].name);
        (format!("DUPLICATE KEY({first})"), "DISTRIBUTED BY RANDOM BUCKETS AUTO".to_owned())
    } else {
        let list = keys.iter().map(|c| backtick(&c.name)).collect::<Vec<_>>().join(", ");
        let model = if sink_type == "doris" { "UNIQUE KEY" } else { "PRIMARY KEY" };
        (format!("{model}({list})"), format!("DISTRIBUTED BY HASH({list}) BUCKETS AUTO"))
    };
    let distributed =
        if sink_type == "starrocks" { distributed.replace(" BUCKETS AUTO", "") } else { distributed };
    format!(
        "CREATE TABLE IF NOT EXISTS {}.{} (\n{}\n) {model} {distributed}",
        backtick(database),
        backtick(table),
        lines.join(",\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, ty: &str, key: bool, nullable: bool) -> SyncColumn {
        SyncColumn {
            name: name.into(),
            source_type: String::new(),
            sink_type: ty.into(),
            flink_type: String::new(),
            nullable,
            key,
        }
    }

    #[test]
    fn postgres_ddl_quotes_names_and_keeps_the_key() {
        let ddl = create_table(
            "postgres",
            "public",
            "order",
            &[col("id", "bigint", true, false), col("Total Amount", "numeric(38,10)", false, true)],
        );
        assert_eq!(
            ddl,
            "CREATE TABLE IF NOT EXISTS \"public\".\"order\" (\n  \"id\" bigint NOT NULL,\n  \
             \"Total Amount\" numeric(38,10),\n  PRIMARY KEY (\"id\")\n)"
        );
    }

    #[test]
    fn doris_ddl_puts_keys_first_and_distributes() {
        let ddl = create_table(
            "doris",
            "ods",
            "t",
            &[col("v", "STRING", false, true), col("id", "BIGINT", true, false)],
        );
        assert!(ddl.contains("(\n  `id` BIGINT NOT NULL,\n  `v` STRING\n) UNIQUE KEY(`id`)"), "{ddl}");
        assert!(ddl.ends_with("DISTRIBUTED BY HASH(`id`) BUCKETS AUTO"), "{ddl}");
        let ddl = create_table("starrocks", "ods", "t", &[col("v", "STRING", false, true)]);
        assert!(ddl.ends_with("DUPLICATE KEY(`v`) DISTRIBUTED BY RANDOM"), "{ddl}");
    }
}
