//! The cluster, reached through one narrow handle ([`Cluster`]): discover kinds,
//! list and get objects, server-side apply (real or `dryRun=All`), delete, and
//! wait for readiness. Requests are built by pure functions ([`request`]),
//! retried by one policy ([`retry`]) and judged ready by small conditions
//! ([`ready`]). This module knows nothing of workspaces, charts, values, diffs or
//! release records; it never logs request bodies (they may hold Secret values).

pub mod discovery;
pub mod kubeconfig;
pub mod ready;
pub mod request;
pub mod retry;
pub mod status;
pub mod transport;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

pub use kubeconfig::ConnectOptions;
pub use ready::Readiness;
pub use request::{ApplyOptions, ResourceInfo};
pub use retry::RetryPolicy;

/// Errors talking to the cluster.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("no cluster configured: looked at {looked}; give --kubeconfig or set KUBECONFIG (to see the objects without a cluster, run `berth render`)")]
    NoCluster { looked: String },
    #[error("cannot read kubeconfig {path}")]
    Kubeconfig {
        path: String,
        #[source]
        source: kube::config::KubeconfigError,
    },
    #[error("kubeconfig {source_} has no current context: pass --context")]
    NoContext { source_: String },
    #[error("context {context:?} is not defined in kubeconfig {source_}")]
    UnknownContext { context: String, source_: String },
    #[error("cannot build a client for context {context:?}")]
    Client {
        context: String,
        #[source]
        source: kube::Error,
    },
    #[error("cannot build the request to {what}")]
    BuildRequest {
        what: String,
        #[source]
        source: kube::core::request::Error,
    },
    #[error("the cluster does not serve kind {kind} in {api_version} (is its CRD installed?)")]
    UnknownKind { api_version: String, kind: String },
    #[error("{what}: {}", status::server_says(*code, reason, message))]
    Api {
        what: String,
        code: u16,
        reason: String,
        message: String,
    },
    #[error("conflict applying {object}: Error from server (Conflict): {message}; pass --force-conflicts to take ownership of these fields")]
    Conflict { object: String, message: String },
    #[error("{what}: gave up after {attempts} attempts, last: {last}")]
    Exhausted {
        what: String,
        attempts: u32,
        last: String,
    },
    #[error("{what}: {}", status::unable_to_connect(server.as_deref(), cause))]
    Connection {
        what: String,
        /// The API server URL, when known.
        server: Option<String>,
        /// The connection error's causes, as [`status::connection_cause`] words them.
        cause: String,
    },
    #[error("{what}: cannot decode the server's answer")]
    Decode {
        what: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("timed out after {seconds}s waiting for {object}: {state}")]
    Timeout {
        object: String,
        seconds: u64,
        state: String,
    },
    #[error("{object} will not become ready: {reason}")]
    NotReady { object: String, reason: String },
}

impl ClusterError {
    /// What went wrong, without the request it happened to (for a state line
    /// that already names the object).
    pub fn cause(&self) -> String {
        match self {
            ClusterError::Api {
                code,
                reason,
                message,
                ..
            } => status::server_says(*code, reason, message),
            ClusterError::Connection { server, cause, .. } => {
                status::unable_to_connect(server.as_deref(), cause)
            }
            ClusterError::Exhausted { attempts, last, .. } => {
                format!("gave up after {attempts} attempts, last: {last}")
            }
            other => other.to_string(),
        }
    }

    /// Whether the error is an HTTP 404 from the server.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ClusterError::Api { code: 404, .. })
    }

    /// Whether the error is a transient one that outlived its retries (5xx,
    /// 429, a lost connection): worth trying again later, as readiness
    /// polling does until its deadline.
    pub fn is_transient(&self) -> bool {
        match self {
            ClusterError::Exhausted { .. } | ClusterError::Connection { .. } => true,
            ClusterError::Api { code, .. } => http::StatusCode::from_u16(*code)
                .map(retry::is_retryable_status)
                .unwrap_or(false),
            _ => false,
        }
    }
}

