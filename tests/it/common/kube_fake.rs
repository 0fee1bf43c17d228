//! A fake Kubernetes API server, for the `kubernetes` target's tests: no API server (nor
//! the Flink operator) can run on this machine, so the tests talk to this one over HTTP,
//! through the real kube client. It answers as the API server's documented REST contract
//! does, for what Sluice uses:
//!
//! * server-side apply (`PATCH … application/apply-patch+yaml`, `fieldManager`, `force`),
//!   validating custom resources against the operator's CRD schema (422 when invalid),
//!   JSON merge patches (`application/merge-patch+json`, RFC 7386), GET, DELETE;
//! * LIST with `labelSelector` / `fieldSelector` (`metadata.name=`) and WATCH
//!   (`watch=true` from a `resourceVersion`: newline-delimited ADDED / MODIFIED / DELETED
//!   events on a chunked response that stays open);
//! * `metadata.generation` bumps on spec changes, `resourceVersion` on every change, `uid`.
//!
//! The test plays the operator: [`FakeKube::set_status`] writes a resource's status as the
//! operator would, which reaches open watches. Every request is logged.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::broadcast;

use crate::common::k8s_schema::{crd_schema, validate};
use crate::common::query_pairs;

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Logged {
    pub method: String,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub content_type: String,
    pub body: Value,
}

impl Logged {
    pub fn is_watch(&self) -> bool {
        self.query.get("watch").map(String::as_str) == Some("true")
    }
}

#[derive(Clone)]
struct Change {
    rv: u64,
    kind: &'static str,
    plural: String,
    namespace: String,
    object: Value,
}

#[derive(Default)]
struct World {
    objects: BTreeMap<(String, String, String), Value>,
    rv: u64,
    history: Vec<Change>,
    log: Vec<Logged>,
}

#[derive(Clone)]
pub struct FakeKube {
    pub url: String,
    world: Arc<Mutex<World>>,
    changes: broadcast::Sender<Change>,
}

impl FakeKube {
    pub async fn start() -> FakeKube {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (changes, _) = broadcast::channel(1024);
        let fake = FakeKube { url, world: Arc::default(), changes };
        let app = Router::new().fallback(handle).with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        fake
    }

    /// A kubeconfig file pointing at this server.
    pub fn kubeconfig(&self, dir: &std::path::Path) -> std::path::PathBuf {
        let path = dir.join("kubeconfig");
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {}\n\
             users:\n- name: fake\n  user: {{}}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\n\
             current-context: fake\n",
            self.url
        );
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn log(&self) -> Vec<Logged> {
        self.world.lock().unwrap().log.clone()
    }

    pub fn object(&self, plural: &str, namespace: &str, name: &str) -> Option<Value> {
        let world = self.world.lock().unwrap();
        world.objects.get(&(plural.into(), namespace.into(), name.into())).cloned()
    }

    /// Creates an object as someone else would (no validation).
    pub fn insert(&self, plural: &str, namespace: &str, name: &str, mut object: Value) {
        let mut world = self.world.lock().unwrap();
        object["metadata"]["uid"] = json!(format!("uid-{plural}-{name}-foreign"));
        object["metadata"]["generation"] = json!(1);
        self.store(&mut world, (plural.into(), namespace.into(), name.into()), object, "ADDED");
    }

    /// Records a core/v1 Event about resource `kind`/`name`, as the operator emits them.
    pub fn emit_event(&self, namespace: &str, kind: &str, name: &str, reason: &str, message: &str) {
        let mut world = self.world.lock().unwrap();
        let id = format!("{name}.{}", world.rv + 1);
        let event = json!({ "apiVersion": "v1", "kind": "Event",
            "metadata": { "name": id, "namespace": namespace },
            "involvedObject": { "apiVersion": "flink.apache.org/v1beta1", "kind": kind, "name": name, "namespace": namespace },
            "reason": reason, "message": message, "type": "Normal", "count": 1,
            "firstTimestamp": now(), "lastTimestamp": now(),
            "source": { "component": "flink-kubernetes-operator" } });
        self.store(&mut world, ("events".into(), namespace.into(), id), event, "ADDED");
    }

