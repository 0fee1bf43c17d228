//! Parsing privilege statements (see `ast::grant`): `GRANT`, `REVOKE`, `ALTER … OWNER TO`,
//! `SHOW GRANTS`.

use datafusion_sql::sqlparser::keywords::Keyword;
use datafusion_sql::sqlparser::parser::{Parser, ParserError};
use datafusion_sql::sqlparser::tokenizer::Token;

use super::ast::grant::{
    AlterOwner, GrantPrivileges, GrantRole, OBJECT_KINDS, Objects, Privileges, RevokePrivileges, RevokeRole,
    ShowGrants,
};
use super::ast::{GatewayStatement, Ident};
use super::grammar::{expected, ident, location_error, word};

/// Parses the privilege statement at the parser's position (the router saw its words).
pub fn parse(p: &mut Parser<'_>) -> Result<GatewayStatement, ParserError> {
    match word(p, 0).as_deref() {
        Some("GRANT") => {
            p.next_token();
            parse_grant(p)
        }
        Some("REVOKE") => {
            p.next_token();
            parse_revoke(p)
        }
        Some("ALTER") => {
            p.next_token();
            parse_alter_owner(p).map(GatewayStatement::AlterOwner)
        }
        _ => {
            // SHOW GRANTS
            p.next_token();
            p.next_token();
            parse_show_grants(p).map(GatewayStatement::ShowGrants)
        }
    }
}

/// The words before ON (privileges) or TO/FROM (roles), and whether an ON follows.
fn privileges_or_roles(p: &mut Parser<'_>) -> Result<(Vec<Ident>, Option<Privileges>), ParserError> {
    if p.parse_keyword(Keyword::ALL) {
        let _ = p.parse_keyword(Keyword::PRIVILEGES);
        return Ok((Vec::new(), Some(Privileges::All)));
    }
    let words = p.parse_comma_separated(|p| {
        // privilege keywords (SELECT, CREATE …) are reserved words: take any word
        match p.next_token().token {
            Token::Word(w) => Ok(w),
            _ => Err(expected("a privilege or role name", &p.peek_token())),
        }
    })?;
    if p.peek_token().token == Token::make_keyword("ON") {
        let names = words.into_iter().map(|w| w.value.to_uppercase()).collect();
        return Ok((Vec::new(), Some(Privileges::Named(names))));
    }
    let roles = words
        .into_iter()
        .map(|w| Ident::from(w.into_ident(datafusion_sql::sqlparser::tokenizer::Span::empty())))
        .collect();
    Ok((roles, None))
}

fn parse_objects(p: &mut Parser<'_>) -> Result<Objects, ParserError> {
    p.expect_keyword(Keyword::ON)?;
    let token = p.next_token();
    let kind = match &token.token {
        Token::Word(w) if OBJECT_KINDS.contains(&w.value.to_uppercase().as_str()) => w.value.to_uppercase(),
        _ => return Err(expected("DATABASE, SOURCE, SECRET, TARGET, PIPELINE, SCHEDULE or SYNC", &token)),
    };
    let names = p.parse_comma_separated(ident)?;
    Ok(Objects { kind, names })
}

/// A role or `PUBLIC` (kept as `public`).
fn grantee(p: &mut Parser<'_>) -> Result<Ident, ParserError> {
    if p.parse_keyword(Keyword::PUBLIC) { Ok(Ident::new("public")) } else { ident(p) }
}

fn parse_grant(p: &mut Parser<'_>) -> Result<GatewayStatement, ParserError> {
    let (roles, privileges) = privileges_or_roles(p)?;
    if let Some(privileges) = privileges {
        let objects = parse_objects(p)?;
        p.expect_keyword(Keyword::TO)?;
        let grantees = p.parse_comma_separated(grantee)?;
        let with_grant_option = p.parse_keywords(&[Keyword::WITH, Keyword::GRANT, Keyword::OPTION]);
        return Ok(GatewayStatement::GrantPrivileges(GrantPrivileges {
            privileges,
            objects,
            grantees,
            with_grant_option,
        }));
    }
    p.expect_keyword(Keyword::TO)?;
    let members = p.parse_comma_separated(ident)?;
    let (mut admin, mut inherit) = (None, None);
    if p.parse_keyword(Keyword::WITH) {
        loop {
            let which = p.next_token();
            let value = if p.parse_keyword(Keyword::OPTION) || p.parse_keyword(Keyword::TRUE) {
                true
            } else if p.parse_keyword(Keyword::FALSE) {
                false
            } else {
                return Err(expected("OPTION, TRUE or FALSE", &p.peek_token()));
            };
            match which.token {
                Token::Word(w) if w.keyword == Keyword::ADMIN => admin = Some(value),
                Token::Word(w) if w.keyword == Keyword::INHERIT => inherit = Some(value),
                _ => return Err(expected("ADMIN or INHERIT", &which)),
            }
            if !p.consume_token(&Token::Comma) {
                break;
            }
        }
    }
    Ok(GatewayStatement::GrantRole(GrantRole { roles, members, admin, inherit }))
}

