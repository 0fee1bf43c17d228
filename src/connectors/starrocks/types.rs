//! StarRocks column types as Sluice's (Flink SQL's), from how StarRocks spells them in
//! `information_schema.columns` and in DDL.
//!
//! Origin: the type table of the StarRocks Flink connector's source documentation
//! (StarRocks/starrocks-connector-for-apache-flink, `connector-source.md`) — LARGEINT and
//! VARCHAR/STRING are read as STRING, CHAR as CHAR, DATETIME as TIMESTAMP, DECIMAL(p,s)
//! (DECIMAL32/64/128) as DECIMAL(p,s), JSON as STRING, ARRAY as ARRAY, MAP as MAP and
//! STRUCT as ROW —; the spellings are those of StarRocks 3's `information_schema.columns`
//! (COLUMN_TYPE `bigint(20) unsigned` for LARGEINT, `decimal(18, 4)` or `decimal64(18, 4)`,
//! `varchar(65533)` for STRING, `struct<col1 int(11)>`). BITMAP, HLL and PERCENTILE hold
//! aggregation states that no connector reads.

use crate::connectors::frontend::{Spelling, shared_type};
use crate::connectors::live::types::SourceColumn;

/// StarRocks keeps DATETIME to the microsecond and reports no precision for it.
const DATETIME_PRECISION: u32 = 6;

/// The Flink SQL type of a StarRocks column, or why no engine can read it.
pub fn flink_type(c: &SourceColumn) -> Result<String, String> {
    let spelled = if c.column_type.trim().is_empty() { &c.data_type } else { &c.column_type };
    let s = Spelling::parse(spelled).ok_or_else(|| format!("unknown StarRocks type \"{spelled}\""))?;
    spelling(&s, c.datetime_precision.map(|p| p as u32))
}

fn spelling(s: &Spelling, datetime_precision: Option<u32>) -> Result<String, String> {
    if let Some(t) = shared_type(s) {
        return Ok(t);
    }
    let arg = |i: usize| s.args.get(i).copied();
    Ok(match s.name.as_str() {
        "datetime" | "timestamp" => {
            format!("TIMESTAMP({})", arg(0).or(datetime_precision).unwrap_or(DATETIME_PRECISION).min(6))
        }
        "char" => format!("CHAR({})", arg(0).unwrap_or(1)),
        "varchar" | "string" | "text" | "tinytext" | "mediumtext" | "longtext" | "json" | "time" => {
            "STRING".into()
        }
        "array" => {
            let element = s.children.first().ok_or("ARRAY without an element type")?;
            format!("ARRAY<{}>", spelling(&element.1, None)?)
        }
        "map" => match s.children.as_slice() {
            [(_, k), (_, v)] => format!("MAP<{}, {}>", spelling(k, None)?, spelling(v, None)?),
            _ => return Err("MAP without its key and value types".into()),
        },
        "struct" => {
            let mut fields = Vec::with_capacity(s.children.len());
            for (i, (name, t)) in s.children.iter().enumerate() {
                let name = name.clone().unwrap_or_else(|| format!("f{}", i + 1));
                fields.push(format!("`{}` {}", name.replace('`', "``"), spelling(t, None)?));
            }
            format!("ROW<{}>", fields.join(", "))
        }
        "bitmap" | "hll" | "percentile" => {
            return Err(format!(
                "StarRocks type {} holds an aggregation state, which no engine's StarRocks connector reads",
                s.name.to_uppercase()
            ));
        }
        "unknown" => return Err("StarRocks reports its type as unknown".into()),
        other => return Err(format!("StarRocks type {} has no Flink SQL type", other.to_uppercase())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flink(column_type: &str) -> String {
        let c = SourceColumn { column_type: column_type.into(), ..Default::default() };
        flink_type(&c).unwrap_or_else(|e| format!("error: {e}"))
    }

    /// The StarRocks connector's type table, spelled as StarRocks 3 reports the types.
    #[test]
    fn starrocks_types_map_as_the_starrocks_connector_reads_them() {
        for (starrocks, expected) in [
            ("tinyint(1)", "BOOLEAN"),
            ("boolean", "BOOLEAN"),
            ("tinyint(4)", "TINYINT"),
            ("smallint(6)", "SMALLINT"),
            ("int(11)", "INT"),
            ("bigint(20)", "BIGINT"),
            ("bigint(20) unsigned", "STRING"),
            ("largeint(40)", "STRING"),
            ("float", "FLOAT"),
            ("double", "DOUBLE"),
            ("decimal(18, 4)", "DECIMAL(18, 4)"),
            ("decimal64(18, 4)", "DECIMAL(18, 4)"),
            ("decimal128(38,10)", "DECIMAL(38, 10)"),
            ("date", "DATE"),
            ("datetime", "TIMESTAMP(6)"),
            ("char(8)", "CHAR(8)"),
            ("varchar(65533)", "STRING"),
            ("json", "STRING"),
            ("varbinary(16)", "BYTES"),
            ("array<int(11)>", "ARRAY<INT>"),
            ("map<int(11),varchar(10)>", "MAP<INT, STRING>"),
            ("struct<col1 int(11), col2 array<date>>", "ROW<`col1` INT, `col2` ARRAY<DATE>>"),
        ] {
            assert_eq!(flink(starrocks), expected, "{starrocks}");
        }
    }

    #[test]
    fn aggregation_states_are_refused_with_the_type_named() {
        for starrocks in ["bitmap", "hll", "percentile"] {
            let e = flink_type(&SourceColumn { column_type: starrocks.into(), ..Default::default() })
                .expect_err(starrocks);
            assert!(e.contains(&starrocks.to_uppercase()) && e.contains("aggregation state"), "{e}");
        }
    }
}
