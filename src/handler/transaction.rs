//! `BEGIN`, `START TRANSACTION`, `COMMIT`, `END`, `ROLLBACK`, `ABORT`, `SAVEPOINT`,
//! `RELEASE SAVEPOINT`, `ROLLBACK TO SAVEPOINT`
//!
//! Accepted so that drivers and tools that wrap their work in transactions run. Queries
//! read the catalog as of each statement; gateway statements apply immediately (a
//! WARNING says so inside a block). An error inside a block aborts it, as in PostgreSQL.

use super::{Ctx, Notice, Output, TxState};
use crate::error::Result;

pub fn begin(ctx: &mut Ctx<'_>) -> Result<Output> {
    if ctx.tx != TxState::Idle {
        ctx.notices.push(Notice::warning("there is already a transaction in progress", None));
    }
    ctx.session.warned_in_transaction = false;
    Ok(Output::Begin)
}

pub fn commit(ctx: &mut Ctx<'_>) -> Result<Output> {
    match ctx.tx {
        TxState::Idle => {
            ctx.notices.push(Notice::warning("there is no transaction in progress", None));
            Ok(Output::End("COMMIT"))
        }
        TxState::InBlock => Ok(Output::End("COMMIT")),
        TxState::Failed => Ok(Output::End("ROLLBACK")),
    }
}

pub fn rollback(ctx: &mut Ctx<'_>, to_savepoint: bool) -> Result<Output> {
    if to_savepoint {
        return Ok(Output::Command("ROLLBACK"));
    }
    if ctx.tx == TxState::Idle {
        ctx.notices.push(Notice::warning("there is no transaction in progress", None));
    }
    Ok(Output::End("ROLLBACK"))
}

pub fn savepoint(_ctx: &mut Ctx<'_>, tag: &'static str) -> Result<Output> {
    Ok(Output::Command(tag))
}
