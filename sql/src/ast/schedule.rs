//! Schedule statements: cron-fired DAGs of batch pipelines, and their runs.

use std::fmt;

use super::options::{SqlOption, write_key, write_options};
use super::{Ident, write_literal};

/// `RUN PIPELINE name [ AFTER upstream [, …] ]`: one task of a schedule's DAG.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub pipeline: Ident,
    pub after: Vec<Ident>,
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RUN PIPELINE {}", self.pipeline)?;
        write_list(f, " AFTER ", &self.after)
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, lead: &str, names: &[Ident]) -> fmt::Result {
    for (i, n) in names.iter().enumerate() {
        f.write_str(if i == 0 { lead } else { ", " })?;
        write!(f, "{n}")?;
    }
    Ok(())
}

/// The DAG as stored and shown: `BEGIN RUN PIPELINE a; RUN PIPELINE b AFTER a; END`.
pub fn tasks_sql(tasks: &[Task]) -> String {
    let mut out = String::from("BEGIN");
    for task in tasks {
        out.push(' ');
        out.push_str(&task.to_string());
        out.push(';');
    }
    out.push_str(" END");
    out
}

/// ```text
/// CREATE [ OR REPLACE ] SCHEDULE [ IF NOT EXISTS ] name
///   CRON 'expression' [ TIMEZONE 'zone' ]
///   [ WITH ( option = value [, …] ) ]
/// AS BEGIN
///   RUN PIPELINE name [ AFTER upstream [, …] ];
///   …
/// END
/// ```
///
/// A cron expression of 5 fields (minute hour day-of-month month day-of-week) or 6 (with
/// seconds first), evaluated in an IANA time zone (default UTC). Each fire time makes a
/// run with one task per pipeline; a task starts once every task it runs AFTER has
/// succeeded. The body may also be dollar-quoted (`AS $$ BEGIN … END $$`), which psql
/// sends as one statement. Options: `DESCRIBE SCHEDULE OPTIONS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateSchedule {
    pub name: Ident,
    pub or_replace: bool,
    pub if_not_exists: bool,
    pub cron: String,
    pub timezone: Option<String>,
    pub options: Vec<SqlOption>,
    pub tasks: Vec<Task>,
}

impl fmt::Display for CreateSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CREATE ")?;
        if self.or_replace {
            f.write_str("OR REPLACE ")?;
        }
        f.write_str("SCHEDULE ")?;
        if self.if_not_exists {
            f.write_str("IF NOT EXISTS ")?;
        }
        write!(f, "{} CRON ", self.name)?;
        write_literal(f, &self.cron)?;
        if let Some(zone) = &self.timezone {
            f.write_str(" TIMEZONE ")?;
            write_literal(f, zone)?;
        }
        if !self.options.is_empty() {
            f.write_str(" WITH ")?;
            write_options(f, &self.options)?;
        }
        write!(f, " AS {}", tasks_sql(&self.tasks))
    }
}

/// What ALTER SCHEDULE changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlterScheduleOperation {
    /// `SET ( option = value [, …] )`
    Set(Vec<SqlOption>),
    /// `RESET ( option [, …] )`
    Reset(Vec<String>),
    /// `CRON 'expression' [ TIMEZONE 'zone' ]`
    Cron { cron: String, timezone: Option<String> },
    /// `TIMEZONE 'zone'`
    Timezone(String),
}

/// ```text
/// ALTER SCHEDULE name { SET ( option = value [, …] ) | RESET ( option [, …] )
///                     | CRON 'expression' [ TIMEZONE 'zone' ] | TIMEZONE 'zone' }
/// ```
///
/// A new cron or zone moves the next fire time; runs already made keep theirs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterSchedule {
    pub name: Ident,
    pub operation: AlterScheduleOperation,
}

impl fmt::Display for AlterSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ALTER SCHEDULE {} ", self.name)?;
        match &self.operation {
            AlterScheduleOperation::Set(options) => {
                f.write_str("SET ")?;
                write_options(f, options)
            }
            AlterScheduleOperation::Reset(keys) => {
                f.write_str("RESET (")?;
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_key(f, k)?;
                }
                f.write_str(")")
            }
            AlterScheduleOperation::Cron { cron, timezone } => {
                f.write_str("CRON ")?;
                write_literal(f, cron)?;
                if let Some(zone) = timezone {
                    f.write_str(" TIMEZONE ")?;
                    write_literal(f, zone)?;
                }
                Ok(())
            }
            AlterScheduleOperation::Timezone(zone) => {
                f.write_str("TIMEZONE ")?;
                write_literal(f, zone)
            }
        }
    }
}

/// `DROP SCHEDULE [ IF EXISTS ] name [, …]`
///
/// Queued runs of the schedule are cancelled; running tasks finish; run history stays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropSchedule {
    pub if_exists: bool,
    pub names: Vec<Ident>,
}

impl fmt::Display for DropSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DROP SCHEDULE ")?;
        if self.if_exists {
            f.write_str("IF EXISTS ")?;
        }
        write_list(f, "", &self.names)
    }
}

/// `PAUSE SCHEDULE name` / `RESUME SCHEDULE name`
///
/// A paused schedule fires nothing; RESUME fires again from the next cron time (missed
/// times while paused follow `catchup`, as after downtime).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetScheduleState {
    pub name: Ident,
    pub pause: bool,
}

impl fmt::Display for SetScheduleState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.pause { "PAUSE" } else { "RESUME" };
        write!(f, "{verb} SCHEDULE {}", self.name)
    }
}

/// ```text
/// RUN SCHEDULE name [ FOR RANGE 'from' TO 'to' ]
/// ```
///
/// Without a range: one manual run now, for the latest complete interval. With a range
/// (times in the schedule's zone): a backfill, one run per cron interval that lies
/// within `[from, to)`, queued in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSchedule {
    pub name: Ident,
    pub range: Option<(String, String)>,
}

impl fmt::Display for RunSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RUN SCHEDULE {}", self.name)?;
        if let Some((from, to)) = &self.range {
            f.write_str(" FOR RANGE ")?;
            write_literal(f, from)?;
            f.write_str(" TO ")?;
            write_literal(f, to)?;
        }
        Ok(())
    }
}

/// Which runs SHOW RUNS lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunsFilter {
    All,
    Schedule(Ident),
    Pipeline(Ident),
}

/// Read-only schedule statements: `SHOW SCHEDULES`, `DESCRIBE SCHEDULE name` (the DAG:
/// a row per task with its upstream, and the next fire times), `DESCRIBE SCHEDULE
/// OPTIONS`, `SHOW RUNS [ FOR SCHEDULE s | FOR PIPELINE p ]` (a row per task of each run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleInfo {
    ShowSchedules,
    DescribeSchedule(Ident),
    DescribeScheduleOptions,
    ShowRuns(RunsFilter),
}

impl fmt::Display for ScheduleInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScheduleInfo::ShowSchedules => f.write_str("SHOW SCHEDULES"),
            ScheduleInfo::DescribeSchedule(n) => write!(f, "DESCRIBE SCHEDULE {n}"),
            ScheduleInfo::DescribeScheduleOptions => f.write_str("DESCRIBE SCHEDULE OPTIONS"),
            ScheduleInfo::ShowRuns(RunsFilter::All) => f.write_str("SHOW RUNS"),
            ScheduleInfo::ShowRuns(RunsFilter::Schedule(n)) => write!(f, "SHOW RUNS FOR SCHEDULE {n}"),
            ScheduleInfo::ShowRuns(RunsFilter::Pipeline(n)) => write!(f, "SHOW RUNS FOR PIPELINE {n}"),
        }
    }
}
