//! A database's tables as PostgreSQL objects: the rows of `pg_class` (their key indexes),
//! `pg_index`, `pg_constraint` and `pg_description` that describe them (what a
//! [`Describe`] says: schema `sluice` in the gateway's database, a source's cached tables
//! in a source's), and what `pg_get_indexdef`, `pg_get_constraintdef`, `obj_description`
//! and `col_description` answer about them.
//!
//! The tables' oids are datafusion-pg-catalog's (stable for the life of the process);
//! their keys' oids are derived from them, so a key keeps its oid as long as its table
//! does. Building the rows records each object in [`Objects`], which the functions read:
//! an oid a client holds was read from one of these tables, so it is there.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use datafusion::arrow::array::{AsArray, BooleanArray};
use datafusion::arrow::datatypes::{DataType, Int32Type, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{SchemaProvider, Session};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};

use super::described::{Describe, Described, DescribedKey, DescribedTables};

/// `pg_class`'s oid in PostgreSQL; Sluice's is what `'pg_catalog.pg_class'::regclass`
/// gives (datafusion-pg-catalog numbers its tables as it lists them), found as the tables
/// are listed, this only when it is not.
const PG_CLASS_OID: i32 = 1259;
/// The btree access method.
const BTREE_OID: i32 = 403;
/// The default collation, for text key columns.
const DEFAULT_COLLATION_OID: i32 = 100;
/// Where derived oids start: past anything datafusion-pg-catalog's counter reaches.
const KEY_OID_BASE: i32 = 1_000_000_000;
/// Keys per table the derived oids leave room for.
const KEYS_PER_TABLE: i32 = 8;

/// What is known about one key object, by oid.
#[derive(Debug, Clone)]
enum Definition {
    Index { qualified_table: String, name: String, columns: Vec<String> },
    Constraint(String),
}

/// The definitions and comments of a database's objects, as last built.
#[derive(Debug)]
pub struct Objects {
    describe: Arc<dyn Describe>,
    definitions: RwLock<HashMap<i32, Definition>>,
    comments: RwLock<HashMap<(i32, i32), String>>,
    /// Every relation's name as `regclass` prints it (schema-qualified but in pg_catalog).
    relations: RwLock<HashMap<i32, String>>,
}

impl Objects {
    /// The objects of the tables `describe` describes.
    pub fn new(describe: Arc<dyn Describe>) -> Objects {
        Objects {
            describe,
            definitions: RwLock::default(),
            comments: RwLock::default(),
            relations: RwLock::default(),
        }
    }

    /// `pg_get_indexdef(oid, column)`: the index's CREATE statement (column 0) or the
    /// name of its `column`th key column.
    pub fn index_definition(&self, oid: i32, column: i32) -> Option<String> {
        let definitions = self.definitions.read().ok()?;
        let Definition::Index { qualified_table, name, columns } = definitions.get(&oid)? else {
            return None;
        };
        if column > 0 {
            return columns.get(usize::try_from(column - 1).ok()?).map(|c| quote(c));
        }
        let list: Vec<String> = columns.iter().map(|c| quote(c)).collect();
        Some(format!(
            "CREATE UNIQUE INDEX {} ON {qualified_table} USING btree ({})",
            quote(name),
            list.join(", ")
        ))
    }

    /// Whether the described columns carry PostgreSQL types of their own.
    pub fn types_columns(&self) -> bool {
        self.describe.types_columns()
    }

    /// `pg_get_constraintdef(oid)`.
    pub fn constraint_definition(&self, oid: i32) -> Option<String> {
        match self.definitions.read().ok()?.get(&oid)? {
            Definition::Constraint(text) => Some(text.clone()),
            Definition::Index { .. } => None,
        }
    }

    /// `regclassout(oid)`: the relation's name, or the oid itself where none has it.
    pub fn relation_name(&self, oid: i32) -> String {
        self.relations.read().ok().and_then(|r| r.get(&oid).cloned()).unwrap_or_else(|| oid.to_string())
    }

    /// `to_regclass(name)`: the oid of the relation `name` (`schema.table` or a table of
    /// `pg_catalog` or the default schema, identifiers quoted as SQL quotes them); `None`
    /// if none.
    pub fn relation_oid(&self, name: &str) -> Option<i32> {
        let parts = split_name(name)?;
        let default_schema = self.describe.default_schema();
        let wanted: Vec<String> = match parts.as_slice() {
            [table] => vec![quote(table), format!("{}.{}", quote(default_schema), quote(table))],
            [schema, table] if schema == "pg_catalog" => vec![quote(table)],
            [schema, table] => vec![format!("{}.{}", quote(schema), quote(table))],
            _ => return None,
        };
        let relations = self.relations.read().ok()?;
        wanted.iter().find_map(|w| relations.iter().find(|(_, name)| *name == w).map(|(oid, _)| *oid))
    }

