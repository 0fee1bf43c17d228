//! The `kubernetes` target: pipelines as Flink Kubernetes Operator resources
//! (`flink.apache.org/v1beta1`), through the Kubernetes API (kube).
//!
//! * START server-side applies (field manager `sluice`) the FlinkDeployment (application
//!   mode: Flink's SqlDriver on the script ConfigMap) or FlinkSessionJob (session mode: the
//!   runner jar and script fetched from the gateway's https artifact endpoint), then the
//!   ConfigMap and the Secret with owner references to it — deleting the job's resource
//!   (DROP PIPELINE) deletes them too. It then *watches* the resource until the operator
//!   reports the job RUNNING (or FINISHED), or an error, whose text it returns.
//! * STOP / SUSPEND are merge patches of `spec.job`: `savepointTriggerNonce` for a
//!   savepoint (its location read from `status.jobStatus.savepointInfo`), then
//!   `state: suspended` (upgradeMode `savepoint` for SUSPEND, `stateless` otherwise).
//!   RESUME applies the resource again with `initialSavepointPath` and a new
//!   `savepointRedeployNonce`.
//! * Status moves by watch ([`watch`]), never by polling.

pub mod status;
pub mod watch;

use std::time::Duration;

use async_trait::async_trait;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams,
};
use kube::runtime::wait::await_condition;
use serde_json::{Value, json};
use sluice_catalog::DeploymentRecord;

use super::{Deployer, Job, Observed, State, StopMode, Submitted, Target};
use crate::artifacts::Content;
use crate::compile::flink_sql;
use crate::compile::kubernetes::{
    Delivery, Links, Resources, Settings, jars, resource_name, resources, session_jars,
};
use crate::connectors::live::Check;
use crate::connectors::render::Secrets;
use crate::error::{Result, SluiceError};
use crate::runtime::Runtime;

/// The field manager of every write (server-side apply and patches).
pub const FIELD_MANAGER: &str = "sluice";
const GROUP: &str = "flink.apache.org";
const VERSION: &str = "v1beta1";

/// The operator's resource of `kind` (FlinkDeployment, FlinkSessionJob).
pub fn resource(kind: &str) -> ApiResource {
    let gvk = GroupVersionKind::gvk(GROUP, VERSION, kind);
    ApiResource::from_gvk_with_plural(&gvk, &format!("{}s", kind.to_lowercase()))
}

/// A client from the target's kubeconfig (or the default one, or in-cluster).
pub async fn client(target: &str, settings: &Settings) -> Result<kube::Client> {
    use kube::config::{KubeConfigOptions, Kubeconfig};
    let unavailable = |message: String| SluiceError::SourceUnavailable { name: target.to_owned(), message };
    let options = KubeConfigOptions { context: settings.get("context"), ..Default::default() };
    let config = match settings.get("kubeconfig") {
        Some(path) => {
            let file =
                Kubeconfig::read_from(&path).map_err(|e| unavailable(format!("kubeconfig {path}: {e}")))?;
            kube::Config::from_custom_kubeconfig(file, &options)
                .await
                .map_err(|e| unavailable(format!("kubeconfig {path}: {e}")))?
        }
        None if options.context.is_some() => kube::Config::from_kubeconfig(&options)
            .await
            .map_err(|e| unavailable(format!("kubeconfig: {e}")))?,
        None => kube::Config::infer().await.map_err(|e| unavailable(format!("no Kubernetes config: {e}")))?,
    };
    kube::Client::try_from(config).map_err(|e| unavailable(format!("Kubernetes client: {e}")))
}

pub struct KubernetesDeployer<'a> {
    target: String,
    settings: Settings,
    timeout: Duration,
    rt: &'a Runtime,
}

/// The deployer of a kubernetes target (its `TargetType::deployer`).
pub fn make<'a>(target: &Target, rt: &'a crate::runtime::Runtime) -> Result<Box<dyn Deployer + 'a>> {
    Ok(Box::new(KubernetesDeployer::new(target, rt)?))
}

