//! The `directory` target: START writes every artifact of the pipeline to
//! `path/<pipeline>/<version>/` — the same files EXPLAIN shows — and runs nothing. A dry
//! run for GitOps: commit the directory, let CI or Argo apply it.

use std::path::PathBuf;

use async_trait::async_trait;
use sluice_catalog::DeploymentRecord;

use super::{Deployer, Job, Observed, State, StopMode, Submitted, Target};
use crate::compile::{Artifact, compile, kubernetes};
use crate::connectors::live::Check;
use crate::error::{Result, SluiceError};
use crate::sql::ast::pipeline::ExplainFormat;

/// The formats written, when the pipeline compiles to them.
const FORMATS: &[ExplainFormat] = &[
    ExplainFormat::FlinkSql,
    ExplainFormat::SeaTunnel,
    ExplainFormat::FlinkCdc,
    ExplainFormat::Kubernetes,
    ExplainFormat::Json,
];

pub struct DirectoryDeployer {
    target: String,
    path: PathBuf,
}

/// The deployer of a directory target (its `TargetType::deployer`).
pub fn make<'a>(target: &Target, _rt: &'a crate::runtime::Runtime) -> Result<Box<dyn Deployer + 'a>> {
    Ok(Box::new(DirectoryDeployer::new(target)))
}

impl DirectoryDeployer {
    pub fn new(target: &Target) -> DirectoryDeployer {
        DirectoryDeployer {
            target: target.name.clone(),
            path: PathBuf::from(target.text("path").unwrap_or_default()),
        }
    }

    fn io_error(&self, e: std::io::Error) -> SluiceError {
        SluiceError::SourceUnavailable {
            name: self.target.clone(),
            message: format!("{}: {e}", self.path.display()),
        }
    }
}

/// Every artifact `plan` compiles to; a format the pipeline cannot take (Flink CDC for a
/// fan-out) is left out and named in the notes.
pub fn artifacts(plan: &crate::plan::PipelinePlan) -> (Vec<Artifact>, Vec<String>) {
    let k8s = kubernetes::Settings::default();
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for format in FORMATS {
        match compile(plan, *format, &k8s) {
            Ok(mut a) => files.append(&mut a),
            Err(e) => skipped.push(format!("no {} artifact: {}", format.name(), e.message())),
        }
    }
    (files, skipped)
}

#[async_trait]
impl Deployer for DirectoryDeployer {
    async fn submit(&self, job: Job<'_>) -> Result<Submitted> {
        let (files, mut notes) = artifacts(job.plan);
        let dir = self.path.join(&job.plan.name).join(job.version.to_string());
        tokio::fs::create_dir_all(&dir).await.map_err(|e| self.io_error(e))?;
        for file in &files {
            tokio::fs::write(dir.join(&file.name), &file.content).await.map_err(|e| self.io_error(e))?;
        }
        notes.insert(0, format!("wrote {} files to {}", files.len(), dir.display()));
        Ok(Submitted { state: Some(State::Rendered), notes, ..Default::default() })
    }

    async fn stop(&self, d: &DeploymentRecord, _: StopMode) -> Result<Option<String>> {
        Err(SluiceError::ObjectNotInState(format!("deployment {} was only rendered; nothing runs", d.id)))
    }

    async fn observe(&self, _: &DeploymentRecord) -> Result<Option<Observed>> {
        Ok(None)
    }

    async fn test(&self) -> Vec<Check> {
        let started = std::time::Instant::now();
        let probe = self.path.join(".sluice-write-test");
        let result = async {
            tokio::fs::create_dir_all(&self.path).await?;
            tokio::fs::write(&probe, b"ok").await?;
            tokio::fs::remove_file(&probe).await
        }
        .await
        .map(|_| format!("{} is writable", self.path.display()))
        .map_err(|e| format!("{}: {e}", self.path.display()));
        vec![Check::timed("directory", started, result)]
    }
}
