//! Sources, the secrets they use, and their cached tables and columns.

use std::collections::{HashMap, HashSet};

use sqlx::Row;

use super::events::Event;
use super::{BeginWrite, batch};
use super::{Store, fetch_all, fetch_one, on_unique, with_pool};
use crate::error::{StoreError, StoreResult};
use crate::model::{ColumnRecord, NewSource, SourceRecord, TableRecord};
use crate::time::now_micros;

const KIND: &str = "source";
const COLUMNS: &str = "name, type, options, status, owner, created_at, updated_at";

macro_rules! source_from_row {
    ($row:expr) => {{
        let row = $row;
        SourceRecord {
            name: row.try_get("name")?,
            source_type: row.try_get("type")?,
            options: row.try_get("options")?,
            status: row.try_get("status")?,
            owner: row.try_get("owner")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        }
    }};
}

/// Links a source to its secrets, checking each exists (inside the caller's transaction).
macro_rules! link_secrets {
    ($tx:expr, $source:expr, $secrets:expr) => {{
        sqlx::query("DELETE FROM source_secrets WHERE source = $1").bind($source).execute(&mut *$tx).await?;
        for secret in $secrets {
            let exists = sqlx::query("SELECT 1 AS one FROM secrets WHERE name = $1")
                .bind(secret)
                .fetch_optional(&mut *$tx)
                .await?
                .is_some();
            if !exists {
                return Err(StoreError::NotFound { kind: "secret", name: secret.clone() });
            }
            sqlx::query("INSERT INTO source_secrets (source, secret) VALUES ($1, $2)")
                .bind($source)
                .bind(secret)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}

/// Inserts (or updates) tables and their columns inside the caller's transaction, in
/// multi-row statements ([`batch`]). A declared table wins over the cache: an
/// introspected table of the same name leaves it (and its columns) as they are — the
/// upsert's `RETURNING` names the tables it wrote, and only their columns are replaced.
macro_rules! insert_tables {
    ($tx:expr, $tables:expr) => {{
        let tx = &mut $tx;
        let tables: &[(TableRecord, Vec<ColumnRecord>)] = $tables;
        let key = |t: &TableRecord| (t.source.clone(), t.database.clone(), t.name.clone());
        // one row per table — the last declared one given, else the last — as an upsert
        // may not touch a row twice
        let mut last: HashMap<(String, String, String), usize> = HashMap::new();
        for (i, (t, _)) in tables.iter().enumerate() {
            let k = key(t);
            let earlier_declared = last.get(&k).is_some_and(|&j| tables[j].0.kind == "declared");
            if t.kind == "declared" || !earlier_declared {
                last.insert(k, i);
            }
        }
        let unique: Vec<&(TableRecord, Vec<ColumnRecord>)> = tables
            .iter()
            .enumerate()
            .filter(|(i, (t, _))| last.get(&key(t)) == Some(i))
            .map(|(_, e)| e)
            .collect();
        let mut written: HashSet<(String, String, String)> = HashSet::new();
        let table_bytes = |(t, _): &&(TableRecord, Vec<ColumnRecord>)| {
            batch::text(&t.source)
                + batch::text(&t.database)
                + batch::text(&t.name)
                + batch::text(&t.kind)
                + t.definition.as_deref().map_or(4, batch::text)
                + 12
        };
        for chunk in batch::chunks(&unique, table_bytes) {
            let sql = format!(
                "INSERT INTO tables (source, database, name, kind, definition, refreshed_at) VALUES {} \
                 ON CONFLICT (source, database, name) DO UPDATE SET kind = excluded.kind, \
                 definition = excluded.definition, refreshed_at = excluded.refreshed_at \
                 WHERE tables.kind <> 'declared' OR excluded.kind = 'declared' \
                 RETURNING source, database, name",
                batch::values(&*tx, chunk.len(), 6)
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (t, _) in chunk {
                query = query
                    .bind(&t.source)
                    .bind(&t.database)
                    .bind(&t.name)
                    .bind(&t.kind)
                    .bind(t.definition.as_deref())
                    .bind(t.refreshed_at);
            }
            for row in query.fetch_all(&mut **tx).await? {
                written.insert((row.try_get("source")?, row.try_get("database")?, row.try_get("name")?));
            }
        }
        let kept: Vec<&(TableRecord, Vec<ColumnRecord>)> =
            unique.into_iter().filter(|(t, _)| written.contains(&key(t))).collect();
        for chunk in batch::chunks(&kept, table_bytes) {
            let sql = format!(
                "DELETE FROM columns WHERE (source, database, table_name) IN (VALUES {})",
                batch::values(&*tx, chunk.len(), 3)
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (t, _) in chunk {
                query = query.bind(&t.source).bind(&t.database).bind(&t.name);
            }
            query.execute(&mut **tx).await?;
        }
        let columns: Vec<(&TableRecord, &ColumnRecord)> =
            kept.iter().flat_map(|(t, columns)| columns.iter().map(move |c| (t, c))).collect();
        let column_bytes = |(t, c): &(&TableRecord, &ColumnRecord)| {
            batch::text(&t.source)
                + batch::text(&t.database)
                + batch::text(&t.name)
                + batch::text(&c.name)
                + batch::text(&c.data_type)
                + batch::text(&c.source_type)
                + 30
        };
        for chunk in batch::chunks(&columns, column_bytes) {
            let sql = format!(
                "INSERT INTO columns (source, database, table_name, ordinal, name, data_type, source_type, \
                 nullable, is_key) VALUES {}",
                batch::values(&*tx, chunk.len(), 9)
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (t, c) in chunk {
                query = query
                    .bind(&t.source)
                    .bind(&t.database)
                    .bind(&t.name)
                    .bind(c.ordinal)
                    .bind(&c.name)
                    .bind(&c.data_type)
                    .bind(&c.source_type)
                    .bind(c.nullable)
                    .bind(c.is_key);
            }
            query.execute(&mut **tx).await?;
        }
    }};
}

/// A [`TableRecord`] from a row of `tables`.
macro_rules! table_from_row {
    ($row:expr) => {{
        let row = &$row;
        TableRecord {
            source: row.try_get("source")?,
            database: row.try_get("database")?,
            name: row.try_get("name")?,
            kind: row.try_get("kind")?,
            definition: row.try_get("definition")?,
            refreshed_at: row.try_get("refreshed_at")?,
        }
    }};
}

/// A [`ColumnRecord`] from a row of `columns`.
macro_rules! column_from_row {
    ($row:expr) => {{
        let row = &$row;
        ColumnRecord {
            ordinal: row.try_get("ordinal")?,
            name: row.try_get("name")?,
            data_type: row.try_get("data_type")?,
            source_type: row.try_get("source_type")?,
            nullable: row.try_get("nullable")?,
            is_key: row.try_get("is_key")?,
        }
    }};
}

impl Store {
    /// The source called `name`.
    pub async fn source(&self, name: &str) -> StoreResult<Option<SourceRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM sources WHERE name = $1");
        fetch_one!(self, sql, source_from_row, name)
    }

    /// Every source, by name.
    pub async fn sources(&self) -> StoreResult<Vec<SourceRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM sources ORDER BY name");
        fetch_all!(self, sql, source_from_row)
    }

    /// Creates a source (or, with `replace`, replaces one of the same name, keeping its
    /// creation time). Every secret it refers to must exist.
    pub async fn put_source(&self, source: &NewSource, replace: bool, actor: &str) -> StoreResult<()> {
        let now = now_micros();
        with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let sql = if replace {
                "INSERT INTO sources (name, type, options, status, owner, created_at, updated_at) \
                 VALUES ($1, $2, $3, 'unknown', $4, $5, $5) \
                 ON CONFLICT (name) DO UPDATE SET type = excluded.type, options = excluded.options, \
                 status = 'unknown', updated_at = excluded.updated_at"
            } else {
                "INSERT INTO sources (name, type, options, status, owner, created_at, updated_at) \
                 VALUES ($1, $2, $3, 'unknown', $4, $5, $5)"
            };
            sqlx::query(sql)
                .bind(&source.name)
                .bind(&source.source_type)
                .bind(&source.options)
                .bind(actor)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(on_unique(KIND, &source.name))?;
            link_secrets!(tx, &source.name, &source.secrets);
            if replace {
                sqlx::query("DELETE FROM tables WHERE source = $1 AND kind = 'introspected'")
                    .bind(&source.name)
                    .execute(&mut *tx)
                    .await?;
            }
            Event {
                actor,
                action: if replace { "replace" } else { "create" },
                object_kind: KIND,
                object_name: &source.name,
                detail: None,
            }
            .record(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        self.bump_epoch();
        Ok(())
    }

    /// Replaces the options of source `name` (and the secrets they use).
    pub async fn update_source_options(
        &self,
        name: &str,
        options: &str,
        secrets: &[String],
        actor: &str,
    ) -> StoreResult<()> {
        let now = now_micros();
        with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let updated = sqlx::query(
                "UPDATE sources SET options = $2, status = 'unknown', updated_at = $3 WHERE name = $1",
            )
            .bind(name)
            .bind(options)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated == 0 {
                return Err(StoreError::NotFound { kind: KIND, name: name.to_owned() });
            }
            link_secrets!(tx, name, secrets);
            Event { actor, action: "alter", object_kind: KIND, object_name: name, detail: None }
                .record(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        self.bump_epoch();
        Ok(())
    }

    /// Renames source `name`; its secrets links and cached tables follow (ON UPDATE
    /// CASCADE).
    pub async fn rename_source(&self, name: &str, new_name: &str, actor: &str) -> StoreResult<()> {
        self.rename_row("sources", KIND, name, new_name, actor).await
    }

    /// Drops source `name`. Without `cascade`, [`StoreError::InUse`] while pipelines use
    /// it; with it, those pipelines are dropped too. Returns whether the source existed.
    pub async fn drop_source(&self, name: &str, cascade: bool, actor: &str) -> StoreResult<bool> {
        let dropped = with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let users: Vec<String> =
                sqlx::query("SELECT pipeline FROM pipeline_sources WHERE source = $1 ORDER BY pipeline")
                    .bind(name)
                    .fetch_all(&mut *tx)
                    .await?
                    .iter()
                    .map(|r| r.try_get::<String, _>("pipeline"))
                    .collect::<Result<_, _>>()?;
            if !users.is_empty() && !cascade {
                return Err(StoreError::InUse { kind: KIND, name: name.to_owned(), users });
            }
            // a START that came in since the caller looked keeps the pipeline, and the source
            let active = format!(
                "SELECT id FROM deployments WHERE pipeline = $1 AND state IN ({})",
                super::deployments::state_list(crate::DeploymentState::ACTIVE)
            );
            for pipeline in &users {
                let ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(active.clone()))
                    .bind(pipeline)
                    .fetch_all(&mut *tx)
                    .await?;
                if !ids.is_empty() {
                    return Err(StoreError::InUse {
                        kind: "pipeline",
                        name: pipeline.clone(),
                        users: ids.iter().map(|id| format!("deployment {id}")).collect(),
                    });
                }
            }
            for pipeline in &users {
                sqlx::query("DELETE FROM pipelines WHERE name = $1").bind(pipeline).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM pipeline_versions WHERE pipeline = $1")
                    .bind(pipeline)
                    .execute(&mut *tx)
                    .await?;
                Event {
                    actor,
                    action: "drop",
                    object_kind: "pipeline",
                    object_name: pipeline,
                    detail: Some("cascade"),
                }
                .record(&mut *tx)
                .await?;
                super::grants::forget_object(&mut *tx, "pipeline", pipeline).await?;
            }
            let deleted = sqlx::query("DELETE FROM sources WHERE name = $1")
                .bind(name)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if deleted > 0 {
                Event { actor, action: "drop", object_kind: KIND, object_name: name, detail: None }
                    .record(&mut *tx)
                    .await?;
                super::grants::forget_object(&mut *tx, KIND, name).await?;
            }
            tx.commit().await?;
            deleted > 0
        });
        if dropped {
            self.bump_epoch();
        }
        Ok(dropped)
    }

    /// Records what the last connectivity test found (`ok` or `unreachable`).
    pub async fn set_source_status(&self, name: &str, status: &str) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query("UPDATE sources SET status = $2 WHERE name = $1")
                .bind(name)
                .bind(status)
                .execute(p)
                .await?;
        });
        // sluice.sources shows the status and keeps its results by epoch.
        self.bump_epoch();
        Ok(())
    }

    /// Replaces the cached (introspected) tables of `source` — of one `database`, or of
    /// all — by `tables`, in one transaction.
    pub async fn replace_tables(
        &self,
        source: &str,
        database: Option<&str>,
        tables: &[(TableRecord, Vec<ColumnRecord>)],
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            match database {
                Some(db) => {
                    sqlx::query(
                        "DELETE FROM tables WHERE source = $1 AND database = $2 AND kind = 'introspected'",
                    )
                    .bind(source)
                    .bind(db)
                    .execute(&mut *tx)
                    .await?;
                }
                None => {
                    sqlx::query("DELETE FROM tables WHERE source = $1 AND kind = 'introspected'")
                        .bind(source)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            insert_tables!(tx, tables);
            tx.commit().await?;
        });
        self.bump_epoch();
        Ok(())
    }

    /// Inserts or updates `tables` (and their columns), leaving the others cached.
    pub async fn upsert_tables(&self, tables: &[(TableRecord, Vec<ColumnRecord>)]) -> StoreResult<()> {
        with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            insert_tables!(tx, tables);
            tx.commit().await?;
        });
        self.bump_epoch();
        Ok(())
    }

    /// Cached tables of `source` (of one database, or all), by database and name.
    pub async fn tables(&self, source: &str, database: Option<&str>) -> StoreResult<Vec<TableRecord>> {
        let sql = "SELECT source, database, name, kind, definition, refreshed_at FROM tables \
                   WHERE source = $1 AND ($2 IS NULL OR database = $2) ORDER BY database, name";
        fetch_all!(self, sql, table_from_row, source, database)
    }

    /// One cached or declared table of `source`.
    pub async fn table(&self, source: &str, database: &str, name: &str) -> StoreResult<Option<TableRecord>> {
        let sql = "SELECT source, database, name, kind, definition, refreshed_at FROM tables \
                   WHERE source = $1 AND database = $2 AND name = $3";
        fetch_one!(self, sql, table_from_row, source, database, name)
    }

    /// Cached columns of every table of `database`, by table, in order — one query where
    /// a statement names many tables of one database (a sync).
    pub async fn columns_in(
        &self,
        source: &str,
        database: &str,
    ) -> StoreResult<std::collections::HashMap<String, Vec<ColumnRecord>>> {
        with_pool!(self, |p| {
            let rows = sqlx::query(
                "SELECT table_name, ordinal, name, data_type, source_type, nullable, is_key FROM columns \
                 WHERE source = $1 AND database = $2 ORDER BY table_name, ordinal",
            )
            .bind(source)
            .bind(database)
            .fetch_all(p)
            .await?;
            let mut out: std::collections::HashMap<String, Vec<ColumnRecord>> =
                std::collections::HashMap::new();
            for row in rows {
                out.entry(row.try_get("table_name")?).or_default().push(column_from_row!(row));
            }
            Ok(out)
        })
    }

    /// Cached columns of one table, in order.
    pub async fn columns(&self, source: &str, database: &str, table: &str) -> StoreResult<Vec<ColumnRecord>> {
        let sql = "SELECT ordinal, name, data_type, source_type, nullable, is_key FROM columns \
                   WHERE source = $1 AND database = $2 AND table_name = $3 ORDER BY ordinal";
        fetch_all!(self, sql, column_from_row, source, database, table)
    }
}

