//! The cluster driver: one Secret per revision record, in the release's namespace.
//!
//! - name `berth.release.v1.<release>.v<N>`, type `berth.deploy/release.v1`;
//! - labels `owner=berth`, `name=<release>`, `version=<N>`, `status=<status>` (listing
//!   uses `owner=berth,name=<release>`; `kubectl get secret -l owner=berth` shows all);
//! - `data.release` = the gzipped JSON record ([`super::codec`]);
//! - the deploy lease of a pending record as annotations
//!   `berth.deploy/lease-holder`, `-acquired`, `-renewed`, `-expires` (RFC 3339),
//!   readable with `kubectl describe secret`;
//! - updates carry `metadata.resourceVersion`, so the API server refuses a write
//!   based on a stale read (409): the compare-and-swap the lease relies on;
//! - every request is retried like any idempotent one ([`crate::cluster::transport`]:
//!   500, 503, 429 after its `Retry-After`, a lost connection or answer). A
//!   write is safe to replay because of that compare-and-swap: a replay answered
//!   409 reads the record back, and when it holds exactly what was written, the
//!   earlier attempt did land and the write succeeded.
//!
//! The building of Secrets from records and back is pure and unit-tested here.

use std::collections::BTreeMap;

use crate::cluster::status::status_of;
use crate::cluster::transport::{self, Replay};
use crate::cluster::{ClusterError, RetryPolicy};
use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::ByteString;
use kube::core::params::{DeleteParams, GetParams, ListParams, PostParams};
use kube::core::{Request, Resource};

use super::codec;
use super::store::{Lease, Store, Stored};
use super::{record_name, Record, ReleaseError};

/// Secret type of revision records.
pub const SECRET_TYPE: &str = "berth.deploy/release.v1";
/// Data key holding the gzipped JSON record.
pub const DATA_KEY: &str = "release";
const HOLDER: &str = "berth.deploy/lease-holder";
const ACQUIRED: &str = "berth.deploy/lease-acquired";
const RENEWED: &str = "berth.deploy/lease-renewed";
const EXPIRES: &str = "berth.deploy/lease-expires";
/// The lease holder's process identity ([`super::holder`]), when known.
const PROCESS: &str = "berth.deploy/lease-process";

/// Revision records as Secrets in the cluster.
#[derive(Clone)]
pub struct SecretStore {
    client: kube::Client,
    retry: RetryPolicy,
}

impl SecretStore {
    /// A store talking to the cluster behind `client`, retrying with the
    /// default [`RetryPolicy`].
    pub fn new(client: kube::Client) -> SecretStore {
        SecretStore {
            client,
            retry: RetryPolicy::default(),
        }
    }

    /// The same store with another retry policy (tests, fast fault runs).
    pub fn with_retry(mut self, retry: RetryPolicy) -> SecretStore {
        self.retry = retry;
        self
    }

    fn request(&self, ns: &str) -> Request {
        Request::new(<Secret as Resource>::url_path(&(), Some(ns)))
    }

    /// Send one request; a failure to build or send it is `op` on `name`.
    async fn send(
        &self,
        op: &'static str,
        name: &str,
        replay: Replay,
        req: Result<http::Request<Vec<u8>>, kube::core::request::Error>,
    ) -> Result<transport::Answer, ReleaseError> {
        let req = req.map_err(|source| {
            failed(
                op,
                name,
                ClusterError::BuildRequest {
                    what: format!("{op} {name}"),
                    source,
                },
            )
        })?;
        transport::send(&self.client, None, &self.retry, replay, req)
            .await
            .map_err(|e| failed(op, name, e))
    }

    /// GET one record Secret (`None`: it does not exist).
    async fn get(&self, ns: &str, name: &str) -> Result<Option<Secret>, ReleaseError> {
        let req = self.request(ns).get(name, &GetParams::default());
        let what = format!("{ns}/{name}");
        let answer = self.send("read", &what, Replay::ByMethod, req).await?;
        if answer.status == http::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        decode_secret("read", &what, answer).map(Some)
    }

    /// After a replayed write was answered 409: whether the record now holds
    /// exactly what we wrote (our earlier attempt landed); its version if so.
    async fn landed(
        &self,
        record: &Record,
        lease: Option<&Lease>,
    ) -> Result<Option<String>, ReleaseError> {
        let name = record_name(&record.release, record.revision);
        let Some(secret) = self.get(&record.namespace, &name).await? else {
            return Ok(None);
        };
        let stored = from_secret(&secret)?;
        let same_lease = match (lease, &stored.lease) {
            (None, None) => true,
            (Some(a), Some(b)) => a == b,
            _ => false,
        };
        Ok((stored.record == *record && same_lease).then_some(stored.version))
    }
}

/// `op` on release record `name` failed in the cluster.
fn failed(op: &'static str, name: &str, source: ClusterError) -> ReleaseError {
    ReleaseError::Cluster {
        op,
        name: name.to_string(),
        source: Box::new(source),
    }
}

