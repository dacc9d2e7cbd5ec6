//! The controller loop: makes workloads report progress and then readiness
//! (Deployments, StatefulSets, DaemonSets, ReplicaSets) or completion (Jobs)
//! after the configured delay — or never — and establishes CRDs, registering
//! their kinds. Works only through the store's pending queue.

use super::fields;
use super::handler::now;
use super::registry::types_from_crd;
use super::store::{Pending, Store};
use super::Shared;
use serde_json::{json, Value};
use std::time::Instant;

/// One pass over the due work.
pub fn tick(shared: &Shared) {
    let never_ready = shared.never_ready();
    let mut store = shared.store();
    if store.pending.is_empty() {
        return;
    }
    let now_i = Instant::now();
    let work = std::mem::take(&mut store.pending);
    let mut keep = Vec::new();
    for mut p in work {
        let due = p.due <= now_i && !never_ready;
        let crd = p.plural == "customresourcedefinitions";
        // nothing to do yet: don't even look at the object
        if (crd && p.due > now_i) || (!crd && !due && p.observed) {
            keep.push(p);
            continue;
        }
        let Some(obj) = store
            .get(&p.group, &p.plural, &p.namespace, &p.name)
            .cloned()
        else {
            continue;
        };
        if crd {
            establish(&mut store, &p, obj);
            continue;
        }
        let kind = obj["kind"].as_str().unwrap_or_default().to_string();
        let status = workload_status(&kind, &obj, due);
        write_status(&mut store, &p, obj, status);
        if !due {
            p.observed = true;
            keep.push(p);
        }
    }
    keep.append(&mut store.pending);
    store.pending = keep;
}

/// Write `status` as the controller manager would: through `/status`, owned
/// by `kube-controller-manager` (or `kube-apiserver` for CRDs).
fn write_status(store: &mut Store, p: &Pending, old: Value, status: Value) {
    if old["status"] == status {
        return;
    }
    let Some(t) = store.registry.by_kind_plural(&p.group, &p.plural).cloned() else {
        return;
    };
    let mut obj = old.clone();
    obj["status"] = status;
    let manager = if t.kind == "CustomResourceDefinition" {
        "kube-apiserver"
    } else {
        "kube-controller-manager"
    };
    fields::record_update(
        Some(&old),
        &mut obj,
        manager,
        &t.api_version(),
        Some("status"),
        &now(),
    );
    let rv = store.next_rv();
    obj["metadata"]["resourceVersion"] = json!(rv.to_string());
    store.put(&t, &p.namespace, &p.name, obj);
}

fn cond(kind: &str, status: &str, reason: &str, message: &str) -> Value {
    let t = now();
    json!({"type": kind, "status": status, "reason": reason, "message": message,
        "lastUpdateTime": t, "lastTransitionTime": t})
}

/// The status a workload reports: progressing (`ready == false`) or ready.
fn workload_status(kind: &str, obj: &Value, ready: bool) -> Value {
    let generation = obj["metadata"]["generation"].clone();
    let replicas = obj["spec"]["replicas"].as_i64().unwrap_or(1);
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    let r = if ready { replicas } else { 0 };
    match kind {
        "Deployment" => {
            let mut s = json!({"observedGeneration": generation, "replicas": replicas,
                "updatedReplicas": replicas, "readyReplicas": r, "availableReplicas": r});
            if ready {
                s["conditions"] = json!([
                    cond(
                        "Available",
                        "True",
                        "MinimumReplicasAvailable",
                        "Deployment has minimum availability."
                    ),
                    cond(
                        "Progressing",
                        "True",
                        "NewReplicaSetAvailable",
                        &format!("ReplicaSet \"{name}\" has successfully progressed.")
                    ),
                ]);
            } else {
                s["unavailableReplicas"] = json!(replicas);
                s["conditions"] = json!([
                    cond(
                        "Available",
                        "False",
                        "MinimumReplicasUnavailable",
                        "Deployment does not have minimum availability."
                    ),
                    cond(
                        "Progressing",
                        "True",
                        "ReplicaSetUpdated",
                        &format!("ReplicaSet \"{name}\" is progressing.")
                    ),
                ]);
            }
            s
        }
        "StatefulSet" => json!({"observedGeneration": generation, "replicas": replicas,
            "readyReplicas": r, "currentReplicas": replicas, "updatedReplicas": replicas,
            "availableReplicas": r, "currentRevision": format!("{name}-rev"),
            "updateRevision": format!("{name}-rev"), "collisionCount": 0}),
        "DaemonSet" => json!({"observedGeneration": generation, "desiredNumberScheduled": 1,
            "currentNumberScheduled": 1, "updatedNumberScheduled": 1, "numberMisscheduled": 0,
            "numberReady": if ready { 1 } else { 0 }, "numberAvailable": if ready { 1 } else { 0 }}),
        "ReplicaSet" => json!({"observedGeneration": generation, "replicas": replicas,
            "fullyLabeledReplicas": replicas, "readyReplicas": r, "availableReplicas": r}),
        "Job" => {
            let completions = obj["spec"]["completions"].as_i64().unwrap_or(1);
            let start = obj["status"]["startTime"]
                .as_str()
                .map(String::from)
                .unwrap_or_else(now);
            if ready {
                json!({"startTime": start, "completionTime": now(), "succeeded": completions,
                    "active": 0, "ready": 0, "uncountedTerminatedPods": {},
                    "conditions": [
                        cond("SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of succeeded pods"),
                        cond("Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods")]})
            } else {
                json!({"startTime": start, "active": 1, "ready": 0, "uncountedTerminatedPods": {}})
            }
        }
        _ => obj["status"].clone(),
    }
}

fn establish(store: &mut Store, p: &Pending, crd: Value) {
    let types = types_from_crd(&crd);
    for t in types {
        store.registry.add(t);
    }
    let t = now();
    let status = json!({
        "conditions": [
            {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found", "lastTransitionTime": t},
            {"type": "Established", "status": "True", "reason": "InitialNamesAccepted", "message": "the initial names have been accepted", "lastTransitionTime": t}],
        "acceptedNames": crd["spec"]["names"].clone(),
        "storedVersions": crd["spec"]["versions"].as_array().map(|vs| vs.iter()
            .filter(|v| v["storage"].as_bool() == Some(true)).map(|v| v["name"].clone()).collect::<Vec<_>>()).unwrap_or_default(),
    });
    write_status(store, p, crd, status);
}
