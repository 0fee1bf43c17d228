//! Sluice's own statements: one struct per statement, each with its syntax in its doc
//! comment and a `Display` that prints SQL which parses back to an equal value.

use std::fmt;

use datafusion_sql::sqlparser::ast::Ident as SqlIdent;

pub mod apply;
pub mod grant;
pub mod lineage;
pub mod options;
pub mod pipeline;
mod role;
pub mod schedule;
pub mod secret;
pub mod show_create;
pub mod source;
pub mod sync;
pub mod table;
pub mod target;

pub use role::{AlterRole, AlterRoleOperation, CreateRole, DropRole, Password, RoleOption};

/// A gateway statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayStatement {
    CreateRole(CreateRole),
    AlterRole(AlterRole),
    DropRole(DropRole),
    CreateSecret(secret::CreateSecret),
    AlterSecret(secret::AlterSecret),
    DropSecret(secret::DropSecret),
    CreateSource(source::CreateSource),
    AlterSource(source::AlterSource),
    DropSource(source::DropSource),
    SourceInfo(source::SourceInfo),
    CreateTable(table::CreateTable),
    DropTable(table::DropTable),
    CreatePipeline(pipeline::CreatePipeline),
    AlterPipeline(pipeline::AlterPipeline),
    DropPipeline(pipeline::DropPipeline),
    PipelineInfo(pipeline::PipelineInfo),
    CreateTarget(target::CreateTarget),
    DropTarget(target::DropTarget),
    TargetInfo(target::TargetInfo),
    StartPipeline(target::StartPipeline),
    StopPipeline(target::StopPipeline),
    ResumePipeline(target::ResumePipeline),
    CreateSync(sync::CreateSync),
    DropSync(sync::DropSync),
    RefreshSync(sync::RefreshSync),
    SyncInfo(sync::SyncInfo),
    CreateSchedule(schedule::CreateSchedule),
    AlterSchedule(schedule::AlterSchedule),
    DropSchedule(schedule::DropSchedule),
    SetScheduleState(schedule::SetScheduleState),
    RunSchedule(schedule::RunSchedule),
    ScheduleInfo(schedule::ScheduleInfo),
    GrantPrivileges(grant::GrantPrivileges),
    RevokePrivileges(grant::RevokePrivileges),
    GrantRole(grant::GrantRole),
    RevokeRole(grant::RevokeRole),
    AlterOwner(grant::AlterOwner),
    ShowGrants(grant::ShowGrants),
    ShowCreate(show_create::ShowCreate),
    Apply(apply::Apply),
    ExplainLineage(lineage::ExplainLineage),
}

impl GatewayStatement {
    /// The statement as text for logs: like `Display`, with secrets replaced by `'***'`.
    pub fn redacted(&self) -> String {
        match self {
            GatewayStatement::CreateRole(s) => s.redacted().to_string(),
            GatewayStatement::AlterRole(s) => s.redacted().to_string(),
            GatewayStatement::CreateSecret(s) => s.redacted(),
            GatewayStatement::AlterSecret(s) => s.redacted(),
            // the script may create secrets and roles with passwords
            GatewayStatement::Apply(s) => format!("{}APPLY $$…$$", if s.explain { "EXPLAIN " } else { "" }),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for GatewayStatement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GatewayStatement::CreateRole(s) => s.fmt(f),
            GatewayStatement::AlterRole(s) => s.fmt(f),
            GatewayStatement::DropRole(s) => s.fmt(f),
            GatewayStatement::CreateSecret(s) => s.fmt(f),
            GatewayStatement::AlterSecret(s) => s.fmt(f),
            GatewayStatement::DropSecret(s) => s.fmt(f),
            GatewayStatement::CreateSource(s) => s.fmt(f),
            GatewayStatement::AlterSource(s) => s.fmt(f),
            GatewayStatement::DropSource(s) => s.fmt(f),
            GatewayStatement::SourceInfo(s) => s.fmt(f),
            GatewayStatement::CreateTable(s) => s.fmt(f),
            GatewayStatement::DropTable(s) => s.fmt(f),
            GatewayStatement::CreatePipeline(s) => s.fmt(f),
            GatewayStatement::AlterPipeline(s) => s.fmt(f),
            GatewayStatement::DropPipeline(s) => s.fmt(f),
            GatewayStatement::PipelineInfo(s) => s.fmt(f),
            GatewayStatement::CreateTarget(s) => s.fmt(f),
            GatewayStatement::DropTarget(s) => s.fmt(f),
            GatewayStatement::TargetInfo(s) => s.fmt(f),
            GatewayStatement::StartPipeline(s) => s.fmt(f),
            GatewayStatement::StopPipeline(s) => s.fmt(f),
            GatewayStatement::ResumePipeline(s) => s.fmt(f),
            GatewayStatement::CreateSync(s) => s.fmt(f),
            GatewayStatement::DropSync(s) => s.fmt(f),
            GatewayStatement::RefreshSync(s) => s.fmt(f),
            GatewayStatement::SyncInfo(s) => s.fmt(f),
            GatewayStatement::CreateSchedule(s) => s.fmt(f),
            GatewayStatement::AlterSchedule(s) => s.fmt(f),
            GatewayStatement::DropSchedule(s) => s.fmt(f),
            GatewayStatement::SetScheduleState(s) => s.fmt(f),
            GatewayStatement::RunSchedule(s) => s.fmt(f),
            GatewayStatement::ScheduleInfo(s) => s.fmt(f),
            GatewayStatement::GrantPrivileges(s) => s.fmt(f),
            GatewayStatement::RevokePrivileges(s) => s.fmt(f),
            GatewayStatement::GrantRole(s) => s.fmt(f),
            GatewayStatement::RevokeRole(s) => s.fmt(f),
            GatewayStatement::AlterOwner(s) => s.fmt(f),
            GatewayStatement::ShowGrants(s) => s.fmt(f),
            GatewayStatement::ShowCreate(s) => s.fmt(f),
            GatewayStatement::Apply(s) => s.fmt(f),
            GatewayStatement::ExplainLineage(s) => s.fmt(f),
        }
    }
}

