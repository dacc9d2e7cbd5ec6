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
//!   based on a stale read (409): the compare-and-swap the lease relies on.
//!
//! The building of Secrets from records and back is pure and unit-tested here.

use std::collections::BTreeMap;

use crate::cluster::retry::{is_retryable_status, RetryPolicy};
use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::ByteString;
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::Api;

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

/// Revision records as Secrets in the cluster.
#[derive(Clone)]
pub struct SecretStore {
    client: kube::Client,
}

impl SecretStore {
    /// A store talking to the cluster behind `client`.
    pub fn new(client: kube::Client) -> SecretStore {
        SecretStore { client }
    }

    fn api(&self, ns: &str) -> Api<Secret> {
        Api::namespaced(self.client.clone(), ns)
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
        BTreeMap::from([
            (HOLDER.to_string(), l.holder.clone()),
            (ACQUIRED.to_string(), l.acquired_at.to_rfc3339()),
            (RENEWED.to_string(), l.renewed_at.to_rfc3339()),
            (EXPIRES.to_string(), l.expires_at.to_rfc3339()),
        ])
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
    Ok(Stored {
        record,
        lease,
        version: secret.metadata.resource_version.clone().unwrap_or_default(),
    })
}

fn kube_error(op: &'static str, name: String, source: kube::Error) -> ReleaseError {
    ReleaseError::Kube {
        op,
        name,
        source: Box::new(source),
    }
}

fn api_code(err: &kube::Error) -> Option<u16> {
    match err {
        kube::Error::Api(status) => Some(status.code),
        _ => None,
    }
}

/// How a failed request may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// Reads and deletes: any transient failure (5xx, 429, connection).
    Idempotent,
    /// Creates and compare-and-swap updates: only answers saying the server did
    /// not process the request (429, 503); a lost answer is not retried, since
    /// the write may have happened.
    NotProcessed,
}

fn transient(err: &kube::Error, retry: Retry) -> bool {
    let status = api_code(err).and_then(|c| http::StatusCode::from_u16(c).ok());
    match (status, retry) {
        (Some(s), _) if s == http::StatusCode::TOO_MANY_REQUESTS => true,
        (Some(s), _) if s == http::StatusCode::SERVICE_UNAVAILABLE => true,
        (Some(s), Retry::Idempotent) => is_retryable_status(s),
        (Some(_), Retry::NotProcessed) => false,
        (None, Retry::Idempotent) => matches!(
            err,
            kube::Error::HyperError(_) | kube::Error::Service(_) | kube::Error::ReadEvents(_)
        ),
        (None, Retry::NotProcessed) => false,
    }
}

/// Run `op` while it fails transiently, with the attempts and backoff of the
/// cluster's [`RetryPolicy`] (kube's typed errors carry no `Retry-After`).
async fn with_retry<T, F, Fut>(retry: Retry, mut op: F) -> Result<T, kube::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, kube::Error>>,
{
    let policy = RetryPolicy::default();
    let mut attempt = 1;
    loop {
        match op().await {
            Err(e) if attempt < policy.attempts && transient(&e, retry) => {
                tokio::time::sleep(policy.delay(attempt, None)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

impl Store for SecretStore {
    async fn list(&self, ns: &str, release: &str) -> Result<Vec<Stored>, ReleaseError> {
        let params = ListParams::default().labels(&selector(release));
        let api = self.api(ns);
        let list = with_retry(Retry::Idempotent, || api.list(&params))
            .await
            .map_err(|e| kube_error("list", format!("records of {ns}/{release}"), e))?;
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
        let api = self.api(&record.namespace);
        let pp = PostParams::default();
        match with_retry(Retry::NotProcessed, || api.create(&pp, &secret)).await {
            Ok(created) => Ok(created.metadata.resource_version.unwrap_or_default()),
            Err(e) if api_code(&e) == Some(409) => Err(ReleaseError::RecordExists { name }),
            Err(e) => Err(kube_error("create", name, e)),
        }
    }

    async fn update(
        &self,
        record: &Record,
        lease: Option<&Lease>,
        version: &str,
    ) -> Result<String, ReleaseError> {
        let secret = to_secret(record, lease, Some(version))?;
        let name = record_name(&record.release, record.revision);
        let api = self.api(&record.namespace);
        let pp = PostParams::default();
        match with_retry(Retry::NotProcessed, || api.replace(&name, &pp, &secret)).await {
            Ok(replaced) => Ok(replaced.metadata.resource_version.unwrap_or_default()),
            Err(e) if api_code(&e) == Some(409) => Err(ReleaseError::RecordChanged { name }),
            Err(e) if api_code(&e) == Some(404) => Err(ReleaseError::RecordGone { name }),
            Err(e) => Err(kube_error("update", name, e)),
        }
    }

    async fn delete(&self, ns: &str, release: &str, revision: u32) -> Result<(), ReleaseError> {
        let name = record_name(release, revision);
        let api = self.api(ns);
        let dp = DeleteParams::default();
        match with_retry(Retry::Idempotent, || api.delete(&name, &dp)).await {
            Ok(_) => Ok(()),
            Err(e) if api_code(&e) == Some(404) => Ok(()),
            Err(e) => Err(kube_error("delete", name, e)),
        }
    }
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

    fn api(code: u16) -> kube::Error {
        kube::Error::Api(
            kube::core::Status::failure("x", "X")
                .with_code(code)
                .boxed(),
        )
    }

    #[test]
    fn only_unprocessed_writes_are_retried() {
        for code in [429, 503] {
            assert!(transient(&api(code), Retry::Idempotent));
            assert!(transient(&api(code), Retry::NotProcessed));
        }
        assert!(transient(&api(500), Retry::Idempotent));
        assert!(!transient(&api(500), Retry::NotProcessed));
        for code in [404, 409, 422] {
            assert!(!transient(&api(code), Retry::Idempotent));
            assert!(!transient(&api(code), Retry::NotProcessed));
        }
    }

    #[tokio::test]
    async fn retry_gives_up_after_the_last_attempt() {
        let mut calls = 0;
        let out: Result<(), _> = with_retry(Retry::Idempotent, || {
            calls += 1;
            async { Err(api(503)) }
        })
        .await;
        assert!(out.is_err());
        assert_eq!(calls, RetryPolicy::default().attempts);
        let mut calls = 0;
        let out = with_retry(Retry::NotProcessed, || {
            calls += 1;
            let n = calls;
            async move {
                if n < 2 {
                    Err(api(429))
                } else {
                    Ok(n)
                }
            }
        })
        .await;
        assert_eq!(out.unwrap(), 2);
    }

    #[test]
    fn secret_without_data_is_a_named_error() {
        let mut secret = to_secret(&sample_record("hub", 1, Status::Failed), None, None).unwrap();
        secret.data = None;
        let err = from_secret(&secret).unwrap_err();
        assert!(err.to_string().contains("berth.release.v1.hub.v1"), "{err}");
    }
}
