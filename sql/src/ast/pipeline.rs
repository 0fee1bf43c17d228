//! Pipeline statements.

use std::fmt;

use datafusion_sql::sqlparser::ast::{Ident as SqlIdent, ObjectName, Query};

use super::Ident;
use super::options::{SqlOption, write_options};
use crate::window::restore;

/// One statement of a pipeline's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyStatement {
    /// `CREATE TEMPORARY VIEW name [ (columns) ] AS query`
    View { name: Ident, columns: Vec<SqlIdent>, query: Box<Query> },
    /// `INSERT INTO sink [ (columns) ] query`
    Insert { sink: ObjectName, columns: Vec<SqlIdent>, query: Box<Query> },
}

impl fmt::Display for BodyStatement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let columns = |cols: &[SqlIdent]| {
            if cols.is_empty() {
                String::new()
            } else {
                format!(" ({})", cols.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", "))
            }
        };
        match self {
            // window functions' table arguments as written (`TABLE t`)
            BodyStatement::View { name, columns: cols, query } => {
                write!(f, "CREATE TEMPORARY VIEW {name}{} AS {}", columns(cols), restore(query))
            }
            BodyStatement::Insert { sink, columns: cols, query } => {
                write!(f, "INSERT INTO {sink}{} {}", columns(cols), restore(query))
            }
        }
    }
}

/// `CREATE [ OR REPLACE ] PIPELINE [ IF NOT EXISTS ] name [ WITH ( option = value [, …] ) ]
/// AS { INSERT INTO sink SELECT … | BEGIN statement; [ … ] END }`
///
/// The body is Flink SQL: `INSERT INTO sink SELECT …` statements (one or more), optionally
/// preceded by `CREATE TEMPORARY VIEW`. Options: `engine`, `mode`, `target`,
/// `parallelism`, `checkpoint_interval` … (`DESCRIBE PIPELINE OPTIONS` lists them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePipeline {
    pub name: Ident,
    pub or_replace: bool,
    pub if_not_exists: bool,
    pub options: Vec<SqlOption>,
    pub body: Vec<BodyStatement>,
}

impl CreatePipeline {
    /// The body as SQL: one statement, or `BEGIN …; …; END`.
    pub fn body_sql(&self) -> String {
        body_sql(&self.body)
    }
}

/// A pipeline body as SQL (what SHOW CREATE PIPELINE and the catalog keep).
pub fn body_sql(body: &[BodyStatement]) -> String {
    match body {
        [single @ BodyStatement::Insert { .. }] => single.to_string(),
        statements => block_sql(statements),
    }
}

fn block_sql(statements: &[BodyStatement]) -> String {
    let mut out = String::from("BEGIN\n");
    for s in statements {
        out.push_str(&format!("  {s};\n"));
    }
    out.push_str("END");
    out
}

impl fmt::Display for CreatePipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CREATE ")?;
        if self.or_replace {
            f.write_str("OR REPLACE ")?;
        }
        f.write_str("PIPELINE ")?;
        if self.if_not_exists {
            f.write_str("IF NOT EXISTS ")?;
        }
        write!(f, "{}", self.name)?;
        if !self.options.is_empty() {
            f.write_str(" WITH ")?;
            write_options(f, &self.options)?;
        }
        write!(f, " AS {}", self.body_sql())
    }
}

/// `ALTER PIPELINE name { SET ( option = value [, …] ) | RESET ( option [, …] ) }`
///
/// Changes options only; the body is changed with `CREATE OR REPLACE PIPELINE`. Either
/// adds a row to `sluice.pipeline_versions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterPipeline {
    pub name: Ident,
    pub operation: AlterPipelineOperation,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlterPipelineOperation {
    Set(Vec<SqlOption>),
    Reset(Vec<String>),
}

impl fmt::Display for AlterPipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ALTER PIPELINE {} ", self.name)?;
        match &self.operation {
            AlterPipelineOperation::Set(options) => {
                f.write_str("SET ")?;
                write_options(f, options)
            }
            AlterPipelineOperation::Reset(keys) => {
                f.write_str("RESET (")?;
                for (i, key) in keys.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    super::options::write_key(f, key)?;
                }
                f.write_str(")")
            }
        }
    }
}

/// `DROP PIPELINE [ IF EXISTS ] name [, …]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropPipeline {
    pub if_exists: bool,
    pub names: Vec<Ident>,
}

impl fmt::Display for DropPipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DROP PIPELINE ")?;
        if self.if_exists {
            f.write_str("IF EXISTS ")?;
        }
        let names: Vec<String> = self.names.iter().map(|n| n.to_string()).collect();
        f.write_str(&names.join(", "))
    }
}

