//! Schedule options: a typed schema like the pipelines', so unknown keys are refused.

use std::time::Duration;

use crate::connectors::schema::{
    Group::*,
    OptionSpec,
    ValueType::{Bool, Duration as Dur, Enum, Int, String as Text},
    opt,
};
use crate::connectors::validate::Schema;
use crate::connectors::{ResolvedOptions, StoredValue};
use crate::error::{Result, SluiceError};

const ON_FAILURE: &[&str] = &["stop", "continue"];

pub const OPTIONS: &[OptionSpec] = &[
    opt("retries", Int, Basic, "How many times a failed or timed-out task is tried again.").default("0"),
    opt("retry_delay", Dur, Basic, "How long a task waits before it is tried again.").default("5min"),
    opt(
        "retry_backoff",
        Bool,
        Basic,
        "Exponential backoff: the n-th retry waits retry_delay × 2^(n-1), up to max_retry_delay.",
    )
    .default("false"),
    opt("max_retry_delay", Dur, Tuning, "The longest a retry waits with retry_backoff.").default("1h"),
    opt(
        "timeout",
        Dur,
        Basic,
        "How long a run may take; its running tasks are cancelled (timed_out) when exceeded.",
    ),
    opt("task_timeout", Dur, Basic, "How long one attempt of a task may take; its deployment is cancelled when exceeded."),
    opt("max_active_runs", Int, Basic, "Runs of this schedule that may run at once; later ones wait queued.")
        .default("1"),
    opt("max_active_tasks", Int, Basic, "Tasks of one run that may run at once; the others wait queued.")
        .default("16"),
    opt(
        "catchup",
        Bool,
        Basic,
        "After downtime or a pause: true runs every missed interval in order, false only the latest.",
    )
    .default("false"),
    opt(
        "on_failure",
        Enum(ON_FAILURE),
        Basic,
        "When a task fails for good: stop starts nothing more in the run; continue runs the branches that do not depend on it.",
    )
    .default("stop"),
    opt(
        "depends_on_past",
        Bool,
        Basic,
        "A task runs only if the same task succeeded in the schedule's previous run (else it is skipped).",
    )
    .default("false"),
    opt("target", Text, Basic, "Where tasks run (a target's name); default: each pipeline's own target, else local."),
];

pub fn schema() -> Schema<'static> {
    Schema { owner: "schedules", listing: "DESCRIBE SCHEDULE OPTIONS", options: OPTIONS, passthrough: &[] }
}

/// A schedule's options, typed, with defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleSettings {
    pub retries: u32,
    pub retry_delay: Duration,
    pub retry_backoff: bool,
    pub max_retry_delay: Duration,
    pub timeout: Option<Duration>,
    pub task_timeout: Option<Duration>,
    pub max_active_runs: i64,
    pub max_active_tasks: usize,
    pub catchup: bool,
    pub continue_on_failure: bool,
    pub depends_on_past: bool,
    pub target: Option<String>,
}

impl ScheduleSettings {
    pub fn new(options: &ResolvedOptions) -> Result<ScheduleSettings> {
        let text = |key: &str| match options.0.get(key) {
            Some(StoredValue::Text(v)) => Some(v.clone()),
            _ => OPTIONS.iter().find(|o| o.name == key).and_then(|o| o.default).map(str::to_owned),
        };
        let duration =
            |key: &str| text(key).and_then(|t| crate::units::parse_millis(&t)).map(Duration::from_millis);
        let count = |key: &str, min: i64| -> Result<i64> {
            let n = text(key).and_then(|t| t.parse::<i64>().ok()).unwrap_or(min);
            if n < min {
                return Err(SluiceError::InvalidOption {
                    message: format!(
                        "invalid value for option \"{key}\" of schedules: it must be at least {min}"
                    ),
                    hint: None,
                });
            }
            Ok(n)
        };
        Ok(ScheduleSettings {
            retries: u32::try_from(count("retries", 0)?).unwrap_or(u32::MAX),
            retry_delay: duration("retry_delay").unwrap_or(Duration::from_secs(300)),
            retry_backoff: text("retry_backoff").as_deref() == Some("true"),
            max_retry_delay: duration("max_retry_delay").unwrap_or(Duration::from_secs(3600)),
            timeout: duration("timeout").filter(|d| !d.is_zero()),
            task_timeout: duration("task_timeout").filter(|d| !d.is_zero()),
            max_active_runs: count("max_active_runs", 1)?,
            max_active_tasks: usize::try_from(count("max_active_tasks", 1)?).unwrap_or(usize::MAX),
            catchup: text("catchup").as_deref() == Some("true"),
            continue_on_failure: text("on_failure").as_deref() == Some("continue"),
            depends_on_past: text("depends_on_past").as_deref() == Some("true"),
            target: text("target"),
        })
    }

    /// How long retry number `retry` (1 for the first) waits.
    pub fn delay_before(&self, retry: u32) -> Duration {
        if !self.retry_backoff {
            return self.retry_delay;
        }
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        self.retry_delay.saturating_mul(factor).min(self.max_retry_delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::validate::validate_with;
    use crate::sql::ast::options::{OptionValue, SqlOption};

    fn settings(options: &[(&str, &str)]) -> Result<ScheduleSettings> {
        let options: Vec<SqlOption> = options
            .iter()
            .map(|(k, v)| SqlOption { key: (*k).into(), value: OptionValue::String((*v).into()) })
            .collect();
        ScheduleSettings::new(&validate_with(schema(), &ResolvedOptions::default(), &options)?)
    }

    #[test]
    fn durations_and_backoff() {
        let s = settings(&[("retry_delay", "5m"), ("retry_backoff", "true"), ("max_retry_delay", "12min")])
            .expect("valid");
        assert_eq!(s.delay_before(1), Duration::from_secs(300));
        assert_eq!(s.delay_before(2), Duration::from_secs(600));
        assert_eq!(s.delay_before(3), Duration::from_secs(720));
        assert_eq!(settings(&[]).expect("defaults").max_active_runs, 1);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        for bad in
            [[("retrys", "1")], [("on_failure", "ignore")], [("max_active_runs", "0")], [("timeout", "soon")]]
        {
            let err = settings(&bad).expect_err("refused");
            assert!(matches!(err.sqlstate().code(), "22023" | "42704"), "{bad:?}: {err}");
        }
    }
}
