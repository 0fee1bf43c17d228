//! Column types from one system to another, for whole-database syncs.
//!
//! A source column is first read into a [`Logical`] type from its own spelling (MySQL's
//! `column_type`, PostgreSQL's `udt_name`), keeping unsigned-ness, precision and scale;
//! it is then written in the sink's dialect. Each `(source, sink)` pair is therefore one
//! explicit table — the rows of `from_mysql` / `from_postgres` read across the columns of
//! `to_postgres`, `to_mysql`, `to_doris`, `to_starrocks` — and `DESCRIBE SYNC` shows the
//! result for every column. A MySQL → MySQL or PostgreSQL → PostgreSQL sync keeps the
//! source's own type. Kafka and Paimon sinks get the Flink SQL type (their tables are
//! created by the engine). Type facts follow the MySQL 8, PostgreSQL 16, Doris 2.1 and
//! StarRocks 3 type references.

/// A column type between systems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Logical {
    Boolean,
    TinyInt,
    SmallInt,
    Int,
    BigInt,
    /// `bigint unsigned`: up to 2^64 - 1.
    UnsignedBigInt,
    Float,
    Double,
    Decimal(u32, u32),
    /// PostgreSQL's `numeric` without precision.
    Numeric,
    Date,
    Time(u32),
    Timestamp(u32),
    TimestampTz(u32),
    Year,
    Char(u32),
    Varchar(u32),
    Text,
    Json,
    /// MySQL `enum('a','b')` / `set(…)`, with its definition.
    Enum(String),
    Set(String),
    Binary,
    Uuid,
}

/// Name, arguments in parentheses, and the words after (`int(10) unsigned`).
fn split(spelling: &str) -> (String, Vec<u32>, String) {
    let lower = spelling.trim().to_lowercase();
    let (name, rest) = match lower.find(['(', ' ']) {
        Some(i) => (lower[..i].to_owned(), lower[i..].to_owned()),
        None => (lower.clone(), String::new()),
    };
    let (args, tail) = match (rest.find('('), rest.find(')')) {
        (Some(open), Some(close)) if open < close => (
            rest[open + 1..close].split(',').filter_map(|a| a.trim().parse().ok()).collect(),
            rest[close + 1..].trim().to_owned(),
        ),
        _ => (Vec::new(), rest.trim().to_owned()),
    };
    (name, args, tail)
}

