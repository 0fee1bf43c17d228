//! Target and lifecycle statements: where pipelines run, and running them.

use std::fmt;

use super::options::{SqlOption, write_options};
use super::{Ident, write_literal};

/// `CREATE [ OR REPLACE ] TARGET [ IF NOT EXISTS ] name TYPE type [ WITH ( option = value [, …] ) ]`
///
/// `type` is one of `local`, `flink`, `directory`, `kubernetes`, `seatunnel`; options are
/// checked against its schema (`DESCRIBE TARGET TYPE type`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateTarget {
    pub name: Ident,
    pub or_replace: bool,
    pub if_not_exists: bool,
    pub target_type: String,
    pub options: Vec<SqlOption>,
}

impl fmt::Display for CreateTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CREATE ")?;
        if self.or_replace {
            f.write_str("OR REPLACE ")?;
        }
        f.write_str("TARGET ")?;
        if self.if_not_exists {
            f.write_str("IF NOT EXISTS ")?;
        }
        write!(f, "{} TYPE {}", self.name, self.target_type)?;
        if !self.options.is_empty() {
            f.write_str(" WITH ")?;
            write_options(f, &self.options)?;
        }
        Ok(())
    }
}

/// `DROP TARGET [ IF EXISTS ] name [, …]`
///
/// Refused (2BP01) while a deployment on the target is active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropTarget {
    pub if_exists: bool,
    pub names: Vec<Ident>,
}

impl fmt::Display for DropTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DROP TARGET ")?;
        if self.if_exists {
            f.write_str("IF EXISTS ")?;
        }
        write_names(f, &self.names)
    }
}

/// `START PIPELINE name [ ON TARGET target ] [ FROM SAVEPOINT 'path' ]`
///
/// Returns when the target's engine has accepted the job (the `local` target: when the
/// job is done), or with the engine's own error. The target defaults to the pipeline's
/// `target` option, then to `local`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartPipeline {
    pub name: Ident,
    pub target: Option<Ident>,
    pub savepoint: Option<String>,
}

impl fmt::Display for StartPipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "START PIPELINE {}", self.name)?;
        if let Some(target) = &self.target {
            write!(f, " ON TARGET {target}")?;
        }
        if let Some(savepoint) = &self.savepoint {
            f.write_str(" FROM SAVEPOINT ")?;
            write_literal(f, savepoint)?;
        }
        Ok(())
    }
}

/// How a running pipeline is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopKind {
    /// `STOP PIPELINE name`: cancel the job.
    Cancel,
    /// `STOP PIPELINE name WITH SAVEPOINT`: stop after a savepoint, recorded.
    Savepoint,
    /// `SUSPEND PIPELINE name`: stop after a savepoint that `RESUME` starts from.
    Suspend,
}

/// `STOP PIPELINE name [ WITH SAVEPOINT ]`, `SUSPEND PIPELINE name`
///
/// Acts on the pipeline's active deployment; returns when the job has stopped (with the
/// savepoint's path recorded in `SHOW DEPLOYMENTS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopPipeline {
    pub name: Ident,
    pub kind: StopKind,
}

impl fmt::Display for StopPipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            StopKind::Cancel => write!(f, "STOP PIPELINE {}", self.name),
            StopKind::Savepoint => write!(f, "STOP PIPELINE {} WITH SAVEPOINT", self.name),
            StopKind::Suspend => write!(f, "SUSPEND PIPELINE {}", self.name),
        }
    }
}

/// `RESUME PIPELINE name`
///
/// Starts the pipeline's suspended (or stopped-with-savepoint) deployment again from its
/// savepoint, on the same target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumePipeline {
    pub name: Ident,
}

impl fmt::Display for ResumePipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RESUME PIPELINE {}", self.name)
    }
}

/// Read-only target statements: `SHOW TARGETS`, `SHOW TARGET TYPES`,
/// `DESCRIBE TARGET TYPE type`, `TEST TARGET name`,
/// `SHOW DEPLOYMENTS [ FOR PIPELINE name ]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetInfo {
    ShowTargets,
    ShowTargetTypes,
    DescribeTargetType(String),
    TestTarget(Ident),
    ShowDeployments(Option<Ident>),
}

impl fmt::Display for TargetInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetInfo::ShowTargets => f.write_str("SHOW TARGETS"),
            TargetInfo::ShowTargetTypes => f.write_str("SHOW TARGET TYPES"),
            TargetInfo::DescribeTargetType(t) => write!(f, "DESCRIBE TARGET TYPE {t}"),
            TargetInfo::TestTarget(n) => write!(f, "TEST TARGET {n}"),
            TargetInfo::ShowDeployments(None) => f.write_str("SHOW DEPLOYMENTS"),
            TargetInfo::ShowDeployments(Some(p)) => write!(f, "SHOW DEPLOYMENTS FOR PIPELINE {p}"),
        }
    }
}

fn write_names(f: &mut fmt::Formatter<'_>, names: &[Ident]) -> fmt::Result {
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{n}")?;
    }
    Ok(())
}