    /// The comment on object `oid` (`column` 0) or on its `column`th column.
    pub fn comment(&self, oid: i32, column: i32) -> Option<String> {
        self.comments.read().ok()?.get(&(oid, column)).cloned()
    }

    fn record(&self, tables: &[Listed]) {
        let (Ok(mut definitions), Ok(mut comments)) = (self.definitions.write(), self.comments.write())
        else {
            return;
        };
        definitions.clear();
        comments.clear();
        for table in tables {
            let d = &table.description;
            if let Some(comment) = &d.comment {
                comments.insert((table.oid, 0), comment.clone());
            }
            for (i, column) in d.columns.iter().enumerate() {
                if let Some(comment) = &column.comment {
                    comments.insert((table.oid, attnum(i)), comment.clone());
                }
            }
            for (k, key) in d.keys.iter().enumerate() {
                let name = d.key_name(key);
                if let DescribedKey::Primary(columns) = key {
                    let qualified_table = format!("{}.{}", quote(&d.schema), quote(&d.table));
                    definitions.insert(
                        table.index_oid(k),
                        Definition::Index { qualified_table, name: name.clone(), columns: columns.clone() },
                    );
                }
                definitions.insert(table.constraint_oid(k), Definition::Constraint(constraint_text(d, key)));
            }
        }
    }
}

fn quote(ident: &str) -> String {
    let plain = ident.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && ident.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain { ident.to_owned() } else { format!("\"{}\"", ident.replace('"', "\"\"")) }
}

/// `a."B c"` → `["a", "B c"]`: unquoted parts fold to lower case, as SQL folds them.
fn split_name(name: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut chars = name.trim().chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    '"' => break,
                    c => part.push(c),
                }
            }
        } else {
            while let Some(c) = chars.peek().copied().filter(|c| *c != '.') {
                part.extend(c.to_lowercase());
                chars.next();
            }
        }
        parts.push(part);
        match chars.next() {
            Some('.') => continue,
            None => return Some(parts),
            Some(_) => return None,
        }
    }
}

fn constraint_text(d: &Described, key: &DescribedKey) -> String {
    let list = |columns: &[String]| columns.iter().map(|c| quote(c)).collect::<Vec<_>>().join(", ");
    match key {
        DescribedKey::Primary(columns) => format!("PRIMARY KEY ({})", list(columns)),
        DescribedKey::Foreign { columns, table, referenced } => format!(
            "FOREIGN KEY ({}) REFERENCES {}.{}({})",
            list(columns),
            quote(&d.schema),
            quote(table),
            list(referenced)
        ),
    }
}

fn attnum(index: usize) -> i32 {
    i32::try_from(index).map_or(i32::MAX, |i| i + 1)
}

/// A described table, with its oids.
#[derive(Debug, Clone)]
struct Listed {
    oid: i32,
    namespace: i32,
    description: Arc<Described>,
    /// `pg_catalog.pg_class`'s oid: the `classoid` of the table's comments.
    class_oid: i32,
}

impl Listed {
    fn index_oid(&self, key: usize) -> i32 {
        let key = i32::try_from(key).unwrap_or(0);
        KEY_OID_BASE.wrapping_add(self.oid.wrapping_mul(2 * KEYS_PER_TABLE)).wrapping_add(key)
    }

    fn constraint_oid(&self, key: usize) -> i32 {
        self.index_oid(key).wrapping_add(KEYS_PER_TABLE)
    }

    fn attnums(&self, columns: &[String]) -> Vec<i16> {
        columns
            .iter()
            .filter_map(|c| self.description.columns.iter().position(|column| column.name == *c))
            .map(|i| i16::try_from(i + 1).unwrap_or(i16::MAX))
            .collect()
    }
}

/// Reads column `name` of `batch` as int4 values.
fn int_column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a datafusion::arrow::array::Int32Array> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_primitive_opt::<Int32Type>())
        .ok_or_else(|| DataFusionError::Internal(format!("pg_catalog column {name} is not an int4")))
}

fn text_column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a datafusion::arrow::array::StringArray> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_string_opt::<i32>())
        .ok_or_else(|| DataFusionError::Internal(format!("pg_catalog column {name} is not text")))
}

