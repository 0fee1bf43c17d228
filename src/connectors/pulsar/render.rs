//! How a pulsar table becomes a connector: Flink's Pulsar connector (4.1+, whose SQL
//! tables pass `pulsar.client.*` through: `authPluginClassName`, `authParams`), SeaTunnel's
//! Pulsar plugin (`auth.plugin-class`, `auth.params`) — option names from their
//! documentation.

use crate::compile::hocon::Entries;
use crate::connectors::render::{
    FlinkConnector, Options, Role, SeaTunnelPlugin, Secrets, TableCx, put, seatunnel_schema, text,
};
use crate::error::Result;

/// Pulsar's token authentication plugin (its client documentation), whose parameters are
/// `token:<JWT>`.
const TOKEN_AUTH: &str = "org.apache.pulsar.client.impl.auth.AuthenticationToken";

/// The Flink SQL table.
pub fn flink(cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<FlinkConnector> {
    let plan = cx.plan;
    let table = cx.table;
    let role = cx.role;
    let o = Options::new(table);
    let mut options: Vec<(String, String)> = Vec::new();
    put(&mut options, "connector", "pulsar".into());
    put(&mut options, "topics", o.get("topic", secrets).unwrap_or_else(|| table.path.table.clone()));
    put(&mut options, "service-url", o.get("service_url", secrets).unwrap_or_default());
    put(&mut options, "admin-url", o.get("admin_url", secrets).unwrap_or_default());
    put(&mut options, "format", o.get("format", secrets).unwrap_or_else(|| "json".into()));
    if role == Role::Read {
        put(
            &mut options,
            "source.subscription-name",
            o.get("subscription_name", secrets).unwrap_or_else(|| format!("sluice-{}", plan.name)),
        );
    }
    if let Some(token) = o.given("auth_token", secrets) {
        put(&mut options, "pulsar.client.authPluginClassName", TOKEN_AUTH.into());
        put(&mut options, "pulsar.client.authParams", format!("token:{token}"));
    }
    options.extend(o.with_prefix("pulsar.", secrets));
    Ok(FlinkConnector::Table(options))
}

/// The SeaTunnel plugin.
pub fn seatunnel(cx: &TableCx<'_>, secrets: &mut Secrets) -> Result<SeaTunnelPlugin> {
    let plan = cx.plan;
    let table = cx.table;
    let role = cx.role;
    let o = Options::new(table);
    let mut e: Entries = Vec::new();
    text(&mut e, "client.service-url", o.get("service_url", secrets));
    text(&mut e, "admin.service-url", o.get("admin_url", secrets));
    text(&mut e, "topic", o.get("topic", secrets).or_else(|| Some(table.path.table.clone())));
    text(&mut e, "format", o.get("format", secrets));
    // SeaTunnel authenticates its client and admin calls alike (both or neither set)
    if let Some(token) = o.given("auth_token", secrets) {
        text(&mut e, "auth.plugin-class", Some(TOKEN_AUTH.into()));
        text(&mut e, "auth.params", Some(format!("token:{token}")));
    }
    if role == Role::Read {
        text(
            &mut e,
            "subscription.name",
            Some(o.get("subscription_name", secrets).unwrap_or_else(|| format!("sluice-{}", plan.name))),
        );
        e.push(seatunnel_schema(table));
    }
    Ok(("Pulsar", e))
}