fn parse_revoke(p: &mut Parser<'_>) -> Result<GatewayStatement, ParserError> {
    let grant_option_for = p.parse_keywords(&[Keyword::GRANT, Keyword::OPTION, Keyword::FOR]);
    let admin_option_for =
        !grant_option_for && p.parse_keywords(&[Keyword::ADMIN, Keyword::OPTION, Keyword::FOR]);
    let (roles, privileges) = privileges_or_roles(p)?;
    let statement = match privileges {
        Some(privileges) if !admin_option_for => {
            let objects = parse_objects(p)?;
            p.expect_keyword(Keyword::FROM)?;
            let grantees = p.parse_comma_separated(grantee)?;
            let cascade = p.parse_keyword(Keyword::CASCADE);
            GatewayStatement::RevokePrivileges(RevokePrivileges {
                grant_option_for,
                privileges,
                objects,
                grantees,
                cascade,
            })
        }
        None if !grant_option_for => {
            p.expect_keyword(Keyword::FROM)?;
            let members = p.parse_comma_separated(ident)?;
            let _ = p.parse_keyword(Keyword::CASCADE);
            GatewayStatement::RevokeRole(RevokeRole { admin_option_for, roles, members })
        }
        _ => return Err(expected("a privilege or role", &p.peek_token())),
    };
    let _ = p.parse_keyword(Keyword::RESTRICT);
    Ok(statement)
}

fn parse_alter_owner(p: &mut Parser<'_>) -> Result<AlterOwner, ParserError> {
    let token = p.next_token();
    let kind = match &token.token {
        Token::Word(w) if OBJECT_KINDS[1..].contains(&w.value.to_uppercase().as_str()) => {
            w.value.to_uppercase()
        }
        _ => {
            return Err(location_error(
                "ALTER … OWNER TO names a source, secret, target, pipeline, schedule or sync".into(),
                token.span.start,
            ));
        }
    };
    let name = ident(p)?;
    p.expect_keywords(&[Keyword::OWNER, Keyword::TO])?;
    let owner = ident(p)?;
    Ok(AlterOwner { kind, name, owner })
}

fn parse_show_grants(p: &mut Parser<'_>) -> Result<ShowGrants, ParserError> {
    if p.parse_keyword(Keyword::FOR) {
        return Ok(ShowGrants::For(grantee(p)?));
    }
    if p.peek_token().token == Token::make_keyword("ON") {
        let objects = parse_objects(p)?;
        let [name] = <[Ident; 1]>::try_from(objects.names)
            .map_err(|_| ParserError::ParserError("SHOW GRANTS ON names one object".into()))?;
        return Ok(ShowGrants::On { kind: objects.kind, name });
    }
    Ok(ShowGrants::All)
}

#[cfg(test)]
mod tests {
    use crate::gateway;

    #[test]
    fn privilege_statements_round_trip() {
        for sql in [
            "GRANT CREATE ON DATABASE sluice TO alice",
            "GRANT SELECT, USAGE ON SOURCE prod_db, \"Logs\" TO bob, PUBLIC WITH GRANT OPTION",
            "GRANT ALL PRIVILEGES ON PIPELINE p TO team",
            "REVOKE GRANT OPTION FOR USAGE ON TARGET flink FROM bob CASCADE",
            "REVOKE OPERATE ON SCHEDULE nightly FROM PUBLIC",
            "GRANT team, ops TO alice WITH ADMIN TRUE, INHERIT FALSE",
            "GRANT team TO alice",
            "REVOKE ADMIN OPTION FOR team FROM alice",
            "REVOKE team FROM alice, bob",
            "ALTER SOURCE prod_db OWNER TO team",
            "ALTER SYNC s OWNER TO alice",
            "SHOW GRANTS",
            "SHOW GRANTS FOR alice",
            "SHOW GRANTS FOR PUBLIC",
            "SHOW GRANTS ON SOURCE prod_db",
        ] {
            let first = gateway(sql);
            assert_eq!(first.to_string(), sql, "{sql}");
            assert_eq!(gateway(&first.to_string()), first, "{sql}");
        }
    }

    #[test]
    fn all_is_spelled_either_way() {
        assert_eq!(
            gateway("grant all on source s to r").to_string(),
            "GRANT ALL PRIVILEGES ON SOURCE s TO r"
        );
    }
}
