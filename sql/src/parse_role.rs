//! Parsing role statements: `CREATE ROLE | USER`, `ALTER ROLE | USER`, `DROP ROLE | USER`
//! (see `ast::role`), with PostgreSQL's option words.

use datafusion_sql::sqlparser::keywords::Keyword;
use datafusion_sql::sqlparser::parser::{Parser, ParserError};
use datafusion_sql::sqlparser::tokenizer::{Token, TokenWithSpan};

use super::ast::{
    AlterRole, AlterRoleOperation, CreateRole, DropRole, GatewayStatement, Ident, Password, RoleOption,
};
use super::grammar::{expected, location_error};

/// Parses the role statement at the parser's position (the router saw its first words).
pub fn parse(p: &mut Parser<'_>) -> Result<GatewayStatement, ParserError> {
    let verb = p.next_token().token;
    let user = p.next_token().token == Token::make_keyword("USER");
    Ok(if verb == Token::make_keyword("CREATE") {
        GatewayStatement::CreateRole(parse_create_role(p, user)?)
    } else if verb == Token::make_keyword("ALTER") {
        GatewayStatement::AlterRole(parse_alter_role(p)?)
    } else {
        let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
        let names = p.parse_comma_separated(|p| p.parse_identifier().map(Ident::from))?;
        GatewayStatement::DropRole(DropRole { if_exists, names })
    })
}

fn parse_create_role(p: &mut Parser<'_>, user: bool) -> Result<CreateRole, ParserError> {
    let if_not_exists = p.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
    let name = Ident::from(p.parse_identifier()?);
    let options = parse_role_options(p)?;
    Ok(CreateRole { name, if_not_exists, user, options })
}

fn parse_alter_role(p: &mut Parser<'_>) -> Result<AlterRole, ParserError> {
    let name = Ident::from(p.parse_identifier()?);
    let operation = if p.parse_keywords(&[Keyword::RENAME, Keyword::TO]) {
        AlterRoleOperation::RenameTo(Ident::from(p.parse_identifier()?))
    } else {
        let options = parse_role_options(p)?;
        if options.is_empty() {
            return Err(expected("a role option or RENAME TO", &p.peek_token()));
        }
        AlterRoleOperation::With(options)
    };
    Ok(AlterRole { name, operation })
}

fn parse_role_options(p: &mut Parser<'_>) -> Result<Vec<RoleOption>, ParserError> {
    let _ = p.parse_keyword(Keyword::WITH);
    let mut options: Vec<RoleOption> = Vec::new();
    loop {
        let token = p.peek_token();
        let option = match &token.token {
            Token::SemiColon | Token::EOF => break,
            Token::Word(w) => match w.keyword {
                Keyword::SUPERUSER => RoleOption::Superuser(true),
                Keyword::NOSUPERUSER => RoleOption::Superuser(false),
                Keyword::LOGIN => RoleOption::Login(true),
                Keyword::NOLOGIN => RoleOption::Login(false),
                Keyword::INHERIT => RoleOption::Inherit(true),
                Keyword::NOINHERIT => RoleOption::Inherit(false),
                Keyword::ENCRYPTED | Keyword::PASSWORD => {
                    if w.keyword == Keyword::ENCRYPTED {
                        p.next_token();
                        if p.peek_token().token != Token::make_keyword("PASSWORD") {
                            return Err(expected("PASSWORD", &p.peek_token()));
                        }
                    }
                    p.next_token();
                    let password = if p.parse_keyword(Keyword::NULL) {
                        Password::Null
                    } else {
                        match p.next_token() {
                            TokenWithSpan { token: Token::SingleQuotedString(s), .. }
                            | TokenWithSpan { token: Token::EscapedStringLiteral(s), .. } => {
                                Password::Text(s)
                            }
                            other => return Err(expected("a password string or NULL", &other)),
                        }
                    };
                    options.push(RoleOption::Password(password));
                    continue;
                }
                _ => {
                    return Err(location_error(
                        format!(
                            "unsupported role option {}: Sluice roles have SUPERUSER, LOGIN, INHERIT and PASSWORD",
                            w.value.to_uppercase()
                        ),
                        token.span.start,
                    ));
                }
            },
            _ => return Err(expected("a role option", &token)),
        };
        let conflicting =
            options.iter().any(|o| std::mem::discriminant(o) == std::mem::discriminant(&option));
        if conflicting {
            return Err(location_error("conflicting or redundant options".into(), token.span.start));
        }
        p.next_token();
        options.push(option);
    }
    Ok(options)
}