async fn scan_all(
    crate_schema: &dyn SchemaProvider,
    state: &dyn Session,
    table: &str,
) -> Result<Vec<RecordBatch>> {
    let Some(provider) = crate_schema.table(table).await? else { return Ok(Vec::new()) };
    super::read_all(provider.as_ref(), state).await
}

/// The described tables with their oids, from the crate's `pg_namespace` and `pg_class`.
/// Records every relation's name in `objects` on the way.
async fn listed_tables(
    crate_schema: &dyn SchemaProvider,
    state: &dyn Session,
    objects: &Objects,
    described: &DescribedTables,
) -> Result<Vec<Listed>> {
    let mut namespaces = HashMap::new();
    for batch in scan_all(crate_schema, state, "pg_namespace").await? {
        let (oids, names) = (int_column(&batch, "oid")?, text_column(&batch, "nspname")?);
        namespaces.extend((0..batch.num_rows()).map(|i| (oids.value(i), names.value(i).to_owned())));
    }
    let mut tables = Vec::new();
    let mut relations = HashMap::new();
    let mut class_oid = PG_CLASS_OID;
    for batch in scan_all(crate_schema, state, "pg_class").await? {
        let (oids, names) = (int_column(&batch, "oid")?, text_column(&batch, "relname")?);
        let spaces = int_column(&batch, "relnamespace")?;
        for i in 0..batch.num_rows() {
            let namespace = namespaces.get(&spaces.value(i)).map_or("", String::as_str);
            let name = match namespace {
                "" | "pg_catalog" => quote(names.value(i)),
                schema => format!("{}.{}", quote(schema), quote(names.value(i))),
            };
            relations.insert(oids.value(i), name);
            if namespace == "pg_catalog" && names.value(i) == "pg_class" {
                class_oid = oids.value(i);
            }
            if let Some(description) = described.get(&(namespace.to_owned(), names.value(i).to_owned())) {
                tables.push(Listed {
                    oid: oids.value(i),
                    namespace: spaces.value(i),
                    description: description.clone(),
                    class_oid: 0,
                });
            }
        }
    }
    for table in &mut tables {
        table.class_oid = class_oid;
    }
    for table in &tables {
        for (k, key) in table.description.keys.iter().enumerate() {
            if matches!(key, DescribedKey::Primary(_)) {
                let d = &table.description;
                let name = format!("{}.{}", quote(&d.schema), quote(&d.key_name(key)));
                relations.insert(table.index_oid(k), name);
            }
        }
    }
    if let Ok(mut known) = objects.relations.write() {
        *known = relations;
    }
    Ok(tables)
}

/// The `pg_catalog` tables that list Sluice's objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    Class,
    Index,
    Constraint,
    Description,
    /// Columns, whose types the description may make more precise.
    Attribute,
}

impl Listing {
    pub fn of(table: &str) -> Option<Listing> {
        match table {
            "pg_class" => Some(Listing::Class),
            "pg_index" => Some(Listing::Index),
            "pg_constraint" => Some(Listing::Constraint),
            "pg_description" => Some(Listing::Description),
            "pg_attribute" => Some(Listing::Attribute),
            _ => None,
        }
    }
}

pub(super) use super::rows::{Row, rows_batch};

/// `batches` of `listing` (already in `schema`) with the described objects added,
/// recording them in `objects`.
pub async fn with_objects(
    listing: Listing,
    mut batches: Vec<RecordBatch>,
    schema: &SchemaRef,
    crate_schema: &dyn SchemaProvider,
    state: &dyn Session,
    objects: &Objects,
) -> Result<Vec<RecordBatch>> {
    let described = objects.describe.tables().await?;
    let tables = listed_tables(crate_schema, state, objects, &described).await?;
    objects.record(&tables);
    if listing == Listing::Attribute {
        return batches.iter().map(|b| typed_attributes(b, &tables)).collect();
    }
    let rows: Vec<Row> = match listing {
        Listing::Class => {
            batches = batches.iter().map(|b| mark_indexed(b, &tables)).collect::<Result<_>>()?;
            tables.iter().flat_map(index_classes).collect()
        }
        Listing::Index => tables.iter().flat_map(indexes).collect(),
        Listing::Constraint => tables.iter().flat_map(constraints(&tables)).collect(),
        Listing::Description => tables.iter().flat_map(descriptions).collect(),
        Listing::Attribute => Vec::new(),
    };
    if !rows.is_empty() {
        batches.push(rows_batch(schema, &rows)?);
    }
    Ok(batches)
}

