//! Parsing `CREATE TABLE` / `DROP TABLE` of declared tables (see `ast::table`).

use datafusion_sql::sqlparser::keywords::Keyword;
use datafusion_sql::sqlparser::parser::{Parser, ParserError};
use datafusion_sql::sqlparser::tokenizer::{Token, TokenWithSpan};

use super::ast::GatewayStatement;
use super::ast::table::{CreateTable, DropTable, Metadata, TableColumn, Watermark};
use super::grammar::{expected, ident, location_error, option_list, path, word};

/// Flink SQL type names a column may have.
const TYPES: &[&str] = &[
    "TINYINT",
    "SMALLINT",
    "INT",
    "INTEGER",
    "BIGINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
    "DEC",
    "NUMERIC",
    "BOOLEAN",
    "CHAR",
    "VARCHAR",
    "STRING",
    "BINARY",
    "VARBINARY",
    "BYTES",
    "DATE",
    "TIME",
    "TIMESTAMP",
    "TIMESTAMP_LTZ",
    "INTERVAL",
    "ARRAY",
    "MAP",
    "MULTISET",
    "ROW",
    "RAW",
];

pub fn parse(p: &mut Parser<'_>) -> Result<Option<GatewayStatement>, ParserError> {
    let words: Vec<Option<String>> = (0..4).map(|n| word(p, n)).collect();
    let w = |n: usize| words[n].as_deref().unwrap_or("");
    let statement = match (w(0), w(1), w(2), w(3)) {
        ("CREATE", "TABLE", ..) | ("CREATE", "OR", "REPLACE", "TABLE") => {
            p.next_token();
            let or_replace = p.parse_keywords(&[Keyword::OR, Keyword::REPLACE]);
            p.next_token();
            let if_not_exists = p.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
            GatewayStatement::CreateTable(create_table(p, or_replace, if_not_exists)?)
        }
        ("DROP", "TABLE", ..) => {
            p.next_token();
            p.next_token();
            let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
            GatewayStatement::DropTable(DropTable { if_exists, name: path(p)? })
        }
        _ => return Ok(None),
    };
    Ok(Some(statement))
}

fn create_table(
    p: &mut Parser<'_>,
    or_replace: bool,
    if_not_exists: bool,
) -> Result<CreateTable, ParserError> {
    let name = path(p)?;
    p.expect_token(&Token::LParen)?;
    let mut table = CreateTable {
        name,
        or_replace,
        if_not_exists,
        columns: Vec::new(),
        watermark: None,
        primary_key: Vec::new(),
        options: Vec::new(),
    };
    loop {
        match word(p, 0).as_deref() {
            Some("WATERMARK") => {
                p.next_token();
                p.expect_keyword(Keyword::FOR)?;
                let column = ident(p)?;
                p.expect_keyword(Keyword::AS)?;
                let expr = p.parse_expr()?.to_string();
                table.watermark = Some(Watermark { column, expr });
            }
            Some("PRIMARY") => {
                p.next_token();
                p.expect_keyword(Keyword::KEY)?;
                p.expect_token(&Token::LParen)?;
                table.primary_key = p.parse_comma_separated(ident)?;
                p.expect_token(&Token::RParen)?;
                if p.parse_keyword(Keyword::NOT) {
                    p.expect_keyword(Keyword::ENFORCED)?;
                }
            }
            _ => table.columns.push(column(p)?),
        }
        if p.consume_token(&Token::RParen) {
            break;
        }
        p.expect_token(&Token::Comma)?;
    }
    if p.parse_keyword(Keyword::WITH) {
        table.options = option_list(p)?;
    }
    Ok(table)
}

fn column(p: &mut Parser<'_>) -> Result<TableColumn, ParserError> {
    let name = ident(p)?;
    if p.parse_keyword(Keyword::AS) {
        return Ok(TableColumn::Computed { name, expr: p.parse_expr()?.to_string() });
    }
    let data_type = data_type(p)?;
    let mut not_null = false;
    let mut metadata = None;
    loop {
        if p.parse_keywords(&[Keyword::NOT, Keyword::NULL]) {
            not_null = true;
        } else if p.parse_keyword(Keyword::NULL) {
            not_null = false;
        } else if word(p, 0).as_deref() == Some("METADATA") {
            p.next_token();
            let key = if p.parse_keyword(Keyword::FROM) { Some(p.parse_literal_string()?) } else { None };
            let is_virtual = word(p, 0).as_deref() == Some("VIRTUAL");
            if is_virtual {
                p.next_token();
            }
            metadata = Some(Metadata { key, is_virtual });
        } else {
            break;
        }
    }
    Ok(TableColumn::Physical { name, data_type, not_null, metadata })
}

/// A Flink SQL type, normalised to upper case with its parameters: `DECIMAL(10, 2)`,
/// `TIMESTAMP(3)`, `ARRAY<STRING>`, `ROW<a INT, b STRING>`.
fn data_type(p: &mut Parser<'_>) -> Result<String, ParserError> {
    let first = p.next_token();
    let base = match &first.token {
        Token::Word(w) => w.value.to_uppercase(),
        _ => return Err(expected("a column type", &first)),
    };
    if !TYPES.contains(&base.as_str()) {
        return Err(location_error(
            format!(
                "type \"{}\" does not exist (column types are Flink SQL types such as BIGINT, STRING, DECIMAL(10, 2), TIMESTAMP(3))",
                base.to_lowercase()
            ),
            first.span.start,
        ));
    }
    let mut out = base.clone();
    // TIMESTAMP(3) WITH LOCAL TIME ZONE, TIME WITHOUT TIME ZONE …
    match p.peek_token().token {
        Token::LParen => {
            p.next_token();
            let args = p.parse_comma_separated(|p| match p.next_token() {
                TokenWithSpan { token: Token::Number(n, _), .. } => Ok(n),
                other => Err(expected("a number", &other)),
            })?;
            p.expect_token(&Token::RParen)?;
            out.push_str(&format!("({})", args.join(", ")));
        }
        Token::Lt => {
            p.next_token();
            let mut depth = 1;
            out.push('<');
            let mut previous_word = false;
            while depth > 0 {
                let t = p.next_token();
                match &t.token {
                    Token::Lt => depth += 1,
                    Token::Gt => depth -= 1,
                    Token::ShiftRight => depth -= 2,
                    Token::EOF => return Err(expected(">", &t)),
                    _ => {}
                }
                let text = match &t.token {
                    Token::Word(w) => w.value.to_uppercase(),
                    Token::Comma => ", ".to_owned(),
                    other => other.to_string(),
                };
                let is_word = matches!(t.token, Token::Word(_));
                if is_word && previous_word {
                    out.push(' ');
                }
                previous_word = is_word;
                out.push_str(&text);
            }
            if depth < 0 {
                return Err(location_error("unbalanced > in a type".into(), first.span.start));
            }
        }
        _ => {}
    }
    if (base == "TIMESTAMP" || base == "TIME") && p.parse_keyword(Keyword::WITH) {
        if p.parse_keywords(&[Keyword::LOCAL, Keyword::TIME, Keyword::ZONE]) {
            out.push_str(" WITH LOCAL TIME ZONE");
        } else {
            p.expect_keywords(&[Keyword::TIME, Keyword::ZONE])?;
            out.push_str(" WITH TIME ZONE");
        }
    } else if (base == "TIMESTAMP" || base == "TIME")
        && p.parse_keywords(&[Keyword::WITHOUT, Keyword::TIME, Keyword::ZONE])
    {
        out.push_str(" WITHOUT TIME ZONE");
    }
    Ok(out)
}
