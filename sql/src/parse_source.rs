//! Parsing secret and source statements (see `ast::secret`, `ast::source`).

use base64::Engine;
use datafusion_sql::sqlparser::keywords::Keyword;
use datafusion_sql::sqlparser::parser::{Parser, ParserError};
use datafusion_sql::sqlparser::tokenizer::{Token, TokenWithSpan};

use super::ast::GatewayStatement;
use super::ast::secret::{AlterSecret, CreateSecret, DropSecret, SecretValue};
use super::ast::source::{
    AlterSource, AlterSourceOperation, CreateSource, DropSource, ObjectPath, SourceInfo,
};
use super::grammar::{advance, expected, ident, location_error, option_key, option_list, type_name, word};

/// Recognises a secret or source statement; `None` (consuming nothing) otherwise.
pub fn parse(p: &mut Parser<'_>) -> Result<Option<GatewayStatement>, ParserError> {
    let w = |n| word(p, n);
    let (w0, w1, w2, w3) = (w(0), w(1), w(2), w(3));
    let words: Vec<&str> = [&w0, &w1, &w2, &w3].iter().map(|w| w.as_deref().unwrap_or("")).collect();
    let statement = match words.as_slice() {
        ["CREATE", "SECRET", ..] | ["CREATE", "OR", "REPLACE", "SECRET"] => {
            p.next_token();
            let or_replace = p.parse_keywords(&[Keyword::OR, Keyword::REPLACE]);
            p.next_token();
            let if_not_exists = p.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
            let name = ident(p)?;
            p.expect_keyword(Keyword::AS)?;
            let value = secret_value(p)?;
            GatewayStatement::CreateSecret(CreateSecret { name, or_replace, if_not_exists, value })
        }
        ["ALTER", "SECRET", ..] => {
            advance(p, 2);
            let name = ident(p)?;
            p.expect_keyword(Keyword::AS)?;
            GatewayStatement::AlterSecret(AlterSecret { name, value: secret_value(p)? })
        }
        ["DROP", "SECRET", ..] => {
            advance(p, 2);
            let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
            GatewayStatement::DropSecret(DropSecret { if_exists, name: ident(p)? })
        }
        ["CREATE", "SOURCE", ..] | ["CREATE", "OR", "REPLACE", "SOURCE"] => {
            p.next_token();
            let or_replace = p.parse_keywords(&[Keyword::OR, Keyword::REPLACE]);
            p.next_token();
            let if_not_exists = p.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
            let name = ident(p)?;
            p.expect_keyword(Keyword::TYPE)?;
            let source_type = type_name(p, "a source type")?;
            let options = if p.parse_keyword(Keyword::WITH) { option_list(p)? } else { Vec::new() };
            GatewayStatement::CreateSource(CreateSource {
                name,
                or_replace,
                if_not_exists,
                source_type,
                options,
            })
        }
        ["ALTER", "SOURCE", ..] => {
            advance(p, 2);
            let name = ident(p)?;
            let operation = if p.parse_keyword(Keyword::SET) {
                AlterSourceOperation::Set(option_list(p)?)
            } else if p.parse_keyword(Keyword::RESET) {
                p.expect_token(&Token::LParen)?;
                let keys = p.parse_comma_separated(option_key)?;
                p.expect_token(&Token::RParen)?;
                AlterSourceOperation::Reset(keys)
            } else if p.parse_keywords(&[Keyword::RENAME, Keyword::TO]) {
                AlterSourceOperation::RenameTo(ident(p)?)
            } else {
                return Err(expected("SET, RESET or RENAME TO", &p.peek_token()));
            };
            GatewayStatement::AlterSource(AlterSource { name, operation })
        }
        ["DROP", "SOURCE", ..] => {
            advance(p, 2);
            let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
            let name = ident(p)?;
            let cascade = matches!(
                p.parse_one_of_keywords(&[Keyword::CASCADE, Keyword::RESTRICT]),
                Some(Keyword::CASCADE)
            );
            GatewayStatement::DropSource(DropSource { if_exists, name, cascade })
        }
        ["SHOW", "SOURCES", ..] => info(p, 2, SourceInfo::ShowSources),
        ["SHOW", "SOURCE", "TYPES", ..] => info(p, 3, SourceInfo::ShowSourceTypes),
        ["SHOW", "SECRETS", ..] => info(p, 2, SourceInfo::ShowSecrets),
        ["SHOW", "DATABASES", "FROM", ..] => {
            advance(p, 3);
            GatewayStatement::SourceInfo(SourceInfo::ShowDatabases(ident(p)?))
        }
        ["SHOW", "TABLES", "FROM" | "IN", ..] => {
            advance(p, 3);
            GatewayStatement::SourceInfo(SourceInfo::ShowTables(path(p)?))
        }
        ["DESCRIBE" | "DESC", "SOURCE", "TYPE", ..] => {
            advance(p, 3);
            GatewayStatement::SourceInfo(SourceInfo::DescribeSourceType(type_name(p, "a source type")?))
        }
        ["DESCRIBE" | "DESC", "SOURCE", ..] => {
            advance(p, 2);
            GatewayStatement::SourceInfo(SourceInfo::DescribeSource(ident(p)?))
        }
        ["DESCRIBE" | "DESC", ..] => {
            advance(p, 1);
            // `DESCRIBE TABLE x` is DESCRIBE x
            if word(p, 0).as_deref() == Some("TABLE") {
                p.next_token();
            }
            GatewayStatement::SourceInfo(SourceInfo::DescribeTable(path(p)?))
        }
        ["TEST", "SOURCE", ..] => {
            advance(p, 2);
            GatewayStatement::SourceInfo(SourceInfo::TestSource(ident(p)?))
        }
        ["REFRESH", "SOURCE", ..] => {
            advance(p, 2);
            let name = ident(p)?;
            let database = if p.parse_keyword(Keyword::DATABASE) { Some(ident(p)?) } else { None };
            GatewayStatement::SourceInfo(SourceInfo::RefreshSource { name, database })
        }
        _ => return Ok(None),
    };
    Ok(Some(statement))
}

