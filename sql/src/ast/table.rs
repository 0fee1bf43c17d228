//! Declared tables: of schema-less sources (Kafka topics, files, generated rows), and of
//! sources with databases that Sluice cannot (or should not) introspect.

use std::fmt;

use super::Ident;
use super::options::{SqlOption, write_options};
use super::source::ObjectPath;

/// A column of a declared table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableColumn {
    /// `name type [NOT NULL] [METADATA [FROM 'key'] [VIRTUAL]]`
    Physical { name: Ident, data_type: String, not_null: bool, metadata: Option<Metadata> },
    /// `name AS expression`
    Computed { name: Ident, expr: String },
}

/// `METADATA [FROM 'key'] [VIRTUAL]`: a connector's metadata field (Kafka's timestamp,
/// partition, offset …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    pub key: Option<String>,
    pub is_virtual: bool,
}

impl TableColumn {
    pub fn name(&self) -> &Ident {
        match self {
            TableColumn::Physical { name, .. } | TableColumn::Computed { name, .. } => name,
        }
    }
}

impl fmt::Display for TableColumn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TableColumn::Physical { name, data_type, not_null, metadata } => {
                write!(f, "{name} {data_type}")?;
                if *not_null {
                    f.write_str(" NOT NULL")?;
                }
                if let Some(m) = metadata {
                    f.write_str(" METADATA")?;
                    if let Some(key) = &m.key {
                        f.write_str(" FROM ")?;
                        super::write_literal(f, key)?;
                    }
                    if m.is_virtual {
                        f.write_str(" VIRTUAL")?;
                    }
                }
                Ok(())
            }
            TableColumn::Computed { name, expr } => write!(f, "{name} AS {expr}"),
        }
    }
}

/// `WATERMARK FOR column AS expression`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watermark {
    pub column: Ident,
    pub expr: String,
}

/// `CREATE [ OR REPLACE ] TABLE [ IF NOT EXISTS ] source.[database.]table (
///     column type [ NOT NULL ] [ METADATA [ FROM 'key' ] [ VIRTUAL ] ] | column AS expression, …
///     [ , WATERMARK FOR column AS expression ]
///     [ , PRIMARY KEY ( column [, …] ) [ NOT ENFORCED ] ]
/// ) [ WITH ( option = value [, …] ) ]`
///
/// Declares a table of a source whose system has no schema Sluice can read (Kafka and
/// Pulsar topics, files, generated rows: `source.table`), or of a source with databases
/// whose metadata Sluice cannot or should not read (a Paimon warehouse on S3, a Doris
/// cluster the gateway cannot reach: `source.database.table`). A declared table wins over
/// what the source says of the same table. Types are Flink SQL types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateTable {
    pub name: ObjectPath,
    pub or_replace: bool,
    pub if_not_exists: bool,
    pub columns: Vec<TableColumn>,
    pub watermark: Option<Watermark>,
    pub primary_key: Vec<Ident>,
    pub options: Vec<SqlOption>,
}

impl fmt::Display for CreateTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CREATE ")?;
        if self.or_replace {
            f.write_str("OR REPLACE ")?;
        }
        f.write_str("TABLE ")?;
        if self.if_not_exists {
            f.write_str("IF NOT EXISTS ")?;
        }
        write!(f, "{} (", self.name)?;
        let mut first = true;
        let mut sep = |f: &mut fmt::Formatter<'_>| {
            if !std::mem::take(&mut first) {
                f.write_str(", ")?;
            }
            Ok::<(), fmt::Error>(())
        };
        for c in &self.columns {
            sep(f)?;
            write!(f, "{c}")?;
        }
        if let Some(w) = &self.watermark {
            sep(f)?;
            write!(f, "WATERMARK FOR {} AS {}", w.column, w.expr)?;
        }
        if !self.primary_key.is_empty() {
            sep(f)?;
            let keys: Vec<String> = self.primary_key.iter().map(|k| k.to_string()).collect();
            write!(f, "PRIMARY KEY ({}) NOT ENFORCED", keys.join(", "))?;
        }
        f.write_str(")")?;
        if !self.options.is_empty() {
            f.write_str(" WITH ")?;
            write_options(f, &self.options)?;
        }
        Ok(())
    }
}

/// `DROP TABLE [ IF EXISTS ] source.[database.]table` — forgets a declared table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropTable {
    pub if_exists: bool,
    pub name: ObjectPath,
}

impl fmt::Display for DropTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DROP TABLE ")?;
        if self.if_exists {
            f.write_str("IF EXISTS ")?;
        }
        write!(f, "{}", self.name)
    }
}