    /// Deletes the resource (as `kubectl delete` would), notifying watches.
    pub fn delete(&self, plural: &str, namespace: &str, name: &str) {
        let mut world = self.world.lock().unwrap();
        let key = (plural.to_owned(), namespace.to_owned(), name.to_owned());
        let object = world.objects.get(&key).cloned().expect("an object to delete");
        self.store(&mut world, key, object, "DELETED");
    }

    /// Writes `status` into the resource (as the operator does), notifying watches.
    pub fn set_status(&self, plural: &str, namespace: &str, name: &str, status: Value) {
        let mut world = self.world.lock().unwrap();
        let key = (plural.to_owned(), namespace.to_owned(), name.to_owned());
        let Some(mut object) = world.objects.get(&key).cloned() else {
            panic!("no {plural} {namespace}/{name} to set a status on")
        };
        object["status"] = status;
        self.store(&mut world, key, object, "MODIFIED");
    }

    fn store(&self, world: &mut World, key: (String, String, String), mut object: Value, kind: &'static str) {
        world.rv += 1;
        object["metadata"]["resourceVersion"] = json!(world.rv.to_string());
        // the API server stamps an object's creation, in whole seconds
        let created = world.objects.get(&key).map(|o| o["metadata"]["creationTimestamp"].clone());
        object["metadata"]["creationTimestamp"] = created.filter(|c| c.is_string()).unwrap_or_else(now);
        let change = Change {
            rv: world.rv,
            kind,
            plural: key.0.clone(),
            namespace: key.1.clone(),
            object: object.clone(),
        };
        if kind == "DELETED" {
            world.objects.remove(&key);
        } else {
            world.objects.insert(key, object);
        }
        world.history.push(change.clone());
        let _ = self.changes.send(change);
    }
}

