//! Building one OpenLineage RunEvent (spec 2-0-2) from what the store holds of a
//! deployment: its pipeline's lineage, the version it runs, and the sources' options for
//! dataset names (<https://openlineage.io/docs/spec/naming>): `mysql://host:port` +
//! `database.table`, `postgres://host:port` + `database.schema.table`, `kafka://broker` +
//! each topic of the table; tables of other sources are named `<namespace>/<source>` +
//! their path in Sluice.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{Map, Value, json};
use sluice_catalog::{DeploymentRecord, LineageTable, PipelineLineage, SourceRecord, Store, StoreError};

use crate::connectors::definition::TableDefinition;
use crate::connectors::{ResolvedOptions, StoredValue, source_type};

/// The producer URI of every event and facet: this gateway, by version.
const PRODUCER: &str = concat!("urn:sluice:gateway:", env!("CARGO_PKG_VERSION"));
const RUN_EVENT: &str = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";
const COLUMN_LINEAGE: &str = "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet";
const ERROR_MESSAGE: &str =
    "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet";
const PARENT_RUN: &str = "https://openlineage.io/spec/facets/1-1-0/ParentRunFacet.json#/$defs/ParentRunFacet";
const JOB_TYPE: &str = "https://openlineage.io/spec/facets/2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet";
const SQL: &str = "https://openlineage.io/spec/facets/1-1-0/SQLJobFacet.json#/$defs/SQLJobFacet";

/// An OpenLineage dataset: `(namespace, name)`.
type Dataset = (String, String);

/// The event of deployment `d` entering the state of `event_type` at `at` (microseconds
/// since the epoch), read from the store now; `namespace` names the job.
pub async fn build(
    store: &Store,
    namespace: &str,
    d: &DeploymentRecord,
    event_type: &str,
    at: i64,
) -> Result<Value, StoreError> {
    let lineage = store.lineage(Some(&d.pipeline)).await?;
    let datasets = datasets(store, namespace, &lineage).await?;
    let version = store.pipeline_version(&d.pipeline, d.pipeline_version).await?;
    let mode = store.pipeline(&d.pipeline).await?.map(|p| p.mode);
    let mut event = run_event(event_type, at, d, namespace, &lineage, &datasets);
    if let (Some(version), Some(mode)) = (version, mode) {
        event["job"]["facets"] = job_facets(mode.as_str(), &version.body);
    }
    Ok(event)
}

/// Every table of `lineage` as its datasets.
async fn datasets(
    store: &Store,
    namespace: &str,
    lineage: &[PipelineLineage],
) -> Result<HashMap<LineageTable, Vec<Dataset>>, StoreError> {
    let mut sources: BTreeMap<String, Option<SourceRecord>> = BTreeMap::new();
    let mut out: HashMap<LineageTable, Vec<Dataset>> = HashMap::new();
    for table in lineage.iter().flat_map(|r| [&r.edge.input, &r.edge.output]) {
        if out.contains_key(table) {
            continue;
        }
        if !sources.contains_key(&table.source) {
            sources.insert(table.source.clone(), store.source(&table.source).await?);
        }
        let record = sources.get(&table.source).and_then(Option::as_ref);
        let topics = match record {
            Some(r) if r.source_type == "kafka" => topics(store, table).await?,
            _ => Vec::new(),
        };
        out.insert(table.clone(), name(namespace, record, table, &topics));
    }
    Ok(out)
}

