//! The objects of one pipeline on Kubernetes: a `FlinkSessionJob` (session mode), or a
//! `FlinkDeployment` with the script's `ConfigMap` and, when the script uses secrets,
//! their `Secret` and the init container that fills them in (application mode).

use base64::Engine;
use serde_json::{Map, Value, json};

use super::pods::{JAR_DIR, application_jars, cpu, file_name};
use super::{
    BOUNDED_LABEL, DEPLOYMENT_LABEL, Delivery, Links, PLACEHOLDER_URL, RENDER_SCRIPT, Resources, SCRIPT_DIR,
    SCRIPT_FILE, SESSION_RUNNER, SQL_DRIVER, Settings, TEMPLATE_DIR, jars, pod_template, release,
    resource_name, session_jars,
};
use crate::compile::flink_sql;
use crate::connectors::render::Secrets;
use crate::error::{Result, SluiceError};
use crate::plan::PipelinePlan;

/// What every object of one pipeline shares.
struct Shape<'a> {
    plan: &'a PipelinePlan,
    k8s: &'a Settings,
    delivery: &'a Delivery<'a>,
    name: String,
    namespace: String,
    streaming: bool,
}

impl Shape<'_> {
    /// An object's metadata: its name, the namespace, Sluice's labels.
    fn metadata(&self, object: &str) -> Value {
        let mut labels = json!({
            "app.kubernetes.io/managed-by": "sluice",
            "sluice.io/pipeline": self.name,
            BOUNDED_LABEL: if self.streaming { "false" } else { "true" },
        });
        if let Some(id) = self.delivery.deployment {
            labels[DEPLOYMENT_LABEL] = Value::String(id.to_string());
        }
        json!({
            "name": object,
            "namespace": self.namespace,
            "labels": labels,
            "annotations": { "sluice.io/pipeline": self.plan.name },
        })
    }

    /// The `job` of a FlinkDeployment or FlinkSessionJob.
    fn job(&self, entry: &str, args: Vec<String>, jar: String) -> Value {
        let mut job = json!({
            "jarURI": jar,
            "entryClass": entry,
            "args": args,
            "parallelism": self.plan.settings().parallelism,
            "upgradeMode": if self.streaming { "savepoint" } else { "stateless" },
            "state": "running",
        });
        if let Some(path) = self.delivery.savepoint {
            job["initialSavepointPath"] = Value::String(path.to_owned());
            job["savepointRedeployNonce"] = json!(self.delivery.nonce);
        }
        job
    }

    fn resources(self, job: Value, config_map: Option<Value>, secret: Option<Value>) -> Resources {
        Resources {
            name: self.name,
            namespace: self.namespace,
            job,
            config_map,
            secret,
            bounded: !self.streaming,
        }
    }
}

/// The objects of `plan` on Kubernetes.
pub fn resources(plan: &PipelinePlan, k8s: &Settings, delivery: &Delivery<'_>) -> Result<Resources> {
    let mut secrets = Secrets::default();
    let script = flink_sql::compile(plan, &mut secrets)?;
    let shape = Shape {
        plan,
        k8s,
        delivery,
        name: resource_name(&plan.name),
        namespace: k8s.namespace(),
        streaming: plan.settings().streaming,
    };
    let configuration = configuration(&shape);
    if k8s.session() {
        session_job(shape, configuration)
    } else {
        application(shape, script, &secrets, configuration)
    }
}

/// The Flink configuration both modes start from.
fn configuration(shape: &Shape<'_>) -> Map<String, Value> {
    let mut configuration = Map::new();
    // STOP … WITH SAVEPOINT reads the savepoint from status.jobStatus.savepointInfo, which
    // the operator (1.10+) fills only when it does not track snapshots as
    // FlinkStateSnapshot resources; the operator reads this option per resource too (its
    // own end-to-end tests switch it in a FlinkDeployment's flinkConfiguration)
    configuration
        .insert("kubernetes.operator.snapshot.resource.enabled".into(), Value::String("false".into()));
    if shape.streaming {
        let dir = |key: &str, kind: &str| {
            shape.k8s.get(key).unwrap_or_else(|| format!("file:///flink-data/{kind}/{}", shape.name))
        };
        configuration.insert(
            "execution.checkpointing.dir".into(),
            Value::String(dir("checkpoint_dir", "checkpoints")),
        );
        configuration.insert(
            "execution.checkpointing.savepoint-dir".into(),
            Value::String(dir("savepoint_dir", "savepoints")),
        );
    }
    configuration
}

