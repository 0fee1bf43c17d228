//! StarRocks column types out of [`Logical`] for syncs (StarRocks 3 type reference):
//! Doris's, except where StarRocks differs.

use crate::connectors::doris::sync::to_doris;
use crate::connectors::logical::Logical;

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
    use crate::sync::ddl::create_table;
    use crate::sync::ddl::testing::col;

    #[test]
    fn starrocks_ddl_without_a_key_is_duplicate_key_at_random() {
        let ddl = create_table(&super::super::STARROCKS, "ods", "t", &[col("v", "STRING", false, true)]);
        assert!(ddl.ends_with("DUPLICATE KEY(`v`) DISTRIBUTED BY RANDOM"), "{ddl}");
    }
}
