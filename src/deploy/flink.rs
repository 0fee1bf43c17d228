//! The `flink` target: a session cluster driven over Flink's REST API.
//!
//! A pipeline's Flink SQL script (secrets filled in) is run by a *runner* jar uploaded to
//! the cluster once: `POST /jars/{id}/run` with the runner's entry class and
//! `--script <SQL>`. The runner is Sluice's own (`runner/`, for clusters without
//! flink-sql-gateway.jar, such as the one `scripts/flink-local.sh` starts) or Flink's
//! SqlDriver. A run request may start one job, which is why the script holds one INSERT
//! or one `EXECUTE STATEMENT SET`. REST paths and fields are Flink's
//! (<https://nightlies.apache.org/flink/flink-docs-stable/docs/ops/rest_api/>).

use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::{Value, json};
use sluice_catalog::DeploymentRecord;

use super::{Deployer, Job, Observed, State, StopMode, Submitted, Target};
use crate::compile::{Secrets, flink_sql};
use crate::connectors::live::Check;
use crate::error::{Result, SluiceError};

/// Sluice's runner (runner/src/io/sluice/runner/SqlRunner.java).
const SLUICE_RUNNER: &str = "io.sluice.runner.SqlRunner";
const SLUICE_RUNNER_JAR: &str = "sluice-sql-runner.jar";
/// Flink's own SQL driver (needs flink-sql-gateway.jar on the cluster).
const SQL_DRIVER: &str = "org.apache.flink.table.runtime.application.SqlDriver";

/// A client of one cluster's REST API.
pub struct FlinkDeployer {
    target: String,
    rest: String,
    runner: String,
    runner_jar: Option<String>,
    savepoint_dir: Option<String>,
    timeout: Duration,
    client: super::rest::Rest,
    /// Where a submission records the job id it chose before sending it.
    deployments: Option<std::sync::Arc<super::Deployments>>,
}

/// The deployer of a flink target (its `TargetType::deployer`).
pub fn make<'a>(target: &Target, rt: &'a crate::runtime::Runtime) -> Result<Box<dyn Deployer + 'a>> {
    let mut deployer = FlinkDeployer::new(target, rt.deployments.http())?;
    deployer.deployments = Some(rt.deployments.clone());
    Ok(Box::new(deployer))
}

/// CREATE TARGET's check of a flink or seatunnel target: its REST URL is http or https,
/// a CA file is for https, and a password goes with a user name.
pub fn check_options(name: &str, options: &crate::connectors::ResolvedOptions) -> Result<()> {
    use crate::connectors::StoredValue;
    let url = match options.0.get("rest_url") {
        Some(StoredValue::Text(url)) => url.as_str(),
        _ => "",
    };
    let invalid =
        |message: String, hint: &str| SluiceError::InvalidOption { message, hint: Some(hint.into()) };
    if !(url.starts_with("http://") || url.starts_with("https://")) || reqwest::Url::parse(url).is_err() {
        return Err(invalid(
            format!("rest_url of target \"{name}\" must be an http:// or https:// URL, got '{url}'"),
            "Give the REST endpoint, e.g. http://127.0.0.1:8081 or https://flink.example:8443.",
        ));
    }
    if options.0.contains_key("ca_file") && !url.starts_with("https://") {
        return Err(invalid(
            format!("ca_file of target \"{name}\" is for https, and rest_url is '{url}'"),
            "Use an https:// rest_url, or leave ca_file out.",
        ));
    }
    if options.0.contains_key("password") && !options.0.contains_key("username") {
        return Err(invalid(
            format!("password of target \"{name}\" needs a username"),
            "Give username = '…' with the password, or a token.",
        ));
    }
    Ok(())
}

impl FlinkDeployer {
    pub fn new(target: &Target, http: reqwest::Client) -> Result<FlinkDeployer> {
        let rest = target.text("rest_url").unwrap_or_default().trim_end_matches('/').to_owned();
        Ok(FlinkDeployer {
            target: target.name.clone(),
            rest,
            runner: target.text("runner").unwrap_or_else(|| "sluice".into()),
            runner_jar: target.text("runner_jar"),
            savepoint_dir: target.text("savepoint_dir"),
            timeout: Duration::from_millis(target.millis("submit_timeout").unwrap_or(120_000)),
            client: super::rest::Rest::for_target(target, http)?,
            deployments: None,
        })
    }

    fn unavailable(&self, message: impl std::fmt::Display) -> SluiceError {
        SluiceError::SourceUnavailable {
            name: self.target.clone(),
            message: format!("Flink REST API at {}: {message}", self.rest),
        }
    }

