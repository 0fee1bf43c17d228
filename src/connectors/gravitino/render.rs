//! How a table of a Gravitino catalog becomes a connector: as a table of the system the
//! catalog stands for, from the provider and properties introspection kept with the table
//! (Gravitino's catalog property names: `jdbc-url`, `jdbc-user`, `jdbc-database`,
//! `catalog-backend`, `warehouse`, `uri`). Passwords are never Gravitino's: the source's
//! own `password` secret is used, as a placeholder.

use std::collections::BTreeMap;

use crate::compile::hocon::{Entries, Hocon};
use crate::connectors::definition::Provider;
use crate::connectors::render::{
    CdcBlock, CdcSource, FlinkConnector, SeaTunnelPlugin, Secrets, TableCx, plain_name, text,
};
use crate::connectors::{ResolvedOptions, StoredValue};
use crate::error::{Result, SluiceError};
use crate::plan::{PipelinePlan, TableUse};

/// Where a table of the catalog really is.
enum Behind {
    /// A table of another source type (MySQL, PostgreSQL, Paimon), with its options.
    Table(Box<TableUse>),
    /// An Iceberg catalog: `catalog-type`, `uri`, `warehouse`.
    Iceberg(Vec<(String, String)>),
}

const COMPILED: &str = "Sluice compiles tables of jdbc-mysql, jdbc-postgresql, lakehouse-paimon and lakehouse-iceberg \
                        catalogs; for others, create a source of the system itself.";

fn refused(table: &TableUse, why: String) -> SluiceError {
    SluiceError::not_supported(format!("{}: {why}", table.path), Some(COMPILED))
}

fn provider(table: &TableUse) -> Result<&Provider> {
    let definition = table.definition.as_ref();
    definition.and_then(|d| d.provider.as_ref()).ok_or_else(|| {
        // a declared table says nothing of the catalog it is in; one cached by an
        // earlier Sluice was kept without it
        let hint = if definition.is_some_and(|d| d.is_declared()) {
            format!("DROP TABLE {}, and Sluice reads it from Gravitino.", table.path)
        } else {
            format!(
                "REFRESH SOURCE {} DATABASE {} reads it from Gravitino.",
                table.path.source, table.path.database
            )
        };
        SluiceError::not_supported(format!("the system behind {} is not known", table.path), Some(&hint))
    })
}

/// `(host, port, database)` of a JDBC URL `jdbc:<kind>://host[:port][/database][?…]`.
fn jdbc_url(url: &str) -> Option<(String, Option<String>, Option<String>)> {
    let rest = url.split_once("://")?.1;
    let rest = rest.split(['?', ';']).next().unwrap_or(rest);
    let (authority, database) = match rest.split_once('/') {
        Some((a, d)) => (a, Some(d.trim_matches('/').to_owned()).filter(|d| !d.is_empty())),
        None => (rest, None),
    };
    let authority = authority.split(',').next().unwrap_or(authority);
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h.to_owned(), Some(p.to_owned())),
        None => (authority.to_owned(), None),
    };
    Some((host, port, database))
}

fn behind(table: &TableUse) -> Result<Behind> {
    let provider = provider(table)?;
    let property = |k: &str| provider.properties.get(k).cloned();
    let own = |k: &str| table.source_options.0.get(k).cloned();
    let mut options: BTreeMap<String, StoredValue> = BTreeMap::new();
    let mut set = |k: &str, v: Option<StoredValue>| {
        if let Some(v) = v {
            options.insert(k.to_owned(), v);
        }
    };
    let source_type = match provider.name.as_str() {
        "jdbc-mysql" | "jdbc-postgresql" => {
            let url =
                property("jdbc-url").ok_or_else(|| refused(table, "its catalog has no jdbc-url".into()))?;
            let (host, port, database) =
                jdbc_url(&url).ok_or_else(|| refused(table, format!("cannot read the JDBC URL {url}")))?;
            set("host", Some(StoredValue::Text(host)));
            set("port", port.map(StoredValue::Text));
            set("username", own("username").or(property("jdbc-user").map(StoredValue::Text)));
            set("password", own("password"));
            if provider.name == "jdbc-mysql" {
                &crate::connectors::mysql::MYSQL
            } else {
                set("database", property("jdbc-database").or(database).map(StoredValue::Text));
                &crate::connectors::postgres::POSTGRES
            }
        }
        "lakehouse-paimon" => {
            set("warehouse", property("warehouse").map(StoredValue::Text));
            set("metastore", property("catalog-backend").map(StoredValue::Text));
            set("uri", property("uri").map(StoredValue::Text));
            &crate::connectors::paimon::PAIMON
        }
        "lakehouse-iceberg" => {
            let backend = property("catalog-backend").unwrap_or_else(|| "hive".into());
            if !matches!(backend.as_str(), "hive" | "hadoop" | "rest") {
                return Err(refused(
                    table,
                    format!(
                        "Iceberg catalogs with a {backend} backend need credentials Gravitino does not give out"
                    ),
                ));
            }
            let mut iceberg = vec![("catalog-type".to_owned(), backend)];
            iceberg.extend(property("uri").map(|u| ("uri".to_owned(), u)));
            iceberg.extend(property("warehouse").map(|w| ("warehouse".to_owned(), w)));
            return Ok(Behind::Iceberg(iceberg));
        }
        other => return Err(refused(table, format!("its Gravitino catalog's provider is {other}"))),
    };
    let mut real = table.clone();
    real.source_type = source_type;
    real.source_options = ResolvedOptions(options);
    real.definition = None;
    Ok(Behind::Table(Box::new(real)))
}