/// A group version's kinds, and whether they came from the on-disk cache.
type CachedKinds = (Arc<discovery::GroupVersionKinds>, bool);

/// A connection to one cluster (cheap to clone; clones share the discovery cache).
#[derive(Clone)]
pub struct Cluster {
    client: kube::Client,
    context: String,
    /// The API server URL (named in connection errors).
    server: String,
    default_namespace: String,
    retry: RetryPolicy,
    discovery: Arc<Mutex<HashMap<String, CachedKinds>>>,
    /// On-disk discovery cache of this server (`None`: no usable home/cache dir).
    disk: Option<discovery::DiskCache>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("context", &self.context)
            .finish()
    }
}

use status::status_of;
use transport::{describe, Answer, Replay};

impl Cluster {
    /// Connect using a kubeconfig resolved as kubectl does. No network traffic yet.
    pub async fn connect(opts: &ConnectOptions) -> Result<Cluster, ClusterError> {
        // kube (ring) and the AWS SDK (aws-lc-rs) both bring a rustls provider;
        // choose ring explicitly (an Err only means one is already installed).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let resolved = kubeconfig::resolve(opts)?;
        let kopts = kube::config::KubeConfigOptions {
            context: Some(resolved.context.clone()),
            ..Default::default()
        };
        let mut config = kube::Config::from_custom_kubeconfig(resolved.config, &kopts)
            .await
            .map_err(|source| ClusterError::Kubeconfig {
                path: resolved.source.clone(),
                source,
            })?;
        // berth retries itself (idempotent requests only, see `retry`).
        config.default_retry = false;
        config.connect_timeout = Some(Duration::from_secs(10));
        config.read_timeout = Some(Duration::from_secs(60));
        let default_namespace = config.default_namespace.clone();
        let server = config.cluster_url.to_string();
        let disk = discovery::DiskCache::for_server(&config.cluster_url.to_string());
        let client = kube::Client::try_from(config).map_err(|source| ClusterError::Client {
            context: resolved.context.clone(),
            source,
        })?;
        Ok(Cluster {
            client,
            context: resolved.context,
            server,
            default_namespace,
            retry: RetryPolicy::default(),
            discovery: Arc::default(),
            disk,
        })
    }

    /// The underlying kube client (for the release record store).
    pub fn client(&self) -> kube::Client {
        self.client.clone()
    }

    /// The kube-context in use.
    pub fn context(&self) -> &str {
        &self.context
    }

    /// The context's default namespace (`default` when unset).
    pub fn default_namespace(&self) -> &str {
        &self.default_namespace
    }

    /// Send a request, retrying transient failures of idempotent requests.
    async fn send(&self, req: http::Request<Vec<u8>>) -> Result<Answer, ClusterError> {
        transport::send(
            &self.client,
            Some(&self.server),
            &self.retry,
            Replay::ByMethod,
            req,
        )
        .await
    }

    /// The API server URL.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Send and decode a JSON answer; non-2xx statuses become [`ClusterError::Api`].
    async fn send_json(&self, req: http::Request<Vec<u8>>) -> Result<Value, ClusterError> {
        let what = describe(&req);
        let answer = self.send(req).await?;
        if !answer.status.is_success() {
            let (reason, message) = status_of(&answer.body);
            return Err(ClusterError::Api {
                what,
                code: answer.status.as_u16(),
                reason,
                message,
            });
        }
        serde_json::from_slice(&answer.body).map_err(|source| ClusterError::Decode { what, source })
    }

    /// The kinds a group version serves: from memory, else from the on-disk
    /// cache (fresh for [`discovery::DISK_TTL`]), else fetched from the server
    /// (and then written to the disk cache). The flag says it came from disk.
    async fn group_version_entry(&self, api_version: &str) -> Result<CachedKinds, ClusterError> {
        if let Some(hit) = self.cached(api_version) {
            return Ok(hit);
        }
        if let Some(doc) = self.disk.as_ref().and_then(|d| d.load(api_version)) {
            let kinds = Arc::new(discovery::parse_resource_list(api_version, &doc));
            if let Ok(mut cache) = self.discovery.lock() {
                cache.insert(api_version.to_string(), (kinds.clone(), true));
            }
            return Ok((kinds, true));
        }
        self.fetch_group_version(api_version)
            .await
            .map(|k| (k, false))
    }

