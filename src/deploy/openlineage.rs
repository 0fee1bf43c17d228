//! OpenLineage run events for deployments: START when a pipeline's job is submitted,
//! RUNNING when the engine runs it, COMPLETE / FAIL / ABORT when it ends — each with the
//! job's inputs and outputs from the pipeline's stored lineage (and the column lineage
//! facet where columns are known). Events are POSTed to an HTTP endpoint (Marquez,
//! DataHub, any OpenLineage HTTP receiver) or appended to a file, one JSON document per
//! line.
//!
//! A state change is queued by the caller and sent by one background task, in order:
//! sending never delays a statement or the watcher, and an unreachable receiver loses
//! events (with a warning) rather than stopping pipelines. Event shape and dataset naming
//! follow the OpenLineage 2-0-2 RunEvent spec and its naming conventions
//! (<https://openlineage.io/docs/spec/naming>): `mysql://host:port` + `db.table`,
//! `postgres://host:port` + `database.schema.table`, `kafka://broker` + topic; tables of
//! other sources are named `<namespace>/<source>` + their path in Sluice.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use sluice_catalog::{DeploymentRecord, LineageTable, PipelineLineage, SourceRecord, Store};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use super::State;
use crate::config::{OpenLineageConfig, OpenLineageEndpoint};
use crate::connectors::{ResolvedOptions, source_type};

/// The producer URI of every event and facet: this gateway, by version.
const PRODUCER: &str = concat!("urn:sluice:gateway:", env!("CARGO_PKG_VERSION"));
const RUN_EVENT: &str = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";
const COLUMN_LINEAGE: &str = "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet";
const ERROR_MESSAGE: &str =
    "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet";
const JOB_TYPE: &str = "https://openlineage.io/spec/facets/2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet";
const SQL: &str = "https://openlineage.io/spec/facets/1-1-0/SQLJobFacet.json#/$defs/SQLJobFacet";

/// State changes waiting to be sent at most; more are dropped with a warning.
const QUEUE: usize = 10_000;

/// A deployment's move to a state, at a time (microseconds since the epoch).
#[derive(Debug)]
struct Change {
    deployment: i64,
    state: State,
    at: i64,
}

/// The queue the background sender reads.
pub struct OpenLineage {
    queue: mpsc::Sender<Change>,
}

impl OpenLineage {
    /// Starts the sender (on the current tokio runtime).
    pub fn start(config: OpenLineageConfig, store: Store, http: reqwest::Client) -> OpenLineage {
        let (queue, mut changes) = mpsc::channel::<Change>(QUEUE);
        let sender = Sender { config, store, http };
        tokio::spawn(async move {
            while let Some(change) = changes.recv().await {
                sender.send(change).await;
            }
        });
        OpenLineage { queue }
    }

    /// Queues the event of deployment `id` entering `state` (nothing for states that
    /// are no event: stopping, suspending).
    pub fn record(&self, deployment: i64, state: State) {
        if event_type(state).is_none() {
            return;
        }
        let change = Change { deployment, state, at: sluice_catalog::time::now_micros() };
        if self.queue.try_send(change).is_err() {
            tracing::warn!(deployment, "OpenLineage event dropped: too many events wait to be sent");
        }
    }
}

/// The OpenLineage event type of entering `state`.
fn event_type(state: State) -> Option<&'static str> {
    match state {
        State::Submitting => Some("START"),
        State::Running => Some("RUNNING"),
        State::Finished => Some("COMPLETE"),
        State::Failed => Some("FAIL"),
        State::Stopped | State::Suspended => Some("ABORT"),
        State::Stopping | State::Suspending | State::Rendered => None,
    }
}

struct Sender {
    config: OpenLineageConfig,
    store: Store,
    http: reqwest::Client,
}

