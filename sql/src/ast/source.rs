//! Source statements.

use std::fmt;

use super::options::{SqlOption, write_key, write_options};
use super::{Ident, write_literal};

/// `CREATE [ OR REPLACE ] SOURCE [ IF NOT EXISTS ] name TYPE type [ WITH ( option = value [, …] ) ]`
///
/// `type` is one of the source types (`SHOW SOURCE TYPES`); options are checked against
/// its schema (`DESCRIBE SOURCE TYPE type`); a value may be `SECRET name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateSource {
    pub name: Ident,
    pub or_replace: bool,
    pub if_not_exists: bool,
    pub source_type: String,
    pub options: Vec<SqlOption>,
}

impl fmt::Display for CreateSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CREATE ")?;
        if self.or_replace {
            f.write_str("OR REPLACE ")?;
        }
        f.write_str("SOURCE ")?;
        if self.if_not_exists {
            f.write_str("IF NOT EXISTS ")?;
        }
        write!(f, "{} TYPE {}", self.name, self.source_type)?;
        if !self.options.is_empty() {
            f.write_str(" WITH ")?;
            write_options(f, &self.options)?;
        }
        Ok(())
    }
}

/// `ALTER SOURCE name SET ( option = value [, …] )`,
/// `ALTER SOURCE name RESET ( option [, …] )`, `ALTER SOURCE name RENAME TO new_name`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterSource {
    pub name: Ident,
    pub operation: AlterSourceOperation,
}

/// What `ALTER SOURCE` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlterSourceOperation {
    Set(Vec<SqlOption>),
    Reset(Vec<String>),
    RenameTo(Ident),
}

impl fmt::Display for AlterSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ALTER SOURCE {} ", self.name)?;
        match &self.operation {
            AlterSourceOperation::Set(options) => {
                f.write_str("SET ")?;
                write_options(f, options)
            }
            AlterSourceOperation::Reset(keys) => {
                f.write_str("RESET (")?;
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_key(f, k)?;
                }
                f.write_str(")")
            }
            AlterSourceOperation::RenameTo(new_name) => write!(f, "RENAME TO {new_name}"),
        }
    }
}

/// `DROP SOURCE [ IF EXISTS ] name [ RESTRICT | CASCADE ]`
///
/// RESTRICT (the default) refuses while pipelines use the source; CASCADE drops them too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropSource {
    pub if_exists: bool,
    pub name: Ident,
    pub cascade: bool,
}

impl fmt::Display for DropSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DROP SOURCE ")?;
        if self.if_exists {
            f.write_str("IF EXISTS ")?;
        }
        write!(f, "{}", self.name)?;
        if self.cascade {
            f.write_str(" CASCADE")?;
        }
        Ok(())
    }
}

/// A dotted name of a source's object: `source`, `source.database`,
/// `source.database.table` (parts normalised like identifiers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectPath(pub Vec<Ident>);

impl fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, part) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{part}")?;
        }
        Ok(())
    }
}

/// Statements that read about sources and their live metadata.
///
/// * `SHOW SOURCES`, `SHOW SOURCE TYPES`, `SHOW SECRETS`
/// * `DESCRIBE SOURCE name`, `DESCRIBE SOURCE TYPE type`
/// * `TEST SOURCE name`, `REFRESH SOURCE name [ DATABASE db ]`
/// * `SHOW DATABASES FROM source`, `SHOW TABLES FROM source[.database]`
/// * `DESCRIBE source.database.table` (also `DESC`)
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceInfo {
    ShowSources,
    ShowSourceTypes,
    ShowSecrets,
    DescribeSource(Ident),
    DescribeSourceType(String),
    TestSource(Ident),
    RefreshSource { name: Ident, database: Option<Ident> },
    ShowDatabases(Ident),
    ShowTables(ObjectPath),
    DescribeTable(ObjectPath),
}

impl fmt::Display for SourceInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceInfo::ShowSources => f.write_str("SHOW SOURCES"),
            SourceInfo::ShowSourceTypes => f.write_str("SHOW SOURCE TYPES"),
            SourceInfo::ShowSecrets => f.write_str("SHOW SECRETS"),
            SourceInfo::DescribeSource(n) => write!(f, "DESCRIBE SOURCE {n}"),
            SourceInfo::DescribeSourceType(t) => {
                f.write_str("DESCRIBE SOURCE TYPE ")?;
                if t.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit()) {
                    f.write_str(t)
                } else {
                    write_literal(f, t)
                }
            }
            SourceInfo::TestSource(n) => write!(f, "TEST SOURCE {n}"),
            SourceInfo::RefreshSource { name, database } => {
                write!(f, "REFRESH SOURCE {name}")?;
                if let Some(db) = database {
                    write!(f, " DATABASE {db}")?;
                }
                Ok(())
            }
            SourceInfo::ShowDatabases(n) => write!(f, "SHOW DATABASES FROM {n}"),
            SourceInfo::ShowTables(p) => write!(f, "SHOW TABLES FROM {p}"),
            SourceInfo::DescribeTable(p) => write!(f, "DESCRIBE {p}"),
        }
    }
}