/// Now, as Kubernetes writes a `Time`.
fn now() -> Value {
    json!(chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

fn status(code: u16, reason: &str, message: String) -> Response {
    let body = json!({ "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code });
    with_code(StatusCode::from_u16(code).unwrap(), body)
}

fn reply(value: Value) -> Response {
    with_code(StatusCode::OK, value)
}

fn with_code(code: StatusCode, value: Value) -> Response {
    (code, [("content-type", "application/json")], value.to_string()).into_response()
}

/// `(plural, namespace, name)` of `/api/v1/namespaces/ns/plural[/name]` and
/// `/apis/group/version/namespaces/ns/plural[/name]`.
fn route(path: &str) -> Option<(String, String, Option<String>)> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let rest = match parts.as_slice() {
        ["api", "v1", rest @ ..] => rest,
        ["apis", _, _, rest @ ..] => rest,
        _ => return None,
    };
    match rest {
        ["namespaces", ns, plural] => Some((plural.to_string(), ns.to_string(), None)),
        ["namespaces", ns, plural, name] => {
            Some((plural.to_string(), ns.to_string(), Some(name.to_string())))
        }
        _ => None,
    }
}

fn selected(object: &Value, query: &BTreeMap<String, String>) -> bool {
    let labels_ok = query.get("labelSelector").is_none_or(|selector| {
        selector.split(',').all(|term| match term.split_once('=') {
            Some((k, v)) => object["metadata"]["labels"][k].as_str() == Some(v),
            None => true,
        })
    });
    let fields_ok = query.get("fieldSelector").is_none_or(|selector| {
        selector.split(',').all(|term| match term.split_once('=') {
            Some(("metadata.name", v)) => object["metadata"]["name"].as_str() == Some(v),
            Some(("metadata.namespace", v)) => object["metadata"]["namespace"].as_str() == Some(v),
            Some(("involvedObject.kind", v)) => object["involvedObject"]["kind"].as_str() == Some(v),
            Some(("involvedObject.name", v)) => object["involvedObject"]["name"].as_str() == Some(v),
            _ => true,
        })
    });
    labels_ok && fields_ok
}

/// RFC 7386.
fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(entries) => {
            if !target.is_object() {
                *target = json!({});
            }
            for (k, v) in entries {
                if v.is_null() {
                    target.as_object_mut().unwrap().remove(k);
                } else {
                    merge_patch(&mut target[k], v);
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// What the API server would refuse in an applied object of `plural`.
fn violations(plural: &str, object: &Value) -> Vec<String> {
    let yaml: serde_yaml::Value = serde_yaml::to_value(object).unwrap();
    match plural {
        "flinkdeployments" => validate(&yaml, &crd_schema("flinkdeployments.flink.apache.org-v1.yml").1),
        "flinksessionjobs" => validate(&yaml, &crd_schema("flinksessionjobs.flink.apache.org-v1.yml").1),
        "configmaps" | "secrets" => {
            let mut errors = crate::common::k8s_schema::metadata(&yaml["metadata"]);
            for (k, v) in object["data"].as_object().into_iter().flatten() {
                if k.is_empty()
                    || !k.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                {
                    errors.push(format!(".data.{k}: a valid config key must consist of alphanumeric characters, '-', '_' or '.'"));
                }
                if !v.is_string() {
                    errors.push(format!(".data.{k}: must be a string"));
                }
                if plural == "secrets" {
                    use base64::Engine;
                    let decoded = base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap_or("!"));
                    if decoded.is_err() {
                        errors.push(format!(".data.{k}: illegal base64 data"));
                    }
                }
            }
            errors
        }
        other => vec![format!("the fake does not serve {other}")],
    }
}

async fn handle(State(fake): State<FakeKube>, request: Request) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let query: BTreeMap<String, String> =
        request.uri().query().map(query_pairs).unwrap_or_default().into_iter().collect();
    let content_type =
        request.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let bytes = axum::body::to_bytes(request.into_body(), 16 << 20).await.unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    fake.world.lock().unwrap().log.push(Logged {
        method: method.to_string(),
        path: path.clone(),
        query: query.clone(),
        content_type: content_type.clone(),
        body: body.clone(),
    });
    if path == "/version" {
        return reply(
            json!({ "major": "1", "minor": "33", "gitVersion": "v1.33.0-fake", "platform": "linux/amd64",
            "gitCommit": "", "gitTreeState": "", "buildDate": "", "goVersion": "", "compiler": "" }),
        )
        .into_response();
    }
    if let ["api", "v1", "namespaces", ns] = path.trim_matches('/').split('/').collect::<Vec<_>>().as_slice()
    {
        return reply(json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": ns } }))
            .into_response();
    }
    let Some((plural, namespace, name)) = route(&path) else {
        return status(404, "NotFound", format!("the fake does not serve {path}"));
    };
    let key = |name: &str| (plural.clone(), namespace.clone(), name.to_owned());
    match (method, name) {
        (Method::GET, None) if query.get("watch").map(String::as_str) == Some("true") => {
            watch(&fake, plural, namespace, query)
        }
        (Method::GET, None) => {
            let world = fake.world.lock().unwrap();
            let items: Vec<Value> = world
                .objects
                .iter()
                .filter(|((p, ns, _), o)| *p == plural && *ns == namespace && selected(o, &query))
                .map(|(_, o)| o.clone())
                .collect();
            reply(json!({ "apiVersion": "v1", "kind": "List",
                "metadata": { "resourceVersion": world.rv.to_string() }, "items": items }))
            .into_response()
        }
        (Method::GET, Some(name)) => match fake.object(&plural, &namespace, &name) {
            Some(object) => reply(object).into_response(),
            None => status(404, "NotFound", format!("{plural} \"{name}\" not found")),
        },
        (Method::DELETE, Some(name)) => {
            let mut world = fake.world.lock().unwrap();
            match world.objects.get(&key(&name)).cloned() {
                // DeleteOptions.preconditions.uid: another object of that name is not deleted
                Some(object)
                    if body["preconditions"]["uid"]
                        .as_str()
                        .is_some_and(|uid| object["metadata"]["uid"] != uid) =>
                {
                    status(
                        409,
                        "Conflict",
                        format!("Precondition failed: UID in precondition does not match {name}"),
                    )
                }
                Some(object) => {
                    fake.store(&mut world, key(&name), object.clone(), "DELETED");
                    reply(object).into_response()
                }
                None => status(404, "NotFound", format!("{plural} \"{name}\" not found")),
            }
        }
        (Method::PATCH, Some(name)) => {
            let mut world = fake.world.lock().unwrap();
            let existing = world.objects.get(&key(&name)).cloned();
            let mut object = match content_type.as_str() {
                "application/apply-patch+yaml" => {
                    if !query.contains_key("fieldManager") {
                        return status(422, "Invalid", "fieldManager is required for apply patch".into());
                    }
                    let mut object = body.clone();
                    if let Some(old) = &existing {
                        object["status"] = old["status"].clone();
                    }
                    object
                }
                "application/merge-patch+json" => {
                    let Some(mut object) = existing.clone() else {
                        return status(404, "NotFound", format!("{plural} \"{name}\" not found"));
                    };
                    merge_patch(&mut object, &body);
                    object
                }
                other => return status(415, "UnsupportedMediaType", format!("content type {other}")),
            };
            let errors = violations(&plural, &object);
            if !errors.is_empty() {
                return status(
                    422,
                    "Invalid",
                    format!("{plural} \"{name}\" is invalid: {}", errors.join("; ")),
                );
            }
            let old_meta = existing.as_ref().map(|o| o["metadata"].clone()).unwrap_or(json!({}));
            let spec_changed = existing.as_ref().is_none_or(|o| o["spec"] != object["spec"]);
            let generation = old_meta["generation"].as_i64().unwrap_or(0) + i64::from(spec_changed);
            let uid =
                old_meta["uid"].as_str().map(str::to_owned).unwrap_or_else(|| format!("uid-{plural}-{name}"));
            object["metadata"]["uid"] = json!(uid);
            object["metadata"]["generation"] = json!(generation);
            object["metadata"]["namespace"] = json!(namespace);
            fake.store(
                &mut world,
                key(&name),
                object.clone(),
                if existing.is_some() { "MODIFIED" } else { "ADDED" },
            );
            let stored = world.objects.get(&key(&name)).cloned().unwrap_or(object);
            reply(stored).into_response()
        }
        (method, _) => status(405, "MethodNotAllowed", format!("{method} {path}")),
    }
}

/// A watch from `resourceVersion`: past changes after it, then live ones, as JSON lines.
fn watch(fake: &FakeKube, plural: String, namespace: String, query: BTreeMap<String, String>) -> Response {
    let since: u64 = query.get("resourceVersion").and_then(|v| v.parse().ok()).unwrap_or(0);
    let (past, mut live) = {
        let world = fake.world.lock().unwrap();
        let live = fake.changes.subscribe();
        let past: Vec<Change> = world.history.iter().filter(|c| c.rv > since).cloned().collect();
        (past, live)
    };
    let wanted =
        move |c: &Change| c.plural == plural && c.namespace == namespace && selected(&c.object, &query);
    let line = |c: &Change| Bytes::from(format!("{}\n", json!({ "type": c.kind, "object": c.object })));
    let stream = async_stream(move |tx: tokio::sync::mpsc::Sender<Result<Bytes, Infallible>>| async move {
        let mut last = since;
        for c in past.iter().filter(|c| wanted(c)) {
            last = c.rv;
            if tx.send(Ok(line(c))).await.is_err() {
                break;
            }
        }
        while let Ok(c) = live.recv().await {
            if c.rv <= last || !wanted(&c) {
                continue;
            }
            last = c.rv;
            if tx.send(Ok(line(&c))).await.is_err() {
                break;
            }
        }
    });
    Response::builder().header("content-type", "application/json").body(Body::from_stream(stream)).unwrap()
}

/// A stream fed by a task running `produce`.
fn async_stream<F, Fut>(produce: F) -> impl futures::Stream<Item = Result<Bytes, Infallible>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Result<Bytes, Infallible>>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(produce(tx));
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
