//! The REST protocol: routes a request to discovery or to a verb on a resource
//! (get, list, watch, create, update, patch in its four content types, delete,
//! deletecollection, `/status` and `/scale`), runs the write pipeline
//! (defaults, server fields, generation, managed fields, dry run) and answers
//! errors as `Status` objects. Owns no sockets (see `mod.rs`) and no fault
//! injection (see `faults.rs`).

use super::defaults;
use super::fields;
use super::registry::{split_api_version, ResourceType};
use super::selector::Selector;
use super::smp;
use super::store::{Event, Pending, Store};
use super::Shared;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A parsed incoming request.
pub struct Request {
    /// HTTP method.
    pub method: String,
    /// URL path.
    pub path: String,
    /// Decoded query parameters.
    pub query: HashMap<String, String>,
    /// Content-Type header.
    pub content_type: String,
    /// Accept header.
    pub accept: String,
    /// User-Agent header.
    pub user_agent: String,
    /// The whole request body.
    pub body: bytes::Bytes,
}

/// What to send back.
pub enum Reply {
    /// A JSON document with a status code and content type.
    Json(u16, Value, String),
    /// Pre-serialized JSON with a status code and content type.
    Raw(u16, Vec<u8>, String),
    /// Plain text.
    Text(u16, String),
    /// A watch stream: initial events, then live events from the receiver.
    Watch(WatchPlan),
}

/// Everything a watch needs once the store lock is released.
pub struct WatchPlan {
    pub initial: Vec<Value>,
    pub rx: tokio::sync::broadcast::Receiver<Arc<Event>>,
    pub filter: WatchFilter,
    pub timeout: Duration,
}

/// Which events a watch wants.
pub struct WatchFilter {
    pub group: String,
    pub plural: String,
    pub namespace: Option<String>,
    pub labels: Selector,
    pub fields: Selector,
    pub api_version: String,
    pub kind: String,
    /// Send only metadata (`as=PartialObjectMetadata`).
    pub partial: bool,
}

impl WatchFilter {
    /// Whether `ev` belongs on this watch; returns the event line.
    pub fn line(&self, ev: &Event) -> Option<Value> {
        if ev.group != self.group || ev.plural != self.plural {
            return None;
        }
        if let Some(ns) = &self.namespace {
            if *ns != ev.namespace {
                return None;
            }
        }
        if !self.labels.matches_labels(&ev.object) || !self.fields.matches_fields(&ev.object) {
            return None;
        }
        if self.partial {
            let obj = json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                "metadata": ev.object["metadata"]});
            return Some(json!({"type": ev.kind, "object": obj}));
        }
        let mut obj = ev.object.clone();
        obj["apiVersion"] = json!(self.api_version);
        obj["kind"] = json!(self.kind);
        Some(json!({"type": ev.kind, "object": obj}))
    }
}

/// An API error answered as a `Status`.
#[derive(Debug)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Value,
}

fn err(code: u16, reason: &'static str, message: impl Into<String>) -> ApiError {
    ApiError {
        code,
        reason,
        message: message.into(),
        details: Value::Null,
    }
}

fn qualified(t: &ResourceType) -> String {
    if t.group.is_empty() {
        t.plural.clone()
    } else {
        format!("{}.{}", t.plural, t.group)
    }
}

fn with_details(mut e: ApiError, t: &ResourceType, name: &str) -> ApiError {
    let mut d = json!({"name": name, "kind": t.plural});
    if !t.group.is_empty() {
        d["group"] = json!(t.group);
    }
    if let Value::Object(extra) = std::mem::take(&mut e.details) {
        for (k, v) in extra {
            d[k] = v;
        }
    }
    e.details = d;
    e
}

fn not_found(t: &ResourceType, name: &str) -> ApiError {
    with_details(
        err(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", qualified(t)),
        ),
        t,
        name,
    )
}

fn ns_not_found(ns: &str) -> ApiError {
    ApiError {
        code: 404,
        reason: "NotFound",
        message: format!("namespaces \"{ns}\" not found"),
        details: json!({"name": ns, "kind": "namespaces"}),
    }
}

fn conflict(t: &ResourceType, name: &str) -> ApiError {
    with_details(
        err(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                qualified(t)
            ),
        ),
        t,
        name,
    )
}

impl ApiError {
    /// The `Status` object.
    pub fn status(&self) -> Value {
        let mut s = json!({"kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": self.message, "reason": self.reason, "code": self.code});
        if !self.details.is_null() {
            s["details"] = self.details.clone();
        }
        s
    }
    /// The error as a reply.
    pub fn reply(&self) -> Reply {
        Reply::Json(self.code, self.status(), JSON.into())
    }
}

/// A `Status` for a forced fault (500/503/429/409) on `path`.
pub fn fault_status(code: u16, retry_after: Option<u64>) -> Value {
    let (reason, message) = match code {
        429 => ("TooManyRequests", "the server has received too many requests and has asked us to try again later"),
        503 => ("ServiceUnavailable", "the server is currently unable to handle the request"),
        409 => ("Conflict", "Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again"),
        _ => ("InternalError", "an error on the server (\"injected fault\") has prevented the request from succeeding"),
    };
    let mut s = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code});
    if let Some(secs) = retry_after {
        s["details"] = json!({"retryAfterSeconds": secs});
    }
    s
}

const JSON: &str = "application/json";

/// RFC 3339 time at second precision, as Kubernetes writes it.
pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Handle one request.
pub fn handle(shared: &Shared, req: &Request) -> Reply {
    match route(shared, req) {
        Ok(r) => r,
        Err(e) => e.reply(),
    }
}

fn wants_aggregated(accept: &str) -> bool {
    accept.contains("as=APIGroupDiscoveryList") && accept.contains("v=v2;")
        || accept.ends_with("as=APIGroupDiscoveryList") && accept.contains("v=v2")
}

const AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

