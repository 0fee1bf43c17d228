//! Whole-database syncs: the statement's parts, the tables planned, and the pipeline
//! compiled from them — stored together in one transaction, dropped together.

use sqlx::Row;

use super::events::Event;
use super::pipelines::{link_sources, store_pipeline};
use super::{BeginWrite, batch};
use super::{Store, fetch_all, fetch_one, with_pool};
use crate::error::{StoreError, StoreResult};
use crate::model::{NewPipeline, SyncRecord, SyncTableRecord};
use crate::time::now_micros;

const KIND: &str = "sync";
const COLUMNS: &str = "name, source, source_database, source_database_pattern, including, excluding, sink, sink_database, options, \
                       owner, created_at, updated_at";

macro_rules! sync_from_row {
    ($row:expr) => {{
        let row = $row;
        SyncRecord {
            name: row.try_get("name")?,
            source: row.try_get("source")?,
            source_database: row.try_get("source_database")?,
            source_database_pattern: row.try_get("source_database_pattern")?,
            including: row.try_get("including")?,
            excluding: row.try_get("excluding")?,
            sink: row.try_get("sink")?,
            sink_database: row.try_get("sink_database")?,
            options: row.try_get("options")?,
            owner: row.try_get("owner")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        }
    }};
}

macro_rules! sync_table_from_row {
    ($row:expr) => {{
        let row = $row;
        SyncTableRecord {
            source_table: row.try_get("source_table")?,
            sink_table: row.try_get("sink_table")?,
            columns: row.try_get("columns")?,
            ddl: row.try_get("ddl")?,
        }
    }};
}

impl Store {
    /// The sync called `name`.
    pub async fn sync(&self, name: &str) -> StoreResult<Option<SyncRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM syncs WHERE name = $1");
        fetch_one!(self, sql, sync_from_row, name)
    }

    /// Every sync, by name.
    pub async fn syncs(&self) -> StoreResult<Vec<SyncRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM syncs ORDER BY name");
        fetch_all!(self, sql, sync_from_row)
    }

    /// The tables sync `name` moves, in the order they were planned.
    pub async fn sync_tables(&self, name: &str) -> StoreResult<Vec<SyncTableRecord>> {
        let sql = "SELECT source_table, sink_table, columns, ddl FROM sync_tables WHERE sync = $1 \
                   ORDER BY ordinal, source_table";
        fetch_all!(self, sql, sync_table_from_row, name)
    }

    /// Creates sync `sync` with its `tables` and its `pipeline` (named like it), or with
    /// `replace` replaces them (the pipeline gets a new version). One transaction: a
    /// failure stores nothing. A pipeline of the sync's name that is not the sync's own
    /// is [`StoreError::AlreadyExists`].
    pub async fn put_sync(
        &self,
        sync: &SyncRecord,
        tables: &[SyncTableRecord],
        pipeline: &NewPipeline,
        replace: bool,
        actor: &str,
    ) -> StoreResult<()> {
        let now = now_micros();
        with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let exists = sqlx::query("SELECT 1 AS one FROM syncs WHERE name = $1")
                .bind(&sync.name)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            if exists && !replace {
                return Err(StoreError::AlreadyExists { kind: KIND, name: sync.name.clone() });
            }
            if exists {
                sqlx::query(
                    "UPDATE syncs SET source = $2, source_database = $3, including = $4, excluding = $5, \
                     sink = $6, sink_database = $7, options = $8, updated_at = $9, \
                     source_database_pattern = $10 WHERE name = $1",
                )
                .bind(&sync.name)
                .bind(&sync.source)
                .bind(&sync.source_database)
                .bind(sync.including.as_deref())
                .bind(sync.excluding.as_deref())
                .bind(&sync.sink)
                .bind(&sync.sink_database)
                .bind(&sync.options)
                .bind(now)
                .bind(sync.source_database_pattern)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM sync_tables WHERE sync = $1")
                    .bind(&sync.name)
                    .execute(&mut *tx)
                    .await?;
            } else {
                sqlx::query(
                    "INSERT INTO syncs (name, source, source_database, including, excluding, sink, \
                     sink_database, options, owner, created_at, updated_at, source_database_pattern) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11)",
                )
                .bind(&sync.name)
                .bind(&sync.source)
                .bind(&sync.source_database)
                .bind(sync.including.as_deref())
                .bind(sync.excluding.as_deref())
                .bind(&sync.sink)
                .bind(&sync.sink_database)
                .bind(&sync.options)
                .bind(actor)
                .bind(now)
                .bind(sync.source_database_pattern)
                .execute(&mut *tx)
                .await
                .map_err(super::on_unique(KIND, &sync.name))?;
            }
            let row_bytes = |t: &SyncTableRecord| {
                batch::text(&sync.name)
                    + batch::text(&t.source_table)
                    + batch::text(&t.sink_table)
                    + batch::text(&t.columns)
                    + batch::text(&t.ddl)
                    + 12
            };
            let mut ordinal = 0i64;
            for chunk in batch::chunks(tables, row_bytes) {
                let sql = format!(
                    "INSERT INTO sync_tables (sync, source_table, sink_table, columns, ddl, ordinal) VALUES {}",
                    batch::values(&tx, chunk.len(), 6)
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for table in chunk {
                    query = query
                        .bind(&sync.name)
                        .bind(&table.source_table)
                        .bind(&table.sink_table)
                        .bind(&table.columns)
                        .bind(&table.ddl)
                        .bind(ordinal);
                    ordinal += 1;
                }
                query.execute(&mut *tx).await?;
            }
            // The sync's own pipeline is replaced with it; any other of that name is not.
            store_pipeline!(tx, pipeline, exists, actor, now);
            let detail = format!("{} tables", tables.len());
            Event {
                actor,
                action: if exists { "replace" } else { "create" },
                object_kind: KIND,
                object_name: &sync.name,
                detail: Some(&detail),
            }
            .record(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        self.bump_epoch();
        Ok(())
    }

    /// Drops sync `name`, its tables and its pipeline. Returns whether it existed.
    pub async fn drop_sync(&self, name: &str, actor: &str) -> StoreResult<bool> {
        let dropped = with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            sqlx::query("DELETE FROM sync_tables WHERE sync = $1").bind(name).execute(&mut *tx).await?;
            let deleted = sqlx::query("DELETE FROM syncs WHERE name = $1")
                .bind(name)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if deleted > 0 {
                sqlx::query("DELETE FROM pipelines WHERE name = $1").bind(name).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM pipeline_versions WHERE pipeline = $1")
                    .bind(name)
                    .execute(&mut *tx)
                    .await?;
                Event { actor, action: "drop", object_kind: KIND, object_name: name, detail: None }
                    .record(&mut *tx)
                    .await?;
                super::grants::forget_object(&mut *tx, KIND, name).await?;
                super::grants::forget_object(&mut *tx, "pipeline", name).await?;
            }
            tx.commit().await?;
            deleted > 0
        });
        if dropped {
            self.bump_epoch();
        }
        Ok(dropped)
    }
}