/// `relhasindex` is true for the tables with keys, and `relhastriggers` for the tables
/// on either side of a foreign key (PostgreSQL enforces them with triggers, and psql
/// looks for foreign keys only where there are triggers).
fn mark_indexed(batch: &RecordBatch, tables: &[Listed]) -> Result<RecordBatch> {
    let oids = int_column(batch, "oid")?;
    let has_foreign_key = |t: &Listed| {
        t.description.keys.iter().any(|k| matches!(k, DescribedKey::Foreign { .. }))
            || tables.iter().any(|other| {
                other.description.schema == t.description.schema
                    && other.description.keys.iter().any(
                        |k| matches!(k, DescribedKey::Foreign { table, .. } if *table == t.description.table),
                    )
            })
    };
    let has_primary_key = |t: &Listed| primary_keys(t).next().is_some();
    let mut columns = batch.columns().to_vec();
    for (column, applies) in
        [("relhasindex", &has_primary_key as &dyn Fn(&Listed) -> bool), ("relhastriggers", &has_foreign_key)]
    {
        let Ok(position) = batch.schema().index_of(column) else { continue };
        let current = batch.column(position).as_boolean();
        let marked: BooleanArray = (0..batch.num_rows())
            .map(|i| Some(current.value(i) || tables.iter().any(|t| t.oid == oids.value(i) && applies(t))))
            .collect();
        columns[position] = Arc::new(marked);
    }
    Ok(RecordBatch::try_new(batch.schema(), columns)?)
}

/// `atttypid` and `atttypmod` of the described tables' columns as their descriptions say.
fn typed_attributes(batch: &RecordBatch, tables: &[Listed]) -> Result<RecordBatch> {
    let relations = int_column(batch, "attrelid")?;
    let numbers = batch
        .column_by_name("attnum")
        .and_then(|c| c.as_primitive_opt::<datafusion::arrow::datatypes::Int16Type>())
        .ok_or_else(|| DataFusionError::Internal("pg_attribute.attnum is not an int2".into()))?;
    let (types, modifiers) = (int_column(batch, "atttypid")?, int_column(batch, "atttypmod")?);
    let by_oid: HashMap<i32, &Listed> = tables.iter().map(|t| (t.oid, t)).collect();
    let (mut new_types, mut new_modifiers) = (Vec::new(), Vec::new());
    for i in 0..batch.num_rows() {
        let column = by_oid
            .get(&relations.value(i))
            .and_then(|t| t.description.columns.get(usize::try_from(numbers.value(i)).ok()?.checked_sub(1)?));
        let (typid, typmod) = column.and_then(|c| c.pg_type).unwrap_or((types.value(i), modifiers.value(i)));
        new_types.push(typid);
        new_modifiers.push(typmod);
    }
    let mut columns = batch.columns().to_vec();
    let schema = batch.schema();
    for (name, values) in [("atttypid", new_types), ("atttypmod", new_modifiers)] {
        columns[schema.index_of(name)?] = Arc::new(datafusion::arrow::array::Int32Array::from(values));
    }
    Ok(RecordBatch::try_new(schema, columns)?)
}

fn int2_list(values: &[i16]) -> ScalarValue {
    let items: Vec<ScalarValue> = values.iter().map(|v| ScalarValue::Int16(Some(*v))).collect();
    ScalarValue::List(ScalarValue::new_list_nullable(&items, &DataType::Int16))
}

fn oid_list(values: &[i32]) -> ScalarValue {
    let items: Vec<ScalarValue> = values.iter().map(|v| ScalarValue::Int32(Some(*v))).collect();
    ScalarValue::List(ScalarValue::new_list_nullable(&items, &DataType::Int32))
}

fn text(value: &str) -> ScalarValue {
    ScalarValue::Utf8(Some(value.to_owned()))
}

fn int(value: i32) -> ScalarValue {
    ScalarValue::Int32(Some(value))
}

fn bool(value: bool) -> ScalarValue {
    ScalarValue::Boolean(Some(value))
}

fn primary_keys(table: &Listed) -> impl Iterator<Item = (usize, &[String])> + '_ {
    table.description.keys.iter().enumerate().filter_map(|(k, key)| match key {
        DescribedKey::Primary(columns) => Some((k, columns.as_slice())),
        DescribedKey::Foreign { .. } => None,
    })
}