/// The topics a Kafka table's `topic` option names (semicolon-separated).
async fn topics(store: &Store, table: &LineageTable) -> Result<Vec<String>, StoreError> {
    let record = store.table(&table.source, &table.database, &table.table).await?;
    let definition = record
        .and_then(|r| r.definition)
        .and_then(|json| TableDefinition::from_stored(&json, &table.table).ok());
    let topic = definition.and_then(|d| match d.options.0.get("topic") {
        Some(StoredValue::Text(t)) => Some(t.clone()),
        _ => None,
    });
    Ok(topic
        .map(|t| t.split(';').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
        .unwrap_or_default())
}

/// The datasets `table` of source `record` is, by OpenLineage's naming conventions.
fn name(
    namespace: &str,
    record: Option<&SourceRecord>,
    table: &LineageTable,
    topics: &[String],
) -> Vec<Dataset> {
    let path = |parts: &[&str]| parts.iter().filter(|p| !p.is_empty()).copied().collect::<Vec<_>>().join(".");
    let (database, name) = (table.database.as_str(), table.table.as_str());
    let fallback = || vec![(format!("{namespace}/{}", table.source), path(&[database, name]))];
    let Some(record) = record else { return fallback() };
    let Some(t) = source_type(&record.source_type) else { return fallback() };
    let Ok(options) = ResolvedOptions::from_stored(&record.options, "source", &record.name) else {
        return fallback();
    };
    let (host, port) = (options.text(t, "host"), options.text(t, "port"));
    match (t.name, host, port) {
        ("mysql", Some(h), Some(p)) => vec![(format!("mysql://{h}:{p}"), path(&[database, name]))],
        ("postgres", Some(h), Some(p)) => {
            let db = options.text(t, "database").unwrap_or(crate::connectors::postgres::DEFAULT_DATABASE);
            vec![(format!("postgres://{h}:{p}"), path(&[db, database, name]))]
        }
        ("kafka", ..) if !topics.is_empty() => {
            match options.text(t, "bootstrap_servers").and_then(|s| s.split(',').next()) {
                Some(broker) => {
                    topics.iter().map(|topic| (format!("kafka://{}", broker.trim()), topic.clone())).collect()
                }
                None => fallback(),
            }
        }
        _ => fallback(),
    }
}

fn dataset_json((namespace, name): &Dataset) -> Value {
    json!({ "namespace": namespace, "name": name })
}

/// The RunEvent of deployment `d` entering the state of `event_type` at `at`.
fn run_event(
    event_type: &str,
    at: i64,
    d: &DeploymentRecord,
    namespace: &str,
    lineage: &[PipelineLineage],
    datasets: &HashMap<LineageTable, Vec<Dataset>>,
) -> Value {
    let (mut inputs, mut outputs): (Vec<&LineageTable>, Vec<&LineageTable>) = (Vec::new(), Vec::new());
    let (mut seen_inputs, mut seen_outputs) = (HashSet::new(), HashSet::new());
    let mut columns: HashMap<&LineageTable, Vec<&PipelineLineage>> = HashMap::new();
    for row in lineage {
        let (input, output) = (&row.edge.input, &row.edge.output);
        if row.edge.input_column.is_none() {
            inputs.extend(seen_inputs.insert(input).then_some(input));
            outputs.extend(seen_outputs.insert(output).then_some(output));
        } else {
            columns.entry(output).or_default().push(row);
        }
    }
    let of = |t: &LineageTable| datasets.get(t).cloned().unwrap_or_default();
    let outputs: Vec<Value> = outputs
        .into_iter()
        .flat_map(|t| {
            let facet = columns.get(t).map(|rows| column_lineage(rows, datasets));
            of(t).into_iter().map(move |d| {
                let mut out = dataset_json(&d);
                if let Some(facet) = &facet {
                    out["facets"] = json!({ "columnLineage": facet });
                }
                out
            })
        })
        .collect();
    let mut run_facets = json!({
        "parent": {
            "_producer": PRODUCER,
            "_schemaURL": PARENT_RUN,
            "run": { "runId": deployment_id(d) },
            "job": { "namespace": namespace, "name": d.pipeline },
        },
    });
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
        "inputs": inputs.into_iter().flat_map(of).map(|d| dataset_json(&d)).collect::<Vec<_>>(),
        "outputs": outputs,
        "producer": PRODUCER,
        "schemaURL": RUN_EVENT,
    })
}

