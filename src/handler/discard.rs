//! `DISCARD { ALL | PLANS | SEQUENCES | TEMP }`
//!
//! `DISCARD ALL` (what connection poolers send between clients) resets every parameter
//! and deallocates every prepared statement; `DISCARD PLANS` drops cached plans.

use datafusion::sql::sqlparser::ast::DiscardObject;

use super::{Ctx, Output};
use crate::error::{Result, SluiceError};

pub fn handle(ctx: &mut Ctx<'_>, object: &DiscardObject) -> Result<Output> {
    match object {
        DiscardObject::ALL => {
            if ctx.tx != super::TxState::Idle {
                return Err(SluiceError::ActiveTransaction(
                    "DISCARD ALL cannot run inside a transaction block".into(),
                ));
            }
            let reported = ctx.session.update_params(|p| p.reset_all());
            ctx.reported.extend(reported);
            ctx.session.plans.clear();
            ctx.session.previews.clear();
            Ok(Output::Deallocate { name: None, tag: "DISCARD ALL" })
        }
        DiscardObject::PLANS => {
            ctx.session.plans.clear();
            ctx.session.previews.clear();
            Ok(Output::Command("DISCARD PLANS"))
        }
        DiscardObject::SEQUENCES => Ok(Output::Command("DISCARD SEQUENCES")),
        DiscardObject::TEMP => Ok(Output::Command("DISCARD TEMP")),
    }
}
