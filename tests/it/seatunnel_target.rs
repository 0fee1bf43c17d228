//! The `seatunnel` target at the HTTP level. A SeaTunnel (Zeta) engine cannot run on this
//! machine, so the gateway talks to a fake engine in this file that answers as the
//! documented REST API v2 does (`docs/en/seatunnel-engine/rest-api-v2.md` of
//! apache/seatunnel: `POST /submit-job`, `GET /job-info/:jobId`, `POST /stop-job`,
//! `GET /overview`; job ids above 2^53 as JSON integers; errors as
//! `{"status": "fail", "message": …}`). The fake records every request and keeps its
//! jobs in memory with a state the test sets, so this checks what Sluice sends and how it
//! follows the engine's answers — not that SeaTunnel runs the config.
//!
//! Secrets: SeaTunnel has no secret store, so the source's password must be inside the
//! submitted config (checked: exactly, through HOCON escaping); it shows nowhere else —
//! not in SHOW DEPLOYMENTS, EXPLAIN or the gateway's log.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio_postgres::Client;

use crate::common::fixtures::{MariaDb, SOURCE_PASSWORD, mariadb_up};
use crate::common::flink::wait_deployment_within;
use crate::common::hocon;
use crate::common::rows::rows;
use crate::common::sinks::sinks;
use crate::common::sources::maria_source;
use crate::common::{TestServer, query_pairs, require};

/// How long a deployment state may take to show (the fake answers at once).
const WAIT: Duration = Duration::from_secs(30);

/// The id the fake gives its first job: above 2^53, as SeaTunnel's ids are.
const FIRST_ID: u64 = 733_584_788_375_666_689;

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: String,
}

