//! What a database says about its tables beyond their columns — keys, comments — as
//! `pg_index`, `pg_constraint` and `pg_description` list them ([`super::objects`]).
//!
//! Each database answers for its own tables: the gateway's database `sluice` for schema
//! `sluice` ([`SluiceTables`], from [`crate::system::describe`]); a source browsed as a
//! database for the tables in its metadata cache (the gateway's `engine::databases`).

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use datafusion::error::Result;

use crate::system::SCHEMA_NAME;
use crate::system::describe::{Key, TABLES};
use crate::system::tables::Col;

/// One table: its schema and name, comment, columns in order and keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    pub schema: String,
    pub table: String,
    pub comment: Option<String>,
    pub columns: Vec<DescribedColumn>,
    pub keys: Vec<DescribedKey>,
}

/// A column of a [`Described`] table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribedColumn {
    pub name: String,
    pub comment: Option<String>,
    /// Whether its type is an integer (a key on it uses `int8_ops`, else `text_ops`).
    pub integer: bool,
    /// Its PostgreSQL type oid and modifier where the Arrow type says less
    /// (`varchar(20)`, `numeric(10,2)`, `timestamp(3)`); `None` keeps the Arrow type's.
    pub pg_type: Option<(i32, i32)>,
}

/// A key of a [`Described`] table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DescribedKey {
    /// `PRIMARY KEY (columns)`.
    Primary(Vec<String>),
    /// `FOREIGN KEY (columns) REFERENCES table (referenced)`, a table of the same schema.
    Foreign { columns: Vec<String>, table: String, referenced: Vec<String> },
}

impl Described {
    /// The constraint (and index) name PostgreSQL would give `key` of this table.
    pub fn key_name(&self, key: &DescribedKey) -> String {
        match key {
            DescribedKey::Primary(_) => format!("{}_pkey", self.table),
            DescribedKey::Foreign { columns, .. } => format!("{}_{}_fkey", self.table, columns.join("_")),
        }
    }

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&DescribedColumn> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// Tables by `(schema, table)`.
pub type DescribedTables = HashMap<(String, String), Arc<Described>>;

/// Where a database's table descriptions come from.
#[async_trait]
pub trait Describe: Debug + Send + Sync {
    /// Every described table of the database, as of now.
    async fn tables(&self) -> Result<Arc<DescribedTables>>;

    /// The schema an unqualified relation name means (`to_regclass('t')`).
    fn default_schema(&self) -> &str;

    /// Whether some columns carry a [`DescribedColumn::pg_type`] (`pg_attribute` is then
    /// corrected as it is read).
    fn types_columns(&self) -> bool {
        false
    }
}

/// The PostgreSQL type (oid, `atttypmod`) of a Flink SQL type whose modifier matters to
/// clients: `VARCHAR(n)`, `CHAR(n)`, `DECIMAL(p, s)`, `TIMESTAMP(p)` and
/// `TIMESTAMP_LTZ(p)`. Oids and modifiers as PostgreSQL 15 has them (`pg_type.dat`;
/// character lengths and numeric precision/scale offset by `VARHDRSZ`, 4).
pub fn pg_type_of(flink: &str) -> Option<(i32, i32)> {
    let t = flink.trim().to_uppercase();
    let open = t.find('(')?;
    let base = t[..open].trim();
    let rest = &t[open + 1..];
    let close = rest.find(')')?;
    let numbers: Vec<i32> = rest[..close].split(',').filter_map(|n| n.trim().parse().ok()).collect();
    let suffix = rest[close + 1..].trim();
    match (base, numbers.as_slice()) {
        ("VARCHAR", [n]) if *n < 10_485_760 => Some((1043, n + 4)),
        ("CHAR", [n]) if *n < 10_485_760 => Some((1042, n + 4)),
        ("DECIMAL" | "DEC" | "NUMERIC", [p, s]) if (1..=1000).contains(p) => {
            Some((1700, ((p << 16) | s) + 4))
        }
        ("DECIMAL" | "DEC" | "NUMERIC", [p]) if (1..=1000).contains(p) => Some((1700, (p << 16) + 4)),
        ("TIMESTAMP", [p]) if suffix.contains("LOCAL TIME ZONE") && (0..=6).contains(p) => Some((1184, *p)),
        ("TIMESTAMP", [p]) if suffix.is_empty() && (0..=6).contains(p) => Some((1114, *p)),
        ("TIMESTAMP_LTZ", [p]) if (0..=6).contains(p) => Some((1184, *p)),
        _ => None,
    }
}

/// The tables of schema `sluice`, described once.
#[derive(Debug, Default)]
pub struct SluiceTables {
    tables: OnceLock<Arc<DescribedTables>>,
}

#[async_trait]
impl Describe for SluiceTables {
    async fn tables(&self) -> Result<Arc<DescribedTables>> {
        Ok(self.tables.get_or_init(|| Arc::new(sluice_tables())).clone())
    }

