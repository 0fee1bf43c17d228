//! PostgreSQL's dialect with a bound on the parser's work.
//!
//! sqlparser retries a failed reserved-word expression as an identifier (`CAST(` as a
//! call of a function named cast, `ARRAY[` as a column …), so text that nests such words
//! and then fails parses in time exponential in the nesting: `SELECT CAST(CAST(…` twelve
//! deep took seconds, sixteen deep minutes — a statement any client could send. Valid
//! statements never backtrack like that. [`Bounded`] counts the parser's expression
//! prefixes (every operand it starts to read) and, past a budget proportional to the
//! statement's tokens, answers every further one with sqlparser's recursion-limit error,
//! which no retry swallows: the parse unwinds at once and the statement is refused as too
//! complex (54001, as PostgreSQL refuses statements nested beyond its stack).
//!
//! Everything else is PostgreSQL's dialect: each method it defines is forwarded, and the
//! dialect reports PostgreSQL's type id, so sqlparser's and DataFusion's
//! "is this PostgreSQL" checks answer as before.

use std::any::TypeId;
use std::cell::Cell;

use datafusion_sql::sqlparser::ast::Expr;
use datafusion_sql::sqlparser::dialect::{Dialect, PostgreSqlDialect, Precedence};
use datafusion_sql::sqlparser::keywords::Keyword;
use datafusion_sql::sqlparser::parser::{Parser, ParserError};

/// Expression prefixes a statement may start per token of its text (the rest of the
/// budget is [`BASE`]). Valid statements stay under 4 per token; the exponential cases
/// pass any constant within a few levels of nesting.
const PER_TOKEN: usize = 32;
const BASE: usize = 20_000;

/// PostgreSQL's dialect, refusing to parse past its budget.
#[derive(Debug)]
pub struct Bounded {
    inner: PostgreSqlDialect,
    left: Cell<usize>,
}

/// The stack left below which sqlparser's recursive methods continue on a new stack
/// segment, and that segment's size. `recursive`'s defaults (128 KiB, 2 MiB) are too
/// narrow for a debug build, whose frames between two such methods can pass 128 KiB:
/// `SELECT INTERVAL (` nested 40 deep overflowed a worker's stack.
const RED_ZONE: usize = 1 << 20;
const SEGMENT: usize = 8 << 20;

impl Bounded {
    /// A dialect for parsing text of `tokens` tokens.
    pub fn new(tokens: usize) -> Bounded {
        static MARGINS: std::sync::Once = std::sync::Once::new();
        MARGINS.call_once(|| {
            recursive::set_minimum_stack_size(RED_ZONE);
            recursive::set_stack_allocation_size(SEGMENT);
        });
        Bounded { inner: PostgreSqlDialect {}, left: Cell::new(BASE + tokens.saturating_mul(PER_TOKEN)) }
    }

    /// Whether the budget ran out (the parse failed for that reason).
    pub fn exhausted(&self) -> bool {
        self.left.get() == 0
    }
}

macro_rules! forward {
    ($( fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty; )*) => {
        $( fn $name(&self $(, $arg: $ty)*) -> $ret { self.inner.$name($($arg),*) } )*
    };
}

impl Dialect for Bounded {
    fn dialect(&self) -> TypeId {
        TypeId::of::<PostgreSqlDialect>()
    }

    fn parse_prefix(&self, _parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
        match self.left.get() {
            0 => Some(Err(ParserError::RecursionLimitExceeded)),
            n => {
                self.left.set(n - 1);
                None
            }
        }
    }

