//! The DataFusion context a pipeline body is planned in: the Flink functions, and each
//! table the body names registered under its own name — `<source>.<database>.<table>`, or
//! `pipeline.<source>.<table>` for sources without databases (so `source.table` resolves
//! as schema.table in the default catalog). Tables are empty tables with the catalog's
//! columns (to type-check), or for PREVIEW the live tables of the sources.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::catalog::{
    CatalogProvider, MemoryCatalogProvider, MemorySchemaProvider, SchemaProvider, TableProvider,
};
use datafusion::datasource::empty::EmptyTable;
use datafusion::execution::SessionStateBuilder;
use datafusion::optimizer::Optimizer;
use datafusion::prelude::{SessionConfig, SessionContext};

use super::bind::Tables;
use super::resolve::{TablePath, TableUse};
use super::types::arrow_type;
use crate::engine::federation;
use crate::engine::sources::GatewayCatalogs;
use crate::error::{Result, SluiceError};
use crate::sql::ast::quote_ident;

/// The default catalog of the context.
const CATALOG: &str = "pipeline";

/// A DataFusion context with the Flink functions and the body's tables.
pub async fn planning_context(
    used: &[TableUse],
    read: &[usize],
    tables: &Tables<'_>,
) -> Result<SessionContext> {
    let mut config = SessionConfig::new().with_default_catalog_and_schema(CATALOG, "default");
    {
        let sql = &mut config.options_mut().sql_parser;
        sql.collect_spans = true;
        sql.map_string_types_to_utf8view = false;
    }
    // local runs are not federated: see engine/federation.rs
    let rules = &Optimizer::new().rules;
    let builder = SessionStateBuilder::new().with_config(config).with_default_features();
    let state = match tables {
        Tables::Federated(_) => builder
            .with_optimizer_rules(federation::optimizer_rules(rules))
            .with_query_planner(federation::query_planner())
            .build(),
        _ => builder.with_optimizer_rules(federation::unfederated_rules(rules)).build(),
    };
    let ctx = SessionContext::new_with_state(state);
    for f in sluice_functions::flink::functions() {
        ctx.register_udf(f);
    }
    for (i, table) in used.iter().enumerate() {
        let provider = match tables {
            Tables::Live(catalogs) | Tables::Federated(catalogs) if read.contains(&i) => {
                live_provider(catalogs, table).await?
            }
            _ => schema_provider(&ctx, table).await?,
        };
        register(&ctx, &table.path, provider)?;
    }
    Ok(ctx)
}

/// An empty table with the table's columns (computed columns typed by planning them).
async fn schema_provider(ctx: &SessionContext, table: &TableUse) -> Result<Arc<dyn TableProvider>> {
    let physical: Vec<Field> = table
        .physical_columns()
        .map(|c| Field::new(&c.name, arrow_type(&c.data_type).unwrap_or(DataType::Utf8), c.nullable))
        .collect();
    let mut fields = physical.clone();
    let computed: Vec<_> = table.columns.iter().filter(|c| c.data_type == "COMPUTED").collect();
    if !computed.is_empty() {
        register(ctx, &table.path, Arc::new(EmptyTable::new(Arc::new(Schema::new(physical)))))?;
        for c in computed {
            let expr = c.source_type.trim_start_matches("AS ");
            let plan =
                ctx.sql(&format!("SELECT {expr} FROM {}", qualified(&table.path))).await.map_err(|e| {
                    SluiceError::InvalidValue {
                        name: format!("computed column {} of {}", c.name, table.path),
                        message: SluiceError::from(e).message(),
                        hint: None,
                    }
                })?;
            let data_type = plan.schema().field(0).data_type().clone();
            fields.push(Field::new(&c.name, data_type, true));
        }
    }
    Ok(Arc::new(EmptyTable::new(Arc::new(Schema::new(fields)))))
}

async fn live_provider(catalogs: &GatewayCatalogs, table: &TableUse) -> Result<Arc<dyn TableProvider>> {
    use datafusion::catalog::CatalogProviderList;
    let path = &table.path;
    let not_previewable = || {
        SluiceError::not_supported(
            format!(
                "{path} cannot be read by the gateway: sources of type {} have no live reads",
                table.source_type.name
            ),
            Some(table.source_type.connector.no_live_reads()),
        )
    };
    let catalog = catalogs.catalog(&path.source).ok_or_else(not_previewable)?;
    let schema = catalog.schema(&path.database).ok_or_else(not_previewable)?;
    schema
        .table(&path.table)
        .await?
        .ok_or_else(|| SluiceError::UndefinedTable { name: path.to_string(), pos: None })
}

fn qualified(path: &TablePath) -> String {
    if path.database.is_empty() {
        format!("{CATALOG}.{}.{}", quote_ident(&path.source), quote_ident(&path.table))
    } else {
        format!("{}.{}.{}", quote_ident(&path.source), quote_ident(&path.database), quote_ident(&path.table))
    }
}

fn register(ctx: &SessionContext, path: &TablePath, provider: Arc<dyn TableProvider>) -> Result<()> {
    let (catalog_name, schema_name) = if path.database.is_empty() {
        (CATALOG.to_owned(), path.source.clone())
    } else {
        (path.source.clone(), path.database.clone())
    };
    let catalog = match ctx.catalog(&catalog_name) {
        Some(c) => c,
        None => {
            let c: Arc<dyn CatalogProvider> = Arc::new(MemoryCatalogProvider::new());
            ctx.register_catalog(&catalog_name, c.clone());
            c
        }
    };
    let schema = match catalog.schema(&schema_name) {
        Some(s) => s,
        None => {
            let s: Arc<dyn SchemaProvider> = Arc::new(MemorySchemaProvider::new());
            catalog.register_schema(&schema_name, s.clone())?;
            s
        }
    };
    let _ = schema.deregister_table(&path.table)?;
    schema.register_table(path.table.clone(), provider)?;
    Ok(())
}
