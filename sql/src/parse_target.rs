//! Parsing target and lifecycle statements (see `ast::target`).

use datafusion_sql::sqlparser::keywords::Keyword;
use datafusion_sql::sqlparser::parser::{Parser, ParserError};

use super::ast::GatewayStatement;
use super::ast::target::{
    CreateTarget, DropTarget, ResumePipeline, StartPipeline, StopKind, StopPipeline, TargetInfo,
};
use super::grammar::{advance, expected, ident, option_list, type_name, word};

/// Recognises a target or lifecycle statement; `None` (consuming nothing) otherwise.
pub fn parse(p: &mut Parser<'_>) -> Result<Option<GatewayStatement>, ParserError> {
    let words: Vec<Option<String>> = (0..4).map(|n| word(p, n)).collect();
    let w = |n: usize| words[n].as_deref().unwrap_or("");
    let statement = match (w(0), w(1), w(2), w(3)) {
        ("CREATE", "TARGET", ..) | ("CREATE", "OR", "REPLACE", "TARGET") => {
            p.next_token();
            let or_replace = p.parse_keywords(&[Keyword::OR, Keyword::REPLACE]);
            p.next_token();
            let if_not_exists = p.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
            let name = ident(p)?;
            p.expect_keyword(Keyword::TYPE)?;
            let target_type = type_name(p, "a target type")?;
            let options = if p.parse_keyword(Keyword::WITH) { option_list(p)? } else { Vec::new() };
            GatewayStatement::CreateTarget(CreateTarget {
                name,
                or_replace,
                if_not_exists,
                target_type,
                options,
            })
        }
        ("DROP", "TARGET", ..) => {
            advance(p, 2);
            let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
            let names = p.parse_comma_separated(ident)?;
            GatewayStatement::DropTarget(DropTarget { if_exists, names })
        }
        ("SHOW", "TARGETS", ..) => info(p, 2, TargetInfo::ShowTargets),
        ("SHOW", "TARGET", "TYPES", _) => info(p, 3, TargetInfo::ShowTargetTypes),
        ("DESCRIBE" | "DESC", "TARGET", "TYPE", _) => {
            advance(p, 3);
            GatewayStatement::TargetInfo(TargetInfo::DescribeTargetType(type_name(p, "a target type")?))
        }
        ("TEST", "TARGET", ..) => {
            advance(p, 2);
            GatewayStatement::TargetInfo(TargetInfo::TestTarget(ident(p)?))
        }
        ("SHOW", "DEPLOYMENTS", ..) => {
            advance(p, 2);
            let pipeline = if word(p, 0).as_deref() == Some("FOR") {
                p.next_token();
                if word(p, 0).as_deref() != Some("PIPELINE") {
                    return Err(expected("PIPELINE", &p.peek_token()));
                }
                p.next_token();
                Some(ident(p)?)
            } else {
                None
            };
            GatewayStatement::TargetInfo(TargetInfo::ShowDeployments(pipeline))
        }
        ("START", "PIPELINE", ..) => {
            advance(p, 2);
            let name = ident(p)?;
            let target = if p.parse_keyword(Keyword::ON) {
                if word(p, 0).as_deref() != Some("TARGET") {
                    return Err(expected("TARGET", &p.peek_token()));
                }
                p.next_token();
                Some(ident(p)?)
            } else {
                None
            };
            let savepoint = if p.parse_keyword(Keyword::FROM) {
                p.expect_keyword(Keyword::SAVEPOINT)?;
                Some(p.parse_literal_string()?)
            } else {
                None
            };
            GatewayStatement::StartPipeline(StartPipeline { name, target, savepoint })
        }
        ("STOP", "PIPELINE", ..) => {
            advance(p, 2);
            let name = ident(p)?;
            let kind = if p.parse_keyword(Keyword::WITH) {
                p.expect_keyword(Keyword::SAVEPOINT)?;
                StopKind::Savepoint
            } else {
                StopKind::Cancel
            };
            GatewayStatement::StopPipeline(StopPipeline { name, kind })
        }
        ("SUSPEND", "PIPELINE", ..) => {
            advance(p, 2);
            GatewayStatement::StopPipeline(StopPipeline { name: ident(p)?, kind: StopKind::Suspend })
        }
        ("RESUME", "PIPELINE", ..) => {
            advance(p, 2);
            GatewayStatement::ResumePipeline(ResumePipeline { name: ident(p)? })
        }
        _ => return Ok(None),
    };
    Ok(Some(statement))
}

fn info(p: &mut Parser<'_>, words: usize, info: TargetInfo) -> GatewayStatement {
    advance(p, words);
    GatewayStatement::TargetInfo(info)
}

#[cfg(test)]
mod tests {
    use crate::{Statement, gateway, parse};

    #[test]
    fn target_and_lifecycle_statements_round_trip() {
        for sql in [
            "CREATE TARGET dev TYPE flink WITH (rest_url = 'http://127.0.0.1:8081')",
            "CREATE OR REPLACE TARGET IF NOT EXISTS \"Render\" TYPE directory WITH (path = './out')",
            "DROP TARGET IF EXISTS a, b",
            "SHOW TARGETS",
            "SHOW TARGET TYPES",
            "DESCRIBE TARGET TYPE flink",
            "TEST TARGET dev",
            "SHOW DEPLOYMENTS",
            "SHOW DEPLOYMENTS FOR PIPELINE p",
            "START PIPELINE p",
            "START PIPELINE p ON TARGET dev FROM SAVEPOINT 'file:///sp/it''s'",
            "STOP PIPELINE p",
            "STOP PIPELINE p WITH SAVEPOINT",
            "SUSPEND PIPELINE p",
            "RESUME PIPELINE p",
        ] {
            let statement = gateway(sql);
            assert_eq!(statement.to_string(), sql, "display of {sql}");
            assert_eq!(gateway(&statement.to_string()), statement, "round trip of {sql}");
        }
    }

    #[test]
    fn start_transaction_is_still_a_transaction() {
        let parsed = parse("START TRANSACTION").expect("parses");
        assert!(matches!(parsed[0].statement, Statement::Query(_)));
    }

    #[test]
    fn incomplete_lifecycle_statements_name_what_is_missing() {
        let err = parse("START PIPELINE p ON dev").expect_err("needs TARGET");
        assert!(err.to_string().contains("TARGET"), "{err}");
        let err = parse("STOP PIPELINE p WITH").expect_err("needs SAVEPOINT");
        assert!(err.to_string().to_uppercase().contains("SAVEPOINT"), "{err}");
    }
}
