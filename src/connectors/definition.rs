//! What the store keeps of a table beyond its columns (`tables.definition`, JSON), typed
//! and decoded in one place: a declared table's statement, watermark, key and options; an
//! introspected table's kind; the read options a sync presets. JSON that does not read
//! back is a corrupt catalog, never an empty definition.

use serde::{Deserialize, Serialize};

use super::ResolvedOptions;
use crate::error::{Result, SluiceError};

/// A table's definition; every part is optional, as each kind of table has some.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableDefinition {
    /// The `CREATE TABLE` that declared it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    /// Its `WATERMARK FOR column AS expr`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watermark: Option<Watermark>,
    /// Its declared `PRIMARY KEY` columns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub primary_key: Vec<String>,
    /// Its own options (over its source's).
    #[serde(default, skip_serializing_if = "options_are_empty")]
    pub options: ResolvedOptions,
    /// The system's kind of an introspected table (`BASE TABLE`, `VIEW`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_type: Option<String>,
    /// Its partition keys, as its system keeps them (Paimon).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partition_keys: Vec<String>,
    /// Columns of an introspected table that no engine can read (Doris `BITMAP`, `HLL` …):
    /// left out of its columns, named when a query uses them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<Unreadable>,
    /// The system a table of a metadata service (Gravitino) is really in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
    /// The comment the source keeps on an introspected table (MySQL `TABLE_COMMENT`,
    /// PostgreSQL `COMMENT ON TABLE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The comments the source keeps on the table's columns, by column name.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub column_comments: std::collections::BTreeMap<String, String>,
}

/// A column no engine can read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unreadable {
    pub column: String,
    /// The system's own type name.
    pub source_type: String,
    pub why: String,
}

/// The system behind a metadata service's catalog: its provider (`jdbc-mysql`,
/// `lakehouse-paimon` …) and the properties engines connect with (never a secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    pub name: String,
    #[serde(default)]
    pub properties: std::collections::BTreeMap<String, String>,
}

fn options_are_empty(options: &ResolvedOptions) -> bool {
    options.0.is_empty()
}

/// A watermark of a declared table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watermark {
    pub column: String,
    pub expr: String,
}

impl TableDefinition {
    /// The definition the store keeps for table `table` (shown in the error).
    pub fn from_stored(json: &str, table: &str) -> Result<TableDefinition> {
        SluiceError::stored_json(json, "table", table, "definition")
    }

    /// The JSON the store keeps.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    /// Whether the table was declared (CREATE TABLE), not read from its source.
    pub fn is_declared(&self) -> bool {
        self.statement.is_some()
    }

    /// Whether an introspected table is a base table (not a view); a table of unknown
    /// kind counts as one.
    pub fn is_base_table(&self) -> bool {
        self.table_type.as_deref().is_none_or(|t| t.eq_ignore_ascii_case("BASE TABLE"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::StoredValue;

    #[test]
    fn the_definitions_the_store_holds_read_back() {
        let declared = r#"{"statement":"CREATE TABLE k.t (a INT)","watermark":null,"primary_key":[],"options":{"topic":"t"}}"#;
        let d = TableDefinition::from_stored(declared, "k.t").expect("declared");
        assert_eq!(d.statement.as_deref(), Some("CREATE TABLE k.t (a INT)"));
        assert_eq!(d.options.0.get("topic"), Some(&StoredValue::Text("t".into())));
        assert_eq!(TableDefinition::from_stored(&d.to_json(), "k.t").expect("again"), d);
        let view = TableDefinition::from_stored(r#"{"table_type":"VIEW"}"#, "db.v").expect("introspected");
        assert!(!view.is_base_table());
        let err = TableDefinition::from_stored("{", "db.t").expect_err("corrupt");
        assert!(err.to_string().contains("db.t"), "{err}");
        assert_eq!(err.sqlstate().code(), "58000");
        let err = ResolvedOptions::from_stored("[1]", "source", "shop").expect_err("corrupt options");
        assert!(err.to_string().contains("source \"shop\": options:"), "{err}");
        assert_eq!(err.sqlstate().code(), "58000");
    }
}