/// A MySQL / MariaDB column (its `column_type`).
pub fn from_mysql(column_type: &str) -> Option<Logical> {
    let (name, args, tail) = split(column_type);
    let unsigned = tail.contains("unsigned");
    let arg = |i: usize, default: u32| args.get(i).copied().unwrap_or(default);
    Some(match name.as_str() {
        "tinyint" if args.first() == Some(&1) && !unsigned => Logical::Boolean,
        "bool" | "boolean" => Logical::Boolean,
        "bit" if arg(0, 1) == 1 => Logical::Boolean,
        "tinyint" if unsigned => Logical::SmallInt,
        "tinyint" => Logical::TinyInt,
        "smallint" if unsigned => Logical::Int,
        "smallint" => Logical::SmallInt,
        "mediumint" => Logical::Int,
        "int" | "integer" if unsigned => Logical::BigInt,
        "int" | "integer" => Logical::Int,
        "bigint" if unsigned => Logical::UnsignedBigInt,
        "bigint" => Logical::BigInt,
        "float" => Logical::Float,
        "double" | "real" => Logical::Double,
        "decimal" | "numeric" | "dec" | "fixed" => Logical::Decimal(arg(0, 10), arg(1, 0)),
        "date" => Logical::Date,
        "time" => Logical::Time(arg(0, 0)),
        "datetime" => Logical::Timestamp(arg(0, 0)),
        "timestamp" => Logical::TimestampTz(arg(0, 0)),
        "year" => Logical::Year,
        "char" => Logical::Char(arg(0, 1)),
        "varchar" => Logical::Varchar(arg(0, 255)),
        "tinytext" | "text" | "mediumtext" | "longtext" => Logical::Text,
        "json" => Logical::Json,
        "enum" => Logical::Enum(column_type.trim().to_owned()),
        "set" => Logical::Set(column_type.trim().to_owned()),
        "binary" | "varbinary" | "bit" | "tinyblob" | "blob" | "mediumblob" | "longblob" => Logical::Binary,
        "uuid" => Logical::Uuid, // MariaDB 10.7+
        _ => return None,        // geometry, vector, inet6 …
    })
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

/// In MySQL. Key columns of text types become `varchar(768)` (an index holds at most
/// 3072 bytes of utf8mb4).
pub fn to_mysql(t: &Logical, key: bool) -> String {
    match t {
        Logical::Boolean => "boolean".into(),
        Logical::TinyInt => "tinyint".into(),
        Logical::SmallInt => "smallint".into(),
        Logical::Int => "int".into(),
        Logical::Year => "year".into(),
        Logical::BigInt => "bigint".into(),
        Logical::UnsignedBigInt => "bigint unsigned".into(),
        Logical::Float => "float".into(),
        Logical::Double => "double".into(),
        Logical::Decimal(p, s) if *p <= 65 => format!("decimal({p},{s})"),
        Logical::Decimal(..) | Logical::Numeric => "decimal(65,30)".into(),
        Logical::Date => "date".into(),
        Logical::Time(p) => format!("time({})", p.min(&6)),
        Logical::Timestamp(p) | Logical::TimestampTz(p) => format!("datetime({})", p.min(&6)),
        Logical::Char(n) => format!("char({n})"),
        Logical::Varchar(n) if *n <= 16_383 => format!("varchar({n})"),
        Logical::Text | Logical::Varchar(_) if key => "varchar(768)".into(),
        Logical::Text | Logical::Varchar(_) => "longtext".into(),
        Logical::Json => "json".into(),
        Logical::Enum(def) | Logical::Set(def) => def.clone(),
        Logical::Binary if key => "varbinary(3072)".into(),
        Logical::Binary => "longblob".into(),
        Logical::Uuid => "char(36)".into(),
    }
}

/// In Apache Doris (its lengths count bytes: a utf8 character takes up to 3).
pub fn to_doris(t: &Logical, key: bool) -> String {
    match t {
        Logical::Boolean => "BOOLEAN".into(),
        Logical::TinyInt => "TINYINT".into(),
        Logical::SmallInt => "SMALLINT".into(),
        Logical::Int | Logical::Year => "INT".into(),
        Logical::BigInt => "BIGINT".into(),
        Logical::UnsignedBigInt => "LARGEINT".into(),
        Logical::Float => "FLOAT".into(),
        Logical::Double => "DOUBLE".into(),
        Logical::Decimal(p, s) if *p <= 38 => format!("DECIMAL({p},{s})"),
        Logical::Decimal(..) | Logical::Numeric => "STRING".into(),
        Logical::Date => "DATE".into(),
        Logical::Timestamp(p) | Logical::TimestampTz(p) => format!("DATETIME({})", p.min(&6)),
        Logical::Char(n) => format!("CHAR({})", (n * 3).min(255)),
        Logical::Varchar(n) if n * 3 <= 65_533 => format!("VARCHAR({})", n * 3),
        // key columns cannot be STRING
        Logical::Text | Logical::Varchar(_) | Logical::Enum(_) | Logical::Set(_) | Logical::Time(_)
            if key =>
        {
            "VARCHAR(65533)".into()
        }
        Logical::Text | Logical::Varchar(_) | Logical::Enum(_) | Logical::Set(_) | Logical::Time(_) => {
            "STRING".into()
        }
        Logical::Json => "JSON".into(),
        Logical::Binary => "STRING".into(),
        Logical::Uuid => "VARCHAR(36)".into(),
    }
}

/// In StarRocks.
pub fn to_starrocks(t: &Logical, key: bool) -> String {
    match t {
        Logical::Binary => "VARBINARY".into(),
        Logical::Timestamp(_) | Logical::TimestampTz(_) => "DATETIME".into(),
        Logical::Text | Logical::Varchar(_) | Logical::Enum(_) | Logical::Set(_) | Logical::Time(_)
            if !key =>
        {
            "STRING".into()
        }
        other => to_doris(other, key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn my_pg(column_type: &str) -> String {
        to_postgres(&from_mysql(column_type).expect(column_type), false)
    }

    #[test]
    fn mysql_to_postgres_keeps_precision_scale_and_range() {
        for (mysql, pg) in [
            ("tinyint(1)", "boolean"),
            ("tinyint(4)", "smallint"),
            ("tinyint(3) unsigned", "smallint"),
            ("smallint(5) unsigned", "integer"),
            ("mediumint(9)", "integer"),
            ("int(11)", "integer"),
            ("int(10) unsigned", "bigint"),
            ("bigint(20)", "bigint"),
            ("bigint(20) unsigned", "numeric(20,0)"),
            ("decimal(38,10)", "numeric(38,10)"),
            ("decimal(65,30)", "numeric(65,30)"),
            ("float", "real"),
            ("double", "double precision"),
            ("datetime(6)", "timestamp(6)"),
            ("datetime", "timestamp(0)"),
            ("timestamp(3)", "timestamptz(3)"),
            ("time", "time(0)"),
            ("year(4)", "integer"),
            ("char(2)", "char(2)"),
            ("varchar(64)", "varchar(64)"),
            ("longtext", "text"),
            ("json", "jsonb"),
            ("enum('new','paid')", "text"),
            ("blob", "bytea"),
            ("varbinary(16)", "bytea"),
            ("bit(1)", "boolean"),
        ] {
            assert_eq!(my_pg(mysql), pg, "{mysql}");
        }
        assert_eq!(from_mysql("geometry"), None);
    }

    #[test]
    fn postgres_to_mysql_and_doris() {
        let t = |udt: &str, flink: &str| from_postgres(udt, flink).expect(udt);
        assert_eq!(to_mysql(&t("numeric(12,2)", "DECIMAL(12, 2)"), false), "decimal(12,2)");
        assert_eq!(to_mysql(&t("timestamptz", "TIMESTAMP_LTZ(6)"), false), "datetime(6)");
        assert_eq!(to_mysql(&t("text", "STRING"), true), "varchar(768)");
        assert_eq!(to_mysql(&t("text", "STRING"), false), "longtext");
        assert_eq!(to_mysql(&t("uuid", "STRING"), false), "char(36)");
        assert_eq!(to_doris(&t("varchar(10)", "VARCHAR(10)"), false), "VARCHAR(30)");
        assert_eq!(to_doris(&t("jsonb", "STRING"), false), "JSON");
        assert_eq!(to_doris(&from_mysql("bigint unsigned").expect("maps"), true), "LARGEINT");
        assert_eq!(to_starrocks(&from_mysql("datetime(6)").expect("maps"), false), "DATETIME");
        assert_eq!(from_postgres("_int4", "STRING"), None);
    }
}
