//! Converting datafusion-pg-catalog's text columns into PostgreSQL's types
//! ([`super::columns::COLUMNS`]).

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int32Array, ListBuilder, PrimitiveBuilder, StringBuilder, new_null_array,
};
use datafusion::arrow::datatypes::{
    ArrowPrimitiveType, DataType, Field, Float32Type, Int16Type, Int32Type, Schema, SchemaRef,
};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::{DataFusionError, Result};

use super::columns::{COLUMNS, Change, PgColumn};

/// Function oids by name, for `regproc` columns.
pub type ProcOids = HashMap<String, i32>;

impl PgColumn {
    /// The Arrow type Sluice gives such a column.
    pub fn data_type(self) -> DataType {
        let list = |item: DataType| DataType::List(Arc::new(Field::new_list_field(item, true)));
        match self {
            PgColumn::Int2Array => list(DataType::Int16),
            PgColumn::OidArray => list(DataType::Int32),
            PgColumn::TextArray => list(DataType::Utf8),
            PgColumn::Float4Array => list(DataType::Float32),
            PgColumn::RegProc => DataType::Int32,
            PgColumn::Text => DataType::Utf8,
        }
    }
}

/// How to make one output column from the crate's batch.
#[derive(Debug, Clone)]
pub enum Step {
    /// The crate's column `i`, as it is.
    Keep(usize),
    /// The crate's column `i`, converted.
    Convert(usize, PgColumn),
    /// A column the crate lacks: NULL.
    Null(PgColumn),
    /// A column the crate lacks, with one value in every row.
    Fill(datafusion::common::ScalarValue),
}

/// The conversion of one `pg_catalog` table: its PostgreSQL-typed schema and the steps
/// that fill it. `None` when the table needs none.
pub fn plan(table: &str, inner: &Schema) -> Option<(SchemaRef, Vec<Step>)> {
    let changes: Vec<(&str, Change)> =
        COLUMNS.iter().filter(|(t, _, _)| *t == table).map(|(_, c, change)| (*c, *change)).collect();
    let mut changed = false;
    let mut fields = Vec::with_capacity(inner.fields().len() + 2);
    let mut steps = Vec::with_capacity(fields.capacity());
    for (i, field) in inner.fields().iter().enumerate() {
        match changes.iter().find(|(c, _)| *c == field.name()) {
            Some((_, Change::Retype(kind))) if field.data_type() != &kind.data_type() => {
                fields.push(Field::new(field.name(), kind.data_type(), true));
                steps.push(Step::Convert(i, *kind));
                changed = true;
            }
            _ => {
                let (field, normalized) = oid_typed(field);
                changed |= normalized;
                fields.push(field);
                steps.push(Step::Keep(i));
            }
        }
    }
    if !changed && changes.is_empty() {
        return None;
    }
    for (name, change) in &changes {
        if let Change::Added(kind) = change
            && inner.index_of(name).is_err()
        {
            fields.push(Field::new(*name, kind.data_type(), true));
            steps.push(Step::Null(*kind));
        }
    }
    Some((Arc::new(Schema::new(fields)), steps))
}

/// The crate tags oid columns with the kind of object they reference (`attrelid` as
/// `regclass`, `atttypid` as `regtype` …); in PostgreSQL 15 every such catalog column
/// is of type `oid`. A tag other than `oid` is made `oid`, so that the column is
/// described as PostgreSQL describes it and a parameter compared with two of them
/// (`ix.indrelid = $1 AND a.attrelid = $1`) has one type.
fn oid_typed(field: &Field) -> (Field, bool) {
    const KEY: &str = datafusion_pg_catalog::pg_catalog::oid_field::OID_ALIAS_KEY;
    match field.metadata().get(KEY) {
        Some(kind) if kind != "oid" => {
            let mut metadata = field.metadata().clone();
            metadata.insert(KEY.to_owned(), "oid".to_owned());
            (field.clone().with_metadata(metadata), true)
        }
        _ => (field.clone(), false),
    }
}