    fn default_schema(&self) -> &str {
        SCHEMA_NAME
    }
}

fn sluice_tables() -> DescribedTables {
    let names = |columns: &[&str]| columns.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
    TABLES
        .iter()
        .map(|d| {
            let kinds = crate::system::SYSTEM_TABLES.iter().find(|t| t.name == d.table).map(|t| t.columns);
            let integer = |column: &str| {
                kinds.is_some_and(|cols| {
                    cols.iter().any(|(name, kind, _)| *name == column && *kind == Col::Int)
                })
            };
            let described = Described {
                schema: SCHEMA_NAME.to_owned(),
                table: d.table.to_owned(),
                comment: Some(d.comment.to_owned()),
                columns: d
                    .columns
                    .iter()
                    .map(|(name, comment)| DescribedColumn {
                        name: (*name).to_owned(),
                        comment: Some((*comment).to_owned()),
                        integer: integer(name),
                        pg_type: None,
                    })
                    .collect(),
                keys: d
                    .keys
                    .iter()
                    .map(|k| match k {
                        Key::Primary(columns) => DescribedKey::Primary(names(columns)),
                        Key::Foreign { columns, table, referenced } => DescribedKey::Foreign {
                            columns: names(columns),
                            table: (*table).to_owned(),
                            referenced: names(referenced),
                        },
                    })
                    .collect(),
            };
            ((SCHEMA_NAME.to_owned(), d.table.to_owned()), Arc::new(described))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sluice_tables_keep_their_keys_comments_and_integer_columns() {
        let tables = SluiceTables::default().tables().await.unwrap();
        let versions = &tables[&("sluice".to_owned(), "pipeline_versions".to_owned())];
        assert_eq!(versions.keys[0], DescribedKey::Primary(vec!["pipeline".into(), "version".into()]));
        assert_eq!(versions.key_name(&versions.keys[0]), "pipeline_versions_pkey");
        assert!(versions.column("version").unwrap().integer);
        assert!(!versions.column("pipeline").unwrap().integer);
        let roles = &tables[&("sluice".to_owned(), "roles".to_owned())];
        assert_eq!(roles.column("name").unwrap().comment.as_deref(), Some("Role name"));
    }

    #[test]
    fn flink_types_with_modifiers_become_postgresql_types_with_typmods() {
        assert_eq!(pg_type_of("VARCHAR(20)"), Some((1043, 24)));
        assert_eq!(pg_type_of("char(3)"), Some((1042, 7)));
        assert_eq!(pg_type_of("DECIMAL(10, 2)"), Some((1700, (10 << 16 | 2) + 4)));
        assert_eq!(pg_type_of("TIMESTAMP(3)"), Some((1114, 3)));
        assert_eq!(pg_type_of("TIMESTAMP(6) WITH LOCAL TIME ZONE"), Some((1184, 6)));
        assert_eq!(pg_type_of("TIMESTAMP_LTZ(3)"), Some((1184, 3)));
        for other in ["VARCHAR(2147483647)", "STRING", "INT", "DECIMAL", "DECIMAL(1001, 2)", "TIMESTAMP(9)"] {
            assert_eq!(pg_type_of(other), None, "{other}");
        }
    }
}