/// A 2xx answer's Secret; any other answer as the server's error.
fn decode_secret(
    op: &'static str,
    name: &str,
    answer: transport::Answer,
) -> Result<Secret, ReleaseError> {
    let what = format!("{op} release record {name}");
    if !answer.status.is_success() {
        return Err(failed(op, name, api_error(what, &answer)));
    }
    serde_json::from_slice(&answer.body)
        .map_err(|source| failed(op, name, ClusterError::Decode { what, source }))
}

fn api_error(what: String, answer: &transport::Answer) -> ClusterError {
    let (reason, message) = status_of(&answer.body);
    ClusterError::Api {
        what,
        code: answer.status.as_u16(),
        reason,
        message,
    }
}

/// The label selector listing one release's records.
pub fn selector(release: &str) -> String {
    format!("owner=berth,name={release}")
}

/// Build the Secret holding `record` (and its lease, when pending).
pub fn to_secret(
    record: &Record,
    lease: Option<&Lease>,
    version: Option<&str>,
) -> Result<Secret, ReleaseError> {
    let name = record_name(&record.release, record.revision);
    let data = codec::encode(record).map_err(|source| ReleaseError::Encode {
        name: name.clone(),
        source,
    })?;
    let labels = BTreeMap::from([
        ("owner".to_string(), "berth".to_string()),
        ("name".to_string(), record.release.clone()),
        ("version".to_string(), record.revision.to_string()),
        ("status".to_string(), record.status.as_str().to_string()),
    ]);
    let annotations = lease.map(|l| {
        let mut a = BTreeMap::from([
            (HOLDER.to_string(), l.holder.clone()),
            (ACQUIRED.to_string(), l.acquired_at.to_rfc3339()),
            (RENEWED.to_string(), l.renewed_at.to_rfc3339()),
            (EXPIRES.to_string(), l.expires_at.to_rfc3339()),
        ]);
        // Whoever writes a lease holds it: the identity is this process's.
        if let Some(id) = super::holder::this_process() {
            a.insert(PROCESS.to_string(), id.to_string());
        }
        a
    });
    Ok(Secret {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: Some(record.namespace.clone()),
            labels: Some(labels),
            annotations,
            resource_version: version.map(str::to_string),
            ..ObjectMeta::default()
        },
        type_: Some(SECRET_TYPE.to_string()),
        data: Some(BTreeMap::from([(DATA_KEY.to_string(), ByteString(data))])),
        ..Secret::default()
    })
}

