//! What the START of a full sync does with a sink table whose columns are no longer the
//! source table's (`schema_change`, Flink CDC's behaviours, applied by the gateway before
//! the copy runs, whatever engine runs it):
//!
//! | behaviour | a column added to the source | a column gone from the source |
//! |---|---|---|
//! | `evolve` | added to the sink (nullable) | dropped from the sink |
//! | `try_evolve` | as evolve; where the sink refuses the change, the table is copied as `ignore` would, with a WARNING | |
//! | `lenient` (default) | added to the sink (nullable) | kept, made nullable |
//! | `ignore` | left out of the copy | kept, not written |
//! | `exception` | START refused (55000), nothing changed | |
//!
//! A key column gone from the source is refused by every behaviour: the sink's key cannot
//! be kept filled. Changes of a column's type are not applied.

use std::collections::HashMap;

use sluice_catalog::ColumnRecord;

use super::{SyncTable, ddl};
use crate::connectors::SourceType;
use crate::error::{Result, SluiceError, SqlState};
use crate::notice::Notice;
use crate::sync::options::SyncSettings;

/// The statements that bring one sink table to its planned columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableAlter {
    pub sink_table: String,
    pub statements: Vec<String>,
    /// try_evolve: when the sink refuses a statement, copy the table as `ignore` would.
    pub fallback: bool,
}

/// Compares each planned sink table with its columns on the sink (`existing`, by table
/// name; tables not there yet are created by START): returns the ALTER statements to
/// run, narrows `tables` to the sink's columns under `ignore`, or refuses (`exception`).
pub fn reconcile(
    settings: &SyncSettings,
    sink_type: &SourceType,
    sink_db: Option<&str>,
    tables: &mut [SyncTable],
    existing: &HashMap<String, Vec<ColumnRecord>>,
    notices: &mut Vec<Notice>,
) -> Result<Vec<TableAlter>> {
    let behaviour = settings.schema_change.as_deref().unwrap_or("lenient");
    let Some(db) = sink_db else { return Ok(Vec::new()) };
    let sinks: Vec<String> = super::merge::groups(tables).iter().map(|g| g[0].sink_table.clone()).collect();
    let mut out = Vec::new();
    for sink_table in sinks {
        let Some(current) = existing.get(&sink_table) else { continue };
        let Some(planned) = tables.iter().find(|t| t.sink_table == sink_table).map(|t| t.columns.clone())
        else {
            continue;
        };
        let added: Vec<_> = planned.iter().filter(|c| !current.iter().any(|e| e.name == c.name)).collect();
        let gone: Vec<_> = current.iter().filter(|e| !planned.iter().any(|c| c.name == e.name)).collect();
        if added.is_empty() && gone.is_empty() {
            continue;
        }
        let names = |v: &mut dyn Iterator<Item = &str>| v.collect::<Vec<_>>().join(", ");
        let mut what = Vec::new();
        if !added.is_empty() {
            what.push(format!("added {}", names(&mut added.iter().map(|c| c.name.as_str()))));
        }
        if !gone.is_empty() {
            what.push(format!("gone {}", names(&mut gone.iter().map(|c| c.name.as_str()))));
        }
        let what = what.join("; ");
        let refused = |message: String, hint: &str| SluiceError::Query {
            state: SqlState::ObjectNotInPrerequisiteState,
            message,
            hint: Some(hint.to_owned()),
            pos: None,
        };
        if let Some(key) = gone.iter().find(|c| c.is_key) {
            return Err(refused(
                format!(
                    "key column {} of sink table {db}.{sink_table} is gone from its source table",
                    key.name
                ),
                "Change the sink table's key, or drop the sink table for START to create it again.",
            ));
        }
        let mut actions = Vec::new();
        match behaviour {
            "exception" => {
                return Err(refused(
                    format!(
                        "the columns of sink table {db}.{sink_table} differ from its source's ({what}) and schema_change is 'exception'"
                    ),
                    "Change the sink table to match (DESCRIBE SYNC shows the mapping), or set schema_change to evolve or lenient.",
                ));
            }
            "ignore" => {
                narrow(tables, &sink_table, current, notices);
                continue;
            }
            "evolve" | "try_evolve" => {
                actions.extend(added.iter().filter_map(|c| ddl::add_column(sink_type, c)));
                actions.extend(gone.iter().filter_map(|c| ddl::drop_column(sink_type, &c.name)));
            }
            _ => {
                actions.extend(added.iter().filter_map(|c| ddl::add_column(sink_type, c)));
                actions.extend(
                    gone.iter().filter(|c| !c.nullable).filter_map(|c| ddl::drop_not_null(sink_type, c)),
                );
            }
        }
        let statements: Vec<String> =
            ddl::alter_table(sink_type, db, &sink_table, &actions).into_iter().collect();
        notices.push(Notice::notice(format!(
            "sink table {db}.{sink_table}: {what} (schema_change = '{behaviour}'): {} before the copy",
            if actions.is_empty() { "left as it is".to_owned() } else { actions.join(", ") }
        )));
        out.push(TableAlter { sink_table, statements, fallback: behaviour == "try_evolve" });
    }
    Ok(out)
}

