//! `EXPLAIN PIPELINE name [FORMAT f] [WITH (…)]` — the plan as text (one row per line, as
//! PostgreSQL's EXPLAIN), or the artifacts of format `f` (one row per file: artifact,
//! content). `WITH` takes the Kubernetes settings of `FORMAT kubernetes`.

use datafusion::arrow::datatypes::DataType;

use super::{Ctx, Output, rows, text};
use crate::compile::{compile, kubernetes};
use crate::error::{Result, SluiceError};
use crate::plan::Tables;
use crate::service::pipelines::{load, plan};
use crate::sql::ast::Ident;
use crate::sql::ast::options::SqlOption;
use crate::sql::ast::pipeline::ExplainFormat;

pub async fn handle(
    ctx: &mut Ctx<'_>,
    name: &Ident,
    format: ExplainFormat,
    options: &[SqlOption],
) -> Result<Output> {
    if !options.is_empty() && format != ExplainFormat::Kubernetes {
        return Err(SluiceError::InvalidOption {
            message: format!("EXPLAIN PIPELINE … FORMAT {} takes no options", format.name()),
            hint: Some("WITH (…) sets the Kubernetes resources of FORMAT kubernetes.".into()),
        });
    }
    let k8s = kubernetes::Settings::new(options)?;
    let stored = load(ctx.rt, name.as_str()).await?;
    let plan = plan(ctx.rt, &mut ctx.notices, &stored, Tables::Schemas, None).await?;
    let artifacts = compile(&plan, format, &k8s)?;
    if format == ExplainFormat::Text {
        let lines = artifacts
            .iter()
            .flat_map(|a| a.content.lines().map(|l| vec![text(l)]).collect::<Vec<_>>())
            .collect();
        return rows("EXPLAIN", &[("QUERY PLAN", DataType::Utf8)], lines);
    }
    rows(
        "EXPLAIN",
        &[("artifact", DataType::Utf8), ("content", DataType::Utf8)],
        artifacts.into_iter().map(|a| vec![text(a.name), text(a.content)]).collect(),
    )
}