/// Session mode: a FlinkSessionJob running Sluice's runner, which fetches the script (its
/// secrets filled in) and the jars from the gateway's artifact endpoint, over https, each
/// with its own token.
fn session_job(shape: Shape<'_>, mut configuration: Map<String, Value>) -> Result<Resources> {
    let k8s = shape.k8s;
    let cluster = k8s.get("session_cluster").ok_or_else(|| SluiceError::InvalidOption {
        message: "session mode needs option \"session_cluster\": the FlinkDeployment of the session cluster"
            .into(),
        hint: None,
    })?;
    let links = match shape.delivery.links.clone() {
        Some(links) => links,
        None => Links {
            runner_jar: k8s
                .get("jar_uri")
                .unwrap_or_else(|| format!("{PLACEHOLDER_URL}/sluice-sql-runner.jar")),
            script: format!("{PLACEHOLDER_URL}/{SCRIPT_FILE}"),
            jars: session_jars(&jars(shape.plan, k8s)?, |jar| {
                Ok(format!("{PLACEHOLDER_URL}/{}", file_name(jar)))
            })?,
        },
    };
    if !links.jars.is_empty() {
        configuration.insert("pipeline.classpaths".into(), Value::String(links.jars.join(";")));
    }
    let resource = json!({
        "apiVersion": "flink.apache.org/v1beta1",
        "kind": "FlinkSessionJob",
        "metadata": shape.metadata(&shape.name),
        "spec": {
            "deploymentName": cluster,
            "flinkConfiguration": configuration,
            "job": shape.job(SESSION_RUNNER, vec!["--scriptUri".into(), links.script], links.runner_jar),
        },
    });
    Ok(shape.resources(resource, None, None))
}

/// The pods' volumes, the main container's mounts and the init containers.
#[derive(Default)]
struct Pods {
    volumes: Vec<Value>,
    main_mounts: Vec<Value>,
    init_containers: Vec<Value>,
    /// The TaskManagers' pod spec, when they need one of their own (fetched jars).
    task_manager: Option<Value>,
}

/// Application mode: a FlinkDeployment running Flink's SqlDriver on the script from a
/// ConfigMap.
fn application(
    shape: Shape<'_>,
    script: String,
    secrets: &Secrets,
    mut configuration: Map<String, Value>,
) -> Result<Resources> {
    let k8s = shape.k8s;
    let version = k8s.get("flink_version").unwrap_or_else(|| "v2_2".into());
    let config_map = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": shape.metadata(&format!("{}-script", shape.name)),
        "data": { SCRIPT_FILE: script },
    });
    let image = k8s
        .get("image")
        .unwrap_or_else(|| format!("flink:{}", version.trim_start_matches('v').replace('_', ".")));
    let mut pods = Pods {
        volumes: vec![json!({ "name": "script", "configMap": { "name": format!("{}-script", shape.name) } })],
        ..Default::default()
    };
    let secret = script_secret(&shape, secrets, &image, &mut pods)?;
    let in_image = extra_jars(&shape, &mut pods)?;
    if !in_image.is_empty() {
        configuration.insert("pipeline.classpaths".into(), Value::String(in_image.join(";")));
    }
    let mut pod_spec = json!({
        "containers": [{ "name": "flink-main-container", "volumeMounts": pods.main_mounts }],
        "volumes": pods.volumes,
    });
    if !pods.init_containers.is_empty() {
        pod_spec["initContainers"] = Value::Array(pods.init_containers);
    }
    configuration.insert(
        "taskmanager.numberOfTaskSlots".into(),
        Value::String(k8s.get("task_slots").unwrap_or_default()),
    );
    let jar = k8s
        .get("jar_uri")
        .unwrap_or_else(|| format!("local:///opt/flink/opt/flink-sql-gateway-{}.jar", release(&version)));
    let mut deployment = json!({
        "apiVersion": "flink.apache.org/v1beta1",
        "kind": "FlinkDeployment",
        "metadata": shape.metadata(&shape.name),
        "spec": {
            "image": image,
            "flinkVersion": version,
            "serviceAccount": k8s.get("service_account"),
            "mode": "native",
            "flinkConfiguration": configuration,
            "jobManager": {
                "replicas": 1,
                "resource": { "memory": k8s.get("jobmanager_memory"), "cpu": cpu(k8s, "jobmanager_cpu")? },
                "podTemplate": { "apiVersion": "v1", "kind": "Pod", "spec": pod_spec },
            },
            "taskManager": { "resource": { "memory": k8s.get("taskmanager_memory"), "cpu": cpu(k8s, "taskmanager_cpu")? } },
            "job": shape.job(SQL_DRIVER, vec!["--scriptUri".into(), format!("file://{SCRIPT_DIR}/{SCRIPT_FILE}")], jar),
        },
    });
    if let Some(template) = k8s.get("pod_template") {
        deployment["spec"]["podTemplate"] = pod_template(&template)?;
        // the user's containers, volumes and init containers merge with Sluice's by name,
        // not by position (the operator's default)
        deployment["spec"]["flinkConfiguration"]["kubernetes.operator.pod-template.merge-arrays-by-name"] =
            Value::String("true".into());
    }
    if let Some(spec) = pods.task_manager {
        deployment["spec"]["taskManager"]["podTemplate"] =
            json!({ "apiVersion": "v1", "kind": "Pod", "spec": spec });
    }
    Ok(shape.resources(deployment, Some(config_map), secret))
}