    fn rejected(&self, message: String) -> SluiceError {
        SluiceError::EngineRejected { target: self.target.clone(), message }
    }

    /// GET `path`, as JSON.
    pub async fn get(&self, path: &str) -> Result<Value> {
        let response = self
            .client
            .get(format!("{}{path}", self.rest))
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| self.unavailable(crate::tls::chain(&e)))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            return Err(self.unavailable(format!("GET {path} answered {status}: {}", errors(&body))));
        }
        Ok(body)
    }

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
        Ok((status, response.json().await.unwrap_or(Value::Null)))
    }

    /// The id of the runner jar on the cluster, uploading it when it is not there.
    async fn runner_jar_id(&self) -> Result<String> {
        let listing = self.get("/jars").await?;
        let wanted = |name: &str| match self.runner.as_str() {
            "sql_driver" => name.starts_with("flink-sql-gateway") || name == SLUICE_RUNNER_JAR,
            _ => name == SLUICE_RUNNER_JAR,
        };
        if let Some(files) = listing["files"].as_array()
            && let Some(file) = files.iter().find(|f| f["name"].as_str().is_some_and(wanted))
            && let Some(id) = file["id"].as_str()
        {
            return Ok(id.to_owned());
        }
        let Some(path) = &self.runner_jar else {
            return Err(SluiceError::InvalidOption {
                message: format!(
                    "target \"{}\": the cluster has no {SLUICE_RUNNER_JAR} to run SQL with",
                    self.target
                ),
                hint: Some(
                    "Set the target's runner_jar to the jar scripts/flink-local.sh builds \
                     (scripts/flink-local.sh env prints its path)."
                        .into(),
                ),
            });
        };
        let bytes = tokio::fs::read(path).await.map_err(|e| SluiceError::InvalidOption {
            message: format!("target \"{}\": cannot read runner_jar {path}: {e}", self.target),
            hint: None,
        })?;
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(SLUICE_RUNNER_JAR)
            .mime_str("application/java-archive")
            .map_err(|e| SluiceError::Internal(e.to_string()))?;
        let form = reqwest::multipart::Form::new().part("jarfile", part);
        let request = self.client.post(format!("{}/jars/upload", self.rest)).multipart(form);
        let (status, body) = self.send(request, "upload of the runner jar").await?;
        let filename = body["filename"].as_str().filter(|_| status.is_success()).ok_or_else(|| {
            self.unavailable(format!("upload of the runner jar answered {status}: {}", errors(&body)))
        })?;
        Ok(filename.rsplit('/').next().unwrap_or(filename).to_owned())
    }

    /// A submission whose answer was lost (`lost`): the job is looked up by the id it was
    /// sent with for a while (the cluster may still be planning it); found, it runs; not
    /// found, the submission failed with `lost`.
    async fn find_submitted(&self, chosen: &str, lost: SluiceError) -> Result<Submitted> {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10).min(self.timeout) {
            if self.get(&format!("/jobs/{chosen}")).await.is_ok() {
                return Ok(Submitted {
                    notes: vec![format!(
                        "the answer to the submission was lost; Flink runs job {chosen} on target {}",
                        self.target
                    )],
                    engine_job_id: Some(chosen.to_owned()),
                    state: Some(State::Running),
                    ..Default::default()
                });
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        Err(lost)
    }

    async fn wait_until(&self, job: &str, done: impl Fn(&str) -> bool) -> Result<String> {
        let started = Instant::now();
        loop {
            let state = self.get(&format!("/jobs/{job}")).await?["state"].as_str().unwrap_or("").to_owned();
            if done(&state) {
                return Ok(state);
            }
            if started.elapsed() > self.timeout {
                return Err(self.unavailable(format!("job {job} is still {state} after {:?}", self.timeout)));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// The first line of the job's most recent exception, if any.
    async fn failure(&self, job: &str) -> Option<String> {
        let body = self.get(&format!("/jobs/{job}/exceptions")).await.ok()?;
        let trace = body["exceptionHistory"]["entries"][0]["stacktrace"]
            .as_str()
            .or_else(|| body["root-exception"].as_str())?;
        Some(root_cause(trace))
    }
}

#[async_trait]
impl Deployer for FlinkDeployer {
    async fn submit(&self, job: Job<'_>) -> Result<Submitted> {
        let mut secrets = Secrets::default();
        let script = flink_sql::compile(job.plan, &mut secrets)?;
        let script = fill_secrets(&script, &secrets, job.secrets)?;
        let jar = self.runner_jar_id().await?;
        let entry = if self.runner == "sql_driver" { SQL_DRIVER } else { SLUICE_RUNNER };
        // the job's id is Sluice's (the run request's jobId names the job the program
        // submits), recorded before the request: an answer lost on the way back, or a
        // gateway stopped mid-submission, leaves an id to find the job by — not a job
        // that a second START would submit again
        let chosen = new_job_id();
        if let Some(deployments) = &self.deployments {
            deployments.record_job_id(job.deployment, &chosen).await?;
        }
        let mut body =
            json!({ "entryClass": entry, "programArgsList": ["--script", script], "jobId": chosen });
        if let Some(savepoint) = job.savepoint {
            body["savepointPath"] = json!(savepoint);
            body["allowNonRestoredState"] = json!(false);
        }
        let request = self.client.post(format!("{}/jars/{jar}/run", self.rest)).json(&body);
        let (status, answer) = match self.send(request, "job submission").await {
            Ok(answered) => answered,
            Err(lost) => return self.find_submitted(&chosen, lost).await,
        };
        if !status.is_success() {
            let reason = main_error(&answer);
            return Err(self.rejected(match missing_jar(&reason) {
                Some(jar) => format!(
                    "{reason} — the cluster lacks {jar}: put it in the cluster's lib/, or deliver it with the \
                     pipeline's jars option or a kubernetes target's connector_jars"
                ),
                None => reason,
            }));
        }
        let id = answer["jobid"].as_str().map(str::to_owned).or(Some(chosen));
        Ok(Submitted {
            notes: vec![format!(
                "Flink accepted job {} on target {}",
                id.as_deref().unwrap_or("?"),
                self.target
            )],
            engine_job_id: id,
            state: Some(State::Running),
            ..Default::default()
        })
    }

    async fn stop(&self, d: &DeploymentRecord, mode: StopMode) -> Result<Option<String>> {
        let savepoint = mode.savepoint();
        let Some(job) = d.engine_job_id.as_deref() else {
            return Err(self.unavailable(format!("deployment {} has no Flink job id", d.id)));
        };
        if !savepoint {
            let request = self.client.patch(format!("{}/jobs/{job}?mode=cancel", self.rest));
            let (status, body) = self.send(request, "cancel").await?;
            if !status.is_success() {
                return Err(self.rejected(main_error(&body)));
            }
            self.wait_until(job, |s| matches!(s, "CANCELED" | "FAILED" | "FINISHED")).await?;
            return Ok(None);
        }
        let mut body = json!({ "drain": false, "formatType": "CANONICAL" });
        if let Some(dir) = &self.savepoint_dir {
            body["targetDirectory"] = json!(dir);
        }
        let request = self.client.post(format!("{}/jobs/{job}/stop", self.rest)).json(&body);
        let (status, answer) = self.send(request, "stop with savepoint").await?;
        let Some(trigger) = answer["request-id"].as_str().filter(|_| status.is_success()) else {
            return Err(self.rejected(main_error(&answer)));
        };
        let started = Instant::now();
        loop {
            let progress = self.get(&format!("/jobs/{job}/savepoints/{trigger}")).await?;
            if progress["status"]["id"].as_str() == Some("COMPLETED") {
                let operation = &progress["operation"];
                if let Some(location) = operation["location"].as_str() {
                    self.wait_until(job, |s| matches!(s, "FINISHED" | "CANCELED" | "FAILED")).await?;
                    return Ok(Some(location.to_owned()));
                }
                let cause = operation["failure-cause"]["stack-trace"].as_str().map(root_cause);
                return Err(self.rejected(cause.unwrap_or_else(|| "the savepoint failed".into())));
            }
            if started.elapsed() > self.timeout {
                return Err(
                    self.unavailable(format!("savepoint of job {job} not done after {:?}", self.timeout))
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn observe(&self, d: &DeploymentRecord) -> Result<Option<Observed>> {
        let Some(job) = d.engine_job_id.as_deref() else { return Ok(None) };
        let detail = self.get(&format!("/jobs/{job}")).await?;
        let state = match detail["state"].as_str().unwrap_or("") {
            "FINISHED" => State::Finished,
            "FAILED" => State::Failed,
            "CANCELED" => State::Stopped,
            _ => State::Running,
        };
        let error = match state {
            State::Failed => Some(self.failure(job).await.unwrap_or_else(|| "the Flink job failed".into())),
            State::Stopped => Some("the job was cancelled on the cluster".into()),
            _ => None,
        };
        let (rows_in, rows_out) = record_counts(&detail);
        Ok(Some(Observed { state, error, rows_in, rows_out, savepoint: None, engine_job_id: None }))
    }

    async fn test(&self) -> Vec<Check> {
        let started = Instant::now();
        let overview = self.get("/overview").await.map(|o| {
            format!(
                "Flink {}: {} task manager(s), {} of {} slots free, {} job(s) running",
                o["flink-version"].as_str().unwrap_or("?"),
                o["taskmanagers"],
                o["slots-available"],
                o["slots-total"],
                o["jobs-running"]
            )
        });
        let mut checks = vec![Check::timed("rest api", started, overview.map_err(|e| e.to_string()))];
        if checks[0].ok {
            let started = Instant::now();
            let jar = self.runner_jar_id().await.map(|id| format!("runner jar {id}"));
            checks.push(Check::timed("runner", started, jar.map_err(|e| e.to_string())));
        }
        checks
    }
}

/// The script with every `${SLUICE_SECRET_…}` replaced by its value as a SQL literal's
/// content (quotes doubled).
pub(crate) fn fill_secrets(
    script: &str,
    secrets: &Secrets,
    values: &std::collections::HashMap<String, Vec<u8>>,
) -> Result<String> {
    let mut out = script.to_owned();
    for (name, var) in &secrets.vars {
        let value = values
            .get(name)
            .ok_or_else(|| SluiceError::UndefinedObject { kind: "secret", name: name.clone() })?;
        let text = String::from_utf8_lossy(value).replace('\'', "''");
        out = out.replace(&format!("${{{var}}}"), &text);
    }
    Ok(out)
}

/// Flink's REST `errors` array as one line.
fn errors(body: &Value) -> String {
    body["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(Value::as_str).map(root_cause).collect::<Vec<_>>().join("; "))
        .unwrap_or_else(|| body.to_string())
}

/// The user-facing reason in a submission's error: what the program's main method
/// threw (Flink wraps it in "The main method caused an error: …"), else the deepest cause.
/// A new Flink job id: 32 hex digits.
fn new_job_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// The jar a cluster lacks, by Flink's reason for refusing a job: a connector whose
/// factory it cannot find, a JDBC dialect or driver (names as Apache's Maven artifacts).
fn missing_jar(reason: &str) -> Option<String> {
    let quoted = |after: &str| {
        let rest = &reason[reason.find(after)? + after.len()..];
        let rest = rest.strip_prefix('\'')?;
        Some(rest[..rest.find('\'')?].to_owned())
    };
    if let Some(url) = quoted("that can handle url ") {
        let dialect = url.strip_prefix("jdbc:")?.split(':').next()?.to_owned();
        let driver = match dialect.as_str() {
            "mysql" => " and the MySQL JDBC driver (com.mysql:mysql-connector-j)",
            _ => "",
        };
        return Some(format!("the JDBC dialect for {dialect} (flink-connector-jdbc-{dialect}){driver}"));
    }
    if let Some(url) = quoted("No suitable driver found for ").or_else(|| {
        let at = reason.find("No suitable driver found for ")? + "No suitable driver found for ".len();
        Some(reason[at..].split_whitespace().next()?.to_owned())
    }) {
        return Some(format!("a JDBC driver for {url}"));
    }
    let connector = quoted("Could not find any factory for identifier ")?;
    let jar = match connector.as_str() {
        "kafka" | "upsert-kafka" => "the Kafka connector (flink-sql-connector-kafka)".to_owned(),
        "jdbc" => "the JDBC connector (flink-connector-jdbc-core, a dialect and its driver)".to_owned(),
        "mysql-cdc" => "the MySQL CDC connector (flink-sql-connector-mysql-cdc)".to_owned(),
        "postgres-cdc" => "the PostgreSQL CDC connector (flink-sql-connector-postgres-cdc)".to_owned(),
        "paimon" => "Paimon's Flink jar (paimon-flink)".to_owned(),
        "doris" => "the Doris connector (flink-doris-connector)".to_owned(),
        "starrocks" => "the StarRocks connector (flink-connector-starrocks)".to_owned(),
        other => format!("the jar of Flink connector '{other}'"),
    };
    Some(jar)
}

fn main_error(body: &Value) -> String {
    let text =
        body["errors"].as_array().map(|e| e.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("\n"));
    let Some(text) = text else { return body.to_string() };
    const MARK: &str = "The main method caused an error: ";
    let root = root_cause(&text);
    let Some(at) = text.find(MARK) else { return root };
    let rest = &text[at + MARK.len()..];
    let thrown = rest.lines().next().unwrap_or(rest).trim();
    // the deepest cause often says what to fix ("Could not find any factory for 'kafka'")
    match root.rsplit_once(" (") {
        Some((message, _)) if !thrown.contains(message) => format!("{thrown}: {root}"),
        _ => thrown.to_owned(),
    }
}

/// The message of the last `Caused by:` of a Java stack trace (or its first line).
fn root_cause(trace: &str) -> String {
    let line = trace
        .lines()
        .rfind(|l| l.starts_with("Caused by: "))
        .map(|l| l.trim_start_matches("Caused by: "))
        .unwrap_or_else(|| trace.lines().next().unwrap_or(trace));
    // "org.apache.flink.X: message" → "message (X)"
    match line.split_once(": ") {
        Some((class, message)) if !class.contains(' ') => {
            format!("{message} ({})", class.rsplit('.').next().unwrap_or(class))
        }
        _ => line.to_owned(),
    }
}

/// Records read by the job's sources and written by its sinks, from vertex metrics
/// (`write-records` of vertices nothing feeds, `read-records` of vertices that feed
/// nothing); `None` when a vertex chains source and sink, so no records cross a network.
fn record_counts(detail: &Value) -> (Option<i64>, Option<i64>) {
    let Some(vertices) = detail["vertices"].as_array() else { return (None, None) };
    let nodes = detail["plan"]["nodes"].as_array().cloned().unwrap_or_default();
    let inputs_of = |id: &str| {
        nodes
            .iter()
            .find(|n| n["id"].as_str() == Some(id))
            .and_then(|n| n["inputs"].as_array())
            .map_or(0, Vec::len)
    };
    let feeds = |id: &str| {
        nodes.iter().any(|n| {
            n["inputs"].as_array().is_some_and(|ins| ins.iter().any(|i| i["id"].as_str() == Some(id)))
        })
    };
    let (mut rows_in, mut rows_out) = (0i64, 0i64);
    for v in vertices {
        let id = v["id"].as_str().unwrap_or("");
        if inputs_of(id) == 0 {
            rows_in += v["metrics"]["write-records"].as_i64().unwrap_or(0);
        }
        if !feeds(id) {
            rows_out += v["metrics"]["read-records"].as_i64().unwrap_or(0);
        }
    }
    let known = |n: i64| (n > 0).then_some(n);
    (known(rows_in), known(rows_out))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{main_error, missing_jar, root_cause};

    #[test]
    fn a_missing_connector_or_dialect_is_named_by_its_jar() {
        // Flink 2.3's messages
        let kafka = "Could not find any factory for identifier 'kafka' that implements \
                     'org.apache.flink.table.factories.DynamicTableFactory' in the classpath.";
        assert_eq!(missing_jar(kafka).as_deref(), Some("the Kafka connector (flink-sql-connector-kafka)"));
        let mysql = "Could not find any jdbc factory that can handle url 'jdbc:mysql://127.0.0.1:3306/shop' \
                     that implements 'org.apache.flink.connector.jdbc.core.database.JdbcFactory' in the classpath.";
        assert_eq!(
            missing_jar(mysql).as_deref(),
            Some(
                "the JDBC dialect for mysql (flink-connector-jdbc-mysql) and the MySQL JDBC driver \
                 (com.mysql:mysql-connector-j)"
            )
        );
        assert_eq!(missing_jar("Table options do not contain an option key 'topic'"), None);
    }

    #[test]
    fn submission_errors_are_reduced_to_what_the_program_threw() {
        // Shape of Flink 2.3's answer to a run request whose main method threw.
        let body = json!({"errors": ["org.apache.flink.runtime.rest.handler.RestHandlerException: Could not execute application.\n\tat x\nCaused by: org.apache.flink.client.program.ProgramInvocationException: The main method caused an error: SQL validation failed. Object 'missing' not found\n\t... 4 more\nCaused by: org.apache.calcite.sql.validate.SqlValidatorException: Object 'missing' not found"]});
        assert_eq!(main_error(&body), "SQL validation failed. Object 'missing' not found");
        let body = json!({"errors": ["x\nCaused by: org.apache.flink.client.program.ProgramInvocationException: The main method caused an error: Unable to create a sink for writing table 'k'.\nCaused by: org.apache.flink.table.api.ValidationException: Could not find any factory for identifier 'kafka'"]});
        assert_eq!(
            main_error(&body),
            "Unable to create a sink for writing table 'k'.: Could not find any factory for identifier 'kafka' (ValidationException)"
        );
        assert_eq!(
            root_cause("java.lang.RuntimeException: outer\nCaused by: java.io.IOException: disk full"),
            "disk full (IOException)"
        );
    }
}
