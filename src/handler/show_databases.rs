//! `SHOW DATABASES FROM source` — its databases (PostgreSQL: the schemas of its database).

use crate::connectors::access;
use datafusion::arrow::datatypes::DataType;

use super::{Ctx, Output, rows, text};
use crate::error::Result;
use crate::sql::ast::Ident;

pub async fn handle(ctx: &mut Ctx<'_>, name: &Ident) -> Result<Output> {
    let source = crate::service::sources::load(ctx.rt, name.as_str()).await?;
    let databases = access::databases(&ctx.rt.store, &source).await?;
    rows("SHOW", &[("name", DataType::Utf8)], databases.into_iter().map(|d| vec![text(d)]).collect())
}