impl Sender {
    async fn send(&self, change: Change) {
        let event = match self.event(&change).await {
            Ok(Some(event)) => event,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(deployment = change.deployment, error = %e, "cannot build an OpenLineage event");
                return;
            }
        };
        if let Err(e) = self.deliver(&event).await {
            tracing::warn!(deployment = change.deployment, error = %e, "cannot send an OpenLineage event");
        }
    }

    /// The event of `change`; `None` for deployments that run nothing (the `directory`
    /// target renders artifacts).
    async fn event(&self, change: &Change) -> Result<Option<Value>, String> {
        let store_error = |e: sluice_catalog::StoreError| e.to_string();
        let Some(d) = self.store.deployment(change.deployment).await.map_err(store_error)? else {
            return Ok(None);
        };
        let target = self.store.target(&d.target).await.map_err(store_error)?;
        if target.is_some_and(|t| t.target_type == "directory") {
            return Ok(None);
        }
        let Some(event_type) = event_type(change.state) else { return Ok(None) };
        let lineage = self.store.lineage(Some(&d.pipeline)).await.map_err(store_error)?;
        let mut sources: BTreeMap<String, Option<SourceRecord>> = BTreeMap::new();
        for row in &lineage {
            for t in [&row.edge.input, &row.edge.output] {
                if !sources.contains_key(&t.source) {
                    let record = self.store.source(&t.source).await.map_err(store_error)?;
                    sources.insert(t.source.clone(), record);
                }
            }
        }
        let pipeline = self.store.pipeline(&d.pipeline).await.map_err(store_error)?;
        let names = Names { namespace: &self.config.namespace, sources: &sources };
        let mut event = run_event(event_type, change.at, &d, &self.config.namespace, &lineage, &names);
        if let Some(p) = pipeline {
            event["job"]["facets"] = job_facets(p.mode.as_str(), &p.body);
        }
        Ok(Some(event))
    }

    async fn deliver(&self, event: &Value) -> Result<(), String> {
        match &self.config.endpoint {
            OpenLineageEndpoint::Http(url) => {
                let mut request = self.http.post(url.as_str()).timeout(Duration::from_secs(10)).json(event);
                if let Some(key) = &self.config.api_key {
                    request = request.bearer_auth(&key.0);
                }
                let response = request.send().await.map_err(|e| e.without_url().to_string())?;
                if !response.status().is_success() {
                    return Err(format!("the receiver answered {}", response.status()));
                }
                Ok(())
            }
            OpenLineageEndpoint::File(path) => {
                let mut line = event.to_string();
                line.push('\n');
                let mut file = tokio::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .await
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                file.write_all(line.as_bytes()).await.map_err(|e| format!("{}: {e}", path.display()))
            }
        }
    }
}

/// How tables are named as OpenLineage datasets.
struct Names<'a> {
    namespace: &'a str,
    sources: &'a BTreeMap<String, Option<SourceRecord>>,
}

impl Names<'_> {
    /// `(namespace, name)` of `table`.
    fn dataset(&self, table: &LineageTable) -> (String, String) {
        let path =
            |parts: &[&str]| parts.iter().filter(|p| !p.is_empty()).copied().collect::<Vec<_>>().join(".");
        let (database, name) = (table.database.as_str(), table.table.as_str());
        let fallback = || (format!("{}/{}", self.namespace, table.source), path(&[database, name]));
        let Some(Some(record)) = self.sources.get(&table.source) else { return fallback() };
        let Some(t) = source_type(&record.source_type) else { return fallback() };
        let Ok(options) = ResolvedOptions::from_stored(&record.options, "source", &record.name) else {
            return fallback();
        };
        let host = options.text(t, "host");
        let port = options.text(t, "port");
        match (t.name, host, port) {
            ("mysql", Some(h), Some(p)) => (format!("mysql://{h}:{p}"), path(&[database, name])),
            ("postgres", Some(h), Some(p)) => {
                let db = options.text(t, "database").unwrap_or(crate::connectors::postgres::DEFAULT_DATABASE);
                (format!("postgres://{h}:{p}"), path(&[db, database, name]))
            }
            ("kafka", ..) => match options.text(t, "bootstrap_servers").and_then(|s| s.split(',').next()) {
                Some(broker) => (format!("kafka://{}", broker.trim()), name.to_owned()),
                None => fallback(),
            },
            _ => fallback(),
        }
    }
}

