//! Apache Gravitino's REST API, for one catalog of one metalake: its schemas are the
//! source's databases, its tables and columns the source's, and the catalog's provider
//! (`jdbc-mysql`, `lakehouse-paimon` …) is kept with each table for the engines.
//!
//! Origin: Gravitino's OpenAPI spec (`docs/open-api/{catalogs,schemas,tables}.yaml`) and
//! its JSON serializers (`JsonUtils`): `GET /api/metalakes/{m}/catalogs/{c}` answers
//! `{"code":0,"catalog":{name,type,provider,properties}}`; the schema and table lists
//! `{"code":0,"identifiers":[{namespace,name}]}`; a table
//! `{"code":0,"table":{name,columns:[{name,type,nullable}],indexes:[{indexType,fieldNames}]}}`
//! (index types upper case as the server writes them, lower case in the spec's
//! examples); errors `{code,type,message}` with HTTP 404 and types such as
//! `NoSuchTableException`. Requests carry `Accept: application/vnd.gravitino.v1+json`, and
//! `Authorization: Bearer <token>` (OAuth) or `Basic` with the user (simple auth).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::connectors::definition::{Provider, TableDefinition, Unreadable};
use crate::connectors::live::{Column, Endpoint, Table};

/// Catalog properties the engines connect with, kept with each table. Everything else —
/// passwords and keys among them — is left where it is.
const KEPT: &[&str] = &[
    "jdbc-url",
    "jdbc-user",
    "jdbc-driver",
    "jdbc-database",
    "catalog-backend",
    "warehouse",
    "uri",
    "metastore.uris",
];

/// A client for the source's catalog.
pub struct Client {
    http: reqwest::Client,
    timeout: std::time::Duration,
    base: String,
    auth: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct Identifiers {
    #[serde(default)]
    identifiers: Vec<Identifier>,
}

#[derive(Deserialize)]
struct Identifier {
    name: String,
}

#[derive(Deserialize)]
struct CatalogBody {
    catalog: Catalog,
}

#[derive(Deserialize)]
pub struct Catalog {
    pub provider: String,
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct TableBody {
    table: GTable,
}

#[derive(Deserialize)]
struct GTable {
    name: String,
    #[serde(default)]
    columns: Vec<GColumn>,
    #[serde(default)]
    indexes: Vec<Index>,
}

#[derive(Deserialize)]
struct GColumn {
    name: String,
    #[serde(rename = "type")]
    data_type: Value,
    #[serde(default = "yes")]
    nullable: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Index {
    index_type: String,
    #[serde(default)]
    field_names: Vec<Vec<String>>,
}

/// A path segment, percent-encoded.
fn segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Client {
    pub fn new(endpoint: &Endpoint<'_>) -> Result<Client, String> {
        let uri = endpoint.text("uri").unwrap_or_default().trim_end_matches('/');
        let metalake = segment(endpoint.text("metalake").unwrap_or_default());
        let catalog = segment(endpoint.text("catalog").unwrap_or_default());
        let auth = match (endpoint.secret_text("token"), endpoint.text("user")) {
            (Some(token), _) => Some(format!("Bearer {token}")),
            (None, Some(user)) => {
                use base64::Engine;
                Some(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:dummy"))
                ))
            }
            (None, None) => None,
        };
        let http = if uri.starts_with("https://") {
            crate::tls::https_client(endpoint.text("ca_file"), endpoint.source).map_err(|e| e.message())?
        } else {
            crate::tls::client_builder().build().map_err(|e| e.to_string())?
        };
        let base = format!("{uri}/api/metalakes/{metalake}/catalogs/{catalog}");
        Ok(Client { http, timeout: endpoint.timeout(), base, auth })
    }

    /// GET `path` under the catalog; `Ok(None)` when Gravitino answers that the object
    /// of type `missing` (`NoSuchTableException` …) does not exist.
    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        missing: &[&str],
    ) -> Result<Option<T>, String> {
        let url = format!("{}{path}", self.base);
        let mut request =
            self.http.get(&url).timeout(self.timeout).header("Accept", "application/vnd.gravitino.v1+json");
        if let Some(auth) = &self.auth {
            request = request.header("Authorization", auth);
        }
        let response = request.send().await.map_err(|e| format!("{url}: {}", crate::tls::chain(&e)))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| format!("{url}: {e}"))?;
        if status.is_success() {
            return serde_json::from_slice(&body)
                .map(Some)
                .map_err(|e| format!("{url}: not a Gravitino answer: {e}"));
        }
        let error: Option<ErrorBody> = serde_json::from_slice(&body).ok();
        match error {
            Some(e) if status.as_u16() == 404 && missing.contains(&e.kind.as_str()) => Ok(None),
            Some(e) => Err(format!("Gravitino answered {status}: {} ({})", e.message, e.kind)),
            None => Err(format!("{url}: HTTP {status}")),
        }
    }

