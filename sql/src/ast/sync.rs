//! Whole-database sync statements.

use std::fmt;

use super::options::{SqlOption, write_options};
use super::{Ident, write_literal};

/// Which tables of the source database a sync takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Including {
    /// `INCLUDING ALL` (also what no INCLUDING clause means).
    All,
    /// `INCLUDING TABLES 'regex'`: names matching the whole expression.
    Tables(String),
}

/// The databases of the source a sync reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceDatabases {
    /// `DATABASE db`: one database.
    Named(Ident),
    /// `DATABASES 'regex'`: every database whose whole name matches; tables of one name in
    /// several of them (shards) merge into one sink table.
    Matching(String),
}

impl fmt::Display for SourceDatabases {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceDatabases::Named(db) => write!(f, "DATABASE {db}"),
            SourceDatabases::Matching(regex) => {
                f.write_str("DATABASES ")?;
                write_literal(f, regex)
            }
        }
    }
}

/// ```text
/// CREATE [ OR REPLACE ] SYNC DATABASE [ IF NOT EXISTS ] name
///   FROM source { DATABASE db | DATABASES 'regex' }
///     [ INCLUDING TABLES 'regex' | INCLUDING ALL ] [ EXCLUDING TABLES 'regex' ]
///   TO sink [ DATABASE db ]
///   [ WITH ( option = value [, …] ) ]
/// ```
///
/// Plans, from the source's metadata, one sink table per selected source table (types
/// mapped per source → sink pair) and compiles them into one pipeline called `name`.
/// `DATABASE` after the sink is required for sinks with databases and absent for Kafka.
/// Source tables that get one sink name (tables of one name in several databases, or
/// names a route maps together) merge into one sink table of their common columns.
/// Options: `DESCRIBE SYNC OPTIONS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateSync {
    pub name: Ident,
    pub or_replace: bool,
    pub if_not_exists: bool,
    pub source: Ident,
    pub source_database: SourceDatabases,
    pub including: Including,
    pub excluding: Option<String>,
    pub sink: Ident,
    pub sink_database: Option<Ident>,
    pub options: Vec<SqlOption>,
}

impl fmt::Display for CreateSync {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CREATE ")?;
        if self.or_replace {
            f.write_str("OR REPLACE ")?;
        }
        f.write_str("SYNC DATABASE ")?;
        if self.if_not_exists {
            f.write_str("IF NOT EXISTS ")?;
        }
        write!(f, "{} FROM {} {}", self.name, self.source, self.source_database)?;
        match &self.including {
            Including::All => f.write_str(" INCLUDING ALL")?,
            Including::Tables(regex) => {
                f.write_str(" INCLUDING TABLES ")?;
                write_literal(f, regex)?;
            }
        }
        if let Some(regex) = &self.excluding {
            f.write_str(" EXCLUDING TABLES ")?;
            write_literal(f, regex)?;
        }
        write!(f, " TO {}", self.sink)?;
        if let Some(db) = &self.sink_database {
            write!(f, " DATABASE {db}")?;
        }
        if !self.options.is_empty() {
            f.write_str(" WITH ")?;
            write_options(f, &self.options)?;
        }
        Ok(())
    }
}

/// `DROP SYNC [ IF EXISTS ] name [, …]`
///
/// Drops the sync and its pipeline; refused (2BP01) while the pipeline is deployed.
/// Tables it created on the sink stay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropSync {
    pub if_exists: bool,
    pub names: Vec<Ident>,
}

impl fmt::Display for DropSync {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DROP SYNC ")?;
        if self.if_exists {
            f.write_str("IF EXISTS ")?;
        }
        for (i, n) in self.names.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{n}")?;
        }
        Ok(())
    }
}

/// `REFRESH SYNC name`
///
/// Plans the sync again from the source's current metadata, with the statement and
/// options it was made with: tables created since that match its INCLUDING / EXCLUDING
/// are added, tables dropped from the source leave it, changed columns are mapped
/// afresh. Its pipeline gets a new version, which the next START runs (a running
/// deployment keeps the version it started). Returns a row per change: `+` a table
/// added, `-` a table gone, `~` a table whose columns changed; none when nothing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshSync {
    pub name: Ident,
}

impl fmt::Display for RefreshSync {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "REFRESH SYNC {}", self.name)
    }
}

/// Read-only sync statements: `SHOW SYNCS`, `DESCRIBE SYNC name` (a row per column of
/// every table: source_table, sink_table, column, source_type, sink_type …),
/// `DESCRIBE SYNC OPTIONS`, `EXPLAIN SYNC name` (per table the sink DDL it runs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncInfo {
    ShowSyncs,
    DescribeSync(Ident),
    DescribeSyncOptions,
    ExplainSync(Ident),
}

impl fmt::Display for SyncInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyncInfo::ShowSyncs => f.write_str("SHOW SYNCS"),
            SyncInfo::DescribeSync(n) => write!(f, "DESCRIBE SYNC {n}"),
            SyncInfo::DescribeSyncOptions => f.write_str("DESCRIBE SYNC OPTIONS"),
            SyncInfo::ExplainSync(n) => write!(f, "EXPLAIN SYNC {n}"),
        }
    }
}
