//! Apache Doris column types out of [`Logical`] for syncs (Doris 2.1 type reference).

use crate::connectors::logical::Logical;

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

#[cfg(test)]
mod tests {
    use crate::sync::ddl::create_table;
    use crate::sync::ddl::testing::col;

    #[test]
    fn doris_ddl_puts_keys_first_and_distributes() {
        let ddl = create_table(
            &super::super::DORIS,
            "ods",
            "t",
            &[col("v", "STRING", false, true), col("id", "BIGINT", true, false)],
        );
        assert!(ddl.contains("(\n  `id` BIGINT NOT NULL,\n  `v` STRING\n) UNIQUE KEY(`id`)"), "{ddl}");
        assert!(ddl.ends_with("DISTRIBUTED BY HASH(`id`) BUCKETS AUTO"), "{ddl}");
    }
}

#[cfg(test)]
mod created {
    use sluice_catalog::ColumnRecord;

    use crate::connectors::ResolvedOptions;
    use crate::plan::{TablePath, TableUse};
    use crate::sync::ddl::create_written;

    fn column(ordinal: i64, name: &str, data_type: &str, is_key: bool) -> ColumnRecord {
        let nullable = !is_key;
        ColumnRecord {
            ordinal,
            name: name.into(),
            data_type: data_type.into(),
            source_type: data_type.into(),
            nullable,
            is_key,
        }
    }

    /// The table a pipeline creates in Doris, typed as the Doris Flink connector creates
    /// tables (VARCHAR(n) holds n × 3 bytes, TIMESTAMP(p) is DATETIME(p)), keyed by the
    /// key it inherits from its source.
    #[test]
    fn a_created_doris_table_is_typed_from_the_written_columns() {
        let table = TableUse {
            path: TablePath { source: "dw".into(), database: "ods".into(), table: "orders".into() },
            source_type: &super::super::DORIS,
            source_options: ResolvedOptions::default(),
            columns: vec![
                column(1, "customer", "VARCHAR(20)", false),
                column(2, "id", "INT", true),
                column(3, "amount", "DECIMAL(10, 2)", false),
                column(4, "at", "TIMESTAMP(3)", false),
                column(5, "tags", "ARRAY<STRING>", false),
            ],
            definition: None,
            create: true,
            ddl: None,
        };
        let written = ["customer", "id", "amount", "at", "tags"].map(String::from);
        assert_eq!(
            create_written(&super::super::DORIS, &table, &written),
            "CREATE TABLE IF NOT EXISTS `ods`.`orders` (\n  `id` INT NOT NULL,\n  `customer` VARCHAR(60),\n  \
             `amount` DECIMAL(10,2),\n  `at` DATETIME(3),\n  `tags` STRING\n) UNIQUE KEY(`id`) DISTRIBUTED BY HASH(`id`) BUCKETS AUTO"
        );
    }
}