/// The RunEvent of deployment `d` entering the state of `event_type` at `at`.
fn run_event(
    event_type: &str,
    at: i64,
    d: &DeploymentRecord,
    namespace: &str,
    lineage: &[PipelineLineage],
    names: &Names<'_>,
) -> Value {
    let mut inputs: Vec<&LineageTable> = Vec::new();
    let mut outputs: Vec<&LineageTable> = Vec::new();
    for row in lineage {
        if !inputs.contains(&&row.edge.input) {
            inputs.push(&row.edge.input);
        }
        if !outputs.contains(&&row.edge.output) {
            outputs.push(&row.edge.output);
        }
    }
    let dataset = |t: &LineageTable| {
        let (namespace, name) = names.dataset(t);
        json!({ "namespace": namespace, "name": name })
    };
    let outputs: Vec<Value> = outputs
        .into_iter()
        .map(|t| {
            let mut out = dataset(t);
            if let Some(facet) = column_lineage(t, lineage, names) {
                out["facets"] = json!({ "columnLineage": facet });
            }
            out
        })
        .collect();
    let mut run_facets = json!({});
    if event_type == "FAIL"
        && let Some(error) = &d.last_error
    {
        run_facets["errorMessage"] = json!({
            "_producer": PRODUCER,
            "_schemaURL": ERROR_MESSAGE,
            "message": error,
            "programmingLanguage": "SQL",
        });
    }
    json!({
        "eventType": event_type,
        "eventTime": event_time(at),
        "run": { "runId": run_id(d), "facets": run_facets },
        "job": { "namespace": namespace, "name": d.pipeline },
        "inputs": inputs.into_iter().map(dataset).collect::<Vec<_>>(),
        "outputs": outputs,
        "producer": PRODUCER,
        "schemaURL": RUN_EVENT,
    })
}

/// The column lineage facet of output `table`: for each of its columns the input
/// columns it is computed from; `None` when no column is known.
fn column_lineage(table: &LineageTable, lineage: &[PipelineLineage], names: &Names<'_>) -> Option<Value> {
    let mut fields: serde_json::Map<String, Value> = serde_json::Map::new();
    for row in lineage.iter().filter(|r| &r.edge.output == table) {
        let (Some(input_column), Some(output_column)) = (&row.edge.input_column, &row.edge.output_column)
        else {
            continue;
        };
        let (namespace, name) = names.dataset(&row.edge.input);
        let field = fields.entry(output_column.clone()).or_insert_with(|| json!({ "inputFields": [] }));
        if let Some(list) = field["inputFields"].as_array_mut() {
            list.push(json!({ "namespace": namespace, "name": name, "field": input_column }));
        }
    }
    (!fields.is_empty()).then(
        || json!({ "_producer": PRODUCER, "_schemaURL": COLUMN_LINEAGE, "fields": Value::Object(fields) }),
    )
}

fn job_facets(mode: &str, body: &str) -> Value {
    let processing = if mode == "streaming" { "STREAMING" } else { "BATCH" };
    json!({
        "jobType": {
            "_producer": PRODUCER,
            "_schemaURL": JOB_TYPE,
            "processingType": processing,
            "integration": "SLUICE",
            "jobType": "PIPELINE",
        },
        "sql": { "_producer": PRODUCER, "_schemaURL": SQL, "query": body },
    })
}

/// RFC 3339 in UTC with microseconds.
fn event_time(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// The run's id: a UUID (version 8, RFC 9562's custom layout) made of the deployment's
/// creation time and its id, so every event of one deployment — from any gateway, across
/// restarts — carries the same id, and no two deployments share one.
fn run_id(d: &DeploymentRecord) -> String {
    let time = d.created_at as u64;
    let high = ((time >> 12) << 16) | 0x8000 | (time & 0x0fff);
    let low = (0b10u64 << 62) | (d.id as u64 & 0x3fff_ffff_ffff_ffff);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xffff,
        low >> 48,
        low & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_are_version_8_uuids_unique_per_deployment() {
        let d = |id: i64, created_at: i64| DeploymentRecord {
            id,
            pipeline: "p".into(),
            pipeline_version: 1,
            target: "local".into(),
            engine: sluice_catalog::JobEngine::DataFusion,
            engine_job_id: None,
            state: State::Running,
            since: 0,
            last_error: None,
            savepoint: None,
            started_from: None,
            rows_in: None,
            rows_out: None,
            created_at,
            updated_at: 0,
        };
        let a = run_id(&d(1, 1_765_000_000_000_000));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "8", "{a}");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
        assert_ne!(a, run_id(&d(2, 1_765_000_000_000_000)));
        assert_ne!(a, run_id(&d(1, 1_765_000_000_000_001)));
        assert_eq!(event_time(1_765_000_000_000_001), "2025-12-06T05:46:40.000001Z");
    }
}