    /// The catalog: its provider and properties.
    pub async fn catalog(&self) -> Result<Catalog, String> {
        let body: Option<CatalogBody> = self.get("", &[]).await?;
        body.map(|b| b.catalog).ok_or_else(|| "no catalog in Gravitino's answer".into())
    }

    /// The catalog's schemas.
    pub async fn schemas(&self) -> Result<Vec<String>, String> {
        let list: Option<Identifiers> = self.get("/schemas", &[]).await?;
        let mut names: Vec<String> =
            list.map(|l| l.identifiers.into_iter().map(|i| i.name).collect()).unwrap_or_default();
        names.sort();
        Ok(names)
    }

    /// The tables of `schema` (or one of them), with columns, keys and the provider.
    pub async fn tables(&self, schema: &str, table: Option<&str>) -> Result<Vec<Table>, String> {
        let catalog = self.catalog().await?;
        let provider = Provider {
            name: catalog.provider,
            properties: catalog.properties.into_iter().filter(|(k, _)| KEPT.contains(&k.as_str())).collect(),
        };
        let tables_path = format!("/schemas/{}/tables", segment(schema));
        let names: Vec<String> = match table {
            Some(t) => vec![t.to_owned()],
            None => {
                let list: Option<Identifiers> = self.get(&tables_path, &["NoSuchSchemaException"]).await?;
                let mut names: Vec<String> =
                    list.map(|l| l.identifiers.into_iter().map(|i| i.name).collect()).unwrap_or_default();
                names.sort();
                names
            }
        };
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            let missing = ["NoSuchTableException", "NoSuchSchemaException"];
            let Some(body) =
                self.get::<TableBody>(&format!("{tables_path}/{}", segment(&name)), &missing).await?
            else {
                continue;
            };
            out.push(table_of(schema, body.table, &provider));
        }
        Ok(out)
    }
}