/// Read a record Secret back. A missing or unreadable lease annotation means no lease.
pub fn from_secret(secret: &Secret) -> Result<Stored, ReleaseError> {
    let name = secret.metadata.name.clone().unwrap_or_default();
    let bytes = secret
        .data
        .as_ref()
        .and_then(|d| d.get(DATA_KEY))
        .ok_or_else(|| ReleaseError::MissingData { name: name.clone() })?;
    let record = codec::decode(&bytes.0).map_err(|source| ReleaseError::Decode {
        name: name.clone(),
        source,
    })?;
    let ann = secret.metadata.annotations.as_ref();
    let get = |k: &str| ann.and_then(|a| a.get(k));
    let time = |k: &str| {
        get(k)
            .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let lease = match (get(HOLDER), time(ACQUIRED), time(RENEWED), time(EXPIRES)) {
        (Some(holder), Some(acquired_at), Some(renewed_at), Some(expires_at)) => Some(Lease {
            holder: holder.clone(),
            acquired_at,
            renewed_at,
            expires_at,
        }),
        _ => None,
    };
    let process = lease.as_ref().and(get(PROCESS)).cloned();
    Ok(Stored {
        record,
        lease,
        process,
        version: secret.metadata.resource_version.clone().unwrap_or_default(),
    })
}

impl Store for SecretStore {
    async fn list(&self, ns: &str, release: &str) -> Result<Vec<Stored>, ReleaseError> {
        let params = ListParams::default().labels(&selector(release));
        let what = format!("{ns}/{release}");
        let answer = self
            .send(
                "list",
                &what,
                Replay::ByMethod,
                self.request(ns).list(&params),
            )
            .await?;
        if !answer.status.is_success() {
            return Err(failed(
                "list",
                &what,
                api_error(format!("list release records {what}"), &answer),
            ));
        }
        let list: k8s_openapi::List<Secret> =
            serde_json::from_slice(&answer.body).map_err(|source| {
                failed(
                    "list",
                    &what,
                    ClusterError::Decode {
                        what: format!("list release records {what}"),
                        source,
                    },
                )
            })?;
        list.items
            .iter()
            // Belt and braces: only our type, whatever else carries the labels.
            .filter(|s| s.type_.as_deref() == Some(SECRET_TYPE))
            .map(from_secret)
            .collect()
    }

    async fn create(&self, record: &Record, lease: Option<&Lease>) -> Result<String, ReleaseError> {
        let secret = to_secret(record, lease, None)?;
        let name = record_name(&record.release, record.revision);
        let what = format!("{}/{name}", record.namespace);
        let body = encode_secret(&secret, &what)?;
        let req = self
            .request(&record.namespace)
            .create(&PostParams::default(), body);
        let answer = self.send("create", &what, Replay::Writes, req).await?;
        if answer.status == http::StatusCode::CONFLICT {
            if answer.attempts > 1 {
                if let Some(version) = self.landed(record, lease).await? {
                    return Ok(version);
                }
            }
            return Err(ReleaseError::RecordExists { name });
        }
        let created = decode_secret("create", &what, answer)?;
        Ok(created.metadata.resource_version.unwrap_or_default())
    }

    async fn update(
        &self,
        record: &Record,
        lease: Option<&Lease>,
        version: &str,
    ) -> Result<String, ReleaseError> {
        let secret = to_secret(record, lease, Some(version))?;
        let name = record_name(&record.release, record.revision);
        let what = format!("{}/{name}", record.namespace);
        let body = encode_secret(&secret, &what)?;
        let req = self
            .request(&record.namespace)
            .replace(&name, &PostParams::default(), body);
        let answer = self.send("update", &what, Replay::Writes, req).await?;
        match answer.status {
            http::StatusCode::CONFLICT => {
                if answer.attempts > 1 {
                    if let Some(version) = self.landed(record, lease).await? {
                        return Ok(version);
                    }
                }
                Err(ReleaseError::RecordChanged { name })
            }
            http::StatusCode::NOT_FOUND => Err(ReleaseError::RecordGone { name }),
            _ => {
                let replaced = decode_secret("update", &what, answer)?;
                Ok(replaced.metadata.resource_version.unwrap_or_default())
            }
        }
    }

    async fn delete(&self, ns: &str, release: &str, revision: u32) -> Result<(), ReleaseError> {
        let name = record_name(release, revision);
        let what = format!("{ns}/{name}");
        let req = self.request(ns).delete(&name, &DeleteParams::default());
        let answer = self.send("delete", &what, Replay::ByMethod, req).await?;
        if answer.status.is_success() || answer.status == http::StatusCode::NOT_FOUND {
            return Ok(());
        }
        Err(failed(
            "delete",
            &what,
            api_error(format!("delete release record {what}"), &answer),
        ))
    }
}

/// The JSON body of a record Secret.
fn encode_secret(secret: &Secret, what: &str) -> Result<Vec<u8>, ReleaseError> {
    serde_json::to_vec(secret).map_err(|source| {
        failed(
            "encode",
            what,
            ClusterError::Decode {
                what: format!("encode release record {what}"),
                source,
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::tests::sample_record;
    use crate::release::Status;

    #[test]
    fn secret_has_name_type_labels_and_gzipped_data() {
        let record = sample_record("hub", 4, Status::Deployed);
        let secret = to_secret(&record, None, None).unwrap();
        assert_eq!(
            secret.metadata.name.as_deref(),
            Some("berth.release.v1.hub.v4")
        );
        assert_eq!(secret.metadata.namespace.as_deref(), Some("jupyter"));
        assert_eq!(secret.type_.as_deref(), Some(SECRET_TYPE));
        let labels = secret.metadata.labels.clone().unwrap();
        assert_eq!(labels["owner"], "berth");
        assert_eq!(labels["name"], "hub");
        assert_eq!(labels["version"], "4");
        assert_eq!(labels["status"], "deployed");
        assert!(secret.metadata.annotations.is_none());
        let back = from_secret(&secret).unwrap();
        assert_eq!(back.record, record);
        assert_eq!(back.lease, None);
    }

    #[test]
    fn lease_round_trips_through_annotations() {
        let record = sample_record("hub", 2, Status::Pending);
        let t = record.started_at;
        let lease = Lease {
            holder: "alice@box:42".into(),
            acquired_at: t,
            renewed_at: t + chrono::Duration::seconds(10),
            expires_at: t + chrono::Duration::seconds(310),
        };
        let mut secret = to_secret(&record, Some(&lease), Some("17")).unwrap();
        assert_eq!(secret.metadata.resource_version.as_deref(), Some("17"));
        assert_eq!(
            secret.metadata.annotations.as_ref().unwrap()[HOLDER],
            "alice@box:42"
        );
        let back = from_secret(&secret).unwrap();
        assert_eq!(back.lease, Some(lease));
        assert_eq!(back.version, "17");
        // A damaged annotation reads as "no lease" (the record then counts as expired).
        secret
            .metadata
            .annotations
            .as_mut()
            .unwrap()
            .insert(EXPIRES.into(), "soon".into());
        assert_eq!(from_secret(&secret).unwrap().lease, None);
    }

    #[test]
    fn secret_without_data_is_a_named_error() {
        let mut secret = to_secret(&sample_record("hub", 1, Status::Failed), None, None).unwrap();
        secret.data = None;
        let err = from_secret(&secret).unwrap_err();
        assert!(err.to_string().contains("berth.release.v1.hub.v1"), "{err}");
    }
}
