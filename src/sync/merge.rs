//! Tables that get one sink name merge into one sink table: shards of one table in several
//! databases (`FROM source DATABASES 'regex'`), or tables a route or table_mapping names
//! alike. The sink table has the columns every one of them has (in the first table's
//! order; a column some lack is left out with a NOTICE), each column's mapped type must be
//! the same in all (else 42804 naming both tables), and their primary keys must name the
//! same columns. Option `origin_column` adds a column holding each row's source table
//! (`database.table`) to every sink table, and `origin_key` makes it part of the key, so
//! that shards with overlapping keys keep every row.

use super::{SyncColumn, SyncTable};
use crate::connectors::SourceType;
use crate::connectors::logical::Logical;
use crate::error::{Result, SluiceError, SqlState};
use crate::notice::Notice;
use crate::sync::options::SyncSettings;

/// The tables in groups of one sink table each, in the order each sink table first
/// appears.
pub fn groups(tables: &[SyncTable]) -> Vec<Vec<&SyncTable>> {
    group_indices(tables).into_iter().map(|g| g.into_iter().map(|i| &tables[i]).collect()).collect()
}

/// [`groups`] as indices into `tables`.
fn group_indices(tables: &[SyncTable]) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, t) in tables.iter().enumerate() {
        let at = *index.entry(&t.sink_table).or_insert_with(|| {
            out.push(Vec::new());
            out.len() - 1
        });
        out[at].push(i);
    }
    out
}

/// A database a sync of several databases reads: its tables are stored as
/// `database.table`, so the name may hold no dot.
pub fn check_database(source: &str, database: &str) -> Result<()> {
    if database.contains('.') {
        return Err(SluiceError::not_supported(
            format!(
                "database {database} of source {source} has a dot in its name, which a sync of several databases cannot tell from its tables'"
            ),
            Some("Sync that database on its own (DATABASE name), or narrow DATABASES to leave it out."),
        ));
    }
    Ok(())
}

/// Merges the planned `tables` that share a sink name, adds the origin column, and
/// renders each sink table's DDL (in `sink_db` of a `sink_type` sink).
pub fn merge(
    settings: &SyncSettings,
    sink_type: &SourceType,
    sink_db: Option<&str>,
    mut tables: Vec<SyncTable>,
    notices: &mut Vec<Notice>,
) -> Result<Vec<SyncTable>> {
    let groups = group_indices(&tables);
    for members in &groups {
        if members.len() > 1 && !asked(settings, members.iter().map(|&i| &tables[i])) {
            let (a, b) = (&tables[members[0]], &tables[members[1]]);
            return Err(SluiceError::DuplicateObject {
                kind: "sink table",
                name: format!("{} (from both {} and {})", a.sink_table, a.source_name(), b.source_name()),
            });
        }
        if members.len() > 1 {
            let group: Vec<&SyncTable> = members.iter().map(|&i| &tables[i]).collect();
            let columns = common_columns(&group, settings, notices)?;
            for &i in members {
                let own = std::mem::take(&mut tables[i].columns);
                tables[i].columns = columns
                    .iter()
                    .map(|c| {
                        let source_type =
                            own.iter().find(|o| o.name == c.name).map(|o| o.source_type.clone());
                        SyncColumn {
                            source_type: source_type.unwrap_or_else(|| c.source_type.clone()),
                            ..c.clone()
                        }
                    })
                    .collect();
                tables[i].every_column = false;
            }
        }
        if let Some(column) = &settings.origin_column {
            let keyed = tables[members[0]].columns.iter().any(|c| c.key);
            let origin = origin_column(sink_type, column, settings.origin_key && keyed);
            for &i in members {
                if tables[i].columns.iter().any(|c| c.name == *column) {
                    return Err(SluiceError::Query {
                        state: SqlState::DuplicateColumn,
                        message: format!(
                            "origin column {column} is also a column of {}",
                            tables[i].source_name()
                        ),
                        hint: Some("Choose another name with option origin_column.".into()),
                        pos: None,
                    });
                }
                tables[i].columns.push(origin.clone());
            }
        }
        let first = &tables[members[0]];
        let ddl = match sink_db {
            Some(db) => super::ddl::create_table(sink_type, db, &first.sink_table, &first.columns),
            None => String::new(),
        };
        for &i in members {
            tables[i].ddl = ddl.clone();
        }
    }
    Ok(tables)
}

/// The longest origin: MySQL's names are up to 64 characters, `database.table`.
const ORIGIN_LENGTH: u32 = 129;