/// What `EXPLAIN PIPELINE … FORMAT x` renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExplainFormat {
    /// The plan as text: nodes, edges and schemas (the default).
    Text,
    /// A Flink SQL script.
    FlinkSql,
    /// A SeaTunnel (v2, HOCON) job config.
    SeaTunnel,
    /// A Flink CDC pipeline definition (YAML).
    FlinkCdc,
    /// Flink Kubernetes Operator resources (YAML).
    Kubernetes,
    /// The DAG in Graphviz dot.
    Dot,
    /// The DAG as a Mermaid flowchart.
    Mermaid,
    /// The whole plan as JSON.
    Json,
}

impl ExplainFormat {
    pub const ALL: &[ExplainFormat] = &[
        ExplainFormat::Text,
        ExplainFormat::FlinkSql,
        ExplainFormat::SeaTunnel,
        ExplainFormat::FlinkCdc,
        ExplainFormat::Kubernetes,
        ExplainFormat::Dot,
        ExplainFormat::Mermaid,
        ExplainFormat::Json,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ExplainFormat::Text => "text",
            ExplainFormat::FlinkSql => "flink_sql",
            ExplainFormat::SeaTunnel => "seatunnel",
            ExplainFormat::FlinkCdc => "flink_cdc",
            ExplainFormat::Kubernetes => "kubernetes",
            ExplainFormat::Dot => "dot",
            ExplainFormat::Mermaid => "mermaid",
            ExplainFormat::Json => "json",
        }
    }

    pub fn from_name(name: &str) -> Option<ExplainFormat> {
        Self::ALL.iter().copied().find(|f| f.name().eq_ignore_ascii_case(name))
    }
}

/// Statements that read pipelines.
///
/// * `SHOW PIPELINES`
/// * `DESCRIBE PIPELINE name` (nodes and edges), `DESCRIBE PIPELINE OPTIONS`
/// * `EXPLAIN PIPELINE name [ FORMAT format ] [ WITH ( option = value [, …] ) ]`
/// * `PREVIEW PIPELINE name [ SINK sink ] [ LIMIT n ]`
/// * `PREVIEW { INSERT INTO sink SELECT … | BEGIN …; … END } [ LIMIT n ]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PipelineInfo {
    ShowPipelines,
    DescribePipeline(Ident),
    DescribePipelineOptions,
    Explain { name: Ident, format: ExplainFormat, options: Vec<SqlOption> },
    Preview { target: PreviewTarget, limit: Option<u64> },
}

/// What PREVIEW runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreviewTarget {
    /// A stored pipeline, all sinks or one.
    Pipeline { name: Ident, sink: Option<ObjectName> },
    /// A body given in the statement.
    Body(Vec<BodyStatement>),
}

/// `PIPELINE name [SINK sink]`, or the body as a `BEGIN … END` block.
impl fmt::Display for PreviewTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PreviewTarget::Pipeline { name, sink } => {
                write!(f, "PIPELINE {name}")?;
                if let Some(sink) = sink {
                    write!(f, " SINK {sink}")?;
                }
                Ok(())
            }
            PreviewTarget::Body(body) => f.write_str(&block_sql(body)),
        }
    }
}

impl fmt::Display for PipelineInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PipelineInfo::ShowPipelines => f.write_str("SHOW PIPELINES"),
            PipelineInfo::DescribePipeline(n) => write!(f, "DESCRIBE PIPELINE {n}"),
            PipelineInfo::DescribePipelineOptions => f.write_str("DESCRIBE PIPELINE OPTIONS"),
            PipelineInfo::Explain { name, format, options } => {
                write!(f, "EXPLAIN PIPELINE {name}")?;
                if *format != ExplainFormat::Text {
                    write!(f, " FORMAT {}", format.name())?;
                }
                if !options.is_empty() {
                    f.write_str(" WITH ")?;
                    write_options(f, options)?;
                }
                Ok(())
            }
            PipelineInfo::Preview { target, limit } => {
                f.write_str("PREVIEW ")?;
                match target {
                    // a LIMIT after a lone INSERT would be the query's: keep BEGIN … END
                    PreviewTarget::Body(body) if limit.is_none() => f.write_str(&body_sql(body))?,
                    _ => write!(f, "{target}")?,
                }
                if let Some(limit) = limit {
                    write!(f, " LIMIT {limit}")?;
                }
                Ok(())
            }
        }
    }
}
