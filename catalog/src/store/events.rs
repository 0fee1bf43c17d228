//! The audit trail: one row in `events` per change, written in the change's transaction.

use sqlx::{Database, Executor};

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