/// CREATE TARGET's check of a kubernetes target: its connector jars and pod template
/// parse.
pub fn check_options(_name: &str, options: &crate::connectors::ResolvedOptions) -> Result<()> {
    if let Some(crate::connectors::StoredValue::Text(text)) = options.0.get("connector_jars") {
        crate::compile::kubernetes::connector_jars(text)?;
    }
    if let Some(crate::connectors::StoredValue::Text(text)) = options.0.get("pod_template") {
        crate::compile::kubernetes::pod_template(text)?;
    }
    Ok(())
}

impl<'a> KubernetesDeployer<'a> {
    pub fn new(target: &Target, rt: &'a Runtime) -> Result<KubernetesDeployer<'a>> {
        Ok(KubernetesDeployer {
            target: target.name.clone(),
            settings: Settings::from_resolved(target.options.clone()),
            timeout: Duration::from_millis(target.millis("timeout").unwrap_or(300_000)),
            rt,
        })
    }

    fn session(&self) -> bool {
        self.settings.session()
    }

    fn kind(&self) -> &'static str {
        self.settings.kind()
    }

    fn namespace(&self) -> String {
        self.settings.namespace()
    }

    async fn jobs(&self) -> Result<Api<DynamicObject>> {
        let client = client(&self.target, &self.settings).await?;
        Ok(Api::namespaced_with(client, &self.namespace(), &resource(self.kind())))
    }

    /// A Kubernetes API error as the client sees it: the API server's own message.
    fn api_error(&self, what: &str, e: kube::Error) -> SluiceError {
        match e {
            kube::Error::Api(status) => SluiceError::EngineRejected {
                target: self.target.clone(),
                message: format!("{what}: {} ({})", status.message, status.reason),
            },
            other => SluiceError::SourceUnavailable {
                name: self.target.clone(),
                message: format!("Kubernetes API, {what}: {other}"),
            },
        }
    }

    /// The session-mode links: the script (secrets filled in) and the runner jar, each
    /// published on the artifact endpoint for this deployment only.
    fn publish(&self, job: &Job<'_>) -> Result<Links> {
        let mut secrets = Secrets::default();
        let script = flink_sql::compile(job.plan, &mut secrets)?;
        let script = super::flink::fill_secrets(&script, &secrets, job.secrets)?;
        let artifacts = &self.rt.deployments.artifacts;
        let script = artifacts.publish(job.deployment, "pipeline.sql", Content::Bytes(script.into()))?;
        let runner_jar = match (self.settings.get("runner_jar"), self.settings.get("jar_uri")) {
            (Some(path), _) if !path.ends_with(".jar") => {
                return Err(SluiceError::InvalidOption {
                    message: format!("runner_jar of target \"{}\" is not a .jar file: {path}", self.target),
                    hint: None,
                });
            }
            (Some(path), _) => {
                artifacts.publish(job.deployment, "sluice-sql-runner.jar", Content::File(path.into()))?
            }
            (None, Some(uri)) => uri,
            (None, None) => {
                return Err(SluiceError::InvalidOption {
                    message: format!(
                        "target \"{}\" runs session jobs: it needs option \"runner_jar\" (a local path to Sluice's runner jar) or \"jar_uri\"",
                        self.target
                    ),
                    hint: Some(format!(
                        "ALTER TARGET is not there yet: DROP TARGET {} and CREATE it again with runner_jar = '…'.",
                        self.target
                    )),
                });
            }
        };
        let jars = session_jars(&jars(job.plan, &self.settings)?, |path| {
            let file = path.rsplit('/').next().unwrap_or("extra.jar");
            artifacts.publish(job.deployment, file, Content::File(path.into()))
        })?;
        Ok(Links { runner_jar, script, jars })
    }

