//! `SHOW DATABASES FROM source` — its databases (PostgreSQL: the schemas of its database).

use datafusion::arrow::datatypes::DataType;

use super::{Ctx, Output, rows, source_access, text};
use crate::error::Result;
use crate::sql::ast::Ident;

pub async fn handle(ctx: &mut Ctx<'_>, name: &Ident) -> Result<Output> {
    let source = source_access::load(ctx, name.as_str()).await?;
    let databases = source_access::databases(&source).await?;
    rows("SHOW", &[("name", DataType::Utf8)], databases.into_iter().map(|d| vec![text(d)]).collect())
}
