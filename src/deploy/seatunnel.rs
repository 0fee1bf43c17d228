//! The `seatunnel` target: a SeaTunnel Zeta engine driven over its REST API v2.
//!
//! Endpoints and fields are the ones documented in `docs/en/seatunnel-engine/rest-api-v2.md`
//! of apache/seatunnel (<https://seatunnel.apache.org/docs/seatunnel-engine/rest-api-v2>;
//! the `format` parameter of `/submit-job` is there since apache/seatunnel#8000, 2.3.9):
//!
//! - `POST /submit-job?jobName=…&format=hocon` with the job config (HOCON, as
//!   [`crate::compile::seatunnel::compile`] renders it) as the body; answers
//!   `{"jobId": 733584788375666689, "jobName": "…"}`. Restoring from a savepoint is the
//!   same call with `jobId=<the stopped job's id>&isStartWithSavePoint=true`: SeaTunnel
//!   restores by job id (`seatunnel.sh -r <jobId>`, `docs/en/seatunnel-engine/savepoint.md`),
//!   so the job id is what STOP … WITH SAVEPOINT / SUSPEND record as the savepoint.
//! - `GET /job-info/{jobId}`: `jobStatus` (the engine's `JobStatus`: INITIALIZING, CREATED,
//!   PENDING, SCHEDULED, RUNNING, FAILING, DOING_SAVEPOINT, CANCELING — not ended;
//!   FINISHED, FAILED, CANCELED, SAVEPOINT_DONE, UNKNOWABLE — ended), `errorMsg`, and
//!   `metrics.SourceReceivedCount` / `metrics.SinkWriteCount` (strings in the docs; v1 and
//!   `/running-jobs` spell them `sourceReceivedCount` / `sinkWriteCount`; both are read).
//!   An id the engine cannot find answers `{"jobId": ""}`.
//! - `POST /stop-job` with `{"jobId": <number>, "isStopWithSavePoint": bool}`.
//! - `GET /overview` for TEST TARGET.
//!
//! Job ids are Java longs above 2^53: they are kept as text and sent as exact JSON
//! integers, never through `f64`. Errors come as `{"status": "fail", "message": …}`.
//!
//! Secrets: SeaTunnel has no secret store, and the released REST API takes no variables
//! for `${…}` placeholders, so the values are written into the config sent to the engine
//! (escaped as HOCON string content). They go nowhere else: not in logs, notices or
//! errors (START masks an engine error that echoes one: `Deployments::redact_error`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::{Value, json};
use sluice_catalog::DeploymentRecord;

use super::{Deployer, Deployments, Job, Observed, State, StopMode, Submitted, Target};
use crate::compile::{Secrets, hocon, seatunnel};
use crate::connectors::live::Check;
use crate::error::{Result, SluiceError};

/// How often STOP asks for the job's state while it ends.
const POLL: Duration = Duration::from_millis(250);

/// A client of one SeaTunnel engine's REST API v2.
pub struct SeaTunnelDeployer {
    target: String,
    rest: String,
    timeout: Duration,
    client: super::rest::Rest,
    deployments: Arc<Deployments>,
}

/// The deployer of a seatunnel target (its `TargetType::deployer`).
pub fn make<'a>(target: &Target, rt: &'a crate::runtime::Runtime) -> Result<Box<dyn Deployer + 'a>> {
    Ok(Box::new(SeaTunnelDeployer::new(target, rt.deployments.clone())?))
}

impl SeaTunnelDeployer {
    pub fn new(target: &Target, deployments: Arc<Deployments>) -> Result<SeaTunnelDeployer> {
        let http = deployments.http();
        let rest = target.text("rest_url").unwrap_or_default().trim().trim_end_matches('/').to_owned();
        if reqwest::Url::parse(&rest).is_err() {
            return Err(SluiceError::InvalidOption {
                message: format!("target \"{}\": rest_url \"{rest}\" is not a URL", target.name),
                hint: Some("Give the engine's REST endpoint, e.g. http://127.0.0.1:8080.".into()),
            });
        }
        Ok(SeaTunnelDeployer {
            target: target.name.clone(),
            rest,
            timeout: Duration::from_millis(target.millis("submit_timeout").unwrap_or(120_000)),
            client: super::rest::Rest::for_target(target, http)?,
            deployments,
        })
    }

