//! Source types: one module per type, each a typed option schema (what a user may set,
//! of what type, required or not, secret or not, in which group) plus what the type can
//! do and how its options map onto Flink connector and SeaTunnel plugin options.
//!
//! Options are validated when `CREATE SOURCE` / `ALTER SOURCE` runs: an unknown key (with
//! the closest known one suggested), a wrong value type, or a missing required option is
//! an error (22023) naming the option.

pub mod access;
mod blackhole;
mod datagen;
pub mod definition;
pub mod doris;
mod filesystem;
pub mod frontend;
mod gravitino;
mod jdbc;
mod kafka;
pub mod live;
pub mod logical;
pub mod mysql;
mod paimon;
pub mod postgres;
mod print;
mod pulsar;
pub mod render;
pub mod schema;
pub mod sink;
pub mod starrocks;
pub mod validate;

use std::fmt;

use crate::error::Result;

pub use schema::{Group, OptionSpec, ValueType};
pub use validate::{ResolvedOptions, StoredValue, validate};

/// An engine a source type can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Apache Flink SQL.
    Flink,
    /// Apache SeaTunnel (Zeta).
    SeaTunnel,
    /// Flink CDC pipelines (YAML).
    FlinkCdc,
    /// Embedded in the gateway (DataFusion), for small batch jobs.
    Local,
}

impl Engine {
    /// The engine a pipeline compiled for `engine` runs on.
    pub fn of_pipeline(engine: sluice_catalog::PipelineEngine) -> Engine {
        match engine {
            sluice_catalog::PipelineEngine::Flink => Engine::Flink,
            sluice_catalog::PipelineEngine::SeaTunnel => Engine::SeaTunnel,
            sluice_catalog::PipelineEngine::FlinkCdc => Engine::FlinkCdc,
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Engine::Flink => "flink",
            Engine::SeaTunnel => "seatunnel",
            Engine::FlinkCdc => "flink-cdc",
            Engine::Local => "local",
        })
    }
}

/// A source type.
#[derive(Debug)]
pub struct SourceType {
    pub name: &'static str,
    pub description: &'static str,
    pub can_read: bool,
    pub can_write: bool,
    pub engines: &'static [Engine],
    /// The Flink SQL connector (`'connector' = …`) and SeaTunnel plugin the type becomes.
    pub flink_connector: &'static str,
    pub seatunnel_plugin: &'static str,
    pub options: &'static [OptionSpec],
    /// Key prefixes passed through as they are (`properties.` for Kafka client settings,
    /// `fs.` for Paimon's file system …); values are strings and may be secrets.
    pub passthrough: &'static [&'static str],
    /// Whether its tables live in databases (three-part names) or directly under the
    /// source (two-part names, as Kafka topics).
    pub has_databases: bool,
    /// Options of tables declared with CREATE TABLE (empty: its tables are read from the
    /// system, not declared), and the key prefixes passed through for them.
    pub table_options: &'static [OptionSpec],
    pub table_passthrough: &'static [&'static str],
    /// Whether a pipeline may write a table of it before it exists (Sluice or the engine
    /// creates it from the statement's columns when the pipeline starts).
    pub creates_tables: bool,
    /// Whether a streaming pipeline reads its tables as change streams (CDC).
    pub reads_changes: bool,
    /// Whether its "databases" are schemas of one database (PostgreSQL): engines name its
    /// tables `database.schema.table`.
    pub databases_are_schemas: bool,
    /// Whether Sluice reads its databases, tables and columns from the system itself
    /// (SHOW TABLES, DESCRIBE, REFRESH) — of every source of the type, or of some (a
    /// Paimon warehouse on the gateway's file system); otherwise its tables are declared.
    pub introspects: bool,
    /// What whole-database syncs do with it.
    pub sync: logical::SyncRole,
    /// How its tables become each engine's connectors.
    pub connector: &'static dyn Connector,
}

/// How the tables of one source type become each engine's connectors. Each type
/// implements it in its own folder (`connectors/<type>/`); an engine a type does not
/// support answers 0A000 naming the table.
#[async_trait::async_trait]
pub trait Connector: Sync + fmt::Debug {
    /// The Flink SQL table (or catalog table) of one table.
    fn flink(
        &self,
        cx: &render::TableCx<'_>,
        _secrets: &mut render::Secrets,
    ) -> Result<render::FlinkConnector> {
        Err(render::unsupported("Flink SQL", cx.table, "Flink SQL has no connector for it."))
    }

