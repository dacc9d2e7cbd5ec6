//! A protocol-faithful test Kubernetes API server (test infrastructure only,
//! never part of the `berth` binary). It speaks the REST protocol `kube` and
//! `kubectl` use over plain HTTP/1.1 (keep-alive) and h2c on 127.0.0.1:
//! discovery (incl. aggregated v2), CRUD, list selectors, watch, server-side
//! apply with managed fields and conflicts, strategic/merge/JSON patch,
//! `dryRun=All`, defaults, a readiness controller, CRDs and fault injection.
//!
//! ```ignore
//! let server = TestApiServer::start();          // own thread + runtime; fine in sync tests
//! berth(dir).env("KUBECONFIG", server.kubeconfig()).args(["deploy", "--yes"]).success();
//! assert!(server.get("apps/v1", "Deployment", Some("default"), "web").is_some());
//! server.clear_requests();                       // then: no writes on a no-op deploy
//! assert!(server.requests().iter().all(|r| !r.is_write() || r.is_dry_run()));
//! server.faults().fail("PATCH", "/deployments/web", 503, 2);   // 429/503 carry Retry-After: 1
//! server.set_never_ready(true);                  // workloads never report ready
//! ```
//!
//! This module owns the socket, the shared state and the public test API
//! ([`TestApiServer`]); `handler` owns the protocol, `fields` field ownership,
//! `store` the objects. It must not depend on the rest of `tests/support`
//! because `examples/test-apiserver.rs` includes it on its own.
#![allow(dead_code)]

pub mod controller;
pub mod defaults;
pub mod faults;
pub mod fields;
pub mod handler;
pub mod lists;
pub mod registry;
pub mod selector;
pub mod smp;
pub mod store;

#[allow(unused_imports)]
pub use faults::{Fault, FaultAction, Faults};

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request as HttpRequest, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::net::TcpListener;

/// Settings for a server.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// How long workloads take to report ready / Jobs to complete.
    pub ready_delay: Duration,
    /// Workloads never become ready (to test timeouts).
    pub never_ready: bool,
    /// How long a new CRD takes to report Established.
    pub crd_delay: Duration,
    /// Extra namespaces to create at start (besides default, kube-system, kube-public).
    pub namespaces: Vec<String>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            ready_delay: Duration::from_millis(200),
            never_ready: false,
            crd_delay: Duration::from_millis(100),
            namespaces: Vec::new(),
        }
    }
}

/// One request the server received.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestLog {
    /// HTTP method.
    pub method: String,
    /// URL path.
    pub path: String,
    /// Raw query string (still percent-encoded).
    pub query: String,
    /// Content-Type header ("" when absent).
    pub content_type: String,
    /// User-Agent header ("" when absent).
    pub user_agent: String,
    /// The status code answered (0 when the connection was dropped).
    pub status: u16,
}

impl RequestLog {
    /// Whether the request could change state (anything but GET/HEAD).
    /// Dry-run writes count as writes here; see [`RequestLog::is_dry_run`].
    pub fn is_write(&self) -> bool {
        !matches!(self.method.as_str(), "GET" | "HEAD")
    }
    /// Whether the request carried `dryRun=All`.
    pub fn is_dry_run(&self) -> bool {
        self.query.split('&').any(|kv| kv == "dryRun=All")
    }
}

/// State shared by the connection tasks, the controller and the test handle.
pub struct Shared {
    store: Mutex<store::Store>,
    pub faults: Faults,
    log: Mutex<Vec<RequestLog>>,
    ready_delay_ms: AtomicU64,
    crd_delay_ms: AtomicU64,
    never_ready: AtomicBool,
    /// host:port the server listens on.
    pub addr: String,
}

impl Shared {
    /// A fresh server state.
    pub fn new(opts: &ServerOptions, addr: String) -> Shared {
        let shared = Shared {
            store: Mutex::new(store::Store::new()),
            faults: Faults::default(),
            log: Mutex::new(Vec::new()),
            ready_delay_ms: AtomicU64::new(opts.ready_delay.as_millis() as u64),
            crd_delay_ms: AtomicU64::new(opts.crd_delay.as_millis() as u64),
            never_ready: AtomicBool::new(opts.never_ready),
            addr,
        };
        {
            let mut store = shared.store();
            let t = store
                .registry
                .get("", "v1", "namespaces")
                .cloned()
                .unwrap_or_else(|| unreachable!("namespaces is built in"));
            let mut names = vec![
                "default".to_string(),
                "kube-system".into(),
                "kube-public".into(),
            ];
            names.extend(opts.namespaces.iter().cloned());
            for ns in names {
                let mut obj = serde_json::json!({"apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": ns, "uid": store.next_uid(),
                        "creationTimestamp": handler::now()}});
                defaults::apply("Namespace", &mut obj, &mut || String::new());
                let rv = store.next_rv();
                obj["metadata"]["resourceVersion"] = serde_json::json!(rv.to_string());
                store.put(&t, "", &ns, obj);
            }
        }
        shared
    }
    /// Lock the store.
    pub fn store(&self) -> MutexGuard<'_, store::Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn log(&self) -> MutexGuard<'_, Vec<RequestLog>> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }
    /// Current ready delay.
    pub fn ready_delay(&self) -> Duration {
        Duration::from_millis(self.ready_delay_ms.load(Ordering::Relaxed))
    }
    /// Current CRD establish delay.
    pub fn crd_delay(&self) -> Duration {
        Duration::from_millis(self.crd_delay_ms.load(Ordering::Relaxed))
    }
    /// Whether workloads are kept from becoming ready.
    pub fn never_ready(&self) -> bool {
        self.never_ready.load(Ordering::Relaxed)
    }
    /// Change the ready delay for workloads written from now on.
    pub fn set_ready_delay(&self, d: Duration) {
        self.ready_delay_ms
            .store(d.as_millis() as u64, Ordering::Relaxed);
    }
    /// Keep workloads from becoming ready (or let them again).
    pub fn set_never_ready(&self, on: bool) {
        self.never_ready.store(on, Ordering::Relaxed);
    }
    /// Requests so far.
    pub fn requests(&self) -> Vec<RequestLog> {
        self.log().clone()
    }
    /// Forget the request log.
    pub fn clear_requests(&self) {
        self.log().clear();
    }
}