fn route(shared: &Shared, req: &Request) -> Result<Reply, ApiError> {
    let path = req.path.trim_end_matches('/');
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let get = req.method == "GET";
    match segs.as_slice() {
        ["version"] if get => {
            return Ok(Reply::Json(
                200,
                json!({"major": "1", "minor": "32", "gitVersion": "v1.32.0+berth-test",
                "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
                "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23", "compiler": "gc",
                "platform": "linux/amd64"}),
                JSON.into(),
            ))
        }
        ["healthz"] | ["readyz"] | ["livez"] if get => return Ok(Reply::Text(200, "ok".into())),
        ["api"] if get => {
            let store = shared.store();
            return Ok(if wants_aggregated(&req.accept) {
                Reply::Json(200, store.registry.aggregated(true), AGGREGATED.into())
            } else {
                Reply::Json(200, store.registry.core_versions(&shared.addr), JSON.into())
            });
        }
        ["apis"] if get => {
            let store = shared.store();
            return Ok(if wants_aggregated(&req.accept) {
                Reply::Json(200, store.registry.aggregated(false), AGGREGATED.into())
            } else {
                Reply::Json(200, store.registry.group_list(), JSON.into())
            });
        }
        ["openapi", "v3"] if get => {
            return Ok(Reply::Json(
                200,
                shared.store().registry.openapi_v3_index(),
                JSON.into(),
            ));
        }
        ["openapi", "v3", rest @ ..] if get => {
            let (g, v) = match rest {
                ["api", v] => ("", *v),
                ["apis", g, v] => (*g, *v),
                _ => ("", ""),
            };
            return shared
                .store()
                .registry
                .openapi_v3_gv(g, v)
                .map(|d| Reply::Json(200, d, JSON.into()))
                .ok_or_else(|| {
                    err(
                        404,
                        "NotFound",
                        "the server could not find the requested resource",
                    )
                });
        }
        ["api", v] if get => {
            let store = shared.store();
            return store
                .registry
                .resource_list("", v)
                .map(|l| Reply::Json(200, l, JSON.into()))
                .ok_or_else(|| {
                    err(
                        404,
                        "NotFound",
                        "the server could not find the requested resource",
                    )
                });
        }
        ["apis", g] if get => {
            let store = shared.store();
            return store
                .registry
                .group(g)
                .map(|l| Reply::Json(200, l, JSON.into()))
                .ok_or_else(|| {
                    err(
                        404,
                        "NotFound",
                        "the server could not find the requested resource",
                    )
                });
        }
        ["apis", g, v] if get => {
            let store = shared.store();
            return store
                .registry
                .resource_list(g, v)
                .map(|l| Reply::Json(200, l, JSON.into()))
                .ok_or_else(|| {
                    err(
                        404,
                        "NotFound",
                        "the server could not find the requested resource",
                    )
                });
        }
        _ => {}
    }
    let (group, version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => {
            return Err(err(
                404,
                "NotFound",
                "the server could not find the requested resource",
            ))
        }
    };
    let mut store = shared.store();
    let find = |store: &Store, plural: &str| store.registry.get(group, version, plural).cloned();
    let target = match rest {
        ["namespaces", ns, plural, tail @ ..]
            if find(&store, plural).is_some_and(|t| t.namespaced) && tail.len() <= 2 =>
        {
            let t = find(&store, plural).unwrap_or_else(|| unreachable!());
            Target {
                t,
                ns: Some(ns.to_string()),
                name: tail.first().map(|s| s.to_string()),
                sub: tail.get(1).map(|s| s.to_string()),
            }
        }
        [plural, tail @ ..] if tail.len() <= 2 => match find(&store, plural) {
            Some(t) => Target {
                t,
                ns: None,
                name: tail.first().map(|s| s.to_string()),
                sub: tail.get(1).map(|s| s.to_string()),
            },
            None => {
                return Err(err(
                    404,
                    "NotFound",
                    "the server could not find the requested resource",
                ))
            }
        },
        _ => {
            return Err(err(
                404,
                "NotFound",
                "the server could not find the requested resource",
            ))
        }
    };
    if let Some(sub) = &target.sub {
        let ok = (sub == "status" && target.t.status)
            || (sub == "scale" && target.t.scale)
            || (sub == "finalize" && target.t.kind == "Namespace");
        if !ok {
            return Err(err(
                404,
                "NotFound",
                "the server could not find the requested resource",
            ));
        }
    }
    if target.t.namespaced && target.name.is_some() && target.ns.is_none() {
        return Err(err(
            404,
            "NotFound",
            "the server could not find the requested resource",
        ));
    }
    if target.t.namespaced && target.ns.is_none() && req.method != "GET" {
        return Err(err(
            405,
            "MethodNotAllowed",
            format!(
                "{} {} needs a namespace: {} are namespaced",
                req.method, req.path, target.t.plural
            ),
        ));
    }
    let ctx = Ctx {
        req,
        shared,
        api_version: target.t.api_version(),
    };
    let dry = req.query.get("dryRun").is_some_and(|d| d == "All");
    let is_watch = req
        .query
        .get("watch")
        .is_some_and(|w| w == "true" || w == "1");
    match (req.method.as_str(), &target.name) {
        ("GET", None) if is_watch => ctx.watch(&mut store, &target),
        ("GET", None) => ctx.list(&store, &target),
        ("GET", Some(name)) => ctx.get(&store, &target, name),
        ("POST", None) => ctx.create(&mut store, &target, dry),
        ("PUT", Some(name)) => ctx.update(&mut store, &target, name, dry),
        ("PATCH", Some(name)) => ctx.patch(&mut store, &target, name, dry),
        ("DELETE", Some(name)) => ctx.delete(&mut store, &target, name, dry),
        ("DELETE", None) => ctx.delete_collection(&mut store, &target, dry),
        (m, _) => Err(err(
            405,
            "MethodNotAllowed",
            format!("{m} is not supported on {}", req.path),
        )),
    }
}

struct Target {
    t: ResourceType,
    ns: Option<String>,
    name: Option<String>,
    sub: Option<String>,
}

impl Target {
    fn ns(&self) -> &str {
        self.ns.as_deref().unwrap_or("")
    }
}

struct Ctx<'a> {
    req: &'a Request,
    shared: &'a Shared,
    api_version: String,
}

