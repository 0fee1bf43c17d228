//! Reading the Flink Kubernetes Operator's status of a FlinkDeployment / FlinkSessionJob
//! (fields from the operator's CRDs, release 1.15, `../shared/reference/`):
//!
//! * `status.lifecycleState`: CREATED, UPGRADING, DEPLOYED, STABLE, ROLLING_BACK,
//!   ROLLED_BACK, SUSPENDED, FAILED, DELETING, DELETED;
//! * `status.jobStatus.state`: Flink's job state (RUNNING, FINISHED, FAILED, …);
//! * `status.jobManagerDeploymentStatus` (FlinkDeployment): READY, DEPLOYING, ERROR, …;
//! * `status.error`: the last error, often a JSON object with a `message`;
//! * `status.jobStatus.savepointInfo.lastSavepoint` / `upgradeSavepointPath`.

use serde_json::Value;

use crate::deploy::{Observed, State};

/// The operator has acted on the spec of `generation` (or reports no generation).
pub fn caught_up(object: &Value, generation: Option<i64>) -> bool {
    match (generation, object["status"]["observedGeneration"].as_i64()) {
        (Some(wanted), Some(seen)) => seen >= wanted,
        _ => true,
    }
}

/// The operator's error text, when its status carries one.
pub fn error(object: &Value) -> Option<String> {
    let raw = object["status"]["error"].as_str().filter(|e| !e.trim().is_empty())?;
    // the operator serialises its exceptions as {"type": …, "message": …, …}
    let parsed: Option<Value> = serde_json::from_str(raw).ok();
    let message = parsed.as_ref().and_then(|v| v["message"].as_str()).unwrap_or(raw);
    Some(message.trim().to_owned())
}

/// Whether the status says the job failed for good (the operator gave up on it).
pub fn failed(object: &Value) -> bool {
    let status = &object["status"];
    status["lifecycleState"] == "FAILED" || status["jobStatus"]["state"] == "FAILED"
}

/// Whether a deployment being started failed: a failed job, or a JobManager the operator
/// reports in error (an image that cannot be pulled, a crash loop). Once the job ran, a
/// JobManager error is the operator still trying, not a failure.
pub fn start_failed(object: &Value) -> bool {
    failed(object) || object["status"]["jobManagerDeploymentStatus"] == "ERROR"
}

/// The job's state in Sluice's terms; `None` while it is being deployed.
pub fn observed(object: &Value) -> Option<Observed> {
    let status = &object["status"];
    let job = status["jobStatus"]["state"].as_str().unwrap_or_default();
    let lifecycle = status["lifecycleState"].as_str().unwrap_or_default();
    let state = if failed(object) {
        State::Failed
    } else {
        match (job, lifecycle) {
            // a suspended job's own state is FINISHED (stopped with a savepoint) or CANCELED
            (_, "SUSPENDED") => State::Suspended,
            ("FINISHED", _) => State::Finished,
            ("RUNNING", _) => State::Running,
            ("CANCELED", _) => State::Stopped,
            _ => return None,
        }
    };
    let error = match state {
        State::Failed => Some(error(object).unwrap_or_else(|| "the operator reports the job failed".into())),
        _ => None,
    };
    let engine_job_id = status["jobStatus"]["jobId"].as_str().filter(|id| !id.is_empty()).map(str::to_owned);
    Some(Observed {
        state,
        error,
        rows_in: None,
        rows_out: None,
        savepoint: savepoint(object),
        engine_job_id,
    })
}

