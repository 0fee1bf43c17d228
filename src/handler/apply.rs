//! `EXPLAIN APPLY 'script'` and `APPLY 'script' [ ALLOW RESTART ]` — see [`Apply`] for the
//! syntax. The plan is [`crate::service::apply`]'s; APPLY then runs each change's
//! statements through [`super::gateway`], as if the client had sent them one by one:
//! every object's own statements in dependency order, then owners and grants. It stops at
//! the first failure and says what was applied before it.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;

use super::{Ctx, Output, rows, text};
use crate::error::{Result, SluiceError, SqlState};
use crate::service::apply::{Action, Change, plan};
use crate::sql::ast::GatewayStatement;
use crate::sql::ast::apply::Apply;
use crate::sql::error::SourcePos;
use crate::sql::{LineIndex, Statement, parse};

const COLUMNS: [(&str, DataType); 5] = [
    ("kind", DataType::Utf8),
    ("name", DataType::Utf8),
    ("action", DataType::Utf8),
    ("restart", DataType::Boolean),
    ("diff", DataType::Utf8),
];

/// The result columns (EXPLAIN APPLY and APPLY return the same), for Describe.
pub fn schema() -> datafusion::arrow::datatypes::SchemaRef {
    let fields: Vec<_> =
        COLUMNS.iter().map(|(n, t)| datafusion::arrow::datatypes::Field::new(*n, t.clone(), true)).collect();
    std::sync::Arc::new(datafusion::arrow::datatypes::Schema::new(fields))
}

pub async fn handle(ctx: &mut Ctx<'_>, statement: &Apply, sql: &str) -> Result<Output> {
    let shift = |e: SluiceError| in_statement(e, sql, &statement.script);
    let changes = plan(ctx.rt, &ctx.session.user, &statement.script, statement.prune).await.map_err(shift)?;
    if !statement.explain {
        run(ctx, &changes, statement.allow_restart).await.map_err(shift)?;
    }
    let shown = changes.iter().filter(|c| statement.explain || c.action != Action::Unchanged);
    let out = shown
        .map(|c| {
            vec![
                text(c.kind.name()),
                text(c.name.clone()),
                text(c.action.name()),
                ScalarValue::Boolean(Some(c.restart)),
                text(c.diff.clone()),
            ]
        })
        .collect();
    rows(if statement.explain { "EXPLAIN" } else { "APPLY" }, &COLUMNS, out)
}

/// Runs the changes: refused as a whole when one would restart a running deployment
/// without `allow_restart`.
async fn run(ctx: &mut Ctx<'_>, changes: &[Change], allow_restart: bool) -> Result<()> {
    if !allow_restart && let Some(c) = changes.iter().find(|c| c.restart) {
        return Err(SluiceError::Query {
            state: SqlState::ObjectNotInPrerequisiteState,
            message: format!(
                "{} {} is running: applying its change restarts it, and nothing was applied",
                c.kind.name(),
                c.name
            ),
            hint: Some(
                "Apply with ALLOW RESTART (sluice apply --allow-restart) to stop and start it again.".into(),
            ),
            pos: Some(c.at),
        });
    }
    let mut applied: Vec<String> = Vec::new();
    let (drops, changes): (Vec<&Change>, Vec<&Change>) =
        changes.iter().partition(|c| c.action == Action::Drop);
    for c in changes.iter().filter(|c| !c.main.is_empty()) {
        let target = match c.restart {
            true => restart_target(ctx, &c.name).await?,
            false => None,
        };
        if target.is_some() {
            one(ctx, &format!("STOP PIPELINE {}", crate::sql::ast::Ident::new(c.name.clone())), &applied)
                .await?;
            applied.push(format!("{} {} stopped", c.kind.name(), c.name));
        }
        for sql in &c.main {
            one(ctx, sql, &applied).await?;
        }
        if let Some(target) = target {
            let name = crate::sql::ast::Ident::new(c.name.clone());
            one(
                ctx,
                &format!("START PIPELINE {name} ON TARGET {}", crate::sql::ast::Ident::new(target)),
                &applied,
            )
            .await?;
        }
        applied.push(format!("{} {} ({})", c.kind.name(), c.name, c.action.name()));
    }
    for c in changes.iter().filter(|c| !c.extras.is_empty()) {
        for sql in &c.extras {
            one(ctx, sql, &applied).await?;
        }
        applied.push(format!("{} {}'s owner and grants", c.kind.name(), c.name));
    }
    for c in drops {
        if c.restart {
            one(ctx, &format!("STOP PIPELINE {}", crate::sql::ast::Ident::new(c.name.clone())), &applied)
                .await?;
        }
        for sql in &c.main {
            one(ctx, sql, &applied).await?;
        }
        applied.push(format!("{} {} (drop)", c.kind.name(), c.name));
    }
    Ok(())
}

/// The target of pipeline `name`'s active deployment.
async fn restart_target(ctx: &mut Ctx<'_>, name: &str) -> Result<Option<String>> {
    let deployments = ctx.rt.store.deployments(Some(name)).await?;
    Ok(deployments.into_iter().find(|d| d.state.is_active()).map(|d| d.target))
}

/// Runs one statement of the plan; a failure says what was applied before it.
async fn one(ctx: &mut Ctx<'_>, sql: &str, applied: &[String]) -> Result<()> {
    let parsed = parse(sql).map_err(SluiceError::from)?;
    let Some(Statement::Gateway(g)) = parsed.into_iter().next().map(|p| p.statement) else {
        return Err(SluiceError::Internal("a planned statement is not a gateway statement".into()));
    };
    if matches!(g, GatewayStatement::Apply(_)) {
        return Err(SluiceError::Internal("an APPLY within an APPLY".into()));
    }
    // each statement takes the catalog lock as it would sent on its own (a START of a
    // full sync takes it itself, to plan the sync again)
    let lock = match super::runs_a_job(&g) {
        false => Some(ctx.rt.store.catalog_lock().await?),
        true => None,
    };
    let out = Box::pin(super::gateway(ctx, &g, sql)).await;
    if let Some(lock) = lock {
        lock.release().await;
    }
    match out {
        Ok(_) => Ok(()),
        Err(e) => {
            let done = if applied.is_empty() { "nothing".to_owned() } else { applied.join(", ") };
            Err(SluiceError::Query {
                state: e.sqlstate(),
                message: format!("{} (applied before it: {done})", e.message()),
                hint: e.hint().map(str::to_owned),
                pos: None,
            })
        }
    }
}

/// `e`, with a position in the script moved to where the script is in the statement.
fn in_statement(e: SluiceError, sql: &str, script: &str) -> SluiceError {
    let (Some(pos), Some(start)) = (e.pos(), sql.find(script)) else { return e };
    let start = LineIndex::new(sql).pos(start);
    let moved = SourcePos {
        line: pos.line + start.line - 1,
        column: if pos.line == 1 { pos.column + start.column - 1 } else { pos.column },
    };
    SluiceError::Query {
        state: e.sqlstate(),
        message: e.message(),
        hint: e.hint().map(str::to_owned),
        pos: Some(moved),
    }
}
