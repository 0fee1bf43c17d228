//! `TEST TARGET name` — rows (check, ok, latency_ms, detail), as TEST SOURCE: for a
//! flink target its REST API (version, free slots) and the runner jar; for a directory
//! target whether it can write there.

use super::test_source::checks_output;
use super::{Ctx, Output};
use crate::deploy::deployer;
use crate::deploy::targets;
use crate::error::Result;
use crate::sql::ast::Ident;

pub async fn handle(ctx: &mut Ctx<'_>, name: &Ident) -> Result<Output> {
    let target = targets::load(&ctx.rt.store, &ctx.rt.master_key, name.as_str()).await?;
    let checks = deployer(&target, ctx.rt)?.test().await;
    checks_output(checks)
}
