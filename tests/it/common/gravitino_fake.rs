//! A fake Apache Gravitino server, for the `gravitino` source's tests: no Gravitino (a
//! JVM service) runs on this machine, so the tests talk to this one over HTTP through
//! Sluice's real client. It answers as Gravitino's REST API does for what Sluice uses —
//! request paths and response shapes from its OpenAPI spec (`docs/open-api/catalogs.yaml`,
//! `schemas.yaml`, `tables.yaml`) and its JSON serializers:
//!
//! * `GET /api/metalakes/{m}/catalogs/{c}` → `{"code":0,"catalog":{name,type,provider,properties,audit}}`
//!   (with the `in-use` property the server adds);
//! * `GET …/catalogs/{c}/schemas` and `…/schemas/{s}/tables` → `{"code":0,"identifiers":[{namespace,name}]}`;
//! * `GET …/schemas/{s}/tables/{t}` → `{"code":0,"table":{name,columns,indexes,…}}`, index
//!   types upper case (`PRIMARY_KEY`) as the server writes them;
//! * errors `{code,type,message}`: 404 with code 1003 and `NoSuchMetalakeException`,
//!   `NoSuchCatalogException`, `NoSuchSchemaException`, `NoSuchTableException`; 401 with
//!   code 1011 when the bearer token is not the configured one; 405 for other methods;
//!   406 for an `Accept` header asking for a version other than v1.
//!
//! Every request is logged (method, path, Authorization and Accept headers).

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Logged {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub accept: Option<String>,
}

/// A catalog of the fake's one metalake: provider, properties, and schemas of tables.
#[derive(Clone)]
pub struct Catalog {
    pub name: String,
    pub provider: String,
    pub properties: Vec<(String, String)>,
    /// schema → tables (as Gravitino's JSON table objects).
    pub schemas: Vec<(String, Vec<Value>)>,
}

#[derive(Clone)]
pub struct FakeGravitino {
    pub url: String,
    metalake: String,
    token: String,
    catalogs: Arc<Vec<Catalog>>,
    log: Arc<Mutex<Vec<Logged>>>,
}

impl FakeGravitino {
    /// Serves `catalogs` of metalake `metalake` to clients bearing `token`.
    pub async fn start(metalake: &str, token: &str, catalogs: Vec<Catalog>) -> FakeGravitino {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let fake = FakeGravitino {
            url,
            metalake: metalake.into(),
            token: token.into(),
            catalogs: Arc::new(catalogs),
            log: Arc::default(),
        };
        let app = Router::new().fallback(handle).with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        fake
    }

    pub fn log(&self) -> Vec<Logged> {
        self.log.lock().unwrap().clone()
    }
}

/// A column object as Gravitino writes it.
pub fn column(name: &str, data_type: Value, nullable: bool) -> Value {
    json!({ "name": name, "type": data_type, "nullable": nullable, "autoIncrement": false })
}

/// A table object as Gravitino writes it (no distribution is `strategy: none`).
pub fn table(name: &str, columns: Vec<Value>, primary_key: &[&str]) -> Value {
    let indexes: Vec<Value> = if primary_key.is_empty() {
        Vec::new()
    } else {
        let fields: Vec<Value> = primary_key.iter().map(|k| json!([k])).collect();
        vec![json!({ "indexType": "PRIMARY_KEY", "name": "PRIMARY", "fieldNames": fields })]
    };
    json!({
        "name": name,
        "columns": columns,
        "properties": {},
        "audit": { "creator": "gravitino", "createTime": "2026-12-01T10:00:00Z" },
        "distribution": { "strategy": "none", "number": 0, "funcArgs": [] },
        "sortOrders": [],
        "partitioning": [],
        "indexes": indexes
    })
}

fn error(status: StatusCode, code: u32, kind: &str, message: String) -> Response {
    let body = json!({ "code": code, "type": kind, "message": message, "stack": [format!("org.apache.gravitino.exceptions.{kind}: {message}")] });
    (status, [("content-type", "application/json")], body.to_string()).into_response()
}

