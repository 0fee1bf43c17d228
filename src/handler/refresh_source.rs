//! `REFRESH SOURCE name [ DATABASE db ]` — reads databases, tables, columns and keys from
//! the source again and caches them (`sluice.tables`, `sluice.columns`).

use super::{Ctx, Notice, Output};
use crate::connectors::access;
use crate::error::Result;
use crate::sql::ast::Ident;

pub async fn handle(ctx: &mut Ctx<'_>, name: &Ident, database: Option<&Ident>) -> Result<Output> {
    let source = crate::service::sources::load(ctx.rt, name.as_str()).await?;
    let databases = match database {
        Some(db) => vec![db.as_str().to_owned()],
        None => access::databases(&ctx.rt.store, &source).await?,
    };
    let (mut tables, mut columns) = (0, 0);
    for (i, db) in databases.iter().enumerate() {
        let refreshed = access::refresh(&ctx.rt.store, &source, db, None).await?;
        tables += refreshed.len();
        columns += refreshed.iter().map(|(_, c)| c.len()).sum::<usize>();
        if databases.len() > 1 {
            ctx.notices.push(Notice::notice(format!(
                "{}/{}: {db}: {} tables",
                i + 1,
                databases.len(),
                refreshed.len()
            )));
        }
    }
    // live reads start afresh too (the live tables remember the columns they read)
    crate::service::sources::publish(ctx.rt, name.as_str()).await?;
    ctx.notices.push(Notice::notice(format!(
        "refreshed {tables} tables ({columns} columns) in {} database{} of source \"{}\"",
        databases.len(),
        if databases.len() == 1 { "" } else { "s" },
        source.record.name
    )));
    Ok(Output::Command("REFRESH SOURCE"))
}
