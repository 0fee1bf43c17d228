//! `DEALLOCATE [ PREPARE ] { name | ALL }`

use datafusion::sql::sqlparser::ast::Ident;

use super::{Ctx, Output};
use crate::error::{Result, SluiceError};

pub fn handle(ctx: &mut Ctx<'_>, name: &Ident) -> Result<Output> {
    if name.quote_style.is_none() && name.value.eq_ignore_ascii_case("all") {
        return Ok(Output::Deallocate { name: None, tag: "DEALLOCATE ALL" });
    }
    let name = if name.quote_style.is_some() { name.value.clone() } else { name.value.to_lowercase() };
    if !ctx.session.prepared.contains(&name) {
        return Err(SluiceError::UndefinedObject { kind: "prepared statement", name });
    }
    Ok(Output::Deallocate { name: Some(name), tag: "DEALLOCATE" })
}
