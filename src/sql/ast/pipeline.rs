//! Pipeline statements.

use std::fmt;

use datafusion::sql::sqlparser::ast::{Ident as SqlIdent, ObjectName, Query};

use super::Ident;
use super::options::{SqlOption, write_options};

/// One statement of a pipeline's body.
#[derive(Debug, Clone, PartialEq)]
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
            BodyStatement::View { name, columns: cols, query } => {
                write!(f, "CREATE TEMPORARY VIEW {name}{} AS {query}", columns(cols))
            }
            BodyStatement::Insert { sink, columns: cols, query } => write!(f, "INSERT INTO {sink}{} {query}", columns(cols)),
        }
    }
}

/// `CREATE [ OR REPLACE ] PIPELINE [ IF NOT EXISTS ] name [ WITH ( option = value [, …] ) ]
/// AS { INSERT INTO sink SELECT … | BEGIN statement; [ … ] END }`
///
/// The body is Flink SQL: `INSERT INTO sink SELECT …` statements (one or more), optionally
/// preceded by `CREATE TEMPORARY VIEW`. Options: `engine`, `mode`, `target`,
/// `parallelism`, `checkpoint_interval` … (`DESCRIBE PIPELINE OPTIONS` lists them).
#[derive(Debug, Clone, PartialEq)]
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
        statements => {
            let mut out = String::from("BEGIN\n");
            for s in statements {
                out.push_str(&format!("  {s};\n"));
            }
            out.push_str("END");
            out
        }
    }
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
