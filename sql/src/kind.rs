//! The kind of a statement: a short fixed label (metrics, logs) and whether it writes
//! the catalog — decided once, here, for every statement.

use datafusion_sql::parser::Statement as DfStatement;
use datafusion_sql::sqlparser::ast::Statement as SqlStatement;

use super::ast::pipeline::PipelineInfo;
use super::ast::source::SourceInfo;
use super::ast::sync::SyncInfo;
use super::ast::target::TargetInfo;
use super::{GatewayStatement, Statement};

/// What kind of statement a [`Statement`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementKind {
    /// A short, fixed name (`create_source`, `select`, `show` …): a metrics label.
    pub label: &'static str,
    /// Whether it changes the catalog (a gateway statement that is not SHOW, DESCRIBE,
    /// EXPLAIN, PREVIEW or TEST; REFRESH SOURCE writes the metadata cache).
    pub writes_catalog: bool,
}

impl Statement {
    /// What kind of statement this is: its label and whether it writes the catalog.
    pub fn kind(&self) -> StatementKind {
        let label = self.label();
        let writes_catalog = match self {
            Statement::Gateway(GatewayStatement::SourceInfo(SourceInfo::RefreshSource { .. })) => true,
            Statement::Gateway(GatewayStatement::Apply(a)) => !a.explain,
            Statement::Gateway(
                GatewayStatement::SourceInfo(_)
                | GatewayStatement::PipelineInfo(_)
                | GatewayStatement::TargetInfo(_)
                | GatewayStatement::SyncInfo(_)
                | GatewayStatement::ScheduleInfo(_)
                | GatewayStatement::ShowGrants(_)
                | GatewayStatement::ShowCreate(_)
                | GatewayStatement::ExplainLineage(_),
            ) => false,
            Statement::Gateway(_) => true,
            Statement::Query(_) => false,
        };
        StatementKind { label, writes_catalog }
    }

    fn label(&self) -> &'static str {
        match self {
            Statement::Gateway(g) => gateway_label(g),
            Statement::Query(df) => query_label(df),
        }
    }
}

fn gateway_label(g: &GatewayStatement) -> &'static str {
    use GatewayStatement as G;
    match g {
        G::CreateRole(_) => "create_role",
        G::AlterRole(_) => "alter_role",
        G::DropRole(_) => "drop_role",
        G::CreateSecret(_) => "create_secret",
        G::AlterSecret(_) => "alter_secret",
        G::DropSecret(_) => "drop_secret",
        G::CreateSource(_) => "create_source",
        G::AlterSource(_) => "alter_source",
        G::DropSource(_) => "drop_source",
        G::SourceInfo(SourceInfo::TestSource(_)) => "test_source",
        G::SourceInfo(SourceInfo::RefreshSource { .. }) => "refresh_source",
        G::SourceInfo(_) => "show",
        G::CreateTable(_) => "create_table",
        G::DropTable(_) => "drop_table",
        G::CreatePipeline(_) => "create_pipeline",
        G::AlterPipeline(_) => "alter_pipeline",
        G::DropPipeline(_) => "drop_pipeline",
        G::PipelineInfo(PipelineInfo::Explain { .. }) => "explain_pipeline",
        G::PipelineInfo(PipelineInfo::Preview { .. }) => "preview",
        G::PipelineInfo(_) => "show",
        G::CreateTarget(_) => "create_target",
        G::DropTarget(_) => "drop_target",
        G::TargetInfo(TargetInfo::TestTarget(_)) => "test_target",
        G::TargetInfo(_) => "show",
        G::StartPipeline(_) => "start_pipeline",
        G::StopPipeline(_) => "stop_pipeline",
        G::ResumePipeline(_) => "resume_pipeline",
        G::CreateSync(_) => "create_sync",
        G::DropSync(_) => "drop_sync",
        G::RefreshSync(_) => "refresh_sync",
        G::SyncInfo(SyncInfo::ExplainSync(_)) => "explain_sync",
        G::SyncInfo(_) => "show",
        G::CreateSchedule(_) => "create_schedule",
        G::AlterSchedule(_) => "alter_schedule",
        G::DropSchedule(_) => "drop_schedule",
        G::SetScheduleState(_) => "pause_schedule",
        G::RunSchedule(_) => "run_schedule",
        G::ScheduleInfo(_) => "show",
        G::GrantPrivileges(_) | G::GrantRole(_) => "grant",
        G::RevokePrivileges(_) | G::RevokeRole(_) => "revoke",
        G::AlterOwner(_) => "alter_owner",
        G::ShowGrants(_) | G::ShowCreate(_) => "show",
        G::Apply(a) if a.explain => "explain_apply",
        G::Apply(_) => "apply",
        G::ExplainLineage(_) => "explain_lineage",
    }
}

fn query_label(df: &DfStatement) -> &'static str {
    match df {
        DfStatement::Statement(s) => match s.as_ref() {
            SqlStatement::Query(_) => "select",
            SqlStatement::Set(_) => "set",
            SqlStatement::ShowVariable { .. } => "show",
            SqlStatement::StartTransaction { .. }
            | SqlStatement::Commit { .. }
            | SqlStatement::Rollback { .. }
            | SqlStatement::Savepoint { .. }
            | SqlStatement::ReleaseSavepoint { .. } => "transaction",
            SqlStatement::Deallocate { .. } | SqlStatement::Discard { .. } => "deallocate",
            SqlStatement::Explain { .. } => "explain",
            _ => "other",
        },
        DfStatement::Reset(_) => "reset",
        DfStatement::Explain(_) => "explain",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(sql: &str) -> StatementKind {
        crate::parse(sql).unwrap_or_else(|e| panic!("{sql}: {e}")).remove(0).statement.kind()
    }

    #[test]
    fn labels_and_catalog_writes() {
        let cases = [
            ("SELECT 1", "select", false),
            ("SHOW SOURCES", "show", false),
            ("TEST SOURCE s", "test_source", false),
            ("REFRESH SOURCE s", "refresh_source", true),
            ("DROP PIPELINE p", "drop_pipeline", true),
            ("PREVIEW PIPELINE p", "preview", false),
            ("SET search_path = x", "set", false),
        ];
        for (sql, label, writes) in cases {
            assert_eq!(kind(sql), StatementKind { label, writes_catalog: writes }, "{sql}");
        }
    }
}