/// Applies `steps` to one of the crate's batches.
pub fn convert(
    batch: &RecordBatch,
    schema: &SchemaRef,
    steps: &[Step],
    procs: &ProcOids,
) -> Result<RecordBatch> {
    let rows = batch.num_rows();
    let columns = steps
        .iter()
        .map(|step| match step {
            Step::Keep(i) => Ok(batch.column(*i).clone()),
            Step::Null(kind) => Ok(new_null_array(&kind.data_type(), rows)),
            Step::Fill(value) => Ok(value.to_array_of_size(rows)?),
            Step::Convert(i, kind) => convert_column(batch.column(*i), *kind, procs),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

fn convert_column(column: &ArrayRef, kind: PgColumn, procs: &ProcOids) -> Result<ArrayRef> {
    let Some(text) = column.as_string_opt::<i32>() else {
        // Not text (e.g. pg_database.datacl as a list of ints): no value can be read.
        return Ok(new_null_array(&kind.data_type(), column.len()));
    };
    let values = (0..text.len()).map(|i| (!text.is_null(i)).then(|| text.value(i)));
    Ok(match kind {
        PgColumn::RegProc => {
            let oids: Int32Array = values.map(|v| v.map(|name| regproc_oid(name, procs))).collect();
            Arc::new(oids)
        }
        PgColumn::Text => column.clone(),
        PgColumn::Int2Array => numbers::<Int16Type>(values),
        PgColumn::OidArray => numbers::<Int32Type>(values),
        PgColumn::Float4Array => numbers::<Float32Type>(values),
        PgColumn::TextArray => {
            let mut builder = ListBuilder::new(StringBuilder::new());
            for value in values {
                append_list(&mut builder, value, |b, item| b.append_value(item));
            }
            Arc::new(builder.finish())
        }
    })
}

/// A list of numbers per text value; an item that is no number of `T` is NULL.
fn numbers<'a, T>(values: impl Iterator<Item = Option<&'a str>>) -> ArrayRef
where
    T: ArrowPrimitiveType,
    T::Native: std::str::FromStr,
{
    let mut builder = ListBuilder::new(PrimitiveBuilder::<T>::new());
    for value in values {
        append_list(&mut builder, value, |b, item| b.append_option(item.parse::<T::Native>().ok()));
    }
    Arc::new(builder.finish())
}

/// `boolin` → its oid; `-` (no function) → 0, as `'-'::regproc::oid` is in PostgreSQL.
fn regproc_oid(name: &str, procs: &ProcOids) -> i32 {
    let name = name.trim();
    if name == "-" || name.is_empty() {
        return 0;
    }
    let bare = name.strip_prefix("pg_catalog.").unwrap_or(name);
    procs.get(bare).copied().unwrap_or(0)
}

/// Appends one list from its text form. Empty text is NULL for arrays, but an empty
/// vector is an empty list (`proargtypes` of a function without arguments).
fn append_list<B, F>(builder: &mut ListBuilder<B>, value: Option<&str>, mut push: F)
where
    B: datafusion::arrow::array::ArrayBuilder,
    F: FnMut(&mut B, &str),
{
    let Some(value) = value else {
        builder.append_null();
        return;
    };
    for item in split_items(value) {
        push(builder.values(), item);
    }
    builder.append(true);
}

/// The items of an array as the crate writes it: `[1, 2]`, `['a', 'b']`, `{a,b}` or a
/// vector `1 2`.
pub fn split_items(text: &str) -> Vec<&str> {
    let text = text.trim();
    let inner = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .or_else(|| text.strip_prefix('{').and_then(|t| t.strip_suffix('}')));
    let (inner, comma) = match inner {
        Some(inner) => (inner, true),
        None => (text, text.contains(',')),
    };
    fn unquote(s: &str) -> &str {
        let s = s.trim();
        s.strip_prefix('\'')
            .and_then(|t| t.strip_suffix('\''))
            .or_else(|| s.strip_prefix('"').and_then(|t| t.strip_suffix('"')))
            .unwrap_or(s)
    }
    if comma {
        inner.split(',').map(unquote).filter(|s| !s.is_empty()).collect()
    } else {
        inner.split_whitespace().map(unquote).collect()
    }
}

/// `proname → oid` from the crate's `pg_proc` batches (the first of overloaded names).
pub fn proc_oids(batches: &[RecordBatch]) -> Result<ProcOids> {
    let mut oids = ProcOids::new();
    for batch in batches {
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .cloned()
                .ok_or_else(|| DataFusionError::Internal(format!("pg_proc has no column {name}")))
        };
        let (oid, name) = (column("oid")?, column("proname")?);
        let (Some(oid), Some(name)) = (oid.as_primitive_opt::<Int32Type>(), name.as_string_opt::<i32>())
        else {
            continue;
        };
        for i in 0..batch.num_rows() {
            if !oid.is_null(i) && !name.is_null(i) {
                oids.entry(name.value(i).to_owned()).or_insert(oid.value(i));
            }
        }
    }
    Ok(oids)
}

#[cfg(test)]
mod tests {
    use super::split_items;

    #[test]
    fn items_of_every_text_form() {
        assert_eq!(split_items("1 2"), ["1", "2"]);
        assert_eq!(split_items("[2276]"), ["2276"]);
        assert_eq!(split_items("[1034, 26, 26]"), ["1034", "26", "26"]);
        assert_eq!(split_items("['i', 'o']"), ["i", "o"]);
        assert_eq!(split_items("{a,b}"), ["a", "b"]);
        assert!(split_items("").is_empty());
        assert!(split_items("[]").is_empty());
    }
}