fn parse_body(req: &Request) -> Result<Value, ApiError> {
    if req.content_type.contains("protobuf") {
        // clients (client-go) fall back to JSON on 415
        return Err(err(
            415,
            "UnsupportedMediaType",
            format!("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got {:?})", req.content_type),
        ));
    }
    let text = std::str::from_utf8(&req.body)
        .map_err(|_| err(400, "BadRequest", "request body is not UTF-8"))?;
    if req.content_type.contains("yaml") {
        // JSON is YAML: clients (kubectl, berth) send apply patches as JSON
        // under the YAML media type, and the JSON parser is ~10x cheaper.
        if let Ok(v) = serde_json::from_str(text) {
            return Ok(v);
        }
        serde_yaml_ng::from_str(text)
            .map_err(|e| err(400, "BadRequest", format!("error decoding YAML: {e}")))
    } else {
        serde_json::from_str(text)
            .map_err(|e| err(400, "BadRequest", format!("error decoding JSON: {e}")))
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
}

fn invalid(t: &ResourceType, name: &str, field: &str, msg: &str) -> ApiError {
    let kind = if t.group.is_empty() {
        t.kind.clone()
    } else {
        format!("{}.{}", t.kind, t.group)
    };
    with_details(
        ApiError {
            code: 422,
            reason: "Invalid",
            message: format!("{kind} \"{name}\" is invalid: {field}: {msg}"),
            details: json!({"causes": [{"reason": "FieldValueInvalid", "message": msg, "field": field}]}),
        },
        t,
        name,
    )
}

fn is_workload(t: &ResourceType) -> bool {
    !t.custom
        && matches!(
            t.kind.as_str(),
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job"
        )
}

/// Whether two objects agree outside `metadata` and `status` (no copies made).
fn same_spec(a: &Value, b: &Value) -> bool {
    same_except(a, b, &["metadata", "status"])
}

fn same_except(a: &Value, b: &Value, skip: &[&str]) -> bool {
    match (a.as_object(), b.as_object()) {
        (Some(a), Some(b)) => {
            let keys = |m: &serde_json::Map<String, Value>| {
                m.iter()
                    .filter(|(k, _)| !skip.contains(&k.as_str()))
                    .count()
            };
            keys(a) == keys(b)
                && a.iter()
                    .filter(|(k, _)| !skip.contains(&k.as_str()))
                    .all(|(k, v)| b.get(k) == Some(v))
        }
        _ => a == b,
    }
}

/// Whether a write changes nothing but would bump the resourceVersion.
fn unchanged(old: &Value, new: &Value) -> bool {
    same_except(old, new, &["metadata"])
        && same_except(&old["metadata"], &new["metadata"], &["resourceVersion"])
}

impl Ctx<'_> {
    fn manager(&self) -> String {
        if let Some(m) = self.req.query.get("fieldManager") {
            return m.clone();
        }
        let ua = self.req.user_agent.split('/').next().unwrap_or_default();
        if ua.is_empty() {
            "unknown".into()
        } else {
            ua.to_string()
        }
    }

    fn out(&self, t: &ResourceType, obj: &Value) -> Value {
        let mut o = obj.clone();
        o["apiVersion"] = json!(self.api_version);
        o["kind"] = json!(t.kind);
        o
    }

    fn reply_obj(&self, code: u16, t: &ResourceType, obj: &Value) -> Reply {
        if self.req.accept.contains("as=Table") {
            let o = self.out(t, obj);
            return Reply::Json(code, table(t, &[o]), table_ct(&self.req.accept));
        }
        let mut buf = Vec::with_capacity(2048);
        self.write_obj(&mut buf, t, obj);
        Reply::Raw(code, buf, self.content_type())
    }

    /// Whether the client asked for metadata only (`as=PartialObjectMetadata`).
    fn partial(&self) -> bool {
        self.req.accept.contains("as=PartialObjectMetadata")
    }

    fn content_type(&self) -> String {
        if self.partial() {
            "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1".into()
        } else {
            JSON.into()
        }
    }

    /// Serialize `obj` as served at the requested version, copying it only
    /// when the stored apiVersion differs.
    fn write_obj(&self, buf: &mut Vec<u8>, t: &ResourceType, obj: &Value) {
        if self.partial() {
            let partial = json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                "metadata": obj["metadata"]});
            let _ = serde_json::to_writer(&mut *buf, &partial);
        } else if obj["apiVersion"].as_str() == Some(self.api_version.as_str())
            && obj["kind"].as_str() == Some(t.kind.as_str())
        {
            let _ = serde_json::to_writer(&mut *buf, obj);
        } else {
            let _ = serde_json::to_writer(&mut *buf, &self.out(t, obj));
        }
    }

    fn check_ns(&self, store: &Store, target: &Target) -> Result<(), ApiError> {
        if target.t.namespaced {
            let ns = target.ns();
            if store.get("", "namespaces", "", ns).is_none() {
                return Err(ns_not_found(ns));
            }
        }
        Ok(())
    }

    fn get(&self, store: &Store, target: &Target, name: &str) -> Result<Reply, ApiError> {
        let obj = store
            .get(&target.t.group, &target.t.plural, target.ns(), name)
            .ok_or_else(|| not_found(&target.t, name))?;
        if target.sub.as_deref() == Some("scale") {
            return Ok(Reply::Json(200, scale_of(obj), JSON.into()));
        }
        Ok(self.reply_obj(200, &target.t, obj))
    }

    fn selectors(&self) -> Result<(Selector, Selector), ApiError> {
        let labels = Selector::parse(self.req.query.get("labelSelector").map_or("", |s| s))
            .map_err(|e| err(400, "BadRequest", format!("invalid labelSelector: {e}")))?;
        let fields = Selector::parse(self.req.query.get("fieldSelector").map_or("", |s| s))
            .map_err(|e| err(400, "BadRequest", format!("invalid fieldSelector: {e}")))?;
        fields
            .check_fields()
            .map_err(|e| err(400, "BadRequest", e))?;
        Ok((labels, fields))
    }

    fn list(&self, store: &Store, target: &Target) -> Result<Reply, ApiError> {
        let (labels, fields) = self.selectors()?;
        let limit: usize = self
            .req
            .query
            .get("limit")
            .and_then(|l| l.parse().ok())
            .filter(|l| *l > 0)
            .unwrap_or(usize::MAX);
        let after = match self.req.query.get("continue").filter(|c| !c.is_empty()) {
            Some(c) => Some(
                decode_continue(c)
                    .ok_or_else(|| err(400, "BadRequest", "invalid continue token"))?,
            ),
            None => None,
        };
        let table_wanted = self.req.accept.contains("as=Table");
        let mut items = Vec::new();
        let mut buf: Vec<u8> = Vec::with_capacity(4096);
        let mut count = 0usize;
        let mut last: Option<&(String, String)> = None;
        let mut next = None;
        let pinned = fields.pinned_name();
        for (key, obj) in store.list(
            &target.t.group,
            &target.t.plural,
            target.ns.as_deref(),
            after,
        ) {
            if pinned.is_some_and(|n| n != key.1) {
                continue;
            }
            if !labels.matches_labels(obj) || !fields.matches_fields(obj) {
                continue;
            }
            if count == limit {
                next = last.map(|(ns, name)| encode_continue(ns, name));
                break;
            }
            count += 1;
            last = Some(key);
            if table_wanted {
                items.push(self.out(&target.t, obj));
            } else {
                if count > 1 {
                    buf.push(b',');
                }
                self.write_obj(&mut buf, &target.t, obj);
            }
        }
        let rv = store.current_rv().to_string();
        if table_wanted {
            let mut t = table(&target.t, &items);
            t["metadata"] = json!({"resourceVersion": rv});
            return Ok(Reply::Json(200, t, table_ct(&self.req.accept)));
        }
        let mut meta = json!({"resourceVersion": rv});
        if let Some(c) = next {
            meta["continue"] = json!(c);
        }
        let head = if self.partial() {
            json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": meta})
        } else {
            json!({"kind": target.t.list_kind(), "apiVersion": self.api_version, "metadata": meta})
        };
        let mut out = serde_json::to_vec(&head).unwrap_or_default();
        out.pop(); // the closing brace
        out.extend_from_slice(b",\"items\":[");
        out.extend_from_slice(&buf);
        out.extend_from_slice(b"]}");
        let ct = if self.partial() {
            "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1".into()
        } else {
            JSON.into()
        };
        Ok(Reply::Raw(200, out, ct))
    }

    fn watch(&self, store: &mut Store, target: &Target) -> Result<Reply, ApiError> {
        let (labels, fields) = self.selectors()?;
        let filter = WatchFilter {
            group: target.t.group.clone(),
            plural: target.t.plural.clone(),
            namespace: target.ns.clone(),
            labels,
            fields,
            api_version: self.api_version.clone(),
            kind: target.t.kind.clone(),
            partial: self.partial(),
        };
        let rx = store.events.subscribe();
        let q = &self.req.query;
        let rv = q
            .get("resourceVersion")
            .filter(|r| !r.is_empty() && *r != "0");
        let send_initial = q.get("sendInitialEvents").is_some_and(|s| s == "true") || rv.is_none();
        let mut initial = Vec::new();
        match rv {
            Some(rv) if !send_initial => {
                let since: u64 = rv
                    .parse()
                    .map_err(|_| err(400, "BadRequest", "invalid resourceVersion"))?;
                match store.events_since(since, &target.t.group, &target.t.plural) {
                    Some(evs) => initial.extend(evs.iter().filter_map(|e| filter.line(e))),
                    None => initial.push(json!({"type": "ERROR", "object": {
                        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                        "message": format!("too old resource version: {since} ({})", store.current_rv()),
                        "reason": "Expired", "code": 410}})),
                }
            }
            _ => {
                for (_, obj) in store.list(
                    &target.t.group,
                    &target.t.plural,
                    target.ns.as_deref(),
                    None,
                ) {
                    let ev = Event {
                        rv: 0,
                        group: target.t.group.clone(),
                        plural: target.t.plural.clone(),
                        namespace: target.ns().to_string(),
                        kind: "ADDED",
                        object: obj.clone(),
                    };
                    let mut ev = ev;
                    ev.namespace = obj["metadata"]["namespace"].as_str().unwrap_or("").into();
                    initial.extend(filter.line(&ev));
                }
                if q.get("sendInitialEvents").is_some_and(|s| s == "true")
                    || q.get("allowWatchBookmarks").is_some_and(|s| s == "true")
                {
                    initial.push(json!({"type": "BOOKMARK", "object": {
                        "kind": target.t.kind, "apiVersion": self.api_version,
                        "metadata": {"resourceVersion": store.current_rv().to_string(),
                            "annotations": {"k8s.io/initial-events-end": "true"}}}}));
                }
            }
        }
        let timeout = q
            .get("timeoutSeconds")
            .and_then(|t| t.parse().ok())
            .map(Duration::from_secs)
            .unwrap_or(Duration::from_secs(1800));
        Ok(Reply::Watch(WatchPlan {
            initial,
            rx,
            filter,
            timeout,
        }))
    }

    fn create(&self, store: &mut Store, target: &Target, dry: bool) -> Result<Reply, ApiError> {
        let t = &target.t;
        let mut obj = parse_body(self.req)?;
        if !obj.is_object() {
            return Err(err(400, "BadRequest", "the request body must be an object"));
        }
        self.check_type(t, &obj)?;
        if obj["metadata"]["name"].as_str().unwrap_or("").is_empty() {
            if let Some(g) = obj["metadata"]["generateName"].as_str().map(String::from) {
                let suffix: String = (0..5)
                    .map(|_| (b'a' + rand::random::<u8>() % 26) as char)
                    .collect();
                obj["metadata"]["name"] = json!(format!("{g}{suffix}"));
            }
        }
        let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
        self.fix_namespace(target, &mut obj, &name)?;
        self.check_ns(store, target)?;
        if store.get(&t.group, &t.plural, target.ns(), &name).is_some() {
            return Err(with_details(
                err(
                    409,
                    "AlreadyExists",
                    format!("{} \"{name}\" already exists", qualified(t)),
                ),
                t,
                &name,
            ));
        }
        let manager = self.manager();
        let obj = self.write(store, target, None, obj, Some(&manager), None, dry)?;
        Ok(self.reply_obj(201, t, &obj))
    }

    fn check_type(&self, t: &ResourceType, obj: &Value) -> Result<(), ApiError> {
        let kind = obj["kind"].as_str().unwrap_or("");
        let av = obj["apiVersion"].as_str().unwrap_or("");
        if (!kind.is_empty() && kind != t.kind)
            || (!av.is_empty() && split_api_version(av).0 != t.group)
        {
            return Err(err(
                400,
                "BadRequest",
                format!(
                    "the API version in the data ({av}) does not match the expected API version ({})",
                    t.api_version()
                ),
            ));
        }
        Ok(())
    }

    /// Validate the name and make metadata.namespace agree with the URL.
    fn fix_namespace(&self, target: &Target, obj: &mut Value, name: &str) -> Result<(), ApiError> {
        let t = &target.t;
        if name.is_empty() {
            return Err(invalid(
                t,
                name,
                "metadata.name",
                "Required value: name or generateName is required",
            ));
        }
        if !valid_name(name) {
            return Err(invalid(
                t,
                name,
                "metadata.name",
                &format!("Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'"),
            ));
        }
        if let Some(want) = &target.name {
            if want != name {
                return Err(err(
                    400,
                    "BadRequest",
                    format!("the name of the object ({name}) does not match the name on the URL ({want})"),
                ));
            }
        }
        if t.namespaced {
            match obj["metadata"]["namespace"].as_str() {
                Some(ns) if !ns.is_empty() && ns != target.ns() => {
                    return Err(err(
                        400,
                        "BadRequest",
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ))
                }
                _ => obj["metadata"]["namespace"] = json!(target.ns()),
            }
        } else if let Some(md) = obj["metadata"].as_object_mut() {
            md.remove("namespace");
        }
        Ok(())
    }

    /// The write pipeline shared by create, update, patch and apply.
    /// `manager` is set for update operations (managedFields recorded here);
    /// apply passes `None` because it already recorded ownership.
    #[allow(clippy::too_many_arguments)]
    fn write(
        &self,
        store: &mut Store,
        target: &Target,
        old: Option<&Value>,
        mut obj: Value,
        manager: Option<&str>,
        sub: Option<&str>,
        dry: bool,
    ) -> Result<Value, ApiError> {
        let t = &target.t;
        let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
        obj["apiVersion"] = json!(t.api_version());
        obj["kind"] = json!(t.kind);
        // status: only through /status (or kept from the stored object)
        if t.status && sub != Some("status") {
            match old.and_then(|o| o.get("status")) {
                Some(s) => obj["status"] = s.clone(),
                None => {
                    if let Some(m) = obj.as_object_mut() {
                        m.remove("status");
                    }
                }
            }
        }
        if t.kind == "Service" && !t.custom {
            if let Some(ip) = old.and_then(|o| o["spec"].get("clusterIP")) {
                if obj["spec"].get("clusterIP").is_none() && obj["spec"].is_object() {
                    obj["spec"]["clusterIP"] = ip.clone();
                }
            }
        }
        validate(t, &name, &obj)?;
        if let Some(o) = old {
            if sub.is_none() {
                check_immutable(t, &name, o, &obj)?;
            }
        }
        if !t.custom {
            defaults::apply(&t.kind, &mut obj, &mut || store.next_ip());
            if t.kind == "Deployment" || t.kind == "StatefulSet" || t.kind == "DaemonSet" {
                if obj["spec"]["selector"].is_null() {
                    return Err(invalid(t, &name, "spec.selector", "Required value"));
                }
                if obj["spec"]["template"].is_null() {
                    return Err(invalid(t, &name, "spec.template", "Required value"));
                }
            }
        }
        if t.kind == "CustomResourceDefinition" && super::registry::types_from_crd(&obj).is_empty()
        {
            return Err(invalid(
                t,
                &name,
                "spec",
                "Required value: group, names.kind, names.plural and versions",
            ));
        }
        // server-owned metadata
        let now = now();
        match old {
            Some(o) => {
                for k in ["uid", "creationTimestamp", "generation"] {
                    obj["metadata"][k] = o["metadata"][k].clone();
                }
                if t.has_generation() && !same_spec(o, &obj) {
                    let g = o["metadata"]["generation"].as_i64().unwrap_or(1);
                    obj["metadata"]["generation"] = json!(g + 1);
                }
                if !t.has_generation() {
                    if let Some(m) = obj["metadata"].as_object_mut() {
                        m.remove("generation");
                    }
                }
                if let Some(d) = o["metadata"].get("deletionTimestamp") {
                    obj["metadata"]["deletionTimestamp"] = d.clone();
                }
            }
            None => {
                obj["metadata"]["uid"] = json!(store.next_uid());
                obj["metadata"]["creationTimestamp"] = json!(now);
                if t.has_generation() {
                    obj["metadata"]["generation"] = json!(1);
                } else if let Some(m) = obj["metadata"].as_object_mut() {
                    m.remove("generation");
                }
            }
        }
        if let Some(m) = obj["metadata"].as_object_mut() {
            m.remove("resourceVersion");
        }
        if let Some(manager) = manager {
            if let Some(o) = old {
                obj["metadata"]["managedFields"] = o["metadata"]["managedFields"].clone();
                if obj["metadata"]["managedFields"].is_null() {
                    if let Some(m) = obj["metadata"].as_object_mut() {
                        m.remove("managedFields");
                    }
                }
            }
            fields::record_update(old, &mut obj, manager, &t.api_version(), sub, &now);
        }
        if let Some(o) = old {
            if unchanged(o, &obj) {
                return Ok(o.clone());
            }
        }
        if dry {
            if let Some(o) = old {
                obj["metadata"]["resourceVersion"] = o["metadata"]["resourceVersion"].clone();
            }
            return Ok(obj);
        }
        let rv = store.next_rv();
        obj["metadata"]["resourceVersion"] = json!(rv.to_string());
        store.put(t, target.ns(), &name, obj.clone());
        let spec_changed = old.is_none_or(|o| {
            o["metadata"]["generation"] != obj["metadata"]["generation"] || !same_spec(o, &obj)
        });
        if spec_changed && (is_workload(t) || t.kind == "CustomResourceDefinition") {
            let delay = if t.kind == "CustomResourceDefinition" {
                self.shared.crd_delay()
            } else {
                self.shared.ready_delay()
            };
            store.pending.retain(|p| {
                !(p.plural == t.plural
                    && p.group == t.group
                    && p.namespace == target.ns()
                    && p.name == name)
            });
            store.pending.push(Pending {
                group: t.group.clone(),
                plural: t.plural.clone(),
                namespace: target.ns().to_string(),
                name: name.clone(),
                due: Instant::now() + delay,
                observed: false,
            });
        }
        if t.kind == "Service"
            && obj["spec"]["type"] == "LoadBalancer"
            && obj["status"]["loadBalancer"]["ingress"].is_null()
        {
            let mut lb = obj.clone();
            lb["status"] =
                json!({"loadBalancer": {"ingress": [{"ip": "172.18.255.200", "ipMode": "VIP"}]}});
            let rv = store.next_rv();
            lb["metadata"]["resourceVersion"] = json!(rv.to_string());
            store.put(t, target.ns(), &name, lb);
        }
        if t.kind == "PersistentVolumeClaim" && obj["status"]["phase"].is_null() {
            let mut bound = obj.clone();
            bound["status"] =
                json!({"phase": "Bound", "accessModes": obj["spec"]["accessModes"].clone()});
            let rv = store.next_rv();
            bound["metadata"]["resourceVersion"] = json!(rv.to_string());
            store.put(t, target.ns(), &name, bound);
        }
        Ok(obj)
    }

    fn update(
        &self,
        store: &mut Store,
        target: &Target,
        name: &str,
        dry: bool,
    ) -> Result<Reply, ApiError> {
        let t = &target.t;
        let mut body = parse_body(self.req)?;
        self.check_type(t, &body)?;
        let old = store
            .get(&t.group, &t.plural, target.ns(), name)
            .cloned()
            .ok_or_else(|| not_found(t, name))?;
        if let Some(rv) = body["metadata"]["resourceVersion"].as_str() {
            if !rv.is_empty() && Some(rv) != old["metadata"]["resourceVersion"].as_str() {
                return Err(conflict(t, name));
            }
        }
        let manager = self.manager();
        let sub = target.sub.as_deref();
        let new = match sub {
            Some("scale") => {
                let replicas = body["spec"]["replicas"].clone();
                let mut o = old.clone();
                o["spec"]["replicas"] = replicas;
                o
            }
            Some("status") => {
                let mut o = old.clone();
                o["status"] = body["status"].take();
                o
            }
            _ => {
                if body["metadata"]["name"].is_null() {
                    body["metadata"]["name"] = json!(name);
                }
                let n = body["metadata"]["name"].as_str().unwrap_or("").to_string();
                self.fix_namespace(target, &mut body, &n)?;
                body
            }
        };
        let obj = self.write(store, target, Some(&old), new, Some(&manager), sub, dry)?;
        if sub == Some("scale") {
            return Ok(Reply::Json(200, scale_of(&obj), JSON.into()));
        }
        Ok(self.reply_obj(200, t, &obj))
    }

    fn patch(
        &self,
        store: &mut Store,
        target: &Target,
        name: &str,
        dry: bool,
    ) -> Result<Reply, ApiError> {
        let t = &target.t;
        let ct = self
            .req
            .content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        let old = store.get(&t.group, &t.plural, target.ns(), name).cloned();
        if ct == "application/apply-patch+yaml" {
            return self.apply(store, target, name, old, dry);
        }
        let old = old.ok_or_else(|| not_found(t, name))?;
        let patch = parse_body(self.req)?;
        let sub = target.sub.as_deref();
        let mut doc = if sub == Some("scale") {
            scale_of(&old)
        } else {
            old.clone()
        };
        match ct.as_str() {
            "application/merge-patch+json" => json_patch::merge(&mut doc, &patch),
            "application/strategic-merge-patch+json" => {
                if t.custom {
                    return Err(err(
                        415,
                        "UnsupportedMediaType",
                        "strategic merge patch is not supported for custom resources",
                    ));
                }
                smp::apply(&mut doc, &patch)
            }
            "application/json-patch+json" => {
                let p: json_patch::Patch = serde_json::from_value(patch)
                    .map_err(|e| err(400, "BadRequest", format!("invalid JSON patch: {e}")))?;
                json_patch::patch(&mut doc, &p)
                    .map_err(|e| err(422, "Invalid", format!("the JSON patch failed: {e}")))?;
            }
            other => {
                return Err(err(
                    415,
                    "UnsupportedMediaType",
                    format!("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {other:?})"),
                ))
            }
        }
        if let Some(rv) = doc["metadata"]["resourceVersion"].as_str() {
            if rv != old["metadata"]["resourceVersion"].as_str().unwrap_or("") {
                return Err(conflict(t, name));
            }
        }
        let new = match sub {
            Some("scale") => {
                let mut o = old.clone();
                o["spec"]["replicas"] = doc["spec"]["replicas"].clone();
                o
            }
            Some("status") => {
                let mut o = old.clone();
                o["status"] = doc["status"].take();
                o
            }
            _ => {
                if doc["metadata"]["name"].as_str() != Some(name) {
                    return Err(err(
                        400,
                        "BadRequest",
                        "metadata.name cannot be changed by a patch",
                    ));
                }
                doc
            }
        };
        let manager = self.manager();
        let obj = self.write(store, target, Some(&old), new, Some(&manager), sub, dry)?;
        if sub == Some("scale") {
            return Ok(Reply::Json(200, scale_of(&obj), JSON.into()));
        }
        Ok(self.reply_obj(200, t, &obj))
    }

    fn apply(
        &self,
        store: &mut Store,
        target: &Target,
        name: &str,
        old: Option<Value>,
        dry: bool,
    ) -> Result<Reply, ApiError> {
        let t = &target.t;
        let Some(manager) = self.req.query.get("fieldManager").filter(|m| !m.is_empty()) else {
            return Err(err(
                400,
                "BadRequest",
                "PATCH with application/apply-patch+yaml requires the fieldManager parameter",
            ));
        };
        if target.sub.is_some() {
            return Err(err(
                405,
                "MethodNotAllowed",
                "apply to subresources is not supported by the test API server",
            ));
        }
        let mut applied = parse_body(self.req)?;
        if !applied.is_object() {
            return Err(err(
                400,
                "BadRequest",
                "the applied configuration must be an object",
            ));
        }
        self.check_type(t, &applied)?;
        if applied["kind"].as_str().unwrap_or("").is_empty()
            || applied["apiVersion"].as_str().unwrap_or("").is_empty()
        {
            return Err(err(
                400,
                "BadRequest",
                "apiVersion and kind must be set in the applied configuration",
            ));
        }
        if applied["metadata"]["name"].is_null() {
            applied["metadata"]["name"] = json!(name);
        }
        self.fix_namespace(target, &mut applied, name)?;
        if old.is_none() {
            self.check_ns(store, target)?;
        }
        if let Some(rv) = applied["metadata"]["resourceVersion"].as_str() {
            let live = old
                .as_ref()
                .and_then(|o| o["metadata"]["resourceVersion"].as_str());
            if Some(rv) != live {
                return Err(conflict(t, name));
            }
        }
        let force = self.req.query.get("force").is_some_and(|f| f == "true");
        let fresh;
        let base = match &old {
            Some(o) => o,
            None => {
                let mut md = json!({"name": name});
                if t.namespaced {
                    md["namespace"] = json!(target.ns());
                }
                fresh = json!({"apiVersion": t.api_version(), "kind": t.kind, "metadata": md});
                &fresh
            }
        };
        let merged = fields::apply(base, &applied, manager, &self.api_version, force, &now())
            .map_err(|conflicts| {
                let causes: Vec<Value> = conflicts
                    .iter()
                    .map(|c| json!({"reason": "FieldManagerConflict", "message": c.manager_text(), "field": c.field()}))
                    .collect();
                with_details(
                    ApiError {
                        code: 409,
                        reason: "Conflict",
                        message: fields::conflict_message(&conflicts),
                        details: json!({"causes": causes}),
                    },
                    t,
                    name,
                )
            })?;
        let created = old.is_none();
        let obj = self.write(store, target, old.as_ref(), merged, None, None, dry)?;
        Ok(self.reply_obj(if created { 201 } else { 200 }, t, &obj))
    }

    fn delete(
        &self,
        store: &mut Store,
        target: &Target,
        name: &str,
        dry: bool,
    ) -> Result<Reply, ApiError> {
        let t = &target.t;
        if target.sub.is_some() {
            return Err(err(
                405,
                "MethodNotAllowed",
                "DELETE is not supported on subresources",
            ));
        }
        let obj = store
            .get(&t.group, &t.plural, target.ns(), name)
            .cloned()
            .ok_or_else(|| not_found(t, name))?;
        let mut dry = dry;
        if let Ok(body) = serde_json::from_slice::<Value>(&self.req.body) {
            // DeleteOptions may carry dryRun in the body instead of the query
            if body["dryRun"]
                .as_array()
                .is_some_and(|d| d.iter().any(|x| x == "All"))
            {
                dry = true;
            }
            if let Some(rv) = body["preconditions"]["resourceVersion"].as_str() {
                if Some(rv) != obj["metadata"]["resourceVersion"].as_str() {
                    return Err(conflict(t, name));
                }
            }
            if let Some(uid) = body["preconditions"]["uid"].as_str() {
                if Some(uid) != obj["metadata"]["uid"].as_str() {
                    return Err(conflict(t, name));
                }
            }
        }
        if dry {
            return Ok(self.reply_obj(200, t, &obj));
        }
        remove_object(store, t, target.ns(), name);
        Ok(self.reply_obj(200, t, &obj))
    }

    fn delete_collection(
        &self,
        store: &mut Store,
        target: &Target,
        dry: bool,
    ) -> Result<Reply, ApiError> {
        let (labels, fields) = self.selectors()?;
        let t = &target.t;
        let names: Vec<(String, String)> = store
            .list(&t.group, &t.plural, target.ns.as_deref(), None)
            .filter(|(_, o)| labels.matches_labels(o) && fields.matches_fields(o))
            .map(|(k, _)| k.clone())
            .collect();
        let mut items = Vec::new();
        for (ns, name) in names {
            if let Some(o) = store.get(&t.group, &t.plural, &ns, &name) {
                items.push(self.out(t, o));
            }
            if !dry {
                remove_object(store, t, &ns, &name);
            }
        }
        Ok(Reply::Json(
            200,
            json!({"kind": t.list_kind(), "apiVersion": self.api_version,
                "metadata": {"resourceVersion": store.current_rv().to_string()}, "items": items}),
            JSON.into(),
        ))
    }
}

