//! Prometheus metrics served on the HTTP side port at `/metrics`.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SqlStateLabel {
    sqlstate: String,
}

/// The gateway's metrics.
pub struct Metrics {
    registry: Registry,
    connections: Gauge,
    statements: Family<KindLabel, Counter>,
    errors: Family<SqlStateLabel, Counter>,
    latency: Histogram,
    auth_failures: Counter,
    tick: Histogram,
    lateness: Histogram,
    run_step: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("sluice");
        let connections = Gauge::default();
        let statements = Family::<KindLabel, Counter>::default();
        let errors = Family::<SqlStateLabel, Counter>::default();
        let latency = Histogram::new(exponential_buckets(0.000_05, 2.0, 18));
        let auth_failures = Counter::default();
        registry.register("open_connections", "Client connections currently open", connections.clone());
        registry.register("statements", "Statements executed, by kind", statements.clone());
        registry.register("errors", "Statements that failed, by SQLSTATE", errors.clone());
        registry.register("statement_duration_seconds", "Time to execute a statement", latency.clone());
        registry.register("authentication_failures", "Failed logins", auth_failures.clone());
        let tick = Histogram::new(exponential_buckets(0.000_1, 2.0, 16));
        let lateness = Histogram::new(exponential_buckets(0.001, 2.0, 14));
        let run_step = Histogram::new(exponential_buckets(0.000_1, 2.0, 16));
        registry.register(
            "scheduler_tick_seconds",
            "One scheduler look at the store: fire what is due, claim runs",
            tick.clone(),
        );
        registry.register(
            "schedule_fire_lateness_seconds",
            "How long after its cron time a schedule fired",
            lateness.clone(),
        );
        registry.register(
            "run_step_seconds",
            "One pass of a run's executor over its tasks",
            run_step.clone(),
        );
        Metrics {
            registry,
            connections,
            statements,
            errors,
            latency,
            auth_failures,
            tick,
            lateness,
            run_step,
        }
    }

    /// A connection opened; the returned guard closes it in the gauge when dropped.
    pub fn connection_opened(&self) -> ConnectionGauge {
        self.connections.inc();
        ConnectionGauge(self.connections.clone())
    }

    /// A statement of `kind` finished in `elapsed`, failing with `sqlstate` if it did.
    pub fn statement(&self, kind: &'static str, elapsed: Duration, sqlstate: Option<&str>) {
        self.statements.get_or_create(&KindLabel { kind }).inc();
        self.latency.observe(elapsed.as_secs_f64());
        if let Some(sqlstate) = sqlstate {
            self.errors.get_or_create(&SqlStateLabel { sqlstate: sqlstate.to_owned() }).inc();
        }
    }

    /// A scheduler tick took `elapsed`.
    pub fn scheduler_tick(&self, elapsed: Duration) {
        self.tick.observe(elapsed.as_secs_f64());
    }

    /// A schedule fired `late` after its cron time.
    pub fn fired_late(&self, late: Duration) {
        self.lateness.observe(late.as_secs_f64());
    }

    /// A run executor's pass over its tasks took `elapsed`.
    pub fn run_step(&self, elapsed: Duration) {
        self.run_step.observe(elapsed.as_secs_f64());
    }

    pub fn auth_failed(&self) {
        self.auth_failures.inc();
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// Decrements the open-connections gauge when the connection ends.
pub struct ConnectionGauge(Gauge);

impl Drop for ConnectionGauge {
    fn drop(&mut self) {
        self.0.dec();
    }
}
