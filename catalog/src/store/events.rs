//! The audit trail: one row in `events` per change, written in the change's transaction.

use sqlx::{Database, Executor, Row};

use crate::time::now_micros;

/// One row of `events`.
pub(crate) struct Event<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub object_kind: &'a str,
    pub object_name: &'a str,
    pub detail: Option<&'a str>,
}

impl Event<'_> {
    /// Inserts the event through `executor` (normally the change's transaction).
    pub(crate) async fn record<'e, DB, E>(&self, executor: E) -> Result<(), sqlx::Error>
    where
        DB: Database,
        E: Executor<'e, Database = DB>,
        for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        for<'q> Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        for<'q> <DB as Database>::Arguments: sqlx::IntoArguments<DB>,
    {
        sqlx::query::<DB>(
            "INSERT INTO events (at, actor, action, object_kind, object_name, detail) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(now_micros())
        .bind(self.actor)
        .bind(self.action)
        .bind(self.object_kind)
        .bind(self.object_name)
        .bind(self.detail)
        .execute(executor)
        .await?;
        Ok(())
    }
}

impl super::Store {
    /// The id of the newest event (0 when there is none).
    pub async fn latest_event(&self) -> crate::error::StoreResult<i64> {
        super::with_pool!(self, |p| {
            let id: Option<i64> = sqlx::query_scalar("SELECT max(id) FROM events").fetch_one(p).await?;
            Ok(id.unwrap_or(0))
        })
    }

    /// The changes recorded after event `after`, if any: the newest event's id and the
    /// (kind, name) of the sources and secrets they changed — with the 50 events before
    /// `after` again, as PostgreSQL may commit a lower id after a higher one was seen.
    /// Another gateway's changes move this store's epoch too, so that caches keyed on it
    /// are dropped.
    pub async fn changes_since(
        &self,
        after: i64,
    ) -> crate::error::StoreResult<Option<(i64, Vec<(String, String)>)>> {
        let latest = self.latest_event().await?;
        if latest <= after {
            return Ok(None);
        }
        let changed: Vec<(String, String)> = super::with_pool!(self, |p| {
            let rows = sqlx::query(
                "SELECT DISTINCT object_kind, object_name FROM events \
                 WHERE id > $1 AND id <= $2 AND object_kind IN ('source', 'secret')",
            )
            .bind(after - 50)
            .bind(latest)
            .fetch_all(p)
            .await?;
            rows.iter()
                .map(|r| Ok((r.try_get("object_kind")?, r.try_get("object_name")?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        self.bump_epoch();
        Ok(Some((latest, changed)))
    }
}