fn index_classes(table: &Listed) -> Vec<Row> {
    primary_keys(table)
        .map(|(k, columns)| {
            let oid = table.index_oid(k);
            vec![
                ("oid", int(oid)),
                ("relname", text(&table.description.key_name(&table.description.keys[k]))),
                ("relnamespace", int(table.namespace)),
                ("relowner", int(10)),
                ("relam", int(BTREE_OID)),
                ("relfilenode", int(oid)),
                ("relpages", int(1)),
                ("relpersistence", text("p")),
                ("relkind", text("i")),
                ("relnatts", ScalarValue::Int16(Some(i16::try_from(columns.len()).unwrap_or(i16::MAX)))),
                ("relispopulated", bool(true)),
                ("relreplident", text("n")),
            ]
        })
        .collect()
}

/// The btree operator class and collation PostgreSQL 15 gives a key column of this type:
/// `int8_ops` for integers, `text_ops` (with the default collation) for the rest.
fn opclass_and_collation(table: &Listed, column: &str) -> (i32, i32) {
    match table.description.column(column) {
        Some(c) if c.integer => (3124, 0),
        _ => (3126, DEFAULT_COLLATION_OID),
    }
}

fn indexes(table: &Listed) -> Vec<Row> {
    primary_keys(table)
        .map(|(k, columns)| {
            let n = ScalarValue::Int16(Some(i16::try_from(columns.len()).unwrap_or(i16::MAX)));
            let (classes, collations): (Vec<i32>, Vec<i32>) =
                columns.iter().map(|c| opclass_and_collation(table, c)).unzip();
            vec![
                ("indexrelid", int(table.index_oid(k))),
                ("indrelid", int(table.oid)),
                ("indnatts", n.clone()),
                ("indnkeyatts", n),
                ("indisunique", bool(true)),
                ("indisprimary", bool(true)),
                ("indimmediate", bool(true)),
                ("indisvalid", bool(true)),
                ("indisready", bool(true)),
                ("indislive", bool(true)),
                ("indkey", int2_list(&table.attnums(columns))),
                ("indcollation", oid_list(&collations)),
                ("indclass", oid_list(&classes)),
                ("indoption", int2_list(&vec![0; columns.len()])),
            ]
        })
        .collect()
}

fn constraints(all: &[Listed]) -> impl Fn(&Listed) -> Vec<Row> + '_ {
    move |table| {
        let d = &table.description;
        let primary_index = |t: &Listed| primary_keys(t).next().map_or(0, |(k, _)| t.index_oid(k));
        d.keys
            .iter()
            .enumerate()
            .map(|(k, key)| {
                let mut row = vec![
                    ("oid", int(table.constraint_oid(k))),
                    ("conname", text(&d.key_name(key))),
                    ("connamespace", int(table.namespace)),
                    ("condeferrable", bool(false)),
                    ("condeferred", bool(false)),
                    ("convalidated", bool(true)),
                    ("conrelid", int(table.oid)),
                    ("contypid", int(0)),
                    ("conparentid", int(0)),
                    ("conislocal", bool(true)),
                    ("coninhcount", ScalarValue::Int16(Some(0))),
                    ("connoinherit", bool(true)),
                ];
                match key {
                    DescribedKey::Primary(columns) => row.extend([
                        ("contype", text("p")),
                        ("conindid", int(table.index_oid(k))),
                        ("confrelid", int(0)),
                        ("confupdtype", text(" ")),
                        ("confdeltype", text(" ")),
                        ("confmatchtype", text(" ")),
                        ("conkey", int2_list(&table.attnums(columns))),
                    ]),
                    DescribedKey::Foreign { columns, table: other, referenced } => {
                        let target = all
                            .iter()
                            .find(|t| t.description.table == *other && t.description.schema == d.schema);
                        row.extend([
                            ("contype", text("f")),
                            ("conindid", int(target.map_or(0, primary_index))),
                            ("confrelid", int(target.map_or(0, |t| t.oid))),
                            ("confupdtype", text("a")),
                            ("confdeltype", text("a")),
                            ("confmatchtype", text("s")),
                            ("conkey", int2_list(&table.attnums(columns))),
                            ("confkey", int2_list(&target.map_or_else(Vec::new, |t| t.attnums(referenced)))),
                        ]);
                    }
                }
                row
            })
            .collect()
    }
}

fn descriptions(table: &Listed) -> Vec<Row> {
    let d = &table.description;
    let row = |subid: i32, comment: &str| {
        vec![
            ("objoid", int(table.oid)),
            ("classoid", int(table.class_oid)),
            ("objsubid", int(subid)),
            ("description", text(comment)),
        ]
    };
    let columns =
        d.columns.iter().enumerate().filter_map(|(i, c)| Some(row(attnum(i), c.comment.as_deref()?)));
    d.comment.as_deref().map(|c| row(0, c)).into_iter().chain(columns).collect()
}