impl Seen {
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

struct FakeJob {
    name: String,
    status: String,
    /// The end state a stop is heading to: the next `job-info` shows `status` (the
    /// transitional DOING_SAVEPOINT / CANCELING) once, then this.
    pending: Option<&'static str>,
    source_count: Option<i64>,
    sink_count: Option<i64>,
    error: Option<String>,
}

/// What the fake does with a submission while the test plays a gateway stopping mid-way.
#[derive(Default, Clone, Copy, PartialEq, Eq)]
pub enum Submits {
    /// Answered at once.
    #[default]
    Answered,
    /// The job is created, the answer never comes.
    Unanswered,
    /// The request is lost: no job, no answer.
    Lost,
}

#[derive(Default)]
struct Engine {
    requests: Vec<Seen>,
    jobs: BTreeMap<u64, FakeJob>,
    submitted: u64,
    submits: Submits,
}

/// A fake SeaTunnel engine's REST API v2 on 127.0.0.1.
pub struct FakeSeaTunnel {
    pub url: String,
    engine: Arc<Mutex<Engine>>,
}

impl FakeSeaTunnel {
    pub async fn start() -> FakeSeaTunnel {
        let engine = Arc::new(Mutex::new(Engine::default()));
        let app = Router::new().fallback(answer).with_state(engine.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port for the fake");
        let url = format!("http://{}", listener.local_addr().expect("its address"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeSeaTunnel { url, engine }
    }

    pub fn submits(&self, how: Submits) {
        self.engine.lock().unwrap().submits = how;
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.engine.lock().unwrap().requests.clone()
    }

    /// The requests `method path` so far.
    pub fn calls(&self, method: &str, path: &str) -> Vec<Seen> {
        self.requests().into_iter().filter(|r| r.method == method && r.path == path).collect()
    }

    fn with_job(&self, id: &str, change: impl FnOnce(&mut FakeJob)) {
        let id: u64 = id.parse().unwrap_or_else(|_| panic!("{id} is not a job id"));
        let mut engine = self.engine.lock().unwrap();
        change(engine.jobs.get_mut(&id).unwrap_or_else(|| panic!("the fake has no job {id}")));
    }

    pub fn set_state(&self, id: &str, status: &str) {
        self.with_job(id, |j| {
            j.status = status.to_owned();
            j.pending = None;
        });
    }

    pub fn set_metrics(&self, id: &str, source: i64, sink: i64) {
        self.with_job(id, |j| {
            j.source_count = Some(source);
            j.sink_count = Some(sink);
        });
    }

    pub fn fail(&self, id: &str, error: &str) {
        self.with_job(id, |j| {
            j.status = "FAILED".into();
            j.pending = None;
            j.error = Some(error.to_owned());
        });
    }
}

async fn answer(State(engine): State<Arc<Mutex<Engine>>>, request: axum::extract::Request) -> Response {
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(query_pairs).unwrap_or_default();
    let body = match axum::body::to_bytes(request.into_body(), 16 << 20).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => return reply(fail(format!("cannot read the body: {e}"))),
    };
    let seen = Seen { method, path, query, body };
    let (answer, submits) = {
        let mut engine = engine.lock().unwrap();
        engine.requests.push(seen.clone());
        let submission = seen.method == "POST" && seen.path == "/submit-job";
        let submits = if submission { engine.submits } else { Submits::Answered };
        let answer = if submits == Submits::Lost { None } else { Some(engine.handle(&seen)) };
        (answer, submits)
    };
    match (answer, submits) {
        (Some(answer), Submits::Answered) => reply(answer),
        _ => std::future::pending().await,
    }
}

fn reply((status, body): (StatusCode, Value)) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// The REST API's failure answer.
fn fail(message: impl Into<String>) -> (StatusCode, Value) {
    (StatusCode::BAD_REQUEST, json!({ "status": "fail", "message": message.into() }))
}

impl Engine {
    fn handle(&mut self, r: &Seen) -> (StatusCode, Value) {
        match (r.method.as_str(), r.path.as_str()) {
            ("GET", "/overview") => {
                let running = self.jobs.values().filter(|j| j.status == "RUNNING").count();
                (
                    StatusCode::OK,
                    json!({
                        "projectVersion": "2.3.11",
                        "gitCommitAbbrev": "DeadD0d0",
                        "totalSlot": "0",
                        "unassignedSlot": "0",
                        "works": "1",
                        "runningJobs": running.to_string(),
                        "finishedJobs": "0",
                        "failedJobs": "0",
                        "cancelledJobs": "0"
                    }),
                )
            }
            ("POST", "/submit-job") => self.submit(r),
            ("POST", "/stop-job") => self.stop(r),
            ("GET", path) if path.starts_with("/job-info/") => self.info(&path["/job-info/".len()..]),
            _ => (
                StatusCode::NOT_FOUND,
                json!({ "status": "fail", "message": format!("no API {} {}", r.method, r.path) }),
            ),
        }
    }

    /// `POST /submit-job?jobId=&jobName=&isStartWithSavePoint=&format=`.
    fn submit(&mut self, r: &Seen) -> (StatusCode, Value) {
        match r.param("format").unwrap_or("json") {
            "hocon" => {
                if let Err(e) = hocon::parse(&r.body) {
                    return fail(format!("ConfigException: {e}"));
                }
            }
            "json" => {
                if serde_json::from_str::<Value>(&r.body).is_err() {
                    return fail("the body is not JSON");
                }
            }
            other => return fail(format!("unknown format {other}")),
        }
        let name = r.param("jobName").unwrap_or("SeaTunnel_Job").to_owned();
        let restore = r.param("isStartWithSavePoint") == Some("true");
        let id = match r.param("jobId") {
            Some(id) => match id.parse::<u64>() {
                Ok(id) => id,
                Err(_) => return fail(format!("jobId {id} is not a number")),
            },
            None => {
                self.submitted += 1;
                FIRST_ID + self.submitted - 1
            }
        };
        if restore {
            match self.jobs.get(&id) {
                Some(j) if j.status == "SAVEPOINT_DONE" => {}
                _ => return fail(format!("job {id} has no savepoint to restore from")),
            }
        } else if self.jobs.contains_key(&id) {
            return fail(format!("job {id} already exists"));
        }
        let job = FakeJob {
            name: name.clone(),
            status: "RUNNING".into(),
            pending: None,
            source_count: None,
            sink_count: None,
            error: None,
        };
        self.jobs.insert(id, job);
        (StatusCode::OK, json!({ "jobId": id, "jobName": name }))
    }

    /// `POST /stop-job` with `{"jobId": …, "isStopWithSavePoint": …}`.
    fn stop(&mut self, r: &Seen) -> (StatusCode, Value) {
        let Ok(body) = serde_json::from_str::<Value>(&r.body) else { return fail("the body is not JSON") };
        let id = match &body["jobId"] {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        };
        let Some(id) = id else { return fail("jobId is missing") };
        let savepoint = body["isStopWithSavePoint"].as_bool().unwrap_or(false);
        match self.jobs.get_mut(&id) {
            Some(j) if j.status == "RUNNING" => {
                let (during, end) =
                    if savepoint { ("DOING_SAVEPOINT", "SAVEPOINT_DONE") } else { ("CANCELING", "CANCELED") };
                j.status = during.into();
                j.pending = Some(end);
                (StatusCode::OK, json!({ "jobId": id }))
            }
            Some(j) => fail(format!("job {id} is {}", j.status)),
            None => fail(format!("job {id} does not exist")),
        }
    }

    /// `GET /job-info/:jobId`.
    fn info(&mut self, id: &str) -> (StatusCode, Value) {
        let unknown = (StatusCode::OK, json!({ "jobId": "" }));
        let Ok(id) = id.parse::<u64>() else { return unknown };
        let Some(job) = self.jobs.get_mut(&id) else { return unknown };
        let status = job.status.clone();
        if let Some(end) = job.pending.take() {
            job.status = end.into();
        }
        let counter = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
        let mut info = json!({
            "jobId": id,
            "jobName": job.name.clone(),
            "jobStatus": status,
            "createTime": "2026-01-01 10:00:00",
            "jobDag": { "jobId": id.to_string(), "envOptions": [], "vertexInfoMap": [], "pipelineEdges": {} },
            "metrics": {
                "IntermediateQueueSize": "",
                "SourceReceivedCount": counter(job.source_count),
                "SourceReceivedQPS": "",
                "SinkWriteCount": counter(job.sink_count),
                "SinkWriteQPS": "",
                "TableSourceReceivedCount": {},
                "TableSinkWriteCount": {}
            }
        });
        if matches!(status.as_str(), "FINISHED" | "FAILED" | "CANCELED" | "SAVEPOINT_DONE") {
            info["finishedTime"] = json!("2026-01-01 10:05:00");
            info["errorMsg"] = json!(job.error.clone());
        } else {
            info["envOptions"] = json!({});
            info["pluginJarsUrls"] = json!([]);
            info["isStartWithSavePoint"] = json!(false);
        }
        (StatusCode::OK, info)
    }
}

/// Every value of every row, one line per row.
async fn transcript(client: &Client, sql: &str) -> String {
    rows(client, sql).await.iter().map(|r| r.join("|")).collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn a_seatunnel_target_submits_watches_suspends_resumes_and_stops_over_rest_api_v2() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await) {
        return;
    }
    let maria = MariaDb::create().await;
    let fake = FakeSeaTunnel::start().await;
    let server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    sinks(&client).await;
    let db = &maria.name;
    client
        .batch_execute(&format!(
            "CREATE TARGET st TYPE seatunnel WITH (rest_url = '{}', poll_interval = '100ms', submit_timeout = '10s');
             CREATE PIPELINE orders_st WITH (engine = 'seatunnel', target = 'st') AS
               INSERT INTO out.console SELECT id, amount FROM maria.{db}.orders;
             CREATE PIPELINE orders_batch WITH (engine = 'seatunnel', mode = 'batch', target = 'st') AS
               INSERT INTO out.console SELECT id, amount FROM maria.{db}.orders;
             CREATE PIPELINE flink_sql WITH (engine = 'flink', mode = 'batch', target = 'st') AS
               INSERT INTO out.console SELECT id, amount FROM maria.{db}.orders;",
            fake.url
        ))
        .await
        .unwrap();
    // a Flink SQL pipeline is not quietly compiled into a SeaTunnel job
    let (state, message, _) = crate::common::failures::failure(&client, "START PIPELINE flink_sql").await;
    assert_eq!(state, "0A000", "{message}");
    assert!(message.contains("runs SeaTunnel jobs"), "{message}");

    let checks = rows(&client, "TEST TARGET st").await;
    assert_eq!((checks[0][0].as_str(), checks[0][1].as_str()), ("rest api", "t"), "{checks:?}");
    assert!(checks[0][3].contains("2.3.11"), "{checks:?}");

    // START: one submission, the compiled HOCON config with the secret filled in
    client.batch_execute("START PIPELINE orders_st").await.unwrap();
    let submits = fake.calls("POST", "/submit-job");
    assert_eq!(submits.len(), 1, "{:?}", fake.requests());
    let submit = &submits[0];
    assert_eq!(submit.param("jobName"), Some("orders_st"), "{submit:?}");
    assert_eq!(submit.param("format"), Some("hocon"), "{submit:?}");
    assert_eq!(submit.param("isStartWithSavePoint"), None, "{submit:?}");
    // the job id is Sluice's, given with the submission (recorded before it is sent)
    let chosen = submit.param("jobId").expect("a job id").to_owned();
    let config = hocon::parse(&submit.body).unwrap_or_else(|e| panic!("{e}\n{}", submit.body));
    let env = config.get("env").expect("an env block");
    assert_eq!(env.get("job.mode").and_then(|v| v.text()), Some("STREAMING"), "{}", submit.body);
    let source = config.get("source").and_then(|s| s.get("MySQL-CDC")).expect("the MySQL-CDC source");
    assert_eq!(
        source.get("password").and_then(|v| v.text()),
        Some(SOURCE_PASSWORD),
        "the engine gets the secret's value, exactly (it has no secret store)"
    );
    assert!(config.get("sink").and_then(|s| s.get("Console")).is_some(), "{}", submit.body);
    assert!(!submit.body.contains("${SLUICE_SECRET"), "no placeholder is left: {}", submit.body);

    let d = wait_deployment_within(&client, "orders_st", WAIT, |d| d[6] == "running").await;
    let job = d[5].clone();
    assert_eq!(job, chosen, "{d:?}");
    assert!(job.parse::<u64>().unwrap() > 1 << 53, "the job id stays exact above 2^53: {d:?}");
    assert_eq!((d[3].as_str(), d[4].as_str()), ("st", "seatunnel"), "{d:?}");

    // the watcher polls job-info and takes the counters
    fake.set_metrics(&job, 20, 20);
    let d = wait_deployment_within(&client, "orders_st", WAIT, |d| d[10] == "20" && d[11] == "20").await;
    assert_eq!(d[6], "running", "{d:?}");
    assert!(!fake.calls("GET", &format!("/job-info/{job}")).is_empty());

    // the secret is nowhere else
    let shown = [
        transcript(&client, "SHOW DEPLOYMENTS").await,
        transcript(&client, "EXPLAIN PIPELINE orders_st FORMAT seatunnel").await,
        server.log_text(),
    ];
    assert!(shown[1].contains("${SLUICE_SECRET_MARIA_PW}"), "EXPLAIN shows the placeholder: {}", shown[1]);
    for text in &shown {
        assert!(!text.contains(SOURCE_PASSWORD) && !text.contains("src-pw"), "the secret leaked: {text}");
    }

    // SUSPEND: stop with a savepoint; the job id is the savepoint
    client.batch_execute("SUSPEND PIPELINE orders_st").await.unwrap();
    let stops = fake.calls("POST", "/stop-job");
    assert_eq!(stops.len(), 1, "{:?}", fake.requests());
    let body: Value = serde_json::from_str(&stops[0].body).unwrap();
    assert!(body["jobId"].is_u64(), "jobId is sent as a JSON integer: {}", stops[0].body);
    assert_eq!(body["jobId"].to_string(), job, "{}", stops[0].body);
    assert_eq!(body["isStopWithSavePoint"], json!(true), "{}", stops[0].body);
    let d = wait_deployment_within(&client, "orders_st", WAIT, |d| d[6] != "suspending").await;
    assert_eq!((d[6].as_str(), d[9].as_str()), ("suspended", job.as_str()), "{d:?}");

    // RESUME: the same job id, restored from its savepoint
    client.batch_execute("RESUME PIPELINE orders_st").await.unwrap();
    let submits = fake.calls("POST", "/submit-job");
    assert_eq!(submits.len(), 2, "{:?}", fake.requests());
    assert_eq!(submits[1].param("jobId"), Some(job.as_str()), "{:?}", submits[1]);
    assert_eq!(submits[1].param("isStartWithSavePoint"), Some("true"), "{:?}", submits[1]);
    let d = wait_deployment_within(&client, "orders_st", WAIT, |d| d[6] == "running").await;
    assert_eq!(d[5], job, "{d:?}");

    // STOP: no savepoint
    client.batch_execute("STOP PIPELINE orders_st").await.unwrap();
    let stops = fake.calls("POST", "/stop-job");
    assert_eq!(stops.len(), 2, "{:?}", fake.requests());
    let body: Value = serde_json::from_str(&stops[1].body).unwrap();
    assert_eq!(body["isStopWithSavePoint"], json!(false), "{}", stops[1].body);
    assert_eq!(body["jobId"].to_string(), job, "{}", stops[1].body);
    let d = wait_deployment_within(&client, "orders_st", WAIT, |d| d[6] != "stopping").await;
    assert_eq!(d[6], "stopped", "{d:?}");

    // a bounded job that the engine reports FINISHED
    client.batch_execute("START PIPELINE orders_batch").await.unwrap();
    let submits = fake.calls("POST", "/submit-job");
    assert_eq!(submits.len(), 3);
    let config = hocon::parse(&submits[2].body).unwrap_or_else(|e| panic!("{e}\n{}", submits[2].body));
    assert!(config.get("source").and_then(|s| s.get("Jdbc")).is_some(), "{}", submits[2].body);
    let d = wait_deployment_within(&client, "orders_batch", WAIT, |d| d[6] == "running").await;
    let second = d[5].clone();
    assert_ne!(second, job);
    fake.set_metrics(&second, 20, 20);
    fake.set_state(&second, "FINISHED");
    let d = wait_deployment_within(&client, "orders_batch", WAIT, |d| d[6] != "running").await;
    assert_eq!((d[6].as_str(), d[10].as_str(), d[11].as_str()), ("finished", "20", "20"), "{d:?}");

    // … and one that FAILED, with the engine's reason shown — and the secret value it
    // quotes masked
    client.batch_execute("START PIPELINE orders_batch").await.unwrap();
    let d =
        wait_deployment_within(&client, "orders_batch", WAIT, |d| d[6] == "running" && d[5] != second).await;
    let third = d[5].clone();
    fake.fail(
        &third,
        &format!(
            "org.apache.seatunnel.engine.common.exception.SeaTunnelEngineException: job failed\n\tat x.y(Z.java:1)\n\
             Caused by: java.sql.SQLException: Access denied for user 'reader'@'localhost' (password={SOURCE_PASSWORD})"
        ),
    );
    let d = wait_deployment_within(&client, "orders_batch", WAIT, |d| d[6] != "running").await;
    assert_eq!(d[6], "failed", "{d:?}");
    assert!(d[8].contains("Access denied for user 'reader'"), "the engine's reason is shown: {d:?}");
    assert!(
        d[8].contains("(password=***)") && !d[8].contains(SOURCE_PASSWORD),
        "the secret is masked: {d:?}"
    );

    maria.drop().await;
}

/// A gateway that stops while SeaTunnel is taking a submission: the job id was recorded
/// before the request, so the restarted gateway's watcher finds the job the engine created
/// (no second submission) — or, when the request never reached the engine, fails the
/// deployment after the target's submit_timeout so the pipeline can be started again.
#[tokio::test]
async fn a_gateway_stopped_mid_submission_finds_the_job_by_its_recorded_id() {
    if !require("MariaDB on 127.0.0.1", mariadb_up().await) {
        return;
    }
    let maria = MariaDb::create().await;
    let fake = FakeSeaTunnel::start().await;
    let mut server = TestServer::start();
    let client = server.client().await;
    maria_source(&client, &maria, "maria").await;
    sinks(&client).await;
    let db = &maria.name;
    client
        .batch_execute(&format!(
            "CREATE TARGET st TYPE seatunnel WITH (rest_url = '{}', poll_interval = '100ms', submit_timeout = '3s');
             CREATE PIPELINE taken WITH (engine = 'seatunnel', target = 'st') AS
               INSERT INTO out.console SELECT id, amount FROM maria.{db}.orders;
             CREATE PIPELINE lost WITH (engine = 'seatunnel', target = 'st') AS
               INSERT INTO out.console SELECT id, amount FROM maria.{db}.orders;",
            fake.url
        ))
        .await
        .unwrap();
    drop(client);

    for (pipeline, how) in [("taken", Submits::Unanswered), ("lost", Submits::Lost)] {
        fake.submits(how);
        let before = fake.calls("POST", "/submit-job").len();
        let start = server.client().await;
        let statement = format!("START PIPELINE {pipeline}");
        tokio::spawn(async move { start.batch_execute(&statement).await });
        let deadline = std::time::Instant::now() + WAIT;
        while fake.calls("POST", "/submit-job").len() == before {
            assert!(std::time::Instant::now() < deadline, "no submission reached the fake");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server.kill_and_restart();
        fake.submits(Submits::Answered);
        let client = server.client().await;
        let submitted = fake.calls("POST", "/submit-job").pop().unwrap();
        let id = submitted.param("jobId").expect("the job id goes with the submission").to_owned();
        let d = wait_deployment_within(&client, pipeline, WAIT, |d| d[6] != "submitting").await;
        assert_eq!(d[5], id, "the id recorded before the submission: {d:?}");
        match how {
            Submits::Unanswered => assert_eq!(d[6], "running", "the engine's job, found again: {d:?}"),
            _ => {
                assert_eq!(d[6], "failed", "{d:?}");
                assert!(d[8].contains("interrupted"), "{d:?}");
            }
        }
        assert_eq!(fake.calls("POST", "/submit-job").len(), before + 1, "submitted once");
    }
    maria.drop().await;
}