/// Whether tables that got one sink name are to merge: the sync reads several databases
/// (shards), or a table_mapping or route gave one of them that name — not when only
/// case, prefix or suffix made their names alike (42710, as two tables of one name).
fn asked<'a>(settings: &SyncSettings, mut tables: impl Iterator<Item = &'a SyncTable>) -> bool {
    tables.any(|t| {
        t.source_database.is_some()
            || settings.route.as_ref().is_some_and(|(pattern, _)| pattern.is_match(&t.source_table))
            || settings
                .table_mapping
                .iter()
                .any(|(from, _)| *from == t.source_table || *from == t.source_name())
    })
}

/// The origin column as the sink types it (a bounded string, so that it fits in a MySQL
/// key; a key where it joins the key).
fn origin_column(sink_type: &SourceType, name: &str, key: bool) -> SyncColumn {
    let write = sink_type.sync.write.and_then(|w| w.column_type);
    let flink = format!("VARCHAR({ORIGIN_LENGTH})");
    SyncColumn {
        name: name.to_owned(),
        source_type: "origin".into(),
        sink_type: write.map_or_else(|| flink.clone(), |w| w(&Logical::Varchar(ORIGIN_LENGTH), key)),
        flink_type: flink,
        nullable: false,
        key,
        origin: true,
    }
}

fn key_text(keys: &[String]) -> String {
    if keys.is_empty() { "no primary key".into() } else { format!("primary key ({})", keys.join(", ")) }
}

