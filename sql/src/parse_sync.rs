//! Parsing whole-database sync statements (see `ast::sync`).

use datafusion_sql::sqlparser::keywords::Keyword;
use datafusion_sql::sqlparser::parser::{Parser, ParserError};

use super::ast::GatewayStatement;
use super::ast::sync::{CreateSync, DropSync, Including, RefreshSync, SourceDatabases, SyncInfo};
use super::grammar::{advance, expected, ident, option_list, word};

/// Recognises a sync statement; `None` (consuming nothing) otherwise.
pub fn parse(p: &mut Parser<'_>) -> Result<Option<GatewayStatement>, ParserError> {
    let words: Vec<Option<String>> = (0..5).map(|n| word(p, n)).collect();
    let w = |n: usize| words[n].as_deref().unwrap_or("");
    let statement = match (w(0), w(1), w(2), w(3), w(4)) {
        ("CREATE", "SYNC", "DATABASE", ..) => {
            advance(p, 3);
            create(p, false)?
        }
        ("CREATE", "OR", "REPLACE", "SYNC", "DATABASE") => {
            advance(p, 5);
            create(p, true)?
        }
        ("DROP", "SYNC", ..) => {
            advance(p, 2);
            let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
            let names = p.parse_comma_separated(ident)?;
            GatewayStatement::DropSync(DropSync { if_exists, names })
        }
        ("REFRESH", "SYNC", ..) => {
            advance(p, 2);
            GatewayStatement::RefreshSync(RefreshSync { name: ident(p)? })
        }
        ("SHOW", "SYNCS", ..) => {
            advance(p, 2);
            GatewayStatement::SyncInfo(SyncInfo::ShowSyncs)
        }
        ("DESCRIBE" | "DESC", "SYNC", "OPTIONS", ..) => {
            advance(p, 3);
            GatewayStatement::SyncInfo(SyncInfo::DescribeSyncOptions)
        }
        ("DESCRIBE" | "DESC", "SYNC", ..) => {
            advance(p, 2);
            GatewayStatement::SyncInfo(SyncInfo::DescribeSync(ident(p)?))
        }
        ("EXPLAIN", "SYNC", ..) => {
            advance(p, 2);
            GatewayStatement::SyncInfo(SyncInfo::ExplainSync(ident(p)?))
        }
        _ => return Ok(None),
    };
    Ok(Some(statement))
}

fn keyword(p: &mut Parser<'_>, what: &str) -> Result<(), ParserError> {
    if word(p, 0).as_deref() == Some(what) {
        p.next_token();
        Ok(())
    } else {
        Err(expected(what, &p.peek_token()))
    }
}

/// After `CREATE [OR REPLACE] SYNC DATABASE`.
fn create(p: &mut Parser<'_>, or_replace: bool) -> Result<GatewayStatement, ParserError> {
    let if_not_exists = p.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
    let name = ident(p)?;
    p.expect_keyword(Keyword::FROM)?;
    let source = ident(p)?;
    let source_database = if word(p, 0).as_deref() == Some("DATABASES") {
        p.next_token();
        SourceDatabases::Matching(p.parse_literal_string()?)
    } else {
        keyword(p, "DATABASE")?;
        SourceDatabases::Named(ident(p)?)
    };
    let mut including = Including::All;
    if word(p, 0).as_deref() == Some("INCLUDING") {
        p.next_token();
        if p.parse_keyword(Keyword::ALL) {
            including = Including::All;
        } else {
            keyword(p, "TABLES")?;
            including = Including::Tables(p.parse_literal_string()?);
        }
    }
    let excluding = if word(p, 0).as_deref() == Some("EXCLUDING") {
        p.next_token();
        keyword(p, "TABLES")?;
        Some(p.parse_literal_string()?)
    } else {
        None
    };
    p.expect_keyword(Keyword::TO)?;
    let sink = ident(p)?;
    let sink_database = if word(p, 0).as_deref() == Some("DATABASE") {
        p.next_token();
        Some(ident(p)?)
    } else {
        None
    };
    let options = if p.parse_keyword(Keyword::WITH) { option_list(p)? } else { Vec::new() };
    Ok(GatewayStatement::CreateSync(CreateSync {
        name,
        or_replace,
        if_not_exists,
        source,
        source_database,
        including,
        excluding,
        sink,
        sink_database,
        options,
    }))
}

#[cfg(test)]
mod tests {
    use crate::{gateway, parse};

    #[test]
    fn sync_statements_round_trip() {
        for sql in [
            "CREATE SYNC DATABASE shop_to_dw FROM mysql_prod DATABASE shop INCLUDING TABLES 'orders|order_items' \
             EXCLUDING TABLES 'tmp_.*' TO pg DATABASE ods WITH (mode = 'full', table_prefix = 'ods_')",
            "CREATE OR REPLACE SYNC DATABASE IF NOT EXISTS \"Shop\" FROM m DATABASE \"Shop\" INCLUDING ALL TO k",
            "CREATE SYNC DATABASE shards FROM m DATABASES 'shop_[0-9]+' INCLUDING TABLES 'orders' TO pg DATABASE public \
             WITH (origin_column = 'src_table', origin_key = true)",
            "CREATE SYNC DATABASE s FROM m DATABASE shop INCLUDING TABLES 'it''s' TO pg DATABASE public",
            "DROP SYNC IF EXISTS a, b",
            "REFRESH SYNC \"Shop\"",
            "SHOW SYNCS",
            "DESCRIBE SYNC s",
            "DESCRIBE SYNC OPTIONS",
            "EXPLAIN SYNC s",
        ] {
            let statement = gateway(sql);
            assert_eq!(statement.to_string(), sql, "display of {sql}");
            assert_eq!(gateway(&statement.to_string()), statement, "round trip of {sql}");
        }
    }

    #[test]
    fn a_sync_without_its_source_database_names_what_is_missing() {
        let err = parse("CREATE SYNC DATABASE s FROM m TO pg DATABASE x").expect_err("needs DATABASE");
        assert!(err.to_string().contains("DATABASE"), "{err}");
        let err = parse("CREATE SYNC DATABASE s FROM m DATABASE d INCLUDING 'x' TO pg").expect_err("TABLES");
        assert!(err.to_string().contains("TABLES"), "{err}");
    }
}
