//! Column types of a sync's tables, from the source's to the sink's.
//!
//! Each column goes through a [`Logical`] type: the source type's `read` (its
//! `connectors/<type>/sync.rs`: MySQL's `column_type`, PostgreSQL's `udt_name`) and the
//! sink type's `column_type` — so each `(source, sink)` pair is one explicit table, the
//! rows of `from_mysql` / `from_postgres` read across the columns of `to_postgres`,
//! `to_mysql`, `to_doris`, `to_starrocks` — and `DESCRIBE SYNC` shows the result for
//! every column. A MySQL → MySQL or PostgreSQL → PostgreSQL sync keeps the source's own
//! type; Kafka and Paimon sinks get the Flink SQL type (their tables are created by the
//! engine). Type facts follow the MySQL 8, PostgreSQL 16, Doris 2.1 and StarRocks 3 type
//! references.
//!
//! [`Logical`]: crate::connectors::logical::Logical

use sluice_catalog::ColumnRecord;

use super::SyncColumn;
use super::options::SyncSettings;
use crate::connectors::SourceType;
use crate::error::{Result, SluiceError, SqlState};
use crate::notice::Notice;

/// Maps the columns of source table `table` for the sink type; a column without a
/// mapping is an error (42804) naming it, or skipped with a NOTICE when the settings
/// say so.
pub fn map_columns(
    source_type: &SourceType,
    sink_type: &SourceType,
    table: &str,
    columns: &[ColumnRecord],
    settings: &SyncSettings,
    notices: &mut Vec<Notice>,
) -> Result<Vec<SyncColumn>> {
    let sink_name = sink_type.name;
    let mut out = Vec::with_capacity(columns.len());
    for c in columns.iter().filter(|c| c.data_type != "COMPUTED") {
        let logical = source_type.sync.read.and_then(|read| read(c));
        let column_type = sink_type.sync.write.and_then(|w| w.column_type);
        let sink = match (&logical, column_type) {
            // the same system keeps the source's own spelling
            (Some(_), _) if sink_type.name == source_type.name => Some(c.source_type.clone()),
            (Some(l), Some(write)) => Some(write(l, c.is_key)),
            (Some(_), None) => Some(c.data_type.clone()),
            (None, _) => None,
        };
        let Some(sink) = sink else {
            if settings.skip_unsupported {
                notices.push(Notice::notice(format!(
                    "column {table}.{} of type {} has no {sink_name} type: skipped",
                    c.name, c.source_type
                )));
                continue;
            }
            return Err(SluiceError::Query {
                state: SqlState::DatatypeMismatch,
                message: format!(
                    "column {table}.{} has type {}, which Sluice cannot map to {sink_name}",
                    c.name, c.source_type
                ),
                hint: Some(
                    "Exclude the table, or set unsupported_types = 'skip' to leave such columns out.".into(),
                ),
                pos: None,
            });
        };
        out.push(SyncColumn {
            name: c.name.clone(),
            source_type: c.source_type.clone(),
            sink_type: sink,
            flink_type: c.data_type.clone(),
            nullable: c.nullable,
            key: c.is_key,
            origin: false,
        });
    }
    if out.is_empty() {
        return Err(SluiceError::Query {
            state: SqlState::DatatypeMismatch,
            message: format!("table {table} has no column Sluice can map to {sink_name}"),
            hint: Some("Exclude the table with EXCLUDING TABLES.".into()),
            pos: None,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::connectors::doris::sync::to_doris;
    use crate::connectors::mysql::sync::{from_mysql, to_mysql};
    use crate::connectors::postgres::sync::{from_postgres, to_postgres};
    use crate::connectors::starrocks::sync::to_starrocks;

    fn my_pg(column_type: &str) -> String {
        to_postgres(&from_mysql(column_type).expect(column_type), false)
    }

    #[test]
    fn mysql_to_postgres_keeps_precision_scale_and_range() {
        for (mysql, pg) in [
            ("tinyint(1)", "boolean"),
            ("tinyint(4)", "smallint"),
            ("tinyint(3) unsigned", "smallint"),
            ("smallint(5) unsigned", "integer"),
            ("mediumint(9)", "integer"),
            ("int(11)", "integer"),
            ("int(10) unsigned", "bigint"),
            ("bigint(20)", "bigint"),
            ("bigint(20) unsigned", "numeric(20,0)"),
            ("decimal(38,10)", "numeric(38,10)"),
            ("decimal(65,30)", "numeric(65,30)"),
            ("float", "real"),
            ("double", "double precision"),
            ("datetime(6)", "timestamp(6)"),
            ("datetime", "timestamp(0)"),
            ("timestamp(3)", "timestamptz(3)"),
            ("time", "time(0)"),
            ("year(4)", "integer"),
            ("char(2)", "char(2)"),
            ("varchar(64)", "varchar(64)"),
            ("longtext", "text"),
            ("json", "jsonb"),
            ("enum('new','paid')", "text"),
            ("blob", "bytea"),
            ("varbinary(16)", "bytea"),
            ("bit(1)", "boolean"),
        ] {
            assert_eq!(my_pg(mysql), pg, "{mysql}");
        }
        assert_eq!(from_mysql("geometry"), None);
    }

    #[test]
    fn postgres_to_mysql_and_doris() {
        let t = |udt: &str, flink: &str| from_postgres(udt, flink).expect(udt);
        assert_eq!(to_mysql(&t("numeric(12,2)", "DECIMAL(12, 2)"), false), "decimal(12,2)");
        assert_eq!(to_mysql(&t("timestamptz", "TIMESTAMP_LTZ(6)"), false), "datetime(6)");
        assert_eq!(to_mysql(&t("text", "STRING"), true), "varchar(768)");
        assert_eq!(to_mysql(&t("text", "STRING"), false), "longtext");
        assert_eq!(to_mysql(&t("uuid", "STRING"), false), "char(36)");
        assert_eq!(to_doris(&t("varchar(10)", "VARCHAR(10)"), false), "VARCHAR(30)");
        assert_eq!(to_doris(&t("jsonb", "STRING"), false), "JSON");
        assert_eq!(to_doris(&from_mysql("bigint unsigned").expect("maps"), true), "LARGEINT");
        assert_eq!(to_starrocks(&from_mysql("datetime(6)").expect("maps"), false), "DATETIME");
        assert_eq!(from_postgres("_int4", "STRING"), None);
    }
}