/// The column lineage facet of one output table from its column rows: for each of its
/// columns the input columns it is computed from.
fn column_lineage(rows: &[&PipelineLineage], datasets: &HashMap<LineageTable, Vec<Dataset>>) -> Value {
    let mut fields: Map<String, Value> = Map::new();
    for row in rows {
        let (Some(input_column), Some(output_column)) = (&row.edge.input_column, &row.edge.output_column)
        else {
            continue;
        };
        let field = fields.entry(output_column.clone()).or_insert_with(|| json!({ "inputFields": [] }));
        if let Some(list) = field["inputFields"].as_array_mut() {
            for (namespace, name) in datasets.get(&row.edge.input).into_iter().flatten() {
                list.push(json!({ "namespace": namespace, "name": name, "field": input_column }));
            }
        }
    }
    json!({ "_producer": PRODUCER, "_schemaURL": COLUMN_LINEAGE, "fields": Value::Object(fields) })
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

/// A UUID (version 8, RFC 9562's custom layout) of a deployment's creation time and
/// `low` (62 bits).
fn uuid(created_at: i64, low: u64) -> String {
    let time = created_at as u64;
    let high = ((time >> 12) << 16) | 0x8000 | (time & 0x0fff);
    let low = (0b10u64 << 62) | (low & 0x3fff_ffff_ffff_ffff);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xffff,
        low >> 48,
        low & 0xffff_ffff_ffff
    )
}

/// The deployment's id as a run: the parent of each of its runs, the same from any
/// gateway and across restarts.
fn deployment_id(d: &DeploymentRecord) -> String {
    uuid(d.created_at, d.id as u64)
}

/// The id of the deployment's current run: a run ends at COMPLETE, FAIL or ABORT, and a
/// RESUME starts another, from a savepoint no earlier run started from — so the run is
/// the deployment's id mixed with the savepoint it started from (FNV-1a).
fn run_id(d: &DeploymentRecord) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in d.started_from.as_deref().unwrap_or_default().bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    uuid(d.created_at, (d.id as u64) ^ hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(id: i64, created_at: i64, started_from: Option<&str>) -> DeploymentRecord {
        DeploymentRecord {
            id,
            pipeline: "p".into(),
            pipeline_version: 1,
            target: "local".into(),
            engine: sluice_catalog::JobEngine::DataFusion,
            engine_job_id: None,
            state: sluice_catalog::DeploymentState::Running,
            since: 0,
            last_error: None,
            savepoint: None,
            started_from: started_from.map(str::to_owned),
            rows_in: None,
            rows_out: None,
            created_at,
            updated_at: 0,
        }
    }

    #[test]
    fn run_ids_are_version_8_uuids_one_per_deployment_and_savepoint() {
        let at = 1_765_000_000_000_000;
        let a = run_id(&deployment(1, at, None));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "8", "{a}");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
        assert_eq!(a, run_id(&deployment(1, at, None)));
        assert_ne!(a, run_id(&deployment(2, at, None)));
        assert_ne!(a, run_id(&deployment(1, at + 1, None)));
        let resumed = run_id(&deployment(1, at, Some("file:/sp/savepoint-1")));
        assert_ne!(a, resumed);
        assert_eq!(deployment_id(&deployment(1, at, Some("x"))), deployment_id(&deployment(1, at, None)));
        assert_eq!(event_time(at + 1), "2025-12-06T05:46:40.000001Z");
    }

    #[test]
    fn datasets_follow_the_naming_conventions() {
        let record = |source_type: &str, options: &str| SourceRecord {
            name: "s".into(),
            source_type: source_type.into(),
            options: options.into(),
            status: "ok".into(),
            owner: "o".into(),
            created_at: 0,
            updated_at: 0,
        };
        let t = LineageTable { source: "s".into(), database: "shop".into(), table: "orders".into() };
        let mysql = record("mysql", r#"{"host": "db", "port": "3307"}"#);
        assert_eq!(
            name("ns", Some(&mysql), &t, &[]),
            [("mysql://db:3307".to_owned(), "shop.orders".to_owned())]
        );
        let pg = record("postgres", r#"{"host": "pg", "database": "dw"}"#);
        assert_eq!(
            name("ns", Some(&pg), &t, &[]),
            [("postgres://pg:5432".to_owned(), "dw.shop.orders".to_owned())]
        );
        let kafka = record("kafka", r#"{"bootstrap_servers": "k1:9092,k2:9092"}"#);
        let clicks = LineageTable { source: "s".into(), database: String::new(), table: "clicks".into() };
        let topics = ["a".to_owned(), "b".to_owned()];
        assert_eq!(
            name("ns", Some(&kafka), &clicks, &topics),
            [("kafka://k1:9092".to_owned(), "a".to_owned()), ("kafka://k1:9092".to_owned(), "b".to_owned())]
        );
        assert_eq!(name("ns", None, &clicks, &[]), [("ns/s".to_owned(), "clicks".to_owned())]);
    }
}
