//! Parsing `SHOW CREATE kind name` (see `ast::show_create`).

use datafusion_sql::sqlparser::parser::{Parser, ParserError};

use super::ast::GatewayStatement;
use super::ast::show_create::{DefinitionKind, ShowCreate};
use super::ast::source::ObjectPath;
use super::grammar::{advance, expected, ident, path, word};

/// Whether the words ahead start a `SHOW CREATE` of one of Sluice's kinds.
pub fn starts(words: [&str; 4]) -> bool {
    matches!(words, ["SHOW", "CREATE", kind, _] if kind == "ALL" || DefinitionKind::from_keyword(kind).is_some())
}

/// `SHOW CREATE kind name` (the caller checked [`starts`]).
pub fn parse(p: &mut Parser<'_>) -> Result<GatewayStatement, ParserError> {
    if word(p, 2).as_deref() == Some("ALL") {
        advance(p, 3);
        return Ok(GatewayStatement::ShowCreate(ShowCreate::All));
    }
    let kind = word(p, 2).as_deref().and_then(DefinitionKind::from_keyword);
    let Some(kind) = kind else { return Err(expected("an object kind", &p.peek_nth_token(2))) };
    advance(p, 3);
    let name = if kind == DefinitionKind::Table {
        let at = p.peek_token();
        let name = path(p)?;
        if !(2..=3).contains(&name.0.len()) {
            return Err(expected("a table as source.table or source.database.table", &at));
        }
        name
    } else {
        ObjectPath(vec![ident(p)?])
    };
    Ok(GatewayStatement::ShowCreate(ShowCreate::Object { kind, name }))
}

#[cfg(test)]
mod tests {
    use crate::parse;
    use crate::{assert_round_trip, gateway};

    #[test]
    fn every_kind_round_trips() {
        for sql in [
            "SHOW CREATE ROLE alice",
            "SHOW CREATE SECRET \"Pg pw\"",
            "SHOW CREATE SOURCE shop",
            "SHOW CREATE TABLE k.clicks",
            "SHOW CREATE TABLE lake.db.t",
            "SHOW CREATE TARGET prod",
            "SHOW CREATE PIPELINE p",
            "SHOW CREATE SYNC s",
            "SHOW CREATE SCHEDULE nightly",
            "SHOW CREATE ALL",
        ] {
            assert_round_trip(sql);
        }
        assert_eq!(gateway("show create user Bob").to_string(), "SHOW CREATE ROLE bob");
    }

    #[test]
    fn a_table_needs_its_source() {
        let err = parse("SHOW CREATE TABLE t").expect_err("one part");
        assert!(err.to_string().contains("source.table"), "{err}");
        assert!(parse("SHOW CREATE SOURCE a.b").is_err());
    }
}
