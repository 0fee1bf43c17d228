//! `information_schema` as PostgreSQL has it: views over `pg_catalog`, with the columns
//! and the domain types (`sql_identifier` as text, `cardinal_number` as int4, `yes_or_no`
//! as text) tools read — DataFusion's own information_schema has other columns (Arrow
//! type names in `columns.data_type`, no constraints).
//!
//! The definitions follow PostgreSQL 15's `src/backend/catalog/information_schema.sql`
//! for the columns and their meaning, written in the SQL Sluice plans (no privilege
//! filters: the catalog is readable by every role; key positions from `generate_series`
//! rather than `_pg_expandarray`). `df_settings` stays DataFusion's.

use std::sync::Arc;

use datafusion::catalog::information_schema::InformationSchemaProvider;
use datafusion::catalog::{CatalogProviderList, MemorySchemaProvider, SchemaProvider};
use datafusion::datasource::ViewTable;
use datafusion::execution::context::SessionState;

use super::Engine;
use crate::error::{Result, SluiceError};
use crate::sql::{Statement, parse};

/// The schema's name.
pub const SCHEMA: &str = "information_schema";

const TABLES: &str = "
SELECT current_database() AS table_catalog, nc.nspname AS table_schema, c.relname AS table_name,
  CASE WHEN c.relkind IN ('r', 'p') THEN 'BASE TABLE' WHEN c.relkind = 'v' THEN 'VIEW'
       WHEN c.relkind = 'f' THEN 'FOREIGN' ELSE NULL END AS table_type,
  CAST(NULL AS VARCHAR) AS self_referencing_column_name, CAST(NULL AS VARCHAR) AS reference_generation,
  CAST(NULL AS VARCHAR) AS user_defined_type_catalog, CAST(NULL AS VARCHAR) AS user_defined_type_schema,
  CAST(NULL AS VARCHAR) AS user_defined_type_name,
  CASE WHEN c.relkind IN ('r', 'p') THEN 'YES' ELSE 'NO' END AS is_insertable_into,
  'NO' AS is_typed, CAST(NULL AS VARCHAR) AS commit_action
FROM pg_catalog.pg_namespace nc JOIN pg_catalog.pg_class c ON nc.oid = c.relnamespace
WHERE c.relkind IN ('r', 'v', 'f', 'p')";

