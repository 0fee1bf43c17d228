//! Pipelines' lineage: which tables (and columns) each pipeline's sinks are computed
//! from, written with the pipeline's body.

use sqlx::Row;

use super::{Store, with_pool};
use crate::error::{StoreError, StoreResult};
use crate::model::{LineageEdge, LineageTable, PipelineLineage};

const COLUMNS: &str = "pipeline, input_source, input_database, input_table, input_column, output_source, \
                       output_database, output_table, output_column";

/// A table's database as stored: NULL for sources without databases.
pub(crate) fn database(table: &LineageTable) -> Option<&str> {
    (!table.database.is_empty()).then_some(table.database.as_str())
}

/// What a lineage row adds to a statement (see `batch::chunks`).
pub(crate) fn row_bytes(pipeline: &str, edge: &LineageEdge) -> usize {
    let text = |t: &LineageTable| {
        super::batch::text(&t.source) + super::batch::text(&t.database) + super::batch::text(&t.table)
    };
    let column = |c: &Option<String>| c.as_deref().map_or(4, super::batch::text);
    super::batch::text(pipeline)
        + 8
        + text(&edge.input)
        + text(&edge.output)
        + column(&edge.input_column)
        + column(&edge.output_column)
}

/// Replaces the lineage of pipeline `$name` with `$edges` (inside the caller's
/// transaction `$tx`), a few hundred rows per statement.
macro_rules! link_lineage {
    ($tx:expr, $name:expr, $edges:expr) => {{
        let name: &str = $name;
        let edges: &[$crate::model::LineageEdge] = $edges;
        sqlx::query("DELETE FROM pipeline_lineage WHERE pipeline = $1").bind(name).execute(&mut *$tx).await?;
        let mut ordinal = 0i64;
        for chunk in super::batch::chunks(edges, |e| super::lineage::row_bytes(name, e)) {
            let sql = format!(
                "INSERT INTO pipeline_lineage (pipeline, ordinal, input_source, input_database, input_table, \
                 input_column, output_source, output_database, output_table, output_column) VALUES {}",
                super::batch::values(&$tx, chunk.len(), 10)
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for edge in chunk {
                query = query
                    .bind(name)
                    .bind(ordinal)
                    .bind(&edge.input.source)
                    .bind(super::lineage::database(&edge.input))
                    .bind(&edge.input.table)
                    .bind(edge.input_column.as_deref())
                    .bind(&edge.output.source)
                    .bind(super::lineage::database(&edge.output))
                    .bind(&edge.output.table)
                    .bind(edge.output_column.as_deref());
                ordinal += 1;
            }
            query.execute(&mut *$tx).await?;
        }
    }};
}
pub(super) use link_lineage;

fn table(source: String, database: Option<String>, table: String) -> LineageTable {
    LineageTable { source, database: database.unwrap_or_default(), table }
}

impl Store {
    /// The lineage of pipeline `pipeline`, or of every pipeline; in each pipeline's order.
    pub async fn lineage(&self, pipeline: Option<&str>) -> StoreResult<Vec<PipelineLineage>> {
        with_pool!(self, |p| {
            let rows = match pipeline {
                Some(name) => {
                    let sql = format!(
                        "SELECT {COLUMNS} FROM pipeline_lineage WHERE pipeline = $1 ORDER BY ordinal"
                    );
                    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name).fetch_all(p).await?
                }
                None => {
                    let sql = format!("SELECT {COLUMNS} FROM pipeline_lineage ORDER BY pipeline, ordinal");
                    sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(p).await?
                }
            };
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(PipelineLineage {
                    pipeline: row.try_get("pipeline")?,
                    edge: LineageEdge {
                        input: table(
                            row.try_get("input_source")?,
                            row.try_get("input_database")?,
                            row.try_get("input_table")?,
                        ),
                        input_column: row.try_get("input_column")?,
                        output: table(
                            row.try_get("output_source")?,
                            row.try_get("output_database")?,
                            row.try_get("output_table")?,
                        ),
                        output_column: row.try_get("output_column")?,
                    },
                });
            }
            Ok::<_, StoreError>(out)
        })
    }
}
