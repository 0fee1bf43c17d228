//! `SET name { TO | = } value [, …]`, `SET TIME ZONE …`, `SET NAMES …`, `SET TRANSACTION …`
//!
//! Session parameters only; see `server::params` for the list. `SET LOCAL` behaves as
//! `SET` (Sluice has no transaction-scoped settings).

use datafusion::sql::sqlparser::ast::{Expr, Set, Value};

use super::{Ctx, Output};
use crate::error::{Result, SluiceError};

pub fn handle(ctx: &mut Ctx<'_>, set: &Set) -> Result<Output> {
    match set {
        Set::SingleAssignment { variable, values, .. } => {
            assign(ctx, &variable.to_string(), values)?;
        }
        Set::MultipleAssignments { assignments } => {
            for a in assignments {
                assign(ctx, &a.name.to_string(), std::slice::from_ref(&a.value))?;
            }
        }
        Set::SetTimeZone { value, .. } => assign(ctx, "TimeZone", std::slice::from_ref(value))?,
        Set::SetNames { charset_name, .. } => {
            let value = Expr::Value(Value::SingleQuotedString(charset_name.value.clone()).into());
            assign(ctx, "client_encoding", &[value])?;
        }
        Set::SetNamesDefault {} => reset(ctx, "client_encoding")?,
        Set::SetTransaction { .. } => {}
        Set::SetRole { .. } | Set::SetSessionAuthorization(_) => {
            return Err(SluiceError::not_supported(
                "SET ROLE and SET SESSION AUTHORIZATION are not supported",
                Some("Connect as the role you want to act as."),
            ));
        }
        other => {
            return Err(SluiceError::not_supported(format!("{other} is not supported"), None));
        }
    }
    Ok(Output::Command("SET"))
}

fn assign(ctx: &mut Ctx<'_>, name: &str, values: &[Expr]) -> Result<()> {
    let name = unquote_name(name);
    let is_default = values.len() == 1
        && matches!(&values[0], Expr::Identifier(i) if i.quote_style.is_none()
            && (i.value.eq_ignore_ascii_case("default") || i.value.eq_ignore_ascii_case("local")));
    if values.is_empty() || is_default {
        return reset(ctx, &name);
    }
    // Parameters whose value is a list of names (GUC_LIST_QUOTE in PostgreSQL) keep a
    // quoted identifier quoted; for the others its text is the value.
    let list_quote =
        name.eq_ignore_ascii_case("search_path") || name.eq_ignore_ascii_case("temp_tablespaces");
    let value = values.iter().map(|v| render(v, list_quote)).collect::<Vec<_>>().join(", ");
    let reported = ctx.session.update_params(|p| p.set(&name, &value))?;
    ctx.reported.extend(reported);
    Ok(())
}

fn reset(ctx: &mut Ctx<'_>, name: &str) -> Result<()> {
    let reported = ctx.session.update_params(|p| p.reset(name))?;
    ctx.reported.extend(reported);
    Ok(())
}

/// A parameter name as typed (`"DateStyle"` keeps its quotes off).
fn unquote_name(name: &str) -> String {
    name.split('.').map(|part| part.trim_matches('"')).collect::<Vec<_>>().join(".")
}

/// A SET value as PostgreSQL stores it: strings unquoted, identifiers as written
/// (a quoted one in quotes where the value is a list of names).
fn render(expr: &Expr, list_quote: bool) -> String {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) | Value::EscapedStringLiteral(s) | Value::DoubleQuotedString(s) => {
                s.clone()
            }
            Value::Number(n, _) => n.to_string(),
            Value::Boolean(b) => {
                if *b {
                    "on".into()
                } else {
                    "off".into()
                }
            }
            other => other.to_string(),
        },
        Expr::Identifier(i) if i.quote_style.is_some() && list_quote => format!("\"{}\"", i.value),
        Expr::Identifier(i) if i.quote_style.is_some() => i.value.clone(),
        Expr::Identifier(i) => i.value.to_lowercase(),
        other => other.to_string(),
    }
}