const COLUMNS: &str = "
SELECT current_database() AS table_catalog, nc.nspname AS table_schema, c.relname AS table_name,
  a.attname AS column_name, CAST(a.attnum AS INT) AS ordinal_position,
  CAST(NULL AS VARCHAR) AS column_default,
  CASE WHEN a.attnotnull THEN 'NO' ELSE 'YES' END AS is_nullable,
  CASE WHEN t.typelem <> 0 AND t.typlen = -1 THEN 'ARRAY'
       WHEN nt.nspname = 'pg_catalog' THEN format_type(a.atttypid, NULL)
       ELSE 'USER-DEFINED' END AS data_type,
  CAST(_pg_char_max_length(a.atttypid, a.atttypmod) AS INT) AS character_maximum_length,
  CAST(_pg_char_octet_length(a.atttypid, a.atttypmod) AS INT) AS character_octet_length,
  CAST(_pg_numeric_precision(a.atttypid, a.atttypmod) AS INT) AS numeric_precision,
  CAST(_pg_numeric_precision_radix(a.atttypid, a.atttypmod) AS INT) AS numeric_precision_radix,
  CAST(_pg_numeric_scale(a.atttypid, a.atttypmod) AS INT) AS numeric_scale,
  CAST(_pg_datetime_precision(a.atttypid, a.atttypmod) AS INT) AS datetime_precision,
  _pg_interval_type(a.atttypid, a.atttypmod) AS interval_type,
  CAST(NULL AS INT) AS interval_precision,
  CAST(NULL AS VARCHAR) AS character_set_catalog, CAST(NULL AS VARCHAR) AS character_set_schema,
  CAST(NULL AS VARCHAR) AS character_set_name,
  CAST(NULL AS VARCHAR) AS collation_catalog, CAST(NULL AS VARCHAR) AS collation_schema,
  CAST(NULL AS VARCHAR) AS collation_name,
  CAST(NULL AS VARCHAR) AS domain_catalog, CAST(NULL AS VARCHAR) AS domain_schema,
  CAST(NULL AS VARCHAR) AS domain_name,
  current_database() AS udt_catalog, nt.nspname AS udt_schema, t.typname AS udt_name,
  CAST(NULL AS VARCHAR) AS scope_catalog, CAST(NULL AS VARCHAR) AS scope_schema,
  CAST(NULL AS VARCHAR) AS scope_name, CAST(NULL AS INT) AS maximum_cardinality,
  CAST(a.attnum AS VARCHAR) AS dtd_identifier, 'NO' AS is_self_referencing,
  'NO' AS is_identity, CAST(NULL AS VARCHAR) AS identity_generation,
  CAST(NULL AS VARCHAR) AS identity_start, CAST(NULL AS VARCHAR) AS identity_increment,
  CAST(NULL AS VARCHAR) AS identity_maximum, CAST(NULL AS VARCHAR) AS identity_minimum,
  CAST(NULL AS VARCHAR) AS identity_cycle, 'NEVER' AS is_generated,
  CAST(NULL AS VARCHAR) AS generation_expression,
  CASE WHEN c.relkind IN ('r', 'p') THEN 'YES' ELSE 'NO' END AS is_updatable
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON a.attrelid = c.oid
JOIN pg_catalog.pg_namespace nc ON c.relnamespace = nc.oid
JOIN pg_catalog.pg_type t ON a.atttypid = t.oid
JOIN pg_catalog.pg_namespace nt ON t.typnamespace = nt.oid
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'v', 'f', 'p', 'm')";

const SCHEMATA: &str = "
SELECT current_database() AS catalog_name, n.nspname AS schema_name, u.rolname AS schema_owner,
  CAST(NULL AS VARCHAR) AS default_character_set_catalog, CAST(NULL AS VARCHAR) AS default_character_set_schema,
  CAST(NULL AS VARCHAR) AS default_character_set_name, CAST(NULL AS VARCHAR) AS sql_path
FROM pg_catalog.pg_namespace n LEFT JOIN pg_catalog.pg_roles u ON n.nspowner = u.oid";

const VIEWS: &str = "
SELECT current_database() AS table_catalog, nc.nspname AS table_schema, c.relname AS table_name,
  pg_get_viewdef(c.oid) AS view_definition, 'NONE' AS check_option, 'NO' AS is_updatable,
  'NO' AS is_insertable_into, 'NO' AS is_trigger_updatable, 'NO' AS is_trigger_deletable,
  'NO' AS is_trigger_insertable_into
FROM pg_catalog.pg_namespace nc JOIN pg_catalog.pg_class c ON nc.oid = c.relnamespace
WHERE c.relkind = 'v'";