/// Delete an object and what hangs off it (a namespace's objects, a CRD's kind).
pub fn remove_object(store: &mut Store, t: &ResourceType, ns: &str, name: &str) {
    let Some(obj) = store.delete(t, ns, name) else {
        return;
    };
    store.pending.retain(|p| {
        !(p.group == t.group && p.plural == t.plural && p.namespace == ns && p.name == name)
    });
    if t.kind == "Namespace" && !t.custom {
        for ((group, plural), obj_name) in store.in_namespace(name) {
            let rt = store.registry.by_kind_plural(&group, &plural).cloned();
            if let Some(rt) = rt {
                remove_object(store, &rt, name, &obj_name);
            }
        }
    }
    if t.kind == "CustomResourceDefinition" && !t.custom {
        let group = obj["spec"]["group"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let plural = obj["spec"]["names"]["plural"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        store.registry.remove_custom(&group, &plural);
        store.drop_resource(&group, &plural);
    }
}

fn scale_of(obj: &Value) -> Value {
    let selector = obj["spec"]["selector"]["matchLabels"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    let md = &obj["metadata"];
    json!({"kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {"name": md["name"], "namespace": md["namespace"], "uid": md["uid"],
            "resourceVersion": md["resourceVersion"], "creationTimestamp": md["creationTimestamp"]},
        "spec": {"replicas": obj["spec"]["replicas"]},
        "status": {"replicas": obj["status"]["replicas"].as_i64().unwrap_or(0), "selector": selector}})
}

fn encode_continue(ns: &str, name: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json!([ns, name]).to_string())
}

fn decode_continue(token: &str) -> Option<(String, String)> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    Some((v[0].as_str()?.to_string(), v[1].as_str()?.to_string()))
}