fn not_found(kind: &str, what: &str) -> Response {
    error(StatusCode::NOT_FOUND, 1003, kind, format!("Failed to operate {what}, reason [{kind}]"))
}

fn ok(body: Value) -> Response {
    (StatusCode::OK, [("content-type", "application/json")], body.to_string()).into_response()
}

fn identifiers(namespace: &[&str], names: impl Iterator<Item = String>) -> Value {
    let ids: Vec<Value> = names.map(|n| json!({ "namespace": namespace, "name": n })).collect();
    json!({ "code": 0, "identifiers": ids })
}

async fn handle(State(fake): State<FakeGravitino>, request: Request) -> Response {
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let path = request.uri().path().to_owned();
    fake.log.lock().unwrap().push(Logged {
        method: request.method().to_string(),
        path: path.clone(),
        authorization: header("authorization"),
        accept: header("accept"),
    });
    if let Some(accept) = header("accept")
        && accept.starts_with("application/vnd.gravitino.")
        && accept != "application/vnd.gravitino.v1+json"
    {
        return error(
            StatusCode::NOT_ACCEPTABLE,
            1000,
            "RESTException",
            format!("Unsupported version {accept}"),
        );
    }
    if header("authorization") != Some(format!("Bearer {}", fake.token)) {
        return error(StatusCode::UNAUTHORIZED, 1011, "UnauthorizedException", "Unauthorized".into());
    }
    if request.method() != Method::GET {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            1006,
            "UnsupportedOperationException",
            "read only".into(),
        );
    }
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["api", "metalakes", m, "catalogs", rest @ ..] => {
            if *m != fake.metalake {
                return not_found("NoSuchMetalakeException", &format!("metalake [{m}]"));
            }
            route(&fake, m, rest)
        }
        _ => error(StatusCode::NOT_FOUND, 1003, "NotFoundException", format!("no resource {path}")),
    }
}

fn route(fake: &FakeGravitino, metalake: &str, rest: &[&str]) -> Response {
    let Some(name) = rest.first() else {
        return ok(identifiers(&[metalake], fake.catalogs.iter().map(|c| c.name.clone())));
    };
    let Some(catalog) = fake.catalogs.iter().find(|c| c.name == *name) else {
        return not_found("NoSuchCatalogException", &format!("catalog(s) [{name}] operation [LOAD]"));
    };
    let schema = |s: &str| catalog.schemas.iter().find(|(n, _)| n == s);
    match rest {
        [_] => {
            let mut properties: serde_json::Map<String, Value> =
                catalog.properties.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
            properties.insert("in-use".into(), json!("true"));
            ok(json!({ "code": 0, "catalog": {
                "name": catalog.name, "type": "relational", "provider": catalog.provider,
                "comment": "served by the test fake", "properties": properties,
                "audit": { "creator": "gravitino", "createTime": "2026-12-01T10:00:00Z" }
            }}))
        }
        [_, "schemas"] => {
            ok(identifiers(&[metalake, &catalog.name], catalog.schemas.iter().map(|(n, _)| n.clone())))
        }
        [_, "schemas", s, "tables"] => match schema(s) {
            Some((_, tables)) => ok(identifiers(
                &[metalake, &catalog.name, s],
                tables.iter().filter_map(|t| t["name"].as_str().map(str::to_owned)),
            )),
            None => not_found("NoSuchSchemaException", &format!("schema(s) [{s}] operation [LIST]")),
        },
        [_, "schemas", s, "tables", t] => match schema(s) {
            Some((_, tables)) => match tables.iter().find(|x| x["name"] == *t) {
                Some(table) => ok(json!({ "code": 0, "table": table })),
                None => not_found(
                    "NoSuchTableException",
                    &format!("table(s) [{t}] operation [LOAD] under schema [{s}]"),
                ),
            },
            None => not_found("NoSuchSchemaException", &format!("schema(s) [{s}] operation [LOAD]")),
        },
        _ => {
            error(StatusCode::NOT_FOUND, 1003, "NotFoundException", format!("no resource {}", rest.join("/")))
        }
    }
}