    /// Fetch a group version from the server, replacing any cached answer.
    async fn fetch_group_version(
        &self,
        api_version: &str,
    ) -> Result<Arc<discovery::GroupVersionKinds>, ClusterError> {
        let kinds = match self.send_json(request::discovery(api_version)).await {
            Ok(doc) => {
                if let Some(disk) = &self.disk {
                    disk.store(api_version, &doc);
                }
                discovery::parse_resource_list(api_version, &doc)
            }
            Err(e) if e.is_not_found() => {
                if let Some(disk) = &self.disk {
                    disk.forget(api_version);
                }
                discovery::GroupVersionKinds::new()
            }
            Err(e) => return Err(e),
        };
        let kinds = Arc::new(kinds);
        if let Ok(mut cache) = self.discovery.lock() {
            cache.insert(api_version.to_string(), (kinds.clone(), false));
        }
        Ok(kinds)
    }

    /// The kinds of a group version that must serve every kind in `kinds`:
    /// an answer from the on-disk cache that lacks one is refetched (the
    /// cache may predate a CRD).
    pub async fn group_version_serving(
        &self,
        api_version: &str,
        kinds: &[&str],
    ) -> Result<Arc<discovery::GroupVersionKinds>, ClusterError> {
        let (found, from_disk) = self.group_version_entry(api_version).await?;
        if from_disk && kinds.iter().any(|k| !found.contains_key(*k)) {
            return self.fetch_group_version(api_version).await;
        }
        Ok(found)
    }

    fn cached(&self, api_version: &str) -> Option<CachedKinds> {
        self.discovery
            .lock()
            .ok()
            .and_then(|c| c.get(api_version).cloned())
    }

    /// Forget what discovery said about a group version (after a CRD changed
    /// it), in memory and on disk.
    pub fn forget(&self, api_version: &str) {
        if let Ok(mut cache) = self.discovery.lock() {
            cache.remove(api_version);
        }
        if let Some(disk) = &self.disk {
            disk.forget(api_version);
        }
    }

    /// The resource serving `kind` in `api_version`, if the cluster serves it.
    pub async fn try_resolve(
        &self,
        api_version: &str,
        kind: &str,
    ) -> Result<Option<ResourceInfo>, ClusterError> {
        Ok(self
            .group_version_serving(api_version, &[kind])
            .await?
            .get(kind)
            .cloned())
    }

    /// The resource serving `kind` in `api_version`, or [`ClusterError::UnknownKind`].
    pub async fn resolve(
        &self,
        api_version: &str,
        kind: &str,
    ) -> Result<ResourceInfo, ClusterError> {
        self.try_resolve(api_version, kind)
            .await?
            .ok_or_else(|| ClusterError::UnknownKind {
                api_version: api_version.to_string(),
                kind: kind.to_string(),
            })
    }

    /// LIST objects of a resource in a namespace (or cluster-wide), following
    /// `continue` tokens. Items get `apiVersion`/`kind` filled in.
    pub async fn list(
        &self,
        res: &ResourceInfo,
        namespace: Option<&str>,
        label_selector: Option<&str>,
    ) -> Result<Vec<Value>, ClusterError> {
        let mut items = Vec::new();
        let mut req = request::list(res, namespace, label_selector)?;
        loop {
            let mut doc = self.send_json(request::clone_request(&req)).await?;
            let page = match doc.get_mut("items").map(Value::take) {
                Some(Value::Array(page)) => page,
                _ => Vec::new(),
            };
            for mut item in page {
                if let Some(obj) = item.as_object_mut() {
                    obj.entry("apiVersion")
                        .or_insert_with(|| Value::String(res.api.api_version.clone()));
                    obj.entry("kind")
                        .or_insert_with(|| Value::String(res.api.kind.clone()));
                }
                items.push(item);
            }
            match doc
                .pointer("/metadata/continue")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
            {
                Some(token) => {
                    let uri = format!(
                        "{}&continue={}",
                        request::list(res, namespace, label_selector)?.uri(),
                        token
                    );
                    *req.uri_mut() = uri.parse().map_err(|_| ClusterError::Api {
                        what: describe(&req),
                        code: 0,
                        reason: "BadContinue".into(),
                        message: "the server sent an unusable continue token".into(),
                    })?;
                }
                None => return Ok(items),
            }
        }
    }