/// The savepoint an upgrade or a suspension wrote (what a suspended job resumes from).
pub fn savepoint(object: &Value) -> Option<String> {
    object["status"]["jobStatus"]["upgradeSavepointPath"]
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Every savepoint the status lists (the last one and the history): (location, trigger type).
pub fn savepoints(object: &Value) -> Vec<(String, String)> {
    let info = &object["status"]["jobStatus"]["savepointInfo"];
    let history = info["savepointHistory"].as_array().into_iter().flatten();
    let mut found: Vec<(String, String)> = Vec::new();
    for s in history.chain(std::iter::once(&info["lastSavepoint"])) {
        if let Some(location) = s["location"].as_str().filter(|l| !l.is_empty())
            && !found.iter().any(|(l, _)| l == location)
        {
            found.push((location.to_owned(), s["triggerType"].as_str().unwrap_or("UNKNOWN").to_owned()));
        }
    }
    found
}

/// The location of the savepoint triggered with `nonce`, once the operator reports it.
pub fn savepoint_of(object: &Value, nonce: i64) -> Option<String> {
    let info = &object["status"]["jobStatus"]["savepointInfo"];
    let history = info["savepointHistory"].as_array().into_iter().flatten();
    std::iter::once(&info["lastSavepoint"])
        .chain(history)
        .find(|s| s["triggerNonce"].as_i64() == Some(nonce))
        .and_then(|s| s["location"].as_str())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn lifecycle_and_job_states_map_to_deployment_states() {
        let with = |status: Value| json!({ "status": status });
        assert_eq!(observed(&with(json!({ "lifecycleState": "DEPLOYED" }))), None);
        let running = with(json!({ "lifecycleState": "STABLE", "jobStatus": { "state": "RUNNING" } }));
        assert_eq!(observed(&running).map(|o| o.state), Some(State::Running));
        let done = with(json!({ "lifecycleState": "STABLE", "jobStatus": { "state": "FINISHED" } }));
        assert_eq!(observed(&done).map(|o| o.state), Some(State::Finished));
        let suspended = with(json!({ "lifecycleState": "SUSPENDED", "jobStatus": { "state": "FINISHED",
            "upgradeSavepointPath": "s3://sp/1" } }));
        let seen = observed(&suspended).unwrap();
        assert_eq!((seen.state, seen.savepoint.as_deref()), (State::Suspended, Some("s3://sp/1")));
        let broken = with(json!({ "lifecycleState": "FAILED",
            "error": "{\"type\":\"org.apache.flink.kubernetes.operator.exception.ReconciliationException\",\"message\":\"Image pull failed\"}" }));
        let seen = observed(&broken).unwrap();
        assert_eq!((seen.state, seen.error.as_deref()), (State::Failed, Some("Image pull failed")));
    }

    #[test]
    fn a_jobmanager_error_fails_a_start_but_not_a_running_job() {
        let crash_loop = json!({ "status": { "lifecycleState": "STABLE", "jobManagerDeploymentStatus": "ERROR",
            "jobStatus": { "state": "RUNNING" } } });
        assert!(start_failed(&crash_loop));
        assert_eq!(
            observed(&crash_loop).map(|o| o.state),
            Some(State::Running),
            "the operator is still trying"
        );
    }

    #[test]
    fn a_status_of_an_older_spec_is_not_caught_up() {
        let stale = json!({ "status": { "observedGeneration": 2 } });
        assert!(!caught_up(&stale, Some(3)));
        assert!(caught_up(&stale, Some(2)));
        assert!(caught_up(&json!({}), Some(3)), "an operator that reports no generation");
    }

    #[test]
    fn a_triggered_savepoint_is_found_by_its_nonce() {
        let object = json!({ "status": { "jobStatus": { "savepointInfo": {
            "lastSavepoint": { "location": "s3://sp/2", "triggerNonce": 2 },
            "savepointHistory": [{ "location": "s3://sp/1", "triggerNonce": 1 }] } } } });
        assert_eq!(savepoint_of(&object, 1).as_deref(), Some("s3://sp/1"));
        assert_eq!(savepoint_of(&object, 2).as_deref(), Some("s3://sp/2"));
        assert_eq!(savepoint_of(&object, 3), None);
        let listed: Vec<String> = savepoints(&object).into_iter().map(|(l, _)| l).collect();
        assert_eq!(listed, ["s3://sp/1", "s3://sp/2"], "history first, then the last one, each once");
    }
}