    fn unavailable(&self, message: impl std::fmt::Display) -> SluiceError {
        SluiceError::SourceUnavailable {
            name: self.target.clone(),
            message: format!("SeaTunnel REST API at {}: {message}", self.rest),
        }
    }

    fn rejected(&self, message: String) -> SluiceError {
        SluiceError::EngineRejected { target: self.target.clone(), message }
    }

    /// The URL of `path` with `query` form-encoded.
    fn url(&self, path: &str, query: &[(&str, &str)]) -> Result<reqwest::Url> {
        let mut url = reqwest::Url::parse(&format!("{}{path}", self.rest))
            .map_err(|e| self.unavailable(format!("{path}: {}", crate::tls::chain(&e))))?;
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        Ok(url)
    }

    /// Sends `request`; the answer's status and body (JSON, else the text as a string).
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<(reqwest::StatusCode, Value)> {
        let response = request
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| self.unavailable(format!("{what}: {}", crate::tls::chain(&e))))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let body = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok((status, body))
    }

    /// GET `path`, as JSON.
    async fn get(&self, path: &str, what: &str) -> Result<Value> {
        let url = self.url(path, &[])?;
        let (status, body) = self.send(self.client.get(url), what).await?;
        if !status.is_success() || refused(&body) {
            return Err(
                self.unavailable(format!("{what}: GET {path} answered {status}: {}", engine_error(&body)))
            );
        }
        Ok(body)
    }

    /// `GET /job-info/{job}`.
    async fn job_info(&self, job: &str) -> Result<Value> {
        if job.is_empty() || !job.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(self.unavailable(format!("\"{job}\" is not a SeaTunnel job id")));
        }
        self.get(&format!("/job-info/{job}"), &format!("state of job {job}")).await
    }

    /// Polls job `job` until its status is one that `done` accepts; that status and the
    /// job's info.
    async fn wait_until(
        &self,
        job: &str,
        pipeline: &str,
        done: impl Fn(&str) -> bool,
    ) -> Result<(String, Value)> {
        let started = Instant::now();
        loop {
            let info = self.job_info(job).await?;
            let status = info["jobStatus"].as_str().unwrap_or("").to_owned();
            if done(&status) {
                return Ok((status, info));
            }
            if started.elapsed() > self.timeout {
                let shown = if status.is_empty() { "unknown to the engine" } else { status.as_str() };
                return Err(self.unavailable(format!(
                    "job {job} of pipeline \"{pipeline}\" is still {shown} after {:?}",
                    self.timeout
                )));
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

#[async_trait]
impl Deployer for SeaTunnelDeployer {
    async fn submit(&self, job: Job<'_>) -> Result<Submitted> {
        let mut secrets = Secrets::default();
        let config = seatunnel::compile(job.plan, &mut secrets)?;
        let config = fill_secrets(&config, &secrets, job.secrets)?;
        let name = job_name(job.plan);
        // a new job's id is Sluice's (submit-job's jobId names the job it creates), recorded
        // before the request: a gateway that stops mid-submission leaves an id the watcher
        // looks up, rather than a job no one can find again
        let chosen = new_job_id();
        let id = job.savepoint.unwrap_or(&chosen);
        let mut query: Vec<(&str, &str)> =
            vec![("jobName", name.as_str()), ("format", "hocon"), ("jobId", id)];
        match job.savepoint {
            Some(_) => query.push(("isStartWithSavePoint", "true")),
            None => self.deployments.record_job_id(job.deployment, &chosen).await?,
        }
        let url = self.url("/submit-job", &query)?;
        let request = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(config);
        let what = match job.savepoint {
            Some(id) => format!("restore of job {id} (pipeline \"{name}\")"),
            None => format!("submission of pipeline \"{name}\""),
        };
        let (status, answer) = self.send(request, &what).await?;
        if !status.is_success() || refused(&answer) {
            let reason = engine_error(&answer);
            return Err(self.rejected(format!("SeaTunnel refused the {what}: {reason}")));
        }
        let Some(id) = job_id(&answer["jobId"]) else {
            return Err(self.unavailable(format!(
                "the answer to the {what} names no job id ({status}: {})",
                engine_error(&answer)
            )));
        };
        let note = match job.savepoint {
            Some(_) => format!("SeaTunnel restored job {id} from its savepoint on target {}", self.target),
            None => format!("SeaTunnel accepted job {id} on target {}", self.target),
        };
        Ok(Submitted {
            engine_job_id: Some(id),
            state: Some(State::Running),
            notes: vec![note],
            ..Default::default()
        })
    }

    async fn stop(&self, d: &DeploymentRecord, mode: StopMode) -> Result<Option<String>> {
        let savepoint = mode.savepoint();
        let Some(job) = d.engine_job_id.as_deref() else {
            return Err(self.unavailable(format!(
                "deployment {} of pipeline \"{}\" has no SeaTunnel job id",
                d.id, d.pipeline
            )));
        };
        let body = json!({ "jobId": id_value(job), "isStopWithSavePoint": savepoint });
        let url = self.url("/stop-job", &[])?;
        let what = if savepoint { "stop with savepoint" } else { "stop" };
        let (status, answer) =
            self.send(self.client.post(url).json(&body), &format!("{what} of job {job}")).await?;
        if !status.is_success() || refused(&answer) {
            return Err(self.rejected(format!(
                "SeaTunnel refused the {what} of job {job} (pipeline \"{}\"): {}",
                d.pipeline,
                engine_error(&answer)
            )));
        }
        let (end, info) = self
            .wait_until(job, &d.pipeline, |s| {
                matches!(s, "CANCELED" | "SAVEPOINT_DONE" | "FINISHED" | "FAILED" | "UNKNOWABLE")
            })
            .await?;
        match end.as_str() {
            "FAILED" => Err(self.rejected(format!(
                "job {job} (pipeline \"{}\") failed while it stopped: {}",
                d.pipeline,
                failure(&info)
            ))),
            "UNKNOWABLE" => Err(self.unavailable(format!(
                "job {job} (pipeline \"{}\") is no longer known to the engine",
                d.pipeline
            ))),
            "SAVEPOINT_DONE" if savepoint => Ok(Some(job.to_owned())),
            other if savepoint => Err(self.rejected(format!(
                "job {job} (pipeline \"{}\") ended {other} without a savepoint",
                d.pipeline
            ))),
            _ => Ok(None),
        }
    }

    async fn observe(&self, d: &DeploymentRecord) -> Result<Option<Observed>> {
        let Some(job) = d.engine_job_id.as_deref() else { return Ok(None) };
        let info = self.job_info(job).await?;
        // `{"jobId": ""}`: the engine cannot say now; the deployment keeps its state
        let Some(status) = info["jobStatus"].as_str().filter(|s| !s.is_empty()) else { return Ok(None) };
        let (state, error) = match status {
            "FINISHED" => (State::Finished, None),
            "FAILED" => (State::Failed, Some(failure(&info))),
            "CANCELED" => (State::Stopped, Some("the job was cancelled on the SeaTunnel engine".to_owned())),
            // stopped with a savepoint outside Sluice (`seatunnel.sh -s`): a running
            // deployment may only become stopped, not suspended
            "SAVEPOINT_DONE" => (
                State::Stopped,
                Some(format!("the job was stopped with a savepoint on the SeaTunnel engine (job id {job})")),
            ),
            "UNKNOWABLE" => (State::Failed, Some(format!("the SeaTunnel engine no longer knows job {job}"))),
            // INITIALIZING, CREATED, PENDING, SCHEDULED, RUNNING, FAILING (may restart),
            // DOING_SAVEPOINT, CANCELING
            _ => (State::Running, None),
        };
        let metrics = &info["metrics"];
        let rows_in = count(metrics, &["SourceReceivedCount", "sourceReceivedCount"]);
        let rows_out = count(metrics, &["SinkWriteCount", "sinkWriteCount"]);
        Ok(Some(Observed { state, error, rows_in, rows_out, savepoint: None, engine_job_id: None }))
    }

    async fn test(&self) -> Vec<Check> {
        let started = Instant::now();
        let overview = self.get("/overview", "overview").await.map(|o| {
            format!(
                "SeaTunnel {}: {} worker(s), {} job(s) running",
                shown(&o["projectVersion"]),
                shown(&o["works"]),
                shown(&o["runningJobs"])
            )
        });
        vec![Check::timed("rest api", started, overview.map_err(|e| e.to_string()))]
    }
}

/// A fresh job id: a random positive 62-bit number (SeaTunnel's ids are Java longs, and
/// stay exact as text above 2^53).
fn new_job_id() -> String {
    (rand::random::<u64>() >> 2 | 1 << 60).to_string()
}

/// The job's name on the engine: the pipeline's `job_name`, else its name (as the
/// config's `env.job.name`).
fn job_name(plan: &crate::plan::PipelinePlan) -> String {
    plan.settings().job_name(&plan.name).to_owned()
}

/// The config with every `${SLUICE_SECRET_…}` replaced by its secret's value, escaped as
/// the content of a HOCON quoted string (every placeholder stands inside one). One pass,
/// so a value that itself looks like a placeholder stays as it is.
fn fill_secrets(config: &str, secrets: &Secrets, values: &HashMap<String, Vec<u8>>) -> Result<String> {
    let mut by_var: HashMap<&str, String> = HashMap::new();
    for (name, var) in &secrets.vars {
        let value = values
            .get(name)
            .ok_or_else(|| SluiceError::UndefinedObject { kind: "secret", name: name.clone() })?;
        by_var.insert(var.as_str(), escaped(&String::from_utf8_lossy(value)));
    }
    let mut out = String::with_capacity(config.len());
    let mut rest = config;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        if let Some(end) = after.find('}')
            && let Some(value) = by_var.get(&after[..end])
        {
            out.push_str(value);
            rest = &after[end + 1..];
        } else {
            out.push_str("${");
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// `text` escaped as the inside of a HOCON (JSON-style) quoted string.
fn escaped(text: &str) -> String {
    let quoted = hocon::string(text);
    quoted[1..quoted.len() - 1].to_owned()
}

/// A job id from the engine's JSON: a number (kept exact) or a non-empty string.
fn job_id(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

/// A job id as the docs send it: a JSON integer (exact), else as text.
fn id_value(job: &str) -> Value {
    match job.parse::<u64>() {
        Ok(n) => Value::from(n),
        Err(_) => match job.parse::<i64>() {
            Ok(n) => Value::from(n),
            Err(_) => Value::String(job.to_owned()),
        },
    }
}

/// Whether the body is the REST API's failure answer (`{"status": "fail", …}`).
fn refused(body: &Value) -> bool {
    body["status"].as_str().is_some_and(|s| s.eq_ignore_ascii_case("fail"))
}

/// The engine's reason in an answer, on one line.
fn engine_error(body: &Value) -> String {
    for key in ["message", "errorMsg", "error"] {
        if let Some(text) = body[key].as_str().filter(|t| !t.trim().is_empty()) {
            return reason(text);
        }
    }
    let text = match body {
        Value::Null => return "no answer body".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let text = reason(&text);
    if text.chars().count() > 300 {
        format!("{}…", text.chars().take(300).collect::<String>())
    } else {
        text
    }
}

/// Why a job failed: its `errorMsg`, reduced to the root cause.
fn failure(info: &Value) -> String {
    info["errorMsg"]
        .as_str()
        .filter(|t| !t.trim().is_empty())
        .map(reason)
        .unwrap_or_else(|| "the SeaTunnel job failed".into())
}

/// The message of the last `Caused by:` of a Java stack trace (or its first line), as
/// "message (ExceptionClass)".
fn reason(trace: &str) -> String {
    let line = trace
        .lines()
        .rfind(|l| l.trim_start().starts_with("Caused by: "))
        .map(|l| l.trim_start().trim_start_matches("Caused by: "))
        .unwrap_or_else(|| trace.lines().next().unwrap_or(trace))
        .trim();
    match line.split_once(": ") {
        Some((class, message)) if !class.contains(' ') && class.contains('.') => {
            format!("{message} ({})", class.rsplit('.').next().unwrap_or(class))
        }
        _ => line.to_owned(),
    }
}

/// A counter among `metrics` under the first of `keys` present: a JSON number or a
/// string of digits; `None` when absent or empty.
fn count(metrics: &Value, keys: &[&str]) -> Option<i64> {
    keys.iter().find_map(|k| match &metrics[*k] {
        Value::Number(n) => n.as_i64().or_else(|| n.as_u64().map(|u| i64::try_from(u).unwrap_or(i64::MAX))),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .or_else(|| s.parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| f as i64))
        }
        _ => None,
    })
}

/// A value of the overview (strings in the docs) as text.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "?".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::{Value, json};

    use super::{count, fill_secrets, id_value, job_id, reason};
    use crate::compile::Secrets;

    #[test]
    fn job_ids_above_two_to_the_53_stay_exact() {
        let answer: Value = serde_json::from_str(r#"{"jobId": 733584788375666689, "jobName": "x"}"#).unwrap();
        assert_eq!(job_id(&answer["jobId"]).as_deref(), Some("733584788375666689"));
        assert_eq!(
            json!({ "jobId": id_value("733584788375666689") }).to_string(),
            r#"{"jobId":733584788375666689}"#
        );
        assert_eq!(job_id(&json!("")), None);
    }

    #[test]
    fn secrets_are_filled_as_hocon_string_content_and_masked_in_errors() {
        let mut secrets = Secrets::default();
        let placeholder = secrets.placeholder("pw");
        let config = format!("password = \"{placeholder}\"\nother = \"${{NOT_OURS}}\"\n");
        let values = HashMap::from([("pw".to_owned(), b"a\"b\\c ${x}".to_vec())]);
        let filled = fill_secrets(&config, &secrets, &values).unwrap();
        assert_eq!(filled, "password = \"a\\\"b\\\\c ${x}\"\nother = \"${NOT_OURS}\"\n");
        assert!(fill_secrets(&config, &secrets, &HashMap::new()).is_err());
        // an engine error quoting the filled config is masked (at START, with every secret)
        assert_eq!(
            crate::secrets::mask("bad value a\"b\\c ${x} here", values.values().map(Vec::as_slice)),
            "bad value *** here"
        );
    }

    #[test]
    fn metrics_are_numbers_or_strings() {
        let m = json!({"SourceReceivedCount": "20", "sinkWriteCount": 7, "SinkWriteQPS": ""});
        assert_eq!(count(&m, &["SourceReceivedCount", "sourceReceivedCount"]), Some(20));
        assert_eq!(count(&m, &["SinkWriteCount", "sinkWriteCount"]), Some(7));
        assert_eq!(count(&m, &["SinkWriteQPS"]), None);
        assert_eq!(
            reason("org.apache.seatunnel.X: outer\n\tat a\nCaused by: java.sql.SQLException: Access denied"),
            "Access denied (SQLException)"
        );
    }
}