    /// GET one object; `None` when it does not exist.
    pub async fn get(
        &self,
        res: &ResourceInfo,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Option<Value>, ClusterError> {
        match self.send_json(request::get(res, namespace, name)?).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Server-side apply `object` (real or dry run). A 409 becomes
    /// [`ClusterError::Conflict`] carrying the server's message, which names the
    /// other field manager and the fields.
    pub async fn apply(
        &self,
        res: &ResourceInfo,
        object: &Value,
        opts: &ApplyOptions,
    ) -> Result<Value, ClusterError> {
        let req = request::apply(res, object, opts)?;
        match self.send_json(req).await {
            Err(ClusterError::Api {
                code: 409, message, ..
            }) => Err(ClusterError::Conflict {
                object: describe_object(object),
                message,
            }),
            other => other,
        }
    }

    /// Delete one object; `false` when it was already gone.
    pub async fn delete(
        &self,
        res: &ResourceInfo,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<bool, ClusterError> {
        match self.send_json(request::delete(res, namespace, name)?).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Poll `object` until [`ready::readiness`] says ready, it fails, or
    /// `deadline` passes. `on_state` sees each pending state (for progress).
    pub async fn wait_ready(
        &self,
        res: &ResourceInfo,
        namespace: Option<&str>,
        name: &str,
        deadline: Instant,
        poll: Duration,
        mut on_state: impl FnMut(&str),
    ) -> Result<(), ClusterError> {
        let object = match namespace.filter(|_| res.namespaced) {
            Some(ns) => format!("{} {ns}/{name}", res.api.kind),
            None => format!("{} {name}", res.api.kind),
        };
        let started = Instant::now();
        loop {
            // A transient failure (5xx, 429, a lost connection, each already
            // retried) is one more pending state: the wait goes on until its
            // deadline, and a timeout then names the last failure.
            let state = match self.get(res, namespace, name).await {
                Ok(None) => Readiness::Pending("not found yet".into()),
                Ok(Some(obj)) => ready::readiness(&obj),
                Err(e) if e.is_transient() => {
                    Readiness::Pending(format!("cannot read it: {}", e.cause()))
                }
                Err(e) => return Err(e),
            };
            match state {
                Readiness::Ready => return Ok(()),
                Readiness::Failed(reason) => return Err(ClusterError::NotReady { object, reason }),
                Readiness::Pending(state) => {
                    on_state(&state);
                    if Instant::now() + poll > deadline {
                        return Err(ClusterError::Timeout {
                            object,
                            seconds: started.elapsed().as_secs().max(1),
                            state,
                        });
                    }
                    tokio::time::sleep(poll).await;
                }
            }
        }
    }
}

/// `Kind namespace/name` of a JSON object.
pub fn describe_object(object: &Value) -> String {
    let s = |p| {
        object
            .pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    match object
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
    {
        Some(ns) => format!("{} {ns}/{}", s("/kind"), s("/metadata/name")),
        None => format!("{} {}", s("/kind"), s("/metadata/name")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_described_by_kind_namespace_name() {
        let o =
            serde_json::json!({"kind":"Service","metadata":{"name":"proxy","namespace":"jupyter"}});
        assert_eq!(describe_object(&o), "Service jupyter/proxy");
        let o = serde_json::json!({"kind":"Namespace","metadata":{"name":"jupyter"}});
        assert_eq!(describe_object(&o), "Namespace jupyter");
    }
}