const ROUTINES: &str = "
SELECT current_database() AS specific_catalog, n.nspname AS specific_schema,
  p.proname || '_' || CAST(p.oid AS VARCHAR) AS specific_name,
  current_database() AS routine_catalog, n.nspname AS routine_schema, p.proname AS routine_name,
  CASE p.prokind WHEN 'f' THEN 'FUNCTION' WHEN 'p' THEN 'PROCEDURE' ELSE NULL END AS routine_type,
  CAST(NULL AS VARCHAR) AS module_catalog, CAST(NULL AS VARCHAR) AS module_schema,
  CAST(NULL AS VARCHAR) AS module_name,
  CAST(NULL AS VARCHAR) AS udt_catalog, CAST(NULL AS VARCHAR) AS udt_schema, CAST(NULL AS VARCHAR) AS udt_name,
  CASE WHEN p.prokind = 'p' THEN NULL
       WHEN t.typelem <> 0 AND t.typlen = -1 THEN 'ARRAY'
       WHEN nt.nspname = 'pg_catalog' THEN format_type(t.oid, NULL)
       ELSE 'USER-DEFINED' END AS data_type,
  current_database() AS type_udt_catalog, nt.nspname AS type_udt_schema, t.typname AS type_udt_name,
  CAST(p.oid AS VARCHAR) AS dtd_identifier,
  CASE WHEN p.prolang = 14 THEN 'SQL' ELSE 'EXTERNAL' END AS routine_body,
  CASE WHEN p.prolang = 14 THEN p.prosrc ELSE NULL END AS routine_definition,
  CASE WHEN p.prolang = 14 THEN NULL ELSE p.prosrc END AS external_name,
  CASE p.prolang WHEN 12 THEN 'INTERNAL' WHEN 13 THEN 'C' WHEN 14 THEN 'SQL' ELSE 'EXTERNAL' END AS external_language,
  'GENERAL' AS parameter_style,
  CASE WHEN p.provolatile = 'i' THEN 'YES' ELSE 'NO' END AS is_deterministic,
  'MODIFIES' AS sql_data_access,
  CASE WHEN p.prokind = 'p' THEN NULL WHEN p.proisstrict THEN 'YES' ELSE 'NO' END AS is_null_call,
  CASE WHEN p.prosecdef THEN 'DEFINER' ELSE 'INVOKER' END AS security_type,
  CAST(NULL AS INT) AS max_dynamic_result_sets
FROM pg_catalog.pg_namespace n
JOIN pg_catalog.pg_proc p ON n.oid = p.pronamespace
LEFT JOIN pg_catalog.pg_type t ON p.prorettype = t.oid
LEFT JOIN pg_catalog.pg_namespace nt ON t.typnamespace = nt.oid";

const TABLE_CONSTRAINTS: &str = "
SELECT current_database() AS constraint_catalog, nc.nspname AS constraint_schema, c.conname AS constraint_name,
  current_database() AS table_catalog, nr.nspname AS table_schema, r.relname AS table_name,
  CASE c.contype WHEN 'c' THEN 'CHECK' WHEN 'f' THEN 'FOREIGN KEY' WHEN 'p' THEN 'PRIMARY KEY'
       WHEN 'u' THEN 'UNIQUE' ELSE NULL END AS constraint_type,
  CASE WHEN c.condeferrable THEN 'YES' ELSE 'NO' END AS is_deferrable,
  CASE WHEN c.condeferred THEN 'YES' ELSE 'NO' END AS initially_deferred,
  'YES' AS enforced,
  CASE WHEN c.contype = 'u' THEN 'YES' ELSE NULL END AS nulls_distinct
FROM pg_catalog.pg_constraint c
JOIN pg_catalog.pg_namespace nc ON nc.oid = c.connamespace
JOIN pg_catalog.pg_class r ON c.conrelid = r.oid
JOIN pg_catalog.pg_namespace nr ON nr.oid = r.relnamespace
WHERE c.contype IN ('c', 'f', 'p', 'u') AND r.relkind IN ('r', 'p')";

/// Key positions: PostgreSQL numbers a key's columns with `_pg_expandarray`; a key has at
/// most 32 columns (INDEX_MAX_KEYS).
const KEY_COLUMN_USAGE: &str = "
SELECT current_database() AS constraint_catalog, nc.nspname AS constraint_schema, c.conname AS constraint_name,
  current_database() AS table_catalog, nr.nspname AS table_schema, r.relname AS table_name,
  a.attname AS column_name, CAST(k AS INT) AS ordinal_position,
  CAST(CASE WHEN c.contype = 'f' THEN k ELSE NULL END AS INT) AS position_in_unique_constraint
FROM pg_catalog.pg_constraint c
JOIN pg_catalog.pg_namespace nc ON nc.oid = c.connamespace
JOIN pg_catalog.pg_class r ON c.conrelid = r.oid
JOIN pg_catalog.pg_namespace nr ON nr.oid = r.relnamespace
JOIN generate_series(1, 32) k ON k <= array_length(c.conkey, 1)
JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum = c.conkey[k]
WHERE c.contype IN ('p', 'u', 'f') AND r.relkind IN ('r', 'p')";

