//! Any text through Sluice's SQL parser: it never panics; an error's position lies in the
//! text; every statement's range is a slice of the text; and every gateway statement
//! prints (`Display`) as SQL that parses back to an equal statement.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_sql::error::ParseError;
use sluice_sql::{Statement, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match parse(text) {
        Err(ParseError::Syntax { message, pos: Some(pos) }) => {
            let offset = pos.char_offset(text);
            let chars = text.chars().count();
            assert!(
                offset.is_some_and(|o| o >= 1 && o <= chars + 1),
                "position {pos:?} of {message:?} lies outside {text:?}"
            );
        }
        Err(e) => {
            let _ = e.to_string();
        }
        Ok(statements) => {
            for parsed in statements {
                let piece = text.get(parsed.range.clone()).unwrap_or_else(|| {
                    panic!("range {:?} is no slice of {text:?}", parsed.range)
                });
                if let Statement::Gateway(statement) = parsed.statement {
                    round_trip(&statement, piece);
                }
            }
        }
    }
});

/// `statement`'s text parses back to `statement`.
fn round_trip(statement: &sluice_sql::GatewayStatement, from: &str) {
    let shown = statement.to_string();
    let again = parse(&shown).unwrap_or_else(|e| panic!("{shown:?} (from {from:?}) does not parse: {e}"));
    assert_eq!(again.len(), 1, "{shown:?} (from {from:?}) parses as {} statements", again.len());
    match &again[0].statement {
        Statement::Gateway(back) => {
            assert_eq!(back, statement, "{shown:?} (from {from:?}) parses as another statement")
        }
        Statement::Query(q) => panic!("{shown:?} (from {from:?}) parses as a query: {q}"),
    }
}