/// Leaves out of every table copied into `sink_table` the columns the sink table does
/// not have (schema_change = 'ignore', or try_evolve refused).
pub fn narrow(
    tables: &mut [SyncTable],
    sink_table: &str,
    current: &[ColumnRecord],
    notices: &mut Vec<Notice>,
) {
    for t in tables.iter_mut().filter(|t| t.sink_table == sink_table) {
        let before = t.columns.len();
        let left: Vec<String> = t
            .columns
            .iter()
            .filter(|c| !current.iter().any(|e| e.name == c.name))
            .map(|c| c.name.clone())
            .collect();
        t.columns.retain(|c| current.iter().any(|e| e.name == c.name));
        if t.columns.len() != before {
            t.every_column = false;
            notices.push(Notice::notice(format!(
                "column(s) {} of {} are not in sink table {sink_table}: left out of the copy",
                left.join(", "),
                t.source_name()
            )));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::ddl::testing::col;

    fn settings(behaviour: Option<&str>) -> SyncSettings {
        let mut options = crate::connectors::ResolvedOptions::default();
        if let Some(b) = behaviour {
            options.0.insert("schema_change".into(), crate::connectors::StoredValue::Text(b.into()));
        }
        SyncSettings::new(&options).expect("settings")
    }

    fn sink_column(name: &str, ty: &str, key: bool, nullable: bool) -> ColumnRecord {
        ColumnRecord {
            ordinal: 0,
            name: name.into(),
            data_type: String::new(),
            source_type: ty.into(),
            nullable,
            is_key: key,
        }
    }

    fn tables() -> Vec<SyncTable> {
        vec![SyncTable {
            source_database: None,
            source_table: "t".into(),
            sink_table: "t".into(),
            columns: vec![col("id", "bigint", true, false), col("added", "text", false, true)],
            ddl: String::new(),
            every_column: true,
        }]
    }

    fn existing() -> HashMap<String, Vec<ColumnRecord>> {
        [(
            "t".to_owned(),
            vec![sink_column("id", "bigint", true, false), sink_column("gone", "integer", false, false)],
        )]
        .into()
    }

    fn run(behaviour: Option<&str>, sink: &str) -> Result<(Vec<TableAlter>, Vec<SyncTable>)> {
        let sink_type =
            crate::connectors::SOURCE_TYPES.iter().copied().find(|t| t.name == sink).expect("type");
        let mut tables = tables();
        let alters =
            reconcile(&settings(behaviour), sink_type, Some("d"), &mut tables, &existing(), &mut Vec::new())?;
        Ok((alters, tables))
    }

    #[test]
    fn each_behaviour_changes_the_sink_or_the_copy_as_flink_cdc_names_it() {
        let (alters, _) = run(Some("evolve"), "postgres").expect("evolve");
        assert_eq!(
            alters[0].statements,
            ["ALTER TABLE \"d\".\"t\" ADD COLUMN \"added\" text NULL, DROP COLUMN \"gone\""]
        );
        let (alters, _) = run(None, "postgres").expect("lenient by default");
        assert_eq!(
            alters[0].statements,
            ["ALTER TABLE \"d\".\"t\" ADD COLUMN \"added\" text NULL, ALTER COLUMN \"gone\" DROP NOT NULL"]
        );
        let (alters, _) = run(Some("lenient"), "mysql").expect("lenient on MySQL");
        assert_eq!(
            alters[0].statements,
            ["ALTER TABLE `d`.`t` ADD COLUMN `added` text NULL, MODIFY COLUMN `gone` integer NULL"]
        );
        let (alters, tables) = run(Some("ignore"), "postgres").expect("ignore");
        assert!(alters.is_empty());
        assert_eq!(tables[0].columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["id"]);
        let err = run(Some("exception"), "postgres").expect_err("exception");
        assert_eq!(err.sqlstate().code(), "55000");
        assert!(err.to_string().contains("(added added; gone gone)"), "{err}");
        assert!(run(Some("try_evolve"), "postgres").expect("try").0[0].fallback);
    }
}