    forward! {
        fn identifier_quote_style(&self, identifier: &str) -> Option<char>;
        fn is_delimited_identifier_start(&self, ch: char) -> bool;
        fn is_identifier_start(&self, ch: char) -> bool;
        fn is_identifier_part(&self, ch: char) -> bool;
        fn supports_unicode_string_literal(&self) -> bool;
        fn is_reserved_for_identifier(&self, kw: Keyword) -> bool;
        fn is_custom_operator_part(&self, ch: char) -> bool;
        fn get_next_precedence(&self, parser: &Parser) -> Option<Result<u8, ParserError>>;
        fn supports_filter_during_aggregation(&self) -> bool;
        fn supports_group_by_expr(&self) -> bool;
        fn prec_value(&self, prec: Precedence) -> u8;
        fn allow_extract_custom(&self) -> bool;
        fn allow_extract_single_quotes(&self) -> bool;
        fn supports_create_index_with_clause(&self) -> bool;
        fn supports_explain_with_utility_options(&self) -> bool;
        fn supports_listen_notify(&self) -> bool;
        fn supports_factorial_operator(&self) -> bool;
        fn supports_bitwise_shift_operators(&self) -> bool;
        fn supports_comment_on(&self) -> bool;
        fn supports_load_extension(&self) -> bool;
        fn supports_named_fn_args_with_colon_operator(&self) -> bool;
        fn supports_named_fn_args_with_expr_name(&self) -> bool;
        fn supports_empty_projections(&self) -> bool;
        fn supports_nested_comments(&self) -> bool;
        fn supports_string_escape_constant(&self) -> bool;
        fn supports_numeric_literal_underscores(&self) -> bool;
        fn supports_array_typedef_with_brackets(&self) -> bool;
        fn supports_geometric_types(&self) -> bool;
        fn supports_set_names(&self) -> bool;
        fn supports_alter_column_type_using(&self) -> bool;
        fn supports_notnull_operator(&self) -> bool;
        fn supports_interval_options(&self) -> bool;
        fn supports_insert_table_alias(&self) -> bool;
        fn supports_create_table_like_parenthesized(&self) -> bool;
        fn supports_select_wildcard_with_alias(&self) -> bool;
        fn supports_comma_separated_trim(&self) -> bool;
        fn supports_xml_expressions(&self) -> bool;
        fn supports_comment_optimizer_hint(&self) -> bool;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every method PostgreSQL's dialect defines is forwarded: the two dialects answer
    /// alike for every keyword and a range of characters and precedences.
    #[test]
    fn answers_as_postgresql_does() {
        let pg = PostgreSqlDialect {};
        let bounded = Bounded::new(10);
        let d: &dyn Dialect = &bounded;
        assert!(d.is::<PostgreSqlDialect>());
        for ch in ['a', 'Z', '_', '$', '"', '`', '[', '0', 'é', '+', '~', '#', '@'] {
            assert_eq!(bounded.is_identifier_start(ch), pg.is_identifier_start(ch), "{ch}");
            assert_eq!(bounded.is_identifier_part(ch), pg.is_identifier_part(ch), "{ch}");
            assert_eq!(bounded.is_delimited_identifier_start(ch), pg.is_delimited_identifier_start(ch));
            assert_eq!(bounded.is_custom_operator_part(ch), pg.is_custom_operator_part(ch), "{ch}");
        }
        for kw in datafusion_sql::sqlparser::keywords::ALL_KEYWORDS_INDEX {
            assert_eq!(bounded.is_reserved_for_identifier(*kw), pg.is_reserved_for_identifier(*kw), "{kw:?}");
        }
        for prec in
            [Precedence::Eq, Precedence::And, Precedence::Or, Precedence::MulDivModOp, Precedence::PlusMinus]
        {
            assert_eq!(bounded.prec_value(prec), pg.prec_value(prec));
        }
        assert!(bounded.supports_filter_during_aggregation() && bounded.supports_nested_comments());
        assert_eq!(bounded.identifier_quote_style("x"), Some('"'));
    }

    /// Nested reserved words that end in an error are refused at once as too complex
    /// (they took time exponential in their depth), valid nesting still parses, and a
    /// shallow error keeps its syntax message and position.
    #[test]
    fn failing_nested_words_are_refused_quickly() {
        use crate::error::ParseError;
        for opener in ["CAST(", "ARRAY[", "INTERVAL (", "EXISTS (", "CASE WHEN "] {
            let text = format!("SELECT {}", opener.repeat(40));
            let start = std::time::Instant::now();
            let e = crate::parse(&text).expect_err("incomplete");
            assert!(matches!(e, ParseError::TooComplex | ParseError::Syntax { .. }), "{text}: {e:?}");
            // a generous bound on a debug build: without the budget this is hours
            assert!(start.elapsed().as_secs() < 5, "{text} took {:?}", start.elapsed());
        }
        let deep = format!("SELECT {}1{}", "CAST(".repeat(20), " AS BIGINT)".repeat(20));
        crate::parse(&deep).expect("valid nesting parses");
        let wide = format!(
            "SELECT {}",
            (0..2000).map(|i| format!("CAST(c{i} AS INT)")).collect::<Vec<_>>().join(", ")
        );
        crate::parse(&wide).expect("a wide statement parses");
        match crate::parse("SELECT CAST(CAST(1 AS INT) AS)").expect_err("bad") {
            ParseError::Syntax { pos: Some(_), .. } => {}
            other => panic!("{other:?}"),
        }
    }
}
