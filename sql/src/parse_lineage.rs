//! Parsing `EXPLAIN LINEAGE FOR { PIPELINE name | TABLE path } [ FORMAT f ]` (see
//! `ast::lineage`).

use datafusion_sql::sqlparser::parser::{Parser, ParserError};
use datafusion_sql::sqlparser::tokenizer::Token;

use super::ast::GatewayStatement;
use super::ast::lineage::{ExplainLineage, LineageFormat, LineageSubject};
use super::grammar::{advance, expected, ident, path, word};

/// Whether the words ahead start an EXPLAIN LINEAGE.
pub fn starts(words: [&str; 4]) -> bool {
    matches!(words, ["EXPLAIN", "LINEAGE", ..])
}

/// The statement (the caller checked [`starts`]).
pub fn parse(p: &mut Parser<'_>) -> Result<GatewayStatement, ParserError> {
    advance(p, 2);
    if word(p, 0).as_deref() != Some("FOR") {
        return Err(expected("FOR", &p.peek_token()));
    }
    advance(p, 1);
    let subject = match word(p, 0).as_deref() {
        Some("PIPELINE") => {
            advance(p, 1);
            LineageSubject::Pipeline(ident(p)?)
        }
        Some("TABLE") => {
            advance(p, 1);
            let at = p.peek_token();
            let name = path(p)?;
            if !(2..=3).contains(&name.0.len()) {
                return Err(expected("a table as source.table or source.database.table", &at));
            }
            LineageSubject::Table(name)
        }
        _ => return Err(expected("PIPELINE or TABLE", &p.peek_token())),
    };
    let mut format = LineageFormat::Text;
    if word(p, 0).as_deref() == Some("FORMAT") {
        advance(p, 1);
        let token = p.next_token();
        let found = match &token.token {
            Token::Word(w) => LineageFormat::from_name(&w.value),
            Token::SingleQuotedString(s) => LineageFormat::from_name(s),
            _ => None,
        };
        format = found.ok_or_else(|| expected("text, dot or mermaid", &token))?;
    }
    Ok(GatewayStatement::ExplainLineage(ExplainLineage { subject, format }))
}

#[cfg(test)]
mod tests {
    use crate::{assert_round_trip, gateway, parse};

    #[test]
    fn lineage_statements_round_trip() {
        for sql in [
            "EXPLAIN LINEAGE FOR PIPELINE p",
            "EXPLAIN LINEAGE FOR PIPELINE \"Orders\" FORMAT dot",
            "EXPLAIN LINEAGE FOR TABLE pg.public.orders FORMAT mermaid",
            "EXPLAIN LINEAGE FOR TABLE k.clicks",
        ] {
            assert_round_trip(sql);
        }
        assert_eq!(
            gateway("explain lineage for pipeline P format 'DOT'").to_string(),
            "EXPLAIN LINEAGE FOR PIPELINE p FORMAT dot"
        );
    }

    #[test]
    fn bad_lineage_statements_say_what_was_expected() {
        for (sql, wanted) in [
            ("EXPLAIN LINEAGE p", "FOR"),
            ("EXPLAIN LINEAGE FOR SOURCE s", "PIPELINE or TABLE"),
            ("EXPLAIN LINEAGE FOR TABLE t", "source.table"),
            ("EXPLAIN LINEAGE FOR PIPELINE p FORMAT json", "text, dot or mermaid"),
        ] {
            let err = parse(sql).expect_err(sql);
            assert!(err.to_string().contains(wanted), "{sql}: {err}");
        }
    }
}