/// An identifier, normalised as PostgreSQL does: unquoted names fold to lower case,
/// quoted names keep their case. `Display` quotes only when needed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ident(String);

impl Ident {
    /// An identifier with exactly this (already normalised) name.
    pub fn new(name: impl Into<String>) -> Ident {
        Ident(name.into())
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<SqlIdent> for Ident {
    fn from(ident: SqlIdent) -> Ident {
        if ident.quote_style.is_some() { Ident(ident.value) } else { Ident(ident.value.to_lowercase()) }
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_ident(f, &self.0)
    }
}

/// Writes `name` as a PostgreSQL identifier, quoted when it must be.
pub fn write_ident(f: &mut impl fmt::Write, name: &str) -> fmt::Result {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        && !is_reserved(name);
    if plain {
        f.write_str(name)
    } else {
        f.write_char('"')?;
        f.write_str(&name.replace('"', "\"\""))?;
        f.write_char('"')
    }
}

/// `name` as a PostgreSQL identifier, always quoted (for SQL sent to PostgreSQL itself).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `name` in backticks, always (for SQL sent to MySQL, Doris, StarRocks, and Flink SQL).
pub fn backtick_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// `value` as a SQL string literal.
pub fn quote_literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    let _ = write_literal(&mut out, value);
    out
}

/// Writes `value` as a SQL string literal.
pub fn write_literal(f: &mut impl fmt::Write, value: &str) -> fmt::Result {
    f.write_char('\'')?;
    f.write_str(&value.replace('\'', "''"))?;
    f.write_char('\'')
}

/// PostgreSQL's reserved key words (Appendix C), which cannot be bare identifiers.
fn is_reserved(name: &str) -> bool {
    const RESERVED: &[&str] = &[
        "all",
        "analyse",
        "analyze",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "asymmetric",
        "authorization",
        "binary",
        "both",
        "case",
        "cast",
        "check",
        "collate",
        "collation",
        "column",
        "concurrently",
        "constraint",
        "create",
        "cross",
        "current_catalog",
        "current_date",
        "current_role",
        "current_schema",
        "current_time",
        "current_timestamp",
        "current_user",
        "default",
        "deferrable",
        "desc",
        "distinct",
        "do",
        "else",
        "end",
        "except",
        "false",
        "fetch",
        "for",
        "foreign",
        "freeze",
        "from",
        "full",
        "grant",
        "group",
        "having",
        "ilike",
        "in",
        "initially",
        "inner",
        "intersect",
        "into",
        "is",
        "isnull",
        "join",
        "lateral",
        "leading",
        "left",
        "like",
        "limit",
        "localtime",
        "localtimestamp",
        "natural",
        "not",
        "notnull",
        "null",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "outer",
        "overlaps",
        "placing",
        "primary",
        "references",
        "returning",
        "right",
        "select",
        "session_user",
        "similar",
        "some",
        "symmetric",
        "system_user",
        "table",
        "tablesample",
        "then",
        "to",
        "trailing",
        "true",
        "union",
        "unique",
        "user",
        "using",
        "variadic",
        "verbose",
        "when",
        "where",
        "window",
        "with",
    ];
    RESERVED.binary_search(&name).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_words_are_sorted() {
        // binary_search above relies on it
        let mut probe = ["all", "with", "user", "order"];
        probe.sort();
        assert!(probe.iter().all(|w| is_reserved(w)));
        assert!(!is_reserved("alice"));
    }

    #[test]
    fn identifiers_are_quoted_only_when_needed() {
        let show = |s: &str| Ident::new(s).to_string();
        assert_eq!(show("alice"), "alice");
        assert_eq!(show("Alice"), "\"Alice\"");
        assert_eq!(show("user"), "\"user\"");
        assert_eq!(show("a b\"c"), "\"a b\"\"c\"");
        assert_eq!(show("1x"), "\"1x\"");
    }
}