/// The script is mounted as it is, or — when it uses secrets — rendered by an init
/// container from the Secret `<name>-secrets` (returned; values filled in by START).
fn script_secret(
    shape: &Shape<'_>,
    secrets: &Secrets,
    image: &str,
    pods: &mut Pods,
) -> Result<Option<Value>> {
    if secrets.vars.is_empty() {
        pods.main_mounts.push(json!({ "name": "script", "mountPath": SCRIPT_DIR }));
        return Ok(None);
    }
    let secret_name = format!("{}-secrets", shape.name);
    let mut data = Map::new();
    // keyed by the variable name: Sluice secret names may hold characters a Secret's
    // keys cannot ([-._a-zA-Z0-9]+)
    for (key, var) in &secrets.vars {
        let value = match shape.delivery.secret_values {
            Some(values) => {
                let value = values
                    .get(key)
                    .ok_or_else(|| SluiceError::UndefinedObject { kind: "secret", name: key.clone() })?;
                base64::engine::general_purpose::STANDARD.encode(value)
            }
            None => String::new(),
        };
        data.insert(var.clone(), Value::String(value));
    }
    let secret = json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": shape.metadata(&secret_name),
        "type": "Opaque",
        "data": data,
    });
    pods.volumes.push(json!({ "name": "rendered-script", "emptyDir": {} }));
    pods.main_mounts.push(json!({ "name": "rendered-script", "mountPath": SCRIPT_DIR }));
    let env: Vec<Value> = secrets
        .vars
        .values()
        .map(|var| json!({ "name": var, "valueFrom": { "secretKeyRef": { "name": secret_name, "key": var } } }))
        .collect();
    pods.init_containers.push(json!({
        "name": "render-script",
        "image": image,
        "command": ["perl", "-e", RENDER_SCRIPT, format!("{TEMPLATE_DIR}/{SCRIPT_FILE}"), format!("{SCRIPT_DIR}/{SCRIPT_FILE}")],
        "env": env,
        "volumeMounts": [
            { "name": "script", "mountPath": TEMPLATE_DIR },
            { "name": "rendered-script", "mountPath": SCRIPT_DIR },
        ],
    }));
    Ok(Some(secret))
}

/// Extra jars: https ones downloaded by an init container of every pod into a directory
/// under usrlib (the user classpath of application clusters); returns the local:// ones,
/// already in the image, for the classpath.
fn extra_jars(shape: &Shape<'_>, pods: &mut Pods) -> Result<Vec<String>> {
    let (fetched, in_image) = application_jars(&jars(shape.plan, shape.k8s)?)?;
    if !fetched.is_empty() {
        pods.volumes.push(json!({ "name": "jars", "emptyDir": {} }));
        let mount = json!({ "name": "jars", "mountPath": JAR_DIR });
        pods.main_mounts.push(mount.clone());
        let mut args = vec!["-fsSL".to_owned(), "--retry".into(), "3".into()];
        for (i, url) in fetched.iter().enumerate() {
            args.extend(["-o".into(), format!("{JAR_DIR}/{i:02}-{}", file_name(url)), url.clone()]);
        }
        let fetch = json!({
            "name": "fetch-jars",
            "image": shape.k8s.get("fetch_image"),
            "args": args,
            "volumeMounts": [mount],
        });
        pods.init_containers.insert(0, fetch.clone());
        pods.task_manager = Some(json!({
            "initContainers": [fetch],
            "containers": [{ "name": "flink-main-container", "volumeMounts": [{ "name": "jars", "mountPath": JAR_DIR }] }],
            "volumes": [{ "name": "jars", "emptyDir": {} }],
        }));
    }
    Ok(in_image)
}
