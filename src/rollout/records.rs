//! The release records a plan starts from: every record of the releases'
//! namespaces read with one LIST of Secrets per namespace, and per release the
//! [`Base`] of its next rollout (next revision, prune inventory, current
//! revision). Reads only; writing records is the transaction's.

use std::collections::{BTreeSet, HashMap};

use anyhow::Context as _;
use serde_json::Value;

use crate::cluster::Cluster;
use crate::manifest::ObjectRef;
use crate::release::{from_secret, Record, SECRET_TYPE};

use super::live::{kind_key, Listed};

/// Records by (namespace, release), in no particular order.
pub type RecordsByRelease = HashMap<(String, String), Vec<Record>>;

/// Every release record in `namespaces`, by (namespace, release): one LIST of
/// all Secrets per namespace (records are those of type [`SECRET_TYPE`]
/// labelled `owner=berth`). The Secret lists are returned too, so the plan
/// reuses them instead of listing Secrets again; a namespace holding any
/// Secret is known to exist.
pub async fn read(
    cluster: &Cluster,
    namespaces: &BTreeSet<String>,
) -> anyhow::Result<(RecordsByRelease, Listed)> {
    let secrets = cluster.resolve("v1", "Secret").await?;
    let mut out: RecordsByRelease = HashMap::new();
    let mut listed = Listed::default();
    for ns in namespaces {
        let items = cluster
            .list(&secrets, Some(ns), None)
            .await
            .with_context(|| format!("cannot read the release records in namespace {ns}"))?;
        for item in &items {
            if item
                .pointer("/metadata/labels/owner")
                .and_then(Value::as_str)
                != Some("berth")
            {
                continue;
            }
            if item.get("type").and_then(Value::as_str) != Some(SECRET_TYPE) {
                continue;
            }
            let name = item
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let secret: k8s_openapi::api::core::v1::Secret =
                serde_json::from_value(item.clone())
                    .with_context(|| format!("release record {ns}/{name} is not a Secret"))?;
            let record = from_secret(&secret)
                .with_context(|| format!("cannot read release record {ns}/{name}"))?
                .record;
            out.entry((ns.clone(), record.release.clone()))
                .or_default()
                .push(record);
        }
        if !items.is_empty() {
            listed.namespaces.insert(ns.clone());
        }
        listed
            .lists
            .insert((kind_key("v1", "Secret"), Some(ns.clone())), items);
    }
    Ok((out, listed))
}

/// What a release's history says about its next rollout.
#[derive(Debug, Clone, Default)]
pub struct Base {
    /// The revision the next record gets.
    pub next_revision: u32,
    /// What the next rollout may prune: the last deployed inventory plus what
    /// failed attempts since then applied (objects a failed deploy created
    /// must not outlive their templates).
    pub inventory: Vec<ObjectRef>,
    /// The newest deployed revision.
    pub current: Option<Record>,
    /// The history breaks "exactly one revision is `deployed`" (records not
    /// pending), so the next deploy must write even when nothing changed:
    /// [`crate::release::Releases::begin`] repairs it.
    pub repair_due: bool,
}

impl Base {
    /// The base of a release with these records (any order).
    pub fn of(mut history: Vec<Record>) -> Base {
        history.sort_by_key(|h| h.revision);
        let settled: Vec<Record> = history
            .iter()
            .filter(|h| h.status != crate::release::Status::Pending)
            .cloned()
            .collect();
        Base {
            repair_due: !crate::release::repair::repairs(&settled).is_empty(),
            next_revision: history.last().map_or(0, |h| h.revision) + 1,
            inventory: crate::release::prune_base(&history),
            current: crate::release::current(&history).cloned(),
        }
    }
}
