//! The local Flink session cluster (`scripts/flink-local.sh start`) as tests use it: its
//! REST API, the turn every test takes (the cluster has two slots), a catalog of datagen,
//! file and blackhole tables, waiting for a deployment's state, and a proxy that loses or
//! holds the answer to a job submission.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio_postgres::Client;

use crate::common::rows::rows;

/// Tests on the cluster take turns: it has two task slots.
pub static FLINK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub fn rest_url() -> String {
    std::env::var("FLINK_REST_URL").unwrap_or_else(|_| "http://127.0.0.1:8081".into())
}

pub fn runner_jar() -> PathBuf {
    std::env::var("SLUICE_RUNNER_JAR").map(PathBuf::from).unwrap_or_else(|_| {
        PathBuf::from(std::env::var("HOME").unwrap_or_default())
            .join(".cache/sluice/flink/sluice-sql-runner.jar")
    })
}

/// GET `path` of Flink's REST API (with curl, as an operator would check it).
pub fn flink(path: &str) -> Option<Value> {
    let out = std::process::Command::new("curl")
        .args(["-sf", "--max-time", "5", &format!("{}{path}", rest_url())])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    serde_json::from_slice(&out.stdout).ok()
}

pub fn flink_ready() -> bool {
    flink("/overview").is_some() && runner_jar().exists()
}

/// The jobs called `name` that Flink reports RUNNING.
pub fn running_jobs(name: &str) -> Vec<Value> {
    let overview = flink("/jobs/overview").expect("Flink's job overview");
    overview["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .filter(|j| j["name"] == name && j["state"] == "RUNNING")
        .cloned()
        .collect()
}

/// Target `dev` (the local cluster) and a catalog of datagen, file (under `out`) and
/// blackhole tables.
pub async fn setup(client: &Client, out: &Path) {
    client
        .batch_execute(&format!(
            "CREATE TARGET dev TYPE flink WITH (rest_url = '{}', runner_jar = '{}');
             CREATE SOURCE gen TYPE datagen;
             CREATE TABLE gen.seq (id BIGINT, name STRING)
               WITH (number_of_rows = 1000, 'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '1000');
             CREATE TABLE gen.ticks (k INT, v BIGINT) WITH (rows_per_second = 20, 'fields.k.min' = '1', 'fields.k.max' = '3');
             CREATE SOURCE files TYPE filesystem WITH (path = '{}');
             CREATE TABLE files.out_csv (id BIGINT, name STRING) WITH (path = 'out_csv', format = 'csv');
             CREATE TABLE files.out_json (id BIGINT, name STRING) WITH (path = 'out_json', format = 'json');
             CREATE SOURCE hole TYPE blackhole;
             CREATE TABLE hole.ids (id BIGINT);
             CREATE TABLE hole.ticks (k INT, v BIGINT);",
            rest_url(),
            runner_jar().display(),
            out.display()
        ))
        .await
        .unwrap();
}

/// The finished files of directory `dir` (Flink hides in-progress files with a dot), each
/// one's text.
pub fn finished_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect()
}

/// Waits until Flink runs every task of job `job`.
pub async fn wait_all_running(job: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(d) = flink(&format!("/jobs/{job}"))
            && d["state"] == "RUNNING"
            && d["vertices"].as_array().is_some_and(|v| v.iter().all(|v| v["status"] == "RUNNING"))
        {
            return;
        }
        assert!(Instant::now() < deadline, "job {job} never ran all its tasks");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The pipeline's latest deployment row (SHOW DEPLOYMENTS) once `done` holds for it, within
/// three minutes (a Flink job's time).
pub async fn wait_deployment(
    client: &Client,
    pipeline: &str,
    done: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    wait_deployment_within(client, pipeline, Duration::from_secs(180), done).await
}

/// The pipeline's latest deployment row (SHOW DEPLOYMENTS: id, pipeline, version, target,
/// engine, engine_job_id, state, since, last_error, savepoint, rows_in, rows_out) once
/// `done` holds for it, within `within`.
pub async fn wait_deployment_within(
    client: &Client,
    pipeline: &str,
    within: Duration,
    done: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    let deadline = Instant::now() + within;
    loop {
        let shown = rows(client, &format!("SHOW DEPLOYMENTS FOR PIPELINE {pipeline}")).await;
        if let Some(d) = shown.first()
            && done(d)
        {
            return d.clone();
        }
        assert!(Instant::now() < deadline, "deployment of {pipeline} never got there: {shown:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// What [`SubmitProxy`] does with the answer to a job submission.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Closes the connection instead, as when a network or a load balancer drops it.
    Drop,
    /// Keeps it (and the connection) until the gateway goes away.
    Hold,
}

/// A proxy to Flink's REST API that passes everything through but the answer to a job
/// submission (`POST /jars/…/run`): the request reaches Flink, Flink answers, and the
/// answer is dropped or held.
pub struct SubmitProxy {
    pub port: u16,
    /// Submission answers that reached the proxy and went no further.
    pub stopped: Arc<AtomicUsize>,
}

impl SubmitProxy {
    pub async fn start(answer: Answer) -> SubmitProxy {
        let upstream = rest_url().trim_start_matches("http://").to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let stopped = Arc::new(AtomicUsize::new(0));
        let counted = stopped.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(relay(client, upstream.clone(), counted.clone(), answer));
            }
        });
        SubmitProxy { port, stopped }
    }

    /// Waits until a submission's answer has been stopped (within three minutes).
    pub async fn wait_stopped(&self) {
        let deadline = Instant::now() + Duration::from_secs(180);
        while self.stopped.load(Ordering::SeqCst) == 0 {
            assert!(Instant::now() < deadline, "no job submission came through the proxy");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn relay(client: tokio::net::TcpStream, upstream: String, counted: Arc<AtomicUsize>, answer: Answer) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(server) = tokio::net::TcpStream::connect(upstream).await else { return };
    let (mut client_in, mut client_out) = client.into_split();
    let (mut server_in, mut server_out) = server.into_split();
    let swallow = Arc::new(AtomicBool::new(false));
    let seen = swallow.clone();
    let requests = async move {
        let mut buf = vec![0u8; 1 << 16];
        while let Ok(n) = client_in.read(&mut buf).await {
            let chunk = &buf[..n];
            if n == 0 || server_out.write_all(chunk).await.is_err() {
                break;
            }
            let text = String::from_utf8_lossy(chunk);
            if text.starts_with("POST /jars/") && text.lines().next().is_some_and(|l| l.contains("/run")) {
                seen.store(true, Ordering::SeqCst);
            }
        }
    };
    let answers = async move {
        let mut buf = vec![0u8; 1 << 16];
        while let Ok(n) = server_in.read(&mut buf).await {
            if n == 0 {
                break;
            }
            if swallow.load(Ordering::SeqCst) {
                counted.fetch_add(1, Ordering::SeqCst);
                if answer == Answer::Hold {
                    // until the gateway closes its side (or dies)
                    std::future::pending::<()>().await;
                }
                break;
            }
            if client_out.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    tokio::select! {
        _ = requests => {}
        _ = answers => {}
    }
}