const REFERENTIAL_CONSTRAINTS: &str = "
SELECT current_database() AS constraint_catalog, ncon.nspname AS constraint_schema, con.conname AS constraint_name,
  CASE WHEN npkc.nspname IS NULL THEN NULL ELSE current_database() END AS unique_constraint_catalog,
  npkc.nspname AS unique_constraint_schema, pkc.conname AS unique_constraint_name,
  CASE con.confmatchtype WHEN 'f' THEN 'FULL' WHEN 'p' THEN 'PARTIAL' WHEN 's' THEN 'NONE' ELSE NULL END AS match_option,
  CASE con.confupdtype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT'
       WHEN 'r' THEN 'RESTRICT' WHEN 'a' THEN 'NO ACTION' ELSE NULL END AS update_rule,
  CASE con.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT'
       WHEN 'r' THEN 'RESTRICT' WHEN 'a' THEN 'NO ACTION' ELSE NULL END AS delete_rule
FROM pg_catalog.pg_namespace ncon
JOIN pg_catalog.pg_constraint con ON ncon.oid = con.connamespace
LEFT JOIN pg_catalog.pg_constraint pkc
  ON pkc.conrelid = con.confrelid AND pkc.conindid = con.conindid AND pkc.contype IN ('p', 'u')
LEFT JOIN pg_catalog.pg_namespace npkc ON pkc.connamespace = npkc.oid
WHERE con.contype = 'f'";

const CONSTRAINT_COLUMN_USAGE: &str = "
SELECT current_database() AS table_catalog, nr.nspname AS table_schema, r.relname AS table_name,
  a.attname AS column_name, current_database() AS constraint_catalog, nc.nspname AS constraint_schema,
  c.conname AS constraint_name
FROM pg_catalog.pg_constraint c
JOIN pg_catalog.pg_namespace nc ON nc.oid = c.connamespace
JOIN pg_catalog.pg_class r ON r.oid = CASE WHEN c.contype = 'f' THEN c.confrelid ELSE c.conrelid END
JOIN pg_catalog.pg_namespace nr ON nr.oid = r.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0
  AND array_has(CASE WHEN c.contype = 'f' THEN c.confkey ELSE c.conkey END, a.attnum)
WHERE c.contype IN ('p', 'u', 'f') AND r.relkind IN ('r', 'p')";

/// `(view, definition)`.
const DEFINITIONS: &[(&str, &str)] = &[
    ("tables", TABLES),
    ("columns", COLUMNS),
    ("schemata", SCHEMATA),
    ("views", VIEWS),
    ("routines", ROUTINES),
    ("table_constraints", TABLE_CONSTRAINTS),
    ("key_column_usage", KEY_COLUMN_USAGE),
    ("referential_constraints", REFERENTIAL_CONSTRAINTS),
    ("constraint_column_usage", CONSTRAINT_COLUMN_USAGE),
];

/// The views, planned in `state` (the gateway's database, or a source's: the views read
/// the `pg_catalog` of the database they are planned in).
pub async fn views(
    engine: &Engine,
    state: &SessionState,
    catalogs: Arc<dyn CatalogProviderList>,
) -> Result<Arc<dyn SchemaProvider>> {
    let schema = Arc::new(MemorySchemaProvider::new());
    for (name, sql) in DEFINITIONS {
        let statement = match parse(sql)?.pop().map(|p| p.statement) {
            Some(Statement::Query(df)) => df,
            _ => return Err(SluiceError::Internal(format!("information_schema.{name} is not a query"))),
        };
        let plan = super::plan_statement(engine, state, &statement)
            .await
            .map_err(|e| SluiceError::Internal(format!("information_schema.{name}: {e}")))?;
        schema.register_table(
            (*name).to_owned(),
            Arc::new(ViewTable::new(plan, Some(sql.trim().to_owned()))),
        )?;
    }
    let datafusion = InformationSchemaProvider::new(catalogs);
    if let Some(settings) = datafusion.table("df_settings").await? {
        schema.register_table("df_settings".to_owned(), settings)?;
    }
    Ok(schema)
}