type Body = BoxBody<Bytes, Infallible>;

/// The error that makes hyper close a connection without answering.
#[derive(Debug)]
struct Dropped;
impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}
impl std::error::Error for Dropped {}

fn full(code: u16, body: Vec<u8>, content_type: &str) -> Response<Body> {
    let mut resp = Response::new(Full::new(Bytes::from(body)).boxed());
    *resp.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = content_type.parse() {
        resp.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    resp
}

fn parse_query(q: &str) -> HashMap<String, String> {
    q.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn serve_request(
    shared: Arc<Shared>,
    req: HttpRequest<Incoming>,
) -> Result<Response<Body>, Dropped> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let raw_query = req.uri().query().unwrap_or("").to_string();
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let content_type = header("content-type");
    let accept = header("accept");
    let user_agent = header("user-agent");
    let mut entry = RequestLog {
        method: method.clone(),
        path: path.clone(),
        query: raw_query.clone(),
        content_type: content_type.clone(),
        user_agent: user_agent.clone(),
        status: 0,
    };
    let (delay, action) = shared.faults.take(&method, &path);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Err(Dropped),
    };
    match action {
        Some(FaultAction::Drop) => {
            shared.log().push(entry);
            return Err(Dropped);
        }
        Some(FaultAction::Status { code, retry_after }) => {
            entry.status = code;
            shared.log().push(entry);
            let status = handler::fault_status(code, retry_after);
            let mut resp = full(code, status.to_string().into_bytes(), "application/json");
            if let Some(secs) = retry_after {
                if let Ok(v) = secs.to_string().parse() {
                    resp.headers_mut().insert(hyper::header::RETRY_AFTER, v);
                }
            }
            return Ok(resp);
        }
        Some(FaultAction::Conflict) => {
            entry.status = 409;
            shared.log().push(entry);
            let status = handler::fault_status(409, None);
            return Ok(full(
                409,
                status.to_string().into_bytes(),
                "application/json",
            ));
        }
        _ => {}
    }
    let request = handler::Request {
        method,
        path,
        query: parse_query(&raw_query),
        content_type,
        accept,
        user_agent,
        body,
    };
    let reply = handler::handle(&shared, &request);
    if action == Some(FaultAction::DropAfter) {
        entry.status = 0;
        shared.log().push(entry);
        return Err(Dropped);
    }
    let resp = match reply {
        handler::Reply::Json(code, v, ct) => {
            entry.status = code;
            full(code, serde_json::to_vec(&v).unwrap_or_default(), &ct)
        }
        handler::Reply::Raw(code, bytes, ct) => {
            entry.status = code;
            full(code, bytes, &ct)
        }
        handler::Reply::Text(code, t) => {
            entry.status = code;
            full(code, t.into_bytes(), "text/plain")
        }
        handler::Reply::Watch(plan) => {
            entry.status = 200;
            watch_response(plan)
        }
    };
    shared.log().push(entry);
    Ok(resp)
}

fn watch_response(plan: handler::WatchPlan) -> Response<Body> {
    let (tx, out_rx) = tokio::sync::mpsc::unbounded_channel::<Bytes>();
    let line = |v: &Value| {
        let mut b = serde_json::to_vec(v).unwrap_or_default();
        b.push(b'\n');
        Bytes::from(b)
    };
    for ev in &plan.initial {
        let _ = tx.send(line(ev));
    }
    let handler::WatchPlan {
        rx: mut events,
        filter,
        timeout,
        ..
    } = plan;
    tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => break,
                _ = tx.closed() => break,
                ev = events.recv() => match ev {
                    Ok(ev) => {
                        if let Some(v) = filter.line(&ev) {
                            if tx.send(line(&v)).is_err() {
                                break;
                            }
                        }
                    }
                    // lagged or closed: end the watch; clients re-list
                    Err(_) => break,
                },
            }
        }
    });
    let stream = futures::stream::unfold(out_rx, |mut r| async move {
        r.recv()
            .await
            .map(|b| (Ok::<_, Infallible>(Frame::data(b)), r))
    });
    let mut resp = Response::new(StreamBody::new(stream).boxed());
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    resp
}