    /// The SeaTunnel plugin (name and block) of one table.
    fn seatunnel(
        &self,
        cx: &render::TableCx<'_>,
        _secrets: &mut render::Secrets,
    ) -> Result<render::SeaTunnelPlugin> {
        Err(render::seatunnel_unsupported(cx.table))
    }

    /// The `source` block of a Flink CDC pipeline reading tables of this type.
    fn flink_cdc_source(
        &self,
        cx: &render::CdcSource<'_>,
        _secrets: &mut render::Secrets,
    ) -> Result<render::CdcBlock> {
        Err(render::flink_cdc_unsupported(format!(
            "Flink CDC pipelines read MySQL or PostgreSQL, not {} ({})",
            cx.table.source_type.name, cx.table.path
        )))
    }

    /// The `sink` block of a Flink CDC pipeline writing a table of this type.
    fn flink_cdc_sink(
        &self,
        _plan: &crate::plan::PipelinePlan,
        table: &crate::plan::TableUse,
        _secrets: &mut render::Secrets,
    ) -> Result<render::CdcBlock> {
        Err(render::flink_cdc_unsupported(format!(
            "Flink CDC pipelines write Doris, StarRocks, Kafka or Paimon, not {} ({})",
            table.source_type.name, table.path
        )))
    }

    /// TEST SOURCE's checks: a protocol check where the type has one, else whether what
    /// [`Connector::reach`] names can be reached.
    async fn test(&self, endpoint: &live::Endpoint<'_>) -> Vec<live::Check> {
        live::reachability(endpoint, self.reach(endpoint)).await
    }

    /// What reachability checks for a type without a protocol check.
    fn reach(&self, _endpoint: &live::Endpoint<'_>) -> live::Reach {
        live::Reach::InsideEngine
    }

    /// Its databases (PostgreSQL: schemas), live; `None` when it cannot be introspected.
    async fn databases(
        &self,
        _endpoint: &live::Endpoint<'_>,
    ) -> Option<std::result::Result<Vec<String>, String>> {
        None
    }

    /// The tables of `database` (or one of them) with their columns, live; `None` when
    /// it cannot be introspected.
    async fn tables(
        &self,
        _endpoint: &live::Endpoint<'_>,
        _database: &str,
        _table: Option<&str>,
    ) -> Option<std::result::Result<Vec<live::Table>, String>> {
        None
    }

    /// Runs `(table shown, statement)` DDL on the system (START creates missing sink
    /// tables before an engine that does not create them runs); `None` when Sluice has no
    /// SQL connection to it.
    async fn run_ddl(
        &self,
        _endpoint: &live::Endpoint<'_>,
        _statements: &[(String, String)],
    ) -> Option<Result<()>> {
        None
    }

    /// Opens a connection to a source of it for the local target's writes (`table`, the
    /// first table written, names it in errors); `None` when the local target cannot
    /// write the type.
    async fn open_sink(
        &self,
        _table: &crate::plan::TableUse,
        _source: &access::LoadedSource,
    ) -> Option<Result<Box<dyn sink::LocalSink>>> {
        None
    }

    /// The `CREATE TABLE IF NOT EXISTS` of a sink table a pipeline creates, typed from the
    /// written columns' Flink types; `None` where Sluice does not create its tables.
    fn create_table(&self, _table: &crate::plan::TableUse, _columns: &[String]) -> Option<String> {
        None
    }

    /// What live reads of its tables connect with (datafusion-table-providers); `None`
    /// when its tables cannot be queried live.
    fn live_catalog(&self, _source: &access::LoadedSource) -> Option<crate::engine::sources::SourceCatalog> {
        None
    }

    /// Why the gateway does not read its tables live (PREVIEW, queries): the hint of the
    /// 0A000 such a read gets.
    fn no_live_reads(&self) -> &'static str {
        "The gateway reads MySQL-protocol and PostgreSQL sources live; tables of this type are read by the engines only."
    }
}

impl SourceType {
    /// The option called `name`.
    pub fn option(&self, name: &str) -> Option<&'static OptionSpec> {
        self.options.iter().find(|o| o.name == name)
    }
}