pub fn flink(cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<FlinkConnector> {
    match behind(cx.table)? {
        Behind::Table(real) => {
            let cx = TableCx { plan: cx.plan, index: cx.index, table: &real, role: cx.role };
            real.source_type.connector.flink(&cx, secrets)
        }
        Behind::Iceberg(properties) => {
            let mut options = vec![("type".to_owned(), "iceberg".to_owned())];
            options.extend(properties);
            Ok(FlinkConnector::InCatalog { catalog: plain_name(&cx.table.path.source), options })
        }
    }
}

pub fn seatunnel(cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<SeaTunnelPlugin> {
    match behind(cx.table)? {
        Behind::Table(real) => {
            let cx = TableCx { plan: cx.plan, index: cx.index, table: &real, role: cx.role };
            real.source_type.connector.seatunnel(&cx, secrets)
        }
        Behind::Iceberg(properties) => {
            // SeaTunnel's Iceberg connector hands iceberg.catalog.config to Iceberg's
            // CatalogUtil, whose key for the kind of catalog is `type`
            let config: Entries = properties
                .into_iter()
                .map(|(k, v)| (if k == "catalog-type" { "type".to_owned() } else { k }, Hocon::str(v)))
                .collect();
            let mut e: Entries = Vec::new();
            text(&mut e, "catalog_name", Some(plain_name(&cx.table.path.source)));
            e.push(("iceberg.catalog.config".into(), Hocon::Object(config)));
            e.push(("namespace".into(), Hocon::str(&cx.table.path.database)));
            e.push(("table".into(), Hocon::str(&cx.table.path.table)));
            Ok(("Iceberg", e))
        }
    }
}

pub fn flink_cdc_source(cx: &CdcSource<'_>, secrets: &mut Secrets) -> Result<CdcBlock> {
    match behind(cx.table)? {
        Behind::Table(real) => {
            let cx = CdcSource { plan: cx.plan, table: &real, index: cx.index, tables: cx.tables.clone() };
            real.source_type.connector.flink_cdc_source(&cx, secrets)
        }
        Behind::Iceberg(_) => Err(crate::connectors::render::flink_cdc_unsupported(format!(
            "Flink CDC pipelines do not read Iceberg tables ({})",
            cx.table.path
        ))),
    }
}

pub fn flink_cdc_sink(plan: &PipelinePlan, table: &TableUse, secrets: &mut Secrets) -> Result<CdcBlock> {
    match behind(table)? {
        Behind::Table(real) => real.source_type.connector.flink_cdc_sink(plan, &real, secrets),
        Behind::Iceberg(_) => Err(crate::connectors::render::flink_cdc_unsupported(format!(
            "Sluice does not write Iceberg tables with Flink CDC ({})",
            table.path
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::jdbc_url;

    #[test]
    fn jdbc_urls_give_host_port_and_database() {
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(jdbc_url("jdbc:mysql://db1:3307"), Some(("db1".into(), some("3307"), None)));
        assert_eq!(
            jdbc_url("jdbc:postgresql://pg:5432/sales?sslmode=require"),
            Some(("pg".into(), some("5432"), some("sales")))
        );
        assert_eq!(jdbc_url("jdbc:mysql://db"), Some(("db".into(), None, None)));
        assert_eq!(jdbc_url("nonsense"), None);
    }
}