    /// Applies the ConfigMap and the Secret, owned by the job's resource.
    async fn apply_owned(&self, r: &Resources, owner: &DynamicObject) -> Result<()> {
        let Some(uid) = owner.metadata.uid.clone() else {
            return Err(SluiceError::EngineRejected {
                target: self.target.clone(),
                message: format!("the API server returned {} {} without a uid", self.kind(), r.name),
            });
        };
        let owner_ref = json!([{
            "apiVersion": format!("{GROUP}/{VERSION}"),
            "kind": self.kind(),
            "name": r.name,
            "uid": uid,
            "controller": true,
            "blockOwnerDeletion": true,
        }]);
        let client = client(&self.target, &self.settings).await?;
        let apply = PatchParams::apply(FIELD_MANAGER).force();
        if let Some(mut config_map) = r.config_map.clone() {
            config_map["metadata"]["ownerReferences"] = owner_ref.clone();
            let name = config_map["metadata"]["name"].as_str().unwrap_or_default().to_owned();
            let api: Api<ConfigMap> = Api::namespaced(client.clone(), &r.namespace);
            api.patch(&name, &apply, &Patch::Apply(&config_map))
                .await
                .map_err(|e| self.api_error(&format!("applying ConfigMap {name}"), e))?;
        }
        if let Some(mut secret) = r.secret.clone() {
            secret["metadata"]["ownerReferences"] = owner_ref;
            let name = secret["metadata"]["name"].as_str().unwrap_or_default().to_owned();
            let api: Api<Secret> = Api::namespaced(client, &r.namespace);
            api.patch(&name, &apply, &Patch::Apply(&secret))
                .await
                .map_err(|e| self.api_error(&format!("applying Secret {name}"), e))?;
        }
        Ok(())
    }

    /// Watches resource `name` until the operator has acted on spec `generation` and
    /// `done` holds for it, or `failed` does; at most the target's timeout.
    #[allow(clippy::too_many_arguments)]
    async fn wait_for(
        &self,
        api: &Api<DynamicObject>,
        name: &str,
        what: &str,
        generation: Option<i64>,
        failed: fn(&Value) -> bool,
        done: impl Fn(&Value) -> bool + Send + 'static,
    ) -> Result<Value> {
        let done = std::sync::Arc::new(done);
        let condition = || {
            let done = done.clone();
            move |o: Option<&DynamicObject>| match o {
                None => true,
                Some(o) => {
                    let v = object_value(o);
                    status::caught_up(&v, generation) && (done(&v) || failed(&v))
                }
            }
        };
        let waited = tokio::time::timeout(self.timeout, patiently(api, name, condition)).await;
        let object = match waited {
            Ok(Ok(Some(object))) => object_value(&object),
            Ok(Ok(None)) => {
                return Err(SluiceError::EngineRejected {
                    target: self.target.clone(),
                    message: format!("{} {name} was deleted while waiting for {what}", self.kind()),
                });
            }
            Ok(Err(e)) => {
                return Err(SluiceError::SourceUnavailable {
                    name: self.target.clone(),
                    message: format!("watching {} {name}: {e}", self.kind()),
                });
            }
            Err(_) => {
                let last = api.get_opt(name).await.ok().flatten().map(|o| object_value(&o));
                let said = last.as_ref().and_then(status::error).map(|e| format!("; the operator says: {e}"));
                return Err(SluiceError::EngineRejected {
                    target: self.target.clone(),
                    message: format!(
                        "{} {name}: no {what} after {:?}{}",
                        self.kind(),
                        self.timeout,
                        said.unwrap_or_default()
                    ),
                });
            }
        };
        if failed(&object) {
            let error = status::error(&object).unwrap_or_else(|| "the operator reports a failure".into());
            return Err(SluiceError::EngineRejected {
                target: self.target.clone(),
                message: format!("{} {name}: {error}", self.kind()),
            });
        }
        Ok(object)
    }

    /// Merge-patches `spec.job`; the spec generation it made.
    async fn merge(&self, api: &Api<DynamicObject>, name: &str, job: Value) -> Result<Option<i64>> {
        let params = PatchParams { field_manager: Some(FIELD_MANAGER.into()), ..Default::default() };
        api.patch(name, &params, &Patch::Merge(json!({ "spec": { "job": job } })))
            .await
            .map(|o| o.metadata.generation)
            .map_err(|e| self.api_error(&format!("patching {} {name}", self.kind()), e))
    }

