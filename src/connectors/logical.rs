//! Column types between systems, for whole-database syncs, and what a sync does with
//! each source type.
//!
//! A source column is first read into a [`Logical`] type from its own spelling (MySQL's
//! `column_type`, PostgreSQL's `udt_name`), keeping unsigned-ness, precision and scale;
//! it is then written in the sink's dialect. Each type's folder holds its side of the
//! table (`connectors/<type>/sync.rs`: the rows it reads, the column it writes), and its
//! [`SyncRole`] tells syncs which of them it has. A sync between two tables of the same
//! system keeps the source's own type; Kafka and Paimon sinks get the Flink SQL type
//! (their tables are created by the engine).

use sluice_catalog::ColumnRecord;

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

/// What a whole-database sync can do with a source type.
#[derive(Debug, Clone, Copy)]
pub struct SyncRole {
    /// Reads a column of its tables into a logical type (`None` inside: a type Sluice
    /// cannot map); `None`: a sync cannot read it.
    pub read: Option<fn(&ColumnRecord) -> Option<Logical>>,
    /// How a sync writes it; `None`: a sync cannot write it.
    pub write: Option<SyncSink>,
}

impl SyncRole {
    /// Neither read nor written by syncs.
    pub const NONE: SyncRole = SyncRole { read: None, write: None };
}

/// How a sync writes tables of a sink type.
#[derive(Debug, Clone, Copy)]
pub struct SyncSink {
    /// Its column type for a logical type (`key`: part of the primary key); `None`: the
    /// Flink SQL type, as the engine creates the tables.
    pub column_type: Option<fn(&Logical, bool) -> String>,
    /// How the tables a sync creates are written; `None`: the engine creates them.
    pub tables: Option<TableStyle>,
    /// Whether a streaming sync into it runs on Flink CDC unless told otherwise (Flink
    /// CDC has a pipeline sink for it).
    pub flink_cdc: bool,
}

/// The dialect of the `CREATE TABLE IF NOT EXISTS` a sync runs on its sink.
#[derive(Debug, Clone, Copy)]
pub enum TableStyle {
    /// Columns, NOT NULL and a PRIMARY KEY, names quoted by the function.
    Standard(fn(&str) -> String),
    /// Doris / StarRocks: key columns first, a key model (`UNIQUE KEY`, `PRIMARY KEY`)
    /// or duplicate keys without a primary key, and a distribution by hash or at random;
    /// `buckets_auto` adds `BUCKETS AUTO`.
    Olap { key_model: &'static str, buckets_auto: bool },
}

impl Logical {
    /// The logical type of a value of Flink SQL type `flink` (what a pipeline writes into
    /// a table it creates). Nested types (ARRAY, MAP, ROW) become text, as the Doris and
    /// StarRocks connectors create them.
    pub fn from_flink(flink: &str) -> Logical {
        let (name, args, tail) = split(flink);
        let arg = |i: usize, default: u32| args.get(i).copied().unwrap_or(default);
        match name.as_str() {
            "boolean" => Logical::Boolean,
            "tinyint" => Logical::TinyInt,
            "smallint" => Logical::SmallInt,
            "int" | "integer" => Logical::Int,
            "bigint" => Logical::BigInt,
            "float" => Logical::Float,
            "double" => Logical::Double,
            "decimal" | "dec" | "numeric" => Logical::Decimal(arg(0, 10), arg(1, 0)),
            "date" => Logical::Date,
            "time" => Logical::Time(arg(0, 0)),
            "timestamp" if tail.contains("local time zone") => Logical::TimestampTz(arg(0, 6)),
            "timestamp" => Logical::Timestamp(arg(0, 6)),
            "timestamp_ltz" => Logical::TimestampTz(arg(0, 6)),
            "char" => Logical::Char(arg(0, 1)),
            "varchar" => Logical::Varchar(arg(0, 1)),
            "binary" | "varbinary" | "bytes" => Logical::Binary,
            _ => Logical::Text,
        }
    }
}

/// Name, arguments in parentheses, and the words after (`int(10) unsigned`).
pub fn split(spelling: &str) -> (String, Vec<u32>, String) {
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