impl Store {
    /// Declares table `table` (CREATE TABLE: a table of a schema-less source, or one whose
    /// source is not introspected); with `replace` an existing declaration is replaced,
    /// else [`StoreError::AlreadyExists`]. A cached (introspected) table of the same name
    /// is replaced by the declaration.
    pub async fn put_declared_table(
        &self,
        table: &TableRecord,
        columns: &[ColumnRecord],
        replace: bool,
        actor: &str,
    ) -> StoreResult<()> {
        let qualified = qualified_table(&table.source, &table.database, &table.name);
        let tables = [(table.clone(), columns.to_vec())];
        with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            // a table only cached (introspected) is replaced by its declaration
            let exists = sqlx::query(
                "SELECT 1 AS one FROM tables WHERE source = $1 AND database = $2 AND name = $3 AND kind = 'declared'",
            )
                    .bind(&table.source)
                    .bind(&table.database)
                    .bind(&table.name)
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_some();
            if exists && !replace {
                return Err(StoreError::AlreadyExists { kind: "table", name: qualified });
            }
            insert_tables!(tx, &tables);
            Event {
                actor,
                action: if exists { "replace" } else { "create" },
                object_kind: "table",
                object_name: &qualified,
                detail: None,
            }
            .record(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        self.bump_epoch();
        Ok(())
    }

    /// Forgets a declared table; returns whether it existed.
    pub async fn drop_declared_table(
        &self,
        source: &str,
        database: &str,
        name: &str,
        actor: &str,
    ) -> StoreResult<bool> {
        let qualified = qualified_table(source, database, name);
        let dropped = with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let deleted = sqlx::query(
                "DELETE FROM tables WHERE source = $1 AND database = $2 AND name = $3 AND kind = 'declared'",
            )
            .bind(source)
            .bind(database)
            .bind(name)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if deleted > 0 {
                Event { actor, action: "drop", object_kind: "table", object_name: &qualified, detail: None }
                    .record(&mut *tx)
                    .await?;
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

/// `source.database.table`, or `source.table` for sources without databases.
fn qualified_table(source: &str, database: &str, name: &str) -> String {
    if database.is_empty() { format!("{source}.{name}") } else { format!("{source}.{database}.{name}") }
}
