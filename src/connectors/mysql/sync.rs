//! MySQL / MariaDB column types in and out of [`Logical`] for syncs (MySQL 8 and MariaDB
//! type references).

use sluice_catalog::ColumnRecord;

use crate::connectors::logical::{Logical, split};

/// A column of a MySQL table, by its `column_type`.
pub fn read(column: &ColumnRecord) -> Option<Logical> {
    from_mysql(&column.source_type)
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
