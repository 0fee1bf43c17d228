//! `BEGIN`, `START TRANSACTION`, `COMMIT`, `END`, `ROLLBACK`, `ABORT`, `SAVEPOINT`,
//! `RELEASE SAVEPOINT`, `ROLLBACK TO SAVEPOINT`
//!
//! Accepted so that drivers and tools that wrap their work in transactions run. Queries
//! read the catalog as of each statement; gateway statements apply immediately (a
//! WARNING says so inside a block). An error inside a block aborts it, as in PostgreSQL.

use super::{Ctx, Notice, Output, TxState};
use crate::error::{Result, SluiceError};

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
        outside_block(ctx, "ROLLBACK TO SAVEPOINT")?;
        return Ok(Output::RolledBackToSavepoint);
    }
    if ctx.tx == TxState::Idle {
        ctx.notices.push(Notice::warning("there is no transaction in progress", None));
    }
    Ok(Output::End("ROLLBACK"))
}

pub fn savepoint(ctx: &mut Ctx<'_>, tag: &'static str) -> Result<Output> {
    outside_block(ctx, if tag == "RELEASE" { "RELEASE SAVEPOINT" } else { "SAVEPOINT" })?;
    Ok(Output::Command(tag))
}

/// Savepoints exist only inside a transaction block (25P01 otherwise).
fn outside_block(ctx: &Ctx<'_>, what: &str) -> Result<()> {
    if ctx.tx == TxState::Idle {
        return Err(SluiceError::NoActiveTransaction(format!(
            "{what} can only be used in transaction blocks"
        )));
    }
    Ok(())
}