/// Serve connections from `listener` until `shutdown` resolves; runs the
/// controller loop alongside.
pub async fn serve(
    shared: Arc<Shared>,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let ctl = shared.clone();
    let controller = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        loop {
            tick.tick().await;
            controller::tick(&ctl);
        }
    });
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            conn = listener.accept() => {
                let Ok((stream, _)) = conn else { continue };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| serve_request(shared.clone(), req));
                    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                    let _ = builder.serve_connection(TokioIo::new(stream), service).await;
                });
            }
        }
    }
    controller.abort();
}

/// Write a kubeconfig whose current context `test` points at `url`
/// (namespace `default`).
pub fn write_kubeconfig(path: &Path, url: &str) -> std::io::Result<()> {
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: {url}\ncontexts:\n- name: test\n  context:\n    cluster: test\n    user: test\n    namespace: default\ncurrent-context: test\nusers:\n- name: test\n  user: {{}}\npreferences: {{}}\n"
    );
    std::fs::write(path, text)
}

/// A running test API server (background thread with its own tokio runtime);
/// stops when dropped.
pub struct TestApiServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestApiServer {
    /// Start with default options on 127.0.0.1 and a random port.
    pub fn start() -> TestApiServer {
        TestApiServer::start_with(ServerOptions::default())
    }

    /// Start with `opts`.
    pub fn start_with(opts: ServerOptions) -> TestApiServer {
        let std_listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("bind the test API server");
        std_listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = std_listener.local_addr().expect("listener address");
        let shared = Arc::new(Shared::new(&opts, addr.to_string()));
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("test-apiserver".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("tokio runtime for the test API server");
                rt.block_on(async move {
                    let listener = TcpListener::from_std(std_listener).expect("tokio listener");
                    serve(thread_shared, listener, async {
                        let _ = stop_rx.await;
                    })
                    .await;
                });
                rt.shutdown_timeout(Duration::from_millis(100));
            })
            .expect("spawn the test API server thread");
        let dir = tempfile::Builder::new()
            .prefix("berth-apiserver-")
            .tempdir()
            .expect("temp dir for the kubeconfig");
        let server = TestApiServer {
            shared,
            addr,
            dir,
            stop: Some(stop_tx),
            thread: Some(thread),
        };
        write_kubeconfig(&server.kubeconfig(), &server.url()).expect("write the kubeconfig");
        server
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A kubeconfig whose current context (`test`) points at this server.
    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("kubeconfig")
    }

    /// A `kube::Client` configured from [`Self::kubeconfig`], as berth builds one.
    pub async fn client(&self) -> kube::Client {
        // kube (ring) and the AWS SDK (aws-lc-rs) both enable a rustls provider: pick one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let kc = kube::config::Kubeconfig::read_from(self.kubeconfig()).expect("read kubeconfig");
        let cfg =
            kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default())
                .await
                .expect("kubeconfig to config");
        kube::Client::try_from(cfg).expect("client")
    }

    /// Fault injection rules.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RequestLog> {
        self.shared.requests()
    }

    /// Forget the request log.
    pub fn clear_requests(&self) {
        self.shared.clear_requests();
    }

    /// Peek at a stored object (no request is logged).
    pub fn get(
        &self,
        api_version: &str,
        kind: &str,
        ns: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let store = self.shared.store();
        let t = store.registry.by_kind(api_version, kind)?;
        let mut obj = store
            .get(&t.group, &t.plural, ns.unwrap_or(""), name)?
            .clone();
        obj["apiVersion"] = Value::String(api_version.to_string());
        Some(obj)
    }

    /// Names (namespace, name) of every stored object of a kind.
    pub fn list(&self, api_version: &str, kind: &str) -> Vec<(String, String)> {
        let store = self.shared.store();
        let Some(t) = store.registry.by_kind(api_version, kind).cloned() else {
            return vec![];
        };
        store
            .list(&t.group, &t.plural, None, None)
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Workloads written from now on become ready after `d`.
    pub fn set_ready_delay(&self, d: Duration) {
        self.shared.set_ready_delay(d);
    }

    /// Keep workloads from becoming ready (or let them again).
    pub fn set_never_ready(&self, on: bool) {
        self.shared.set_never_ready(on);
    }

    /// The shared state (for advanced tests).
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }
}

impl Drop for TestApiServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_are_percent_decoded_without_panicking() {
        let q = parse_query(
            "labelSelector=app%20in%20(a%2Cb)&fieldManager=berth&x=%E2%9C%93&bad=%zz%&tail=%4",
        );
        assert_eq!(q["labelSelector"], "app in (a,b)");
        assert_eq!(q["fieldManager"], "berth");
        assert_eq!(q["x"], "✓");
        assert_eq!(q["bad"], "%zz%");
        assert_eq!(q["tail"], "%4");
    }
}