/// Every source type, in the order `SHOW SOURCE TYPES` lists them.
pub const SOURCE_TYPES: &[&SourceType] = &[
    &mysql::MYSQL,
    &postgres::POSTGRES,
    &kafka::KAFKA,
    &pulsar::PULSAR,
    &doris::DORIS,
    &starrocks::STARROCKS,
    &paimon::PAIMON,
    &filesystem::FILESYSTEM,
    &gravitino::GRAVITINO,
    &datagen::DATAGEN,
    &print::PRINT,
    &blackhole::BLACKHOLE,
];

/// The source type called `name` (case-insensitive).
pub fn source_type(name: &str) -> Option<&'static SourceType> {
    SOURCE_TYPES.iter().copied().find(|t| t.name.eq_ignore_ascii_case(name))
}

/// `sluice.source_types` as one batch (type, can_read, can_write, engines, description,
/// json_schema).
pub fn catalog_batch() -> datafusion::error::Result<datafusion::arrow::record_batch::RecordBatch> {
    use std::sync::Arc;

    use datafusion::arrow::array::{ArrayRef, BooleanArray, ListBuilder, StringArray, StringBuilder};
    let mut engines = ListBuilder::new(StringBuilder::new());
    for t in SOURCE_TYPES {
        for e in t.engines {
            engines.values().append_value(e.to_string());
        }
        engines.append(true);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(SOURCE_TYPES.iter().map(|t| t.name))),
        Arc::new(BooleanArray::from_iter(SOURCE_TYPES.iter().map(|t| Some(t.can_read)))),
        Arc::new(BooleanArray::from_iter(SOURCE_TYPES.iter().map(|t| Some(t.can_write)))),
        Arc::new(engines.finish()),
        Arc::new(StringArray::from_iter_values(SOURCE_TYPES.iter().map(|t| t.description))),
        Arc::new(StringArray::from_iter_values(
            SOURCE_TYPES.iter().map(|t| schema::json_schema(t).to_string()),
        )),
    ];
    Ok(datafusion::arrow::record_batch::RecordBatch::try_new(
        sluice_catalog::system::source_types_schema(),
        columns,
    )?)
}

/// The known name closest to `name`, if one is close enough to be a likely typo.
pub fn closest<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    known
        .map(|k| (crate::error::strsim_distance(name, k), k))
        .filter(|(d, k)| *d <= (k.len().max(name.len()) / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// The source type called `name`, or an error listing the close ones.
pub fn lookup_type(name: &str) -> Result<&'static SourceType> {
    source_type(name).ok_or_else(|| crate::error::SluiceError::InvalidOption {
        message: format!("unknown source type \"{name}\""),
        hint: Some(match closest(name, SOURCE_TYPES.iter().map(|t| t.name)) {
            Some(near) => format!("Did you mean \"{near}\"? SHOW SOURCE TYPES lists them."),
            None => "SHOW SOURCE TYPES lists them.".to_owned(),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_is_well_formed() {
        for t in SOURCE_TYPES {
            assert!(t.can_read || t.can_write, "{}", t.name);
            assert!(!t.engines.is_empty(), "{}", t.name);
            let mut names: Vec<&str> = t.options.iter().map(|o| o.name).collect();
            names.sort();
            let before = names.len();
            names.dedup();
            assert_eq!(before, names.len(), "{}: duplicate option", t.name);
            for o in t.options {
                assert!(!o.description.is_empty(), "{}.{}", t.name, o.name);
                if let Some(default) = o.default {
                    assert!(
                        o.value_type.check_text(default).is_ok(),
                        "{}.{} default {default}",
                        t.name,
                        o.name
                    );
                }
                assert!(
                    !(o.required && o.default.is_some()),
                    "{}.{} required with a default",
                    t.name,
                    o.name
                );
            }
        }
    }

    #[test]
    fn the_contracts_types_are_all_here() {
        let names: Vec<&str> = SOURCE_TYPES.iter().map(|t| t.name).collect();
        for expected in [
            "mysql",
            "postgres",
            "kafka",
            "pulsar",
            "doris",
            "starrocks",
            "paimon",
            "filesystem",
            "gravitino",
            "datagen",
            "print",
            "blackhole",
        ] {
            assert!(names.contains(&expected), "{expected}");
        }
    }
}