/// The columns of a sink table several tables merge into (see the module documentation).
fn common_columns(
    group: &[&SyncTable],
    settings: &SyncSettings,
    notices: &mut Vec<Notice>,
) -> Result<Vec<SyncColumn>> {
    let first = group[0];
    let sink = &first.sink_table;
    let keys = |t: &SyncTable| t.columns.iter().filter(|c| c.key).map(|c| c.name.clone()).collect::<Vec<_>>();
    let first_keys = keys(first);
    for t in &group[1..] {
        if keys(t) != first_keys {
            return Err(SluiceError::Query {
                state: SqlState::InvalidObjectDefinition,
                message: format!(
                    "{} ({}) and {} ({}) merge into sink table {sink} with different primary keys",
                    first.source_name(),
                    key_text(&first_keys),
                    t.source_name(),
                    key_text(&keys(t))
                ),
                hint: Some("Give one of them another sink name with table_mapping, or exclude it.".into()),
                pos: None,
            });
        }
    }
    let mut columns: Vec<SyncColumn> = Vec::new();
    for c in &first.columns {
        let mut merged = c.clone();
        let mut everywhere = true;
        for t in &group[1..] {
            match t.columns.iter().find(|o| o.name == c.name) {
                None => everywhere = false,
                Some(o) if o.sink_type != c.sink_type => {
                    return Err(SluiceError::Query {
                        state: SqlState::DatatypeMismatch,
                        message: format!(
                            "column {} is {} in {} but {} in {}, and both merge into sink table {sink}",
                            c.name,
                            c.sink_type,
                            first.source_name(),
                            o.sink_type,
                            t.source_name()
                        ),
                        hint: Some(
                            "Merged tables need one type per column: change one of them, give it another sink \
                             name with table_mapping, or exclude it."
                                .into(),
                        ),
                        pos: None,
                    });
                }
                Some(o) => merged.nullable |= o.nullable,
            }
        }
        if everywhere {
            columns.push(merged);
        }
    }
    for t in group {
        for c in t.columns.iter().filter(|c| !columns.iter().any(|m| m.name == c.name)) {
            notices.push(Notice::notice(format!(
                "column {}.{} is not in every table merged into {sink}: left out",
                t.source_name(),
                c.name
            )));
        }
    }
    if columns.is_empty() {
        return Err(SluiceError::Query {
            state: SqlState::DatatypeMismatch,
            message: format!("the tables merged into sink table {sink} have no column in common"),
            hint: Some("Give them their own sink names with table_mapping.".into()),
            pos: None,
        });
    }
    let names: Vec<String> = group.iter().map(|t| t.source_name()).collect();
    notices.push(Notice::notice(format!(
        "sink table {sink} merges {} tables: {}",
        group.len(),
        names.join(", ")
    )));
    if !first_keys.is_empty() && !settings.origin_key {
        notices.push(Notice::warning(
            format!(
                "the {} tables merged into {sink} are keyed by ({}) alone: rows with the same key in two of them are one row there",
                group.len(),
                first_keys.join(", ")
            ),
            Some("Set origin_column and origin_key = true to keep every table's rows apart."),
        ));
    }
    Ok(columns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::ddl::testing::col;

    fn table(db: &str, name: &str, columns: Vec<SyncColumn>) -> SyncTable {
        SyncTable {
            source_database: Some(db.into()),
            source_table: name.into(),
            sink_table: "orders".into(),
            columns,
            ddl: String::new(),
            every_column: true,
        }
    }

    fn settings(origin: Option<&str>, origin_key: bool) -> SyncSettings {
        let mut options = crate::connectors::ResolvedOptions::default();
        let text = |v: &str| crate::connectors::StoredValue::Text(v.into());
        if let Some(o) = origin {
            options.0.insert("origin_column".into(), text(o));
        }
        options.0.insert("origin_key".into(), text(if origin_key { "true" } else { "false" }));
        SyncSettings::new(&options).expect("settings")
    }

    fn pg() -> &'static SourceType {
        crate::connectors::SOURCE_TYPES.iter().copied().find(|t| t.name == "postgres").expect("postgres")
    }

    #[test]
    fn shards_merge_into_their_common_columns_with_the_origin_in_the_key() {
        let a = table(
            "shop_0",
            "orders",
            vec![col("id", "bigint", true, false), col("note", "text", false, true)],
        );
        let b = table(
            "shop_1",
            "orders",
            vec![
                col("id", "bigint", true, false),
                col("note", "text", false, false),
                col("extra", "integer", false, true),
            ],
        );
        let mut notices = Vec::new();
        let merged = merge(&settings(Some("src"), true), pg(), Some("public"), vec![a, b], &mut notices)
            .expect("merges");
        let names =
            |t: &SyncTable| t.columns.iter().map(|c| (c.name.clone(), c.key, c.nullable)).collect::<Vec<_>>();
        let expected = vec![
            ("id".to_owned(), true, false),
            ("note".to_owned(), false, true),
            ("src".to_owned(), true, false),
        ];
        assert_eq!(names(&merged[0]), expected);
        assert_eq!(names(&merged[1]), expected);
        assert_eq!(merged[0].ddl, merged[1].ddl);
        assert_eq!(
            merged[0].ddl,
            "CREATE TABLE IF NOT EXISTS \"public\".\"orders\" (\n  \"id\" bigint NOT NULL,\n  \"note\" text,\n  \"src\" varchar(129) NOT NULL,\n  PRIMARY KEY (\"id\", \"src\")\n)"
        );
        let texts: Vec<String> = notices.iter().map(|n| n.message.clone()).collect();
        assert!(
            texts.contains(
                &"column shop_1.orders.extra is not in every table merged into orders: left out".to_owned()
            ),
            "{texts:?}"
        );
    }

    #[test]
    fn names_alike_only_by_case_or_prefix_do_not_merge() {
        let single = |name: &str| SyncTable {
            source_database: None,
            ..table("d", name, vec![col("id", "bigint", true, false)])
        };
        let err = merge(
            &settings(None, false),
            pg(),
            Some("public"),
            vec![single("Orders"), single("orders")],
            &mut Vec::new(),
        )
        .expect_err("a collision");
        assert_eq!(err.sqlstate().code(), "42710");
        assert!(err.to_string().contains("orders (from both Orders and orders)"), "{err}");
    }

    #[test]
    fn a_type_conflict_names_both_tables_and_the_column() {
        let a = table(
            "shop_0",
            "orders",
            vec![col("id", "bigint", true, false), col("amount", "numeric(12,2)", false, true)],
        );
        let b = table(
            "shop_3",
            "orders",
            vec![col("id", "bigint", true, false), col("amount", "numeric(10,2)", false, true)],
        );
        let err = merge(&settings(None, false), pg(), Some("public"), vec![a, b], &mut Vec::new())
            .expect_err("conflict");
        assert_eq!(err.sqlstate().code(), "42804");
        assert_eq!(
            err.to_string(),
            "column amount is numeric(12,2) in shop_0.orders but numeric(10,2) in shop_3.orders, and both merge into sink table orders"
        );
    }

    #[test]
    fn different_keys_and_an_origin_column_named_like_a_column_are_refused() {
        let a = table("a", "orders", vec![col("id", "bigint", true, false), col("x", "text", false, true)]);
        let b = table("b", "orders", vec![col("id", "bigint", false, false), col("x", "text", true, false)]);
        let err = merge(&settings(None, false), pg(), Some("public"), vec![a.clone(), b], &mut Vec::new())
            .expect_err("keys");
        assert_eq!(err.sqlstate().code(), "42P17");
        let err = merge(&settings(Some("x"), false), pg(), Some("public"), vec![a], &mut Vec::new())
            .expect_err("dup");
        assert_eq!(err.sqlstate().code(), "42701");
        assert!(err.to_string().contains("origin column x is also a column of a.orders"), "{err}");
    }
}