fn info(p: &mut Parser<'_>, words: usize, info: SourceInfo) -> GatewayStatement {
    advance(p, words);
    GatewayStatement::SourceInfo(info)
}

/// `a`, `a.b` or `a.b.c`.
fn path(p: &mut Parser<'_>) -> Result<ObjectPath, ParserError> {
    let ObjectPath(parts) = super::grammar::path(p)?;
    if parts.len() > 3 {
        return Err(expected("at most three name parts (source.database.table)", &p.peek_token()));
    }
    Ok(ObjectPath(parts))
}

/// `'text'` or `decode('…', 'base64' | 'hex')`.
fn secret_value(p: &mut Parser<'_>) -> Result<SecretValue, ParserError> {
    let token = p.next_token();
    match &token.token {
        Token::SingleQuotedString(s) | Token::EscapedStringLiteral(s) => Ok(SecretValue::Text(s.clone())),
        Token::DollarQuotedString(d) => Ok(SecretValue::Text(d.value.clone())),
        Token::Word(w) if w.value.eq_ignore_ascii_case("decode") => {
            p.expect_token(&Token::LParen)?;
            let data = match p.next_token() {
                TokenWithSpan { token: Token::SingleQuotedString(s), .. } => s,
                other => return Err(expected("the encoded value as a string", &other)),
            };
            p.expect_token(&Token::Comma)?;
            let format_at = p.peek_token();
            let format = match p.next_token() {
                TokenWithSpan { token: Token::SingleQuotedString(s), .. } => s.to_lowercase(),
                other => return Err(expected("'base64' or 'hex'", &other)),
            };
            p.expect_token(&Token::RParen)?;
            let compact: String = data.chars().filter(|c| !c.is_whitespace()).collect();
            let bytes = match format.as_str() {
                // SHOW CREATE's placeholder for a value it does not show (nothing decoded)
                "base64" | "hex" if compact == "***" => Some(Vec::new()),
                "base64" => base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()).ok(),
                "hex" => decode_hex(&compact),
                _ => return Err(expected("'base64' or 'hex'", &format_at)),
            };
            match bytes {
                Some(bytes) => Ok(SecretValue::Binary(bytes)),
                None => Err(location_error(format!("invalid {format} data in decode()"), token.span.start)),
            }
        }
        _ => Err(expected("the secret's value: a string or decode('…', 'base64')", &token)),
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}
