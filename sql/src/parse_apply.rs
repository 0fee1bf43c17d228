//! Parsing `[ EXPLAIN ] APPLY 'script' [ PRUNE ] [ ALLOW RESTART ]` (see `ast::apply`).

use datafusion_sql::sqlparser::parser::{Parser, ParserError};
use datafusion_sql::sqlparser::tokenizer::Token;

use super::ast::GatewayStatement;
use super::ast::apply::Apply;
use super::grammar::{advance, expected, word};

/// Whether the words ahead start an APPLY or EXPLAIN APPLY.
pub fn starts(words: [&str; 4]) -> bool {
    matches!(words, ["APPLY", ..] | ["EXPLAIN", "APPLY", ..])
}

/// The statement (the caller checked [`starts`]).
pub fn parse(p: &mut Parser<'_>) -> Result<GatewayStatement, ParserError> {
    let explain = word(p, 0).as_deref() == Some("EXPLAIN");
    advance(p, if explain { 2 } else { 1 });
    let token = p.next_token();
    let script = match token.token {
        Token::SingleQuotedString(s) | Token::EscapedStringLiteral(s) => s,
        Token::DollarQuotedString(d) => d.value,
        _ => return Err(expected("the script as a string ($$ … $$)", &token)),
    };
    let prune = word(p, 0).as_deref() == Some("PRUNE");
    if prune {
        advance(p, 1);
    }
    let allow_restart =
        !explain && word(p, 0).as_deref() == Some("ALLOW") && word(p, 1).as_deref() == Some("RESTART");
    if allow_restart {
        advance(p, 2);
    }
    Ok(GatewayStatement::Apply(Apply { script, explain, prune, allow_restart }))
}

#[cfg(test)]
mod tests {
    use crate::{assert_round_trip, gateway};

    #[test]
    fn apply_statements_round_trip() {
        for sql in [
            "EXPLAIN APPLY 'CREATE SOURCE s TYPE datagen;'",
            "APPLY 'CREATE ROLE a; GRANT b TO a' ALLOW RESTART",
            "EXPLAIN APPLY 'CREATE ROLE a' PRUNE",
            "APPLY 'CREATE ROLE a' PRUNE ALLOW RESTART",
            "APPLY 'it''s'",
        ] {
            assert_round_trip(sql);
        }
        let dollar = gateway("EXPLAIN APPLY $x$ CREATE PIPELINE p AS $$ INSERT INTO a.b SELECT 1 $$ $x$");
        assert_eq!(gateway(&dollar.to_string()), dollar);
        assert!(crate::parse("APPLY nothing").is_err());
    }
}
