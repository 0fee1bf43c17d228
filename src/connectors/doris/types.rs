//! Apache Doris column types as Sluice's (Flink SQL's), from how Doris spells them in
//! `information_schema.columns` and in DDL.
//!
//! Origin: the "Doris → Flink" type table of the Doris Flink connector's documentation
//! (apache/doris-flink-connector, "Type Mapping") — LARGEINT, CHAR, VARCHAR, STRING, JSON,
//! VARIANT, IPV4/IPV6, MAP and STRUCT are read as STRING, DATETIME(p) as TIMESTAMP(p),
//! DECIMAL(p,s) as DECIMAL(p,s) —; the spellings are those of Doris 2.1's
//! `information_schema.columns` (COLUMN_TYPE `decimalv3(10, 2)`, `datetime(3)`,
//! `largeint`, `array<int(11)>`; DATA_TYPE `bigint unsigned` for LARGEINT) and of its DDL
//! (`DATEV2`, `DATETIMEV2(p)`, `DECIMALV3(p,s)`). HLL, BITMAP, QUANTILE_STATE and
//! AGG_STATE hold aggregation states that no connector reads.

use crate::connectors::frontend::{Spelling, shared_type};
use crate::connectors::live::types::SourceColumn;

/// The Flink SQL type of a Doris column, or why no engine can read it.
pub fn flink_type(c: &SourceColumn) -> Result<String, String> {
    let spelled = if c.column_type.trim().is_empty() { &c.data_type } else { &c.column_type };
    let s = Spelling::parse(spelled).ok_or_else(|| format!("unknown Doris type \"{spelled}\""))?;
    // LARGEINT is `bigint unsigned` in DATA_TYPE; some versions spell DATETIMEV2 `datetime`
    // with its scale only in datetime_precision
    let datetime_scale = c.datetime_precision.map(|p| p as u32);
    spelling(&s, datetime_scale)
}

fn spelling(s: &Spelling, datetime_scale: Option<u32>) -> Result<String, String> {
    if let Some(t) = shared_type(s) {
        return Ok(t);
    }
    let arg = |i: usize| s.args.get(i).copied();
    Ok(match s.name.as_str() {
        "datetime" | "datetimev2" | "timestamp" => {
            format!("TIMESTAMP({})", arg(0).or(datetime_scale).unwrap_or(0).min(6))
        }
        "char" | "varchar" | "string" | "text" | "tinytext" | "mediumtext" | "longtext" => "STRING".into(),
        "json" | "jsonb" | "variant" | "ipv4" | "ipv6" | "map" | "struct" | "time" | "timev2" => {
            "STRING".into()
        }
        "array" => {
            let element = s.children.first().ok_or("ARRAY without an element type")?;
            format!("ARRAY<{}>", spelling(&element.1, None)?)
        }
        "hll" | "bitmap" | "quantile_state" | "agg_state" => {
            return Err(format!(
                "Doris type {} holds an aggregation state, which no engine's Doris connector reads",
                s.name.to_uppercase()
            ));
        }
        "unknown" => return Err("Doris reports its type as unknown".into()),
        other => return Err(format!("Doris type {} has no Flink SQL type", other.to_uppercase())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A column as `information_schema.columns` reports it.
    fn col(data_type: &str, column_type: &str) -> SourceColumn {
        SourceColumn { data_type: data_type.into(), column_type: column_type.into(), ..Default::default() }
    }

    fn flink(column_type: &str) -> String {
        flink_type(&col("", column_type)).unwrap_or_else(|e| format!("error: {e}"))
    }

    /// Every row of the Doris Flink connector's "Doris → Flink" type table, spelled as
    /// Doris 2.1 reports it in information_schema.columns and as its DDL writes it.
    #[test]
    fn doris_types_map_as_the_doris_connector_reads_them() {
        for (doris, expected) in [
            ("tinyint(1)", "BOOLEAN"),
            ("BOOLEAN", "BOOLEAN"),
            ("tinyint(4)", "TINYINT"),
            ("smallint(6)", "SMALLINT"),
            ("int(11)", "INT"),
            ("bigint(20)", "BIGINT"),
            ("largeint", "STRING"),
            ("LARGEINT", "STRING"),
            ("float", "FLOAT"),
            ("double", "DOUBLE"),
            ("decimalv3(10, 2)", "DECIMAL(10, 2)"),
            ("DECIMALV3(38,18)", "DECIMAL(38, 18)"),
            ("decimal(27, 9)", "DECIMAL(27, 9)"),
            ("decimalv3(76, 10)", "STRING"),
            ("date", "DATE"),
            ("DATEV2", "DATE"),
            ("datetime", "TIMESTAMP(0)"),
            ("datetime(3)", "TIMESTAMP(3)"),
            ("DATETIMEV2(6)", "TIMESTAMP(6)"),
            ("char(10)", "STRING"),
            ("varchar(64)", "STRING"),
            ("string", "STRING"),
            ("json", "STRING"),
            ("JSONB", "STRING"),
            ("variant", "STRING"),
            ("ipv4", "STRING"),
            ("ipv6", "STRING"),
            ("array<int(11)>", "ARRAY<INT>"),
            ("ARRAY<DATETIMEV2(3)>", "ARRAY<TIMESTAMP(3)>"),
            ("array<array<decimalv3(5, 1)>>", "ARRAY<ARRAY<DECIMAL(5, 1)>>"),
            ("map<string,int(11)>", "STRING"),
            ("MAP<STRING,ARRAY<INT>>", "STRING"),
            ("struct<a:int,b:string>", "STRING"),
        ] {
            assert_eq!(flink(doris), expected, "{doris}");
        }
        // LARGEINT's DATA_TYPE when COLUMN_TYPE is missing; a DATETIMEV2 with its scale apart
        assert_eq!(flink_type(&col("bigint unsigned", "")), Ok("STRING".into()));
        let mut scaled = col("datetime", "datetime");
        scaled.datetime_precision = Some(3);
        assert_eq!(flink_type(&scaled), Ok("TIMESTAMP(3)".into()));
    }

    #[test]
    fn aggregation_states_are_refused_with_the_type_named() {
        for doris in ["bitmap", "HLL", "quantile_state", "agg_state<sum(int)>"] {
            let e = flink_type(&col("", doris)).expect_err(doris);
            assert!(e.contains(&doris.split('<').next().unwrap_or(doris).to_uppercase()), "{e}");
            assert!(e.contains("aggregation state"), "{e}");
        }
        assert!(flink_type(&col("unknown", "unknown")).is_err());
    }
}
