//! Statement text for logs, with secrets taken out.
//!
//! Clients send passwords and secret values inside statements (`PASSWORD '…'`,
//! `CREATE SECRET s AS '…'`). Anything written to a log goes through [`redact_sql`],
//! which replaces every string literal in such a position by `'***'`.

use datafusion_sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion_sql::sqlparser::keywords::Keyword;
use datafusion_sql::sqlparser::tokenizer::{Token, Tokenizer};

/// `sql` with secret literals replaced; a text that does not tokenize is not shown at all.
pub fn redact_sql(sql: &str) -> String {
    let dialect = PostgreSqlDialect {};
    let Ok(tokens) = Tokenizer::new(&dialect, sql).tokenize() else {
        return "<statement that does not tokenize; not shown>".to_owned();
    };
    let mut out = String::with_capacity(sql.len());
    // Whether the current statement is CREATE/ALTER SECRET (every literal is secret).
    let mut words_in_statement: Vec<Keyword> = Vec::new();
    let mut after_password = false;
    // The last option key seen (`password` in `password = '…'`), while its value is due.
    let mut key: Option<String> = None;
    let mut after_eq = false;
    for token in &tokens {
        if let Token::Eq = token {
            after_eq = key.is_some();
            out.push('=');
            continue;
        }
        let sensitive_value = after_eq && key.as_deref().is_some_and(is_sensitive_key);
        if !matches!(token, Token::Whitespace(_)) {
            key = match token {
                Token::Word(w) => Some(w.value.to_lowercase()),
                Token::SingleQuotedString(s) if !after_eq => Some(s.to_lowercase()),
                _ => None,
            };
            after_eq = false;
        }
        match token {
            Token::SemiColon => {
                words_in_statement.clear();
                after_password = false;
                out.push(';');
            }
            Token::Whitespace(_) => out.push_str(&token.to_string()),
            Token::SingleQuotedString(_)
            | Token::EscapedStringLiteral(_)
            | Token::DollarQuotedString(_)
            | Token::NationalStringLiteral(_)
            | Token::HexStringLiteral(_)
            | Token::UnicodeStringLiteral(_)
            | Token::DoubleQuotedString(_)
            | Token::SingleQuotedByteStringLiteral(_)
            | Token::DoubleQuotedByteStringLiteral(_)
            | Token::Number(..)
                if after_password || sensitive_value || is_secret_statement(&words_in_statement) =>
            {
                out.push_str("'***'");
                after_password = false;
            }
            Token::Word(w) => {
                if words_in_statement.len() < 4 {
                    words_in_statement.push(w.keyword);
                }
                after_password =
                    w.keyword == Keyword::PASSWORD || (after_password && w.keyword == Keyword::ENCRYPTED);
                out.push_str(&token.to_string());
            }
            other => {
                after_password = false;
                out.push_str(&other.to_string());
            }
        }
    }
    out
}

/// Option keys whose values are secrets (`password`, `sasl_password`, `fs.s3.secret-key`,
/// `token` …). Such options take `SECRET name`; a literal there is a mistake to hide.
fn is_sensitive_key(key: &str) -> bool {
    ["password", "secret", "token", "credential", "access-key", "access_key", "jaas", "private"]
        .iter()
        .any(|s| key.contains(s))
}

fn is_secret_statement(first_words: &[Keyword]) -> bool {
    matches!(
        first_words,
        [Keyword::CREATE | Keyword::ALTER, Keyword::SECRET, ..]
            | [Keyword::CREATE, Keyword::OR, Keyword::REPLACE, Keyword::SECRET]
            // a declarative script may create secrets and roles with passwords
            | [Keyword::APPLY, ..]
            | [Keyword::EXPLAIN, Keyword::APPLY, ..]
    )
}

#[cfg(test)]
mod tests {
    use super::redact_sql;

    #[test]
    fn passwords_and_secret_values_are_hidden() {
        let out = redact_sql("CREATE ROLE a LOGIN PASSWORD 'p1'; ALTER USER b PASSWORD 'p2'");
        assert!(!out.contains("p1") && !out.contains("p2"), "{out}");
        assert!(out.contains("CREATE ROLE a LOGIN PASSWORD '***'"), "{out}");
        let out = redact_sql(
            "CREATE SOURCE s TYPE mysql WITH (host = 'h', password = 'p5', 'fs.s3.secret-key' = 'p6')",
        );
        assert!(!out.contains("p5") && !out.contains("p6") && out.contains("'h'"), "{out}");
        let out = redact_sql("ALTER ROLE a PASSWORD U&'p3'; ALTER ROLE b PASSWORD $$p4$$");
        assert!(!out.contains("p3") && !out.contains("p4"), "{out}");
        let out = redact_sql("CREATE OR REPLACE SECRET k AS decode('c2VjcmV0', 'base64')");
        assert!(!out.contains("c2VjcmV0"), "{out}");
        let out = redact_sql(
            "EXPLAIN APPLY $x$ CREATE SECRET s AS 'v7' $x$; APPLY 'CREATE ROLE r PASSWORD ''v8'''",
        );
        assert!(!out.contains("v7") && !out.contains("v8"), "{out}");
        let out = redact_sql("create secret s as 'v1'; select 'visible'");
        assert!(!out.contains("v1") && out.contains("'visible'"), "{out}");
    }

    #[test]
    fn untokenizable_text_is_not_shown() {
        assert!(!redact_sql("select 'unterminated").contains("unterminated"));
    }
}