fn table_ct(accept: &str) -> String {
    let v = if accept.contains("as=Table;v=v1;")
        || accept.contains("as=Table;v=v1,")
        || accept.ends_with("as=Table;v=v1")
        || accept.contains("v=v1;as=Table")
    {
        "v1"
    } else {
        "v1beta1"
    };
    format!("application/json;as=Table;v={v};g=meta.k8s.io")
}

fn age(created: &str) -> String {
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(created) else {
        return "<unknown>".into();
    };
    let secs = (chrono::Utc::now() - t.with_timezone(&chrono::Utc))
        .num_seconds()
        .max(0);
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// A `meta.k8s.io` Table of `items` (what `kubectl get` prints).
fn table(t: &ResourceType, items: &[Value]) -> Value {
    let mut cols = vec![
        json!({"name": "Name", "type": "string", "format": "name", "description": "Name must be unique within a namespace.", "priority": 0}),
    ];
    let extra: &[&str] = match t.kind.as_str() {
        "Namespace" => &["Status"],
        "Deployment" => &["Ready", "Up-to-date", "Available"],
        "Service" => &["Type", "Cluster-IP"],
        "ConfigMap" | "Secret" => &["Data"],
        _ => &[],
    };
    for c in extra {
        cols.push(
            json!({"name": c, "type": "string", "format": "", "description": c, "priority": 0}),
        );
    }
    cols.push(json!({"name": "Age", "type": "string", "format": "", "description": "CreationTimestamp", "priority": 0}));
    let rows: Vec<Value> = items
        .iter()
        .map(|o| {
            let mut cells = vec![o["metadata"]["name"].clone()];
            match t.kind.as_str() {
                "Namespace" => cells.push(o["status"]["phase"].clone()),
                "Deployment" => {
                    let want = o["spec"]["replicas"].as_i64().unwrap_or(0);
                    let ready = o["status"]["readyReplicas"].as_i64().unwrap_or(0);
                    cells.push(json!(format!("{ready}/{want}")));
                    cells.push(json!(o["status"]["updatedReplicas"].as_i64().unwrap_or(0)));
                    cells.push(json!(o["status"]["availableReplicas"].as_i64().unwrap_or(0)));
                }
                "Service" => {
                    cells.push(o["spec"]["type"].clone());
                    cells.push(o["spec"]["clusterIP"].clone());
                }
                "ConfigMap" | "Secret" => {
                    let n = o["data"].as_object().map_or(0, |m| m.len())
                        + o["binaryData"].as_object().map_or(0, |m| m.len());
                    cells.push(json!(n));
                }
                _ => {}
            }
            cells.push(json!(age(o["metadata"]["creationTimestamp"].as_str().unwrap_or(""))));
            let md = &o["metadata"];
            json!({"cells": cells, "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                "metadata": {"name": md["name"], "namespace": md["namespace"], "uid": md["uid"],
                    "resourceVersion": md["resourceVersion"], "creationTimestamp": md["creationTimestamp"],
                    "labels": md["labels"]}}})
        })
        .collect();
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {}, "columnDefinitions": cols, "rows": rows})
}

