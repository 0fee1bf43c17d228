//! `RESET name` and `RESET ALL`.

use datafusion::sql::parser::ResetStatement;

use super::{Ctx, Output};
use crate::error::Result;

pub fn handle(ctx: &mut Ctx<'_>, statement: &ResetStatement) -> Result<Output> {
    let ResetStatement::Variable(name) = statement;
    let name = name.to_string();
    if name.eq_ignore_ascii_case("all") {
        let reported = ctx.session.update_params(|p| p.reset_all());
        ctx.reported.extend(reported);
    } else {
        let reported = ctx.session.update_params(|p| p.reset(&name))?;
        ctx.reported.extend(reported);
    }
    Ok(Output::Command("RESET"))
}