    /// The pipeline's resource, refusing one that Sluice does not manage for `pipeline`
    /// (another pipeline's whose name maps to the same resource name, or anyone else's).
    async fn owned(
        &self,
        api: &Api<DynamicObject>,
        name: &str,
        pipeline: &str,
    ) -> Result<Option<DynamicObject>> {
        let Some(object) =
            api.get_opt(name).await.map_err(|e| self.api_error(&format!("reading {name}"), e))?
        else {
            return Ok(None);
        };
        let ours = object.metadata.annotations.as_ref().and_then(|a| a.get("sluice.io/pipeline"));
        if ours.map(String::as_str) != Some(pipeline) {
            return Err(SluiceError::ObjectInUse(format!(
                "{} {}/{name} exists and is not pipeline \"{pipeline}\"'s (it belongs to {}); rename the pipeline or remove that resource",
                self.kind(),
                self.namespace(),
                ours.map_or("no Sluice pipeline".to_owned(), |p| format!("pipeline \"{p}\"")),
            )));
        }
        Ok(Some(object))
    }

    /// A fresh START clears what an earlier deployment left (a suspended or stopped job,
    /// one being deleted): the new job must not resume the old one's state.
    async fn clear_previous(&self, api: &Api<DynamicObject>, name: &str, pipeline: &str) -> Result<()> {
        let Some(previous) = self.owned(api, name, pipeline).await? else { return Ok(()) };
        if previous.metadata.deletion_timestamp.is_none() {
            // foreground: gone only once its ConfigMap and Secret are, so the garbage
            // collector cannot take the new ones applied under the same names
            match delete(api, name, &DeleteParams::foreground()).await {
                Ok(true) => {}
                Ok(false) => return Ok(()),
                Err(e) => return Err(self.api_error(&format!("deleting the previous {name}"), e)),
            }
        }
        let uid = previous.metadata.uid.clone().unwrap_or_default();
        let gone = patiently(api, name, || kube::runtime::conditions::is_deleted(&uid));
        match tokio::time::timeout(self.timeout, gone).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(SluiceError::SourceUnavailable {
                name: self.target.clone(),
                message: format!("watching {} {name}: {e}", self.kind()),
            }),
            Err(_) => Err(SluiceError::EngineRejected {
                target: self.target.clone(),
                message: format!(
                    "the previous {} {name} was not deleted after {:?}",
                    self.kind(),
                    self.timeout
                ),
            }),
        }
    }

    /// What START returns when its wait ended without the status (the resource is gone)
    /// because the target's watch recorded `deployment` finished meanwhile.
    async fn finished_meanwhile(&self, deployment: i64, name: &str) -> Option<Submitted> {
        let d = self.rt.store.deployment(deployment).await.ok().flatten()?;
        if d.state != State::Finished {
            return None;
        }
        let job = d.engine_job_id.clone();
        Some(Submitted {
            notes: vec![format!(
                "{} {}/{name} finished (job {}) and was released",
                self.kind(),
                self.namespace(),
                job.as_deref().unwrap_or("?")
            )],
            engine_job_id: job,
            state: Some(State::Finished),
            ..Default::default()
        })
    }

    /// Whether there is a resource of `pipeline`'s to remove; an error when the API server
    /// cannot say.
    async fn ours(&self, api: &Api<DynamicObject>, pipeline: &str) -> Result<bool> {
        match self.owned(api, &resource_name(pipeline), pipeline).await {
            Ok(found) => Ok(found.is_some()),
            // another pipeline's resource of the same name is not this one's to delete
            Err(SluiceError::ObjectInUse(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Deletes a finished batch job's FlinkDeployment (its cluster would idle on) — the
    /// object with `uid` only: a new START may have applied another under the same name.
    pub async fn release_finished(api: &Api<DynamicObject>, name: &str, uid: Option<String>) {
        let params = DeleteParams {
            preconditions: Some(kube::api::Preconditions { uid, resource_version: None }),
            ..DeleteParams::background()
        };
        match delete(api, name, &params).await {
            Ok(true) => tracing::info!(resource = %name, "finished batch FlinkDeployment deleted"),
            Ok(false) => {}
            Err(kube::Error::Api(status)) if status.code == 409 => {
                tracing::debug!(resource = %name, "the finished FlinkDeployment was replaced meanwhile")
            }
            Err(e) => {
                tracing::warn!(resource = %name, error = %e, "cannot delete a finished FlinkDeployment")
            }
        }
    }
}

/// `await_condition`, again after a transient watch error (a second later), until the
/// condition holds; the caller bounds the wait.
async fn patiently<K, C>(
    api: &Api<K>,
    name: &str,
    condition: impl Fn() -> C,
) -> std::result::Result<Option<K>, kube::runtime::wait::Error>
where
    K: kube::Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Send + Sync + 'static,
    C: kube::runtime::wait::Condition<K>,
{
    loop {
        match await_condition(api.clone(), name, condition()).await {
            Ok(found) => return Ok(found),
            Err(e) => {
                tracing::debug!(resource = %name, error = %e, "watch interrupted; watching again");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Deletes resource `name`; whether it was there (a 404 is no error).
async fn delete(
    api: &Api<DynamicObject>,
    name: &str,
    params: &DeleteParams,
) -> std::result::Result<bool, kube::Error> {
    match api.delete(name, params).await {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(false),
        Err(e) => Err(e),
    }
}

/// A dynamic object as one JSON value (metadata, spec, status).
pub fn object_value(o: &DynamicObject) -> Value {
    let mut v = o.data.clone();
    if let Ok(meta) = serde_json::to_value(&o.metadata) {
        v["metadata"] = meta;
    }
    v
}

fn now_millis() -> i64 {
    sluice_catalog::time::now_micros() / 1000
}

#[async_trait]
impl Deployer for KubernetesDeployer<'_> {
    async fn submit(&self, job: Job<'_>) -> Result<Submitted> {
        let links = if self.session() { Some(self.publish(&job)?) } else { None };
        let delivery = Delivery {
            secret_values: Some(job.secrets),
            links,
            deployment: Some(job.deployment),
            savepoint: job.savepoint,
            nonce: now_millis(),
        };
        let r = resources(job.plan, &self.settings, &delivery)?;
        let api = self.jobs().await?;
        // RESUME keeps the suspended resource: its new script and secrets are in place
        // before the operator, seeing the new spec, starts pods that read them
        let kept = match job.savepoint {
            None => {
                self.clear_previous(&api, &r.name, &job.plan.name).await?;
                None
            }
            Some(_) => self.owned(&api, &r.name, &job.plan.name).await?,
        };
        if let Some(owner) = &kept {
            self.apply_owned(&r, owner).await?;
        }
        let apply = PatchParams::apply(FIELD_MANAGER).force();
        let applied = api
            .patch(&r.name, &apply, &Patch::Apply(&r.job))
            .await
            .map_err(|e| self.api_error(&format!("applying {} {}", self.kind(), r.name), e))?;
        let generation = applied.metadata.generation;
        let owned = match kept {
            Some(_) => Ok(()),
            // a new resource's uid is known only now: its ConfigMap and Secret follow it
            None => self.apply_owned(&r, &applied).await,
        };
        let started = match owned {
            Ok(()) => {
                self.wait_for(&api, &r.name, "running job", generation, status::start_failed, |v| {
                    matches!(status::observed(v).map(|o| o.state), Some(State::Running | State::Finished))
                })
                .await
            }
            Err(e) => Err(e),
        };
        let object = match started {
            Ok(object) => object,
            Err(e) => {
                // the target's watch may have seen the batch job finish first, recorded it
                // and released its cluster: then the job did all it had to
                if let Some(done) = self.finished_meanwhile(job.deployment, &r.name).await {
                    return Ok(done);
                }
                // a failed START leaves nothing running behind its failed deployment (the
                // operator would go on retrying an image pull, say)
                if let Err(e) = api.delete(&r.name, &DeleteParams::background()).await {
                    tracing::warn!(resource = %r.name, error = %e, "cannot delete the resource of a failed START");
                }
                return Err(e);
            }
        };
        // the job has read its script: its token (the script holds secret values) goes
        self.rt.deployments.artifacts.revoke_file(job.deployment, "pipeline.sql");
        let state = status::observed(&object).map_or(State::Running, |o| o.state);
        if state == State::Finished && r.bounded && !r.session() {
            let uid = object["metadata"]["uid"].as_str().map(str::to_owned);
            Self::release_finished(&api, &r.name, uid).await;
        }
        let job_id = object["status"]["jobStatus"]["jobId"].as_str().map(str::to_owned);
        Ok(Submitted {
            notes: vec![format!(
                "{} {}/{} is {} (job {})",
                self.kind(),
                r.namespace,
                r.name,
                object["status"]["jobStatus"]["state"].as_str().unwrap_or("RUNNING"),
                job_id.as_deref().unwrap_or("?")
            )],
            engine_job_id: job_id,
            state: Some(state),
            ..Default::default()
        })
    }

    async fn stop(&self, d: &DeploymentRecord, mode: StopMode) -> Result<Option<String>> {
        let api = self.jobs().await?;
        let name = resource_name(&d.pipeline);
        self.owned(&api, &name, &d.pipeline).await?;
        let mut taken = None;
        if mode == StopMode::Savepoint {
            let nonce = now_millis();
            let generation = self.merge(&api, &name, json!({ "savepointTriggerNonce": nonce })).await?;
            let object = self
                .wait_for(&api, &name, "savepoint", generation, status::failed, move |v| {
                    status::savepoint_of(v, nonce).is_some()
                })
                .await?;
            taken = status::savepoint_of(&object, nonce);
        }
        let upgrade = if mode == StopMode::Suspend { "savepoint" } else { "stateless" };
        let generation =
            self.merge(&api, &name, json!({ "state": "suspended", "upgradeMode": upgrade })).await?;
        let object = self
            .wait_for(&api, &name, "suspended job", generation, status::failed, |v| {
                v["status"]["lifecycleState"] == "SUSPENDED"
            })
            .await?;
        Ok(match mode {
            StopMode::Suspend => status::savepoint(&object),
            _ => taken,
        })
    }

    async fn observe(&self, d: &DeploymentRecord) -> Result<Option<Observed>> {
        let api = self.jobs().await?;
        let name = resource_name(&d.pipeline);
        let object = api.get_opt(&name).await.map_err(|e| self.api_error(&format!("reading {name}"), e))?;
        Ok(object.and_then(|o| status::observed(&object_value(&o))))
    }

    async fn test(&self) -> Vec<Check> {
        let started = std::time::Instant::now();
        let client = match client(&self.target, &self.settings).await {
            Ok(client) => client,
            Err(e) => return vec![Check::timed("kubernetes api", started, Err(e.to_string()))],
        };
        let version = client.apiserver_version().await.map(|v| format!("Kubernetes {}.{}", v.major, v.minor));
        let mut checks = vec![Check::timed("kubernetes api", started, version.map_err(|e| e.to_string()))];
        let started = std::time::Instant::now();
        let namespaces: Api<Namespace> = Api::all(client.clone());
        let namespace = self.namespace();
        let found = namespaces.get_opt(&namespace).await.map_err(|e| e.to_string()).and_then(|n| {
            n.map(|_| format!("namespace {namespace}")).ok_or(format!("namespace {namespace} does not exist"))
        });
        checks.push(Check::timed("namespace", started, found));
        let started = std::time::Instant::now();
        let api: Api<DynamicObject> = Api::namespaced_with(client, &namespace, &resource(self.kind()));
        let listed = api
            .list(&ListParams::default().limit(1))
            .await
            .map(|_| format!("{} resources can be listed", self.kind()))
            .map_err(|e| format!("{e} (is the Flink Kubernetes Operator installed?)"));
        checks.push(Check::timed("operator", started, listed));
        checks
    }

    async fn removable(&self, pipeline: &str) -> Result<()> {
        let api = self.jobs().await?;
        self.ours(&api, pipeline).await.map(|_| ())
    }

    async fn remove(&self, pipeline: &str) -> Result<()> {
        let api = self.jobs().await?;
        if !self.ours(&api, pipeline).await? {
            return Ok(());
        }
        let name = resource_name(pipeline);
        delete(&api, &name, &DeleteParams::background())
            .await
            .map(|_| ())
            .map_err(|e| self.api_error(&format!("deleting {} {name}", self.kind()), e))
    }
}