fn decode_error(t: &ResourceType, field: &str, want: &str, got: &Value) -> ApiError {
    let what = match got {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    err(
        400,
        "BadRequest",
        format!(
            "{} in version \"{}\" cannot be handled as a {}: json: cannot unmarshal {what} into Go struct field {}.{field} of type {want}",
            t.kind,
            t.version,
            t.kind,
            t.kind
        ),
    )
}

/// The checks the real API server makes while decoding (400) and validating
/// (422) that rendered manifests most often trip: string maps, base64 Secret
/// data, label syntax, workload selectors matching their template.
fn validate(t: &ResourceType, name: &str, obj: &Value) -> Result<(), ApiError> {
    let string_map = |field: &str, v: &Value| -> Result<(), ApiError> {
        match v {
            Value::Null => Ok(()),
            Value::Object(m) => match m.values().find(|x| !x.is_string()) {
                Some(bad) => Err(decode_error(t, field, "string", bad)),
                None => Ok(()),
            },
            other => Err(decode_error(t, field, "map[string]string", other)),
        }
    };
    string_map("metadata.labels", &obj["metadata"]["labels"])?;
    string_map("metadata.annotations", &obj["metadata"]["annotations"])?;
    if let Some(labels) = obj["metadata"]["labels"].as_object() {
        for (k, v) in labels {
            let v = v.as_str().unwrap_or_default();
            let ok_value = v.len() <= 63
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                && (v.is_empty()
                    || (v.starts_with(|c: char| c.is_ascii_alphanumeric())
                        && v.ends_with(|c: char| c.is_ascii_alphanumeric())));
            let key_name = k.rsplit('/').next().unwrap_or_default();
            let ok_key = !key_name.is_empty()
                && key_name.len() <= 63
                && key_name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
            if !ok_value || !ok_key {
                return Err(invalid(
                    t,
                    name,
                    "metadata.labels",
                    &format!("Invalid value: \"{v}\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"),
                ));
            }
        }
    }
    if t.custom {
        return Ok(());
    }
    match t.kind.as_str() {
        "ConfigMap" => {
            string_map("data", &obj["data"])?;
            string_map("binaryData", &obj["binaryData"])?;
        }
        "Secret" => {
            string_map("data", &obj["data"])?;
            string_map("stringData", &obj["stringData"])?;
            if let Some(data) = obj["data"].as_object() {
                use base64::Engine;
                for v in data.values() {
                    let text = v.as_str().unwrap_or_default();
                    if base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .is_err()
                    {
                        return Err(err(
                            400,
                            "BadRequest",
                            "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input byte 0",
                        ));
                    }
                }
            }
        }
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" => {
            if let Some(want) = obj["spec"]["selector"]["matchLabels"].as_object() {
                let have = &obj["spec"]["template"]["metadata"]["labels"];
                if want.iter().any(|(k, v)| have.get(k) != Some(v)) {
                    return Err(invalid(
                        t,
                        name,
                        "spec.template.metadata.labels",
                        &format!(
                            "Invalid value: {have}: `selector` does not match template `labels`"
                        ),
                    ));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Fields the real API server refuses to change after creation.
fn check_immutable(t: &ResourceType, name: &str, old: &Value, new: &Value) -> Result<(), ApiError> {
    if t.custom {
        return Ok(());
    }
    let immutable = |field: &str, a: &Value, b: &Value| -> Result<(), ApiError> {
        if a != b {
            return Err(invalid(
                t,
                name,
                field,
                &format!("Invalid value: {b}: field is immutable"),
            ));
        }
        Ok(())
    };
    match t.kind.as_str() {
        "Deployment" | "ReplicaSet" | "DaemonSet" => immutable(
            "spec.selector",
            &old["spec"]["selector"],
            &new["spec"]["selector"],
        )?,
        "StatefulSet" => {
            let strip = |v: &Value| {
                let mut v = v["spec"].clone();
                if let Some(m) = v.as_object_mut() {
                    for k in [
                        "replicas",
                        "ordinals",
                        "template",
                        "updateStrategy",
                        "persistentVolumeClaimRetentionPolicy",
                        "minReadySeconds",
                    ] {
                        m.remove(k);
                    }
                }
                v
            };
            if strip(old) != strip(new) {
                return Err(invalid(t, name, "spec", "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"));
            }
        }
        "Job" => {
            immutable(
                "spec.selector",
                &old["spec"]["selector"],
                &new["spec"]["selector"],
            )?;
            immutable(
                "spec.template",
                &old["spec"]["template"],
                &new["spec"]["template"],
            )?;
            immutable(
                "spec.completions",
                &old["spec"]["completions"],
                &new["spec"]["completions"],
            )?;
        }
        "Service" => {
            let (a, b) = (&old["spec"]["clusterIP"], &new["spec"]["clusterIP"]);
            if !a.is_null() && !b.is_null() && a != b && a != "None" {
                immutable("spec.clusterIP", a, b)?;
            }
        }
        "ConfigMap" | "Secret"
            if old["immutable"] == true
                && (old["data"] != new["data"] || old["binaryData"] != new["binaryData"]) =>
        {
            return Err(invalid(
                t,
                name,
                "data",
                "Forbidden: field is immutable when `immutable` is set",
            ));
        }
        "PersistentVolumeClaim" => {
            let strip = |v: &Value| {
                let mut v = v["spec"].clone();
                if let Some(r) = v.get_mut("resources").and_then(Value::as_object_mut) {
                    r.remove("requests");
                }
                if let Some(m) = v.as_object_mut() {
                    m.remove("volumeAttributesClassName");
                    m.remove("volumeName");
                }
                v
            };
            if strip(old) != strip(new) {
                return Err(invalid(t, name, "spec", "Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"));
            }
        }
        _ => {}
    }
    Ok(())
}
