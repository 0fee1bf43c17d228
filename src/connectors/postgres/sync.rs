//! PostgreSQL column types in and out of [`Logical`] for syncs (PostgreSQL 16 type
//! reference).

use sluice_catalog::ColumnRecord;

use crate::connectors::logical::{Logical, split};

/// A column of a PostgreSQL table, by its `udt_name` and Flink SQL type.
pub fn read(column: &ColumnRecord) -> Option<Logical> {
    from_postgres(&column.source_type, &column.data_type)
}

/// A PostgreSQL column (its `udt_name`, with `(n)` / `(p,s)` as Sluice records it) and
/// its Flink SQL type, which carries the time precision.
pub fn from_postgres(udt: &str, flink_type: &str) -> Option<Logical> {
    let (name, args, _) = split(udt);
    let (_, flink_args, _) = split(flink_type);
    let precision = flink_args.first().copied().unwrap_or(6);
    Some(match name.as_str() {
        "bool" => Logical::Boolean,
        "int2" => Logical::SmallInt,
        "int4" => Logical::Int,
        "int8" => Logical::BigInt,
        "float4" => Logical::Float,
        "float8" => Logical::Double,
        "numeric" => match args.as_slice() {
            [p, s] => Logical::Decimal(*p, *s),
            _ => Logical::Numeric,
        },
        "date" => Logical::Date,
        "time" => Logical::Time(precision),
        "timestamp" => Logical::Timestamp(precision),
        "timestamptz" => Logical::TimestampTz(precision),
        "bpchar" => Logical::Char(args.first().copied().unwrap_or(1)),
        "varchar" => match args.first() {
            Some(n) => Logical::Varchar(*n),
            None => Logical::Text,
        },
        "text" | "citext" | "name" => Logical::Text,
        "json" | "jsonb" => Logical::Json,
        "bytea" => Logical::Binary,
        "uuid" => Logical::Uuid,
        _ => return None, // arrays, ranges, geometric, network, user-defined …
    })
}

/// In PostgreSQL. `key`: the column is part of the primary key.
pub fn to_postgres(t: &Logical, _key: bool) -> String {
    match t {
        Logical::Boolean => "boolean".into(),
        Logical::TinyInt | Logical::SmallInt => "smallint".into(),
        Logical::Int | Logical::Year => "integer".into(),
        Logical::BigInt => "bigint".into(),
        Logical::UnsignedBigInt => "numeric(20,0)".into(),
        Logical::Float => "real".into(),
        Logical::Double => "double precision".into(),
        Logical::Decimal(p, s) => format!("numeric({p},{s})"),
        Logical::Numeric => "numeric".into(),
        Logical::Date => "date".into(),
        Logical::Time(p) => format!("time({})", p.min(&6)),
        Logical::Timestamp(p) => format!("timestamp({})", p.min(&6)),
        Logical::TimestampTz(p) => format!("timestamptz({})", p.min(&6)),
        Logical::Char(n) => format!("char({n})"),
        Logical::Varchar(n) => format!("varchar({n})"),
        Logical::Text | Logical::Enum(_) | Logical::Set(_) => "text".into(),
        Logical::Json => "jsonb".into(),
        Logical::Binary => "bytea".into(),
        Logical::Uuid => "uuid".into(),
    }
}

#[cfg(test)]
mod tests {
    use crate::sync::ddl::create_table;
    use crate::sync::ddl::testing::col;

    #[test]
    fn postgres_ddl_quotes_names_and_keeps_the_key() {
        let ddl = create_table(
            &super::super::POSTGRES,
            "public",
            "order",
            &[col("id", "bigint", true, false), col("Total Amount", "numeric(38,10)", false, true)],
        );
        assert_eq!(
            ddl,
            "CREATE TABLE IF NOT EXISTS \"public\".\"order\" (\n  \"id\" bigint NOT NULL,\n  \
             \"Total Amount\" numeric(38,10),\n  PRIMARY KEY (\"id\")\n)"
        );
    }
}

/// Whether Flink's JDBC connector (flink-connector-jdbc-postgres 4.0) can read a column:
/// it converts what PostgreSQL's driver returns by the column's Flink type, and for a
/// STRING column only the text types come back as a Java `String` (json, jsonb, uuid,
/// inet, interval, numeric beyond 38 digits, arrays … come back as driver objects and fail
/// the job as it reads its first row); its PostgreSQL dialect has no TIMESTAMP_LTZ either.
pub fn flink_jdbc_reads(column: &ColumnRecord) -> bool {
    let (udt, _, _) = split(&column.source_type);
    let flink = column.data_type.to_uppercase();
    if flink.starts_with("TIMESTAMP_LTZ") || flink.contains("LOCAL TIME ZONE") {
        return false;
    }
    let text = ["STRING", "VARCHAR", "CHAR"].iter().any(|t| flink.starts_with(t));
    !text || matches!(udt.as_str(), "text" | "varchar" | "bpchar" | "name" | "")
}

#[cfg(test)]
mod flink_jdbc_tests {
    use super::*;

    fn column(source_type: &str, data_type: &str) -> ColumnRecord {
        ColumnRecord {
            ordinal: 1,
            name: "c".into(),
            data_type: data_type.into(),
            source_type: source_type.into(),
            nullable: true,
            is_key: false,
        }
    }

    #[test]
    fn only_text_types_are_read_as_strings_by_flinks_jdbc_connector() {
        for (udt, flink) in
            [("text", "STRING"), ("varchar(64)", "VARCHAR(64)"), ("bpchar(3)", "CHAR(3)"), ("int4", "INT")]
        {
            assert!(flink_jdbc_reads(&column(udt, flink)), "{udt}");
        }
        for (udt, flink) in [
            ("jsonb", "STRING"),
            ("json", "STRING"),
            ("uuid", "STRING"),
            ("_int4", "STRING"),
            ("numeric", "STRING"),
            ("timestamptz", "TIMESTAMP_LTZ(6)"),
        ] {
            assert!(!flink_jdbc_reads(&column(udt, flink)), "{udt}");
        }
    }
}