fn table_of(schema: &str, t: GTable, provider: &Provider) -> Table {
    let keys: Vec<&str> = t
        .indexes
        .iter()
        .filter(|i| i.index_type.eq_ignore_ascii_case("primary_key"))
        .flat_map(|i| i.field_names.iter().filter_map(|f| f.last().map(String::as_str)))
        .collect();
    let mut definition = TableDefinition { provider: Some(provider.clone()), ..TableDefinition::default() };
    let mut columns = Vec::with_capacity(t.columns.len());
    for c in &t.columns {
        let source_type = match &c.data_type {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match flink_type(&c.data_type) {
            Ok(data_type) => columns.push(Column {
                name: c.name.clone(),
                data_type,
                source_type,
                nullable: c.nullable,
                is_key: keys.contains(&c.name.as_str()),
            }),
            Err(why) => definition.unreadable.push(Unreadable { column: c.name.clone(), source_type, why }),
        }
    }
    Table { database: schema.to_owned(), name: t.name, table_type: "BASE TABLE".into(), columns, definition }
}

/// A Gravitino column type (origin: Gravitino's `Types` and `JsonUtils`) as Flink SQL's.
pub fn flink_type(t: &Value) -> Result<String, String> {
    match t {
        Value::String(s) => primitive(s),
        Value::Object(o) => {
            let kind = o.get("type").and_then(Value::as_str).unwrap_or_default();
            let inner = |key: &str| -> Result<String, String> {
                flink_type(o.get(key).ok_or_else(|| format!("Gravitino {kind} type without \"{key}\""))?)
            };
            match kind {
                "list" => Ok(format!("ARRAY<{}>", inner("elementType")?)),
                "map" => Ok(format!("MAP<{}, {}>", inner("keyType")?, inner("valueType")?)),
                "struct" => {
                    let fields = o.get("fields").and_then(Value::as_array).ok_or("struct without fields")?;
                    let mut out = Vec::with_capacity(fields.len());
                    for f in fields {
                        let name =
                            f.get("name").and_then(Value::as_str).ok_or("a struct field without a name")?;
                        let t = flink_type(f.get("type").ok_or("a struct field without a type")?)?;
                        out.push(format!("`{}` {t}", name.replace('`', "``")));
                    }
                    Ok(format!("ROW<{}>", out.join(", ")))
                }
                other => Err(format!("Gravitino type {other} has no Flink SQL type")),
            }
        }
        other => Err(format!("Gravitino type {other} has no Flink SQL type")),
    }
}

fn primitive(s: &str) -> Result<String, String> {
    let t = s.trim().to_lowercase();
    let args: Vec<u32> = t
        .split_once('(')
        .map(|(_, rest)| {
            rest.trim_end_matches(')').split(',').filter_map(|a| a.trim().parse().ok()).collect()
        })
        .unwrap_or_default();
    let base = t.split('(').next().unwrap_or_default().trim();
    let p = |default: u32| args.first().copied().unwrap_or(default);
    Ok(match base {
        "boolean" => "BOOLEAN".into(),
        "byte" => "TINYINT".into(),
        "byte unsigned" | "short" => "SMALLINT".into(),
        "short unsigned" | "integer" => "INT".into(),
        "integer unsigned" | "long" => "BIGINT".into(),
        "long unsigned" => "DECIMAL(20, 0)".into(),
        "float" => "FLOAT".into(),
        "double" => "DOUBLE".into(),
        "decimal" => format!("DECIMAL({}, {})", p(10), args.get(1).copied().unwrap_or(0)),
        "date" => "DATE".into(),
        "time" => format!("TIME({})", p(0)),
        "timestamp" => format!("TIMESTAMP({})", p(6)),
        "timestamp_tz" => format!("TIMESTAMP_LTZ({})", p(6)),
        "string" | "uuid" | "variant" | "interval_year" | "interval_day" => "STRING".into(),
        "varchar" => format!("VARCHAR({})", p(1)),
        "char" => format!("CHAR({})", p(1)),
        "binary" => "BYTES".into(),
        "fixed" => format!("BINARY({})", p(1)),
        other => return Err(format!("Gravitino type {other} has no Flink SQL type")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The type spellings of Gravitino's type serializer (JsonUtils / Types.simpleString).
    #[test]
    fn gravitino_types_become_flink_types() {
        for (g, expected) in [
            (json!("integer"), "INT"),
            (json!("integer unsigned"), "BIGINT"),
            (json!("long"), "BIGINT"),
            (json!("long unsigned"), "DECIMAL(20, 0)"),
            (json!("decimal(10,2)"), "DECIMAL(10, 2)"),
            (json!("varchar(255)"), "VARCHAR(255)"),
            (json!("timestamp(3)"), "TIMESTAMP(3)"),
            (json!("timestamp"), "TIMESTAMP(6)"),
            (json!("timestamp_tz(6)"), "TIMESTAMP_LTZ(6)"),
            (json!("fixed(16)"), "BINARY(16)"),
            (json!({"type": "list", "containsNull": true, "elementType": "integer"}), "ARRAY<INT>"),
            (
                json!({"type": "map", "keyType": "string", "valueType": "double", "valueContainsNull": true}),
                "MAP<STRING, DOUBLE>",
            ),
            (
                json!({"type": "struct", "fields": [{"name": "a", "type": "integer", "nullable": true}]}),
                "ROW<`a` INT>",
            ),
        ] {
            assert_eq!(flink_type(&g).as_deref(), Ok(expected), "{g}");
        }
        assert!(flink_type(&json!({"type": "unparsed", "unparsedType": "geometry"})).is_err());
        assert!(flink_type(&json!({"type": "union", "types": ["string", "integer"]})).is_err());
    }

    #[test]
    fn keys_and_unreadable_columns_are_read_from_a_table() {
        let t: GTable = serde_json::from_value(json!({
            "name": "orders",
            "columns": [
                {"name": "id", "type": "integer", "nullable": false},
                {"name": "g", "type": {"type": "unparsed", "unparsedType": "geometry"}},
                {"name": "note", "type": "string"}
            ],
            "indexes": [{"indexType": "PRIMARY_KEY", "name": "PRIMARY", "fieldNames": [["id"]]}]
        }))
        .expect("table");
        let provider = Provider { name: "jdbc-mysql".into(), properties: BTreeMap::new() };
        let table = table_of("shop", t, &provider);
        let cols: Vec<(&str, bool, bool)> =
            table.columns.iter().map(|c| (c.name.as_str(), c.nullable, c.is_key)).collect();
        assert_eq!(cols, [("id", false, true), ("note", true, false)]);
        assert_eq!(table.definition.unreadable[0].column, "g");
        assert_eq!(segment("a b/c"), "a%20b%2Fc");
    }
}
