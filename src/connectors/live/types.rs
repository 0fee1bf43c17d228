//! Source column types to Sluice's (Flink SQL's) types, after the type mappings of Flink
//! CDC's MySQL and PostgreSQL connectors.

/// What `information_schema.columns` says of a column.
#[derive(Debug, Clone, Default)]
pub struct SourceColumn {
    /// `data_type`: int, varchar, numeric …
    pub data_type: String,
    /// MySQL's full `column_type` (`int(10) unsigned`, `tinyint(1)`), else empty.
    pub column_type: String,
    pub char_length: Option<i64>,
    pub precision: Option<i64>,
    pub scale: Option<i64>,
    pub datetime_precision: Option<i64>,
}

/// MySQL / MariaDB.
pub fn mysql_type(c: &SourceColumn) -> String {
    let full = c.column_type.to_lowercase();
    let unsigned = full.contains("unsigned");
    let p = |default: i64| c.datetime_precision.unwrap_or(default);
    match c.data_type.to_lowercase().as_str() {
        "tinyint" if full.starts_with("tinyint(1)") => "BOOLEAN".into(),
        "bool" | "boolean" => "BOOLEAN".into(),
        "tinyint" if unsigned => "SMALLINT".into(),
        "tinyint" => "TINYINT".into(),
        "smallint" if unsigned => "INT".into(),
        "smallint" => "SMALLINT".into(),
        "mediumint" => "INT".into(),
        "int" | "integer" if unsigned => "BIGINT".into(),
        "int" | "integer" => "INT".into(),
        "bigint" if unsigned => "DECIMAL(20, 0)".into(),
        "bigint" => "BIGINT".into(),
        "float" => "FLOAT".into(),
        "double" | "real" => "DOUBLE".into(),
        "decimal" | "numeric" => decimal(c.precision, c.scale),
        "year" => "INT".into(),
        "date" => "DATE".into(),
        "time" => format!("TIME({})", p(0)),
        "datetime" => format!("TIMESTAMP({})", p(0)),
        "timestamp" => format!("TIMESTAMP_LTZ({})", p(0)),
        "char" => format!("CHAR({})", c.char_length.unwrap_or(1)),
        "varchar" => format!("VARCHAR({})", c.char_length.unwrap_or(255)),
        "binary" => format!("BINARY({})", c.char_length.unwrap_or(1)),
        "varbinary" => format!("VARBINARY({})", c.char_length.unwrap_or(255)),
        "bit" if c.precision == Some(1) || full == "bit(1)" => "BOOLEAN".into(),
        "bit" | "tinyblob" | "blob" | "mediumblob" | "longblob" => "BYTES".into(),
        _ => "STRING".into(), // text types, json, enum, set, geometry
    }
}

/// PostgreSQL.
pub fn postgres_type(c: &SourceColumn) -> String {
    let p = |default: i64| c.datetime_precision.unwrap_or(default);
    match c.data_type.to_lowercase().as_str() {
        "smallint" => "SMALLINT".into(),
        "integer" => "INT".into(),
        "bigint" => "BIGINT".into(),
        "real" => "FLOAT".into(),
        "double precision" => "DOUBLE".into(),
        "numeric" if c.precision.is_none() => "DECIMAL(38, 18)".into(),
        "numeric" => decimal(c.precision, c.scale),
        "boolean" => "BOOLEAN".into(),
        "character" => format!("CHAR({})", c.char_length.unwrap_or(1)),
        "character varying" => match c.char_length {
            Some(n) => format!("VARCHAR({n})"),
            None => "STRING".into(),
        },
        "bytea" => "BYTES".into(),
        "date" => "DATE".into(),
        "time without time zone" => format!("TIME({})", p(6)),
        "timestamp without time zone" => format!("TIMESTAMP({})", p(6)),
        "timestamp with time zone" => format!("TIMESTAMP_LTZ({})", p(6)),
        _ => "STRING".into(), // text, json, jsonb, uuid, arrays, ranges …
    }
}

fn decimal(precision: Option<i64>, scale: Option<i64>) -> String {
    match precision {
        Some(p) if p <= 38 => format!("DECIMAL({p}, {})", scale.unwrap_or(0)),
        _ => "STRING".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(data_type: &str, column_type: &str) -> SourceColumn {
        SourceColumn { data_type: data_type.into(), column_type: column_type.into(), ..Default::default() }
    }

    #[test]
    fn mysql_types_map_as_flink_cdc_maps_them() {
        assert_eq!(mysql_type(&col("tinyint", "tinyint(1)")), "BOOLEAN");
        assert_eq!(mysql_type(&col("int", "int(10) unsigned")), "BIGINT");
        assert_eq!(mysql_type(&col("bigint", "bigint(20) unsigned")), "DECIMAL(20, 0)");
        let mut d = col("decimal", "decimal(10,2)");
        d.precision = Some(10);
        d.scale = Some(2);
        assert_eq!(mysql_type(&d), "DECIMAL(10, 2)");
        let mut v = col("varchar", "varchar(64)");
        v.char_length = Some(64);
        assert_eq!(mysql_type(&v), "VARCHAR(64)");
        let mut t = col("datetime", "datetime(3)");
        t.datetime_precision = Some(3);
        assert_eq!(mysql_type(&t), "TIMESTAMP(3)");
        assert_eq!(mysql_type(&col("longtext", "longtext")), "STRING");
        assert_eq!(mysql_type(&col("varbinary", "varbinary(16)")), "VARBINARY(255)");
    }

    #[test]
    fn postgres_types_map_as_flink_cdc_maps_them() {
        assert_eq!(postgres_type(&col("integer", "")), "INT");
        assert_eq!(postgres_type(&col("numeric", "")), "DECIMAL(38, 18)");
        assert_eq!(postgres_type(&col("timestamp with time zone", "")), "TIMESTAMP_LTZ(6)");
        assert_eq!(postgres_type(&col("jsonb", "")), "STRING");
    }
}
