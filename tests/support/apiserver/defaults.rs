//! Server-side defaulting of the built-in kinds, close enough to the real API
//! server that a dry-run diff of a rendered manifest looks realistic:
//! workload strategies and limits, pod template defaults, Service cluster IP
//! and type, Secret type and `stringData`. Pure functions, except that the
//! caller passes the next free cluster IP.

use base64::Engine;
use serde_json::{json, Value};

fn set_default(obj: &mut Value, key: &str, v: Value) {
    if let Some(m) = obj.as_object_mut() {
        m.entry(key.to_string()).or_insert(v);
    }
}

/// Fill defaults into `obj` of `kind` (group-qualified by the caller's registry).
/// `next_ip` is called when a Service needs a cluster IP.
pub fn apply(kind: &str, obj: &mut Value, next_ip: &mut dyn FnMut() -> String) {
    match kind {
        "Deployment" => {
            let spec = spec(obj);
            set_default(spec, "replicas", json!(1));
            set_default(
                spec,
                "strategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}),
            );
            if spec["strategy"]["type"] == "RollingUpdate" {
                set_default(
                    &mut spec["strategy"],
                    "rollingUpdate",
                    json!({"maxUnavailable": "25%", "maxSurge": "25%"}),
                );
            }
            set_default(spec, "revisionHistoryLimit", json!(10));
            set_default(spec, "progressDeadlineSeconds", json!(600));
            pod_template(&mut spec["template"]);
        }
        "StatefulSet" => {
            let spec = spec(obj);
            set_default(spec, "replicas", json!(1));
            set_default(spec, "podManagementPolicy", json!("OrderedReady"));
            set_default(
                spec,
                "updateStrategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
            );
            set_default(spec, "revisionHistoryLimit", json!(10));
            set_default(
                spec,
                "persistentVolumeClaimRetentionPolicy",
                json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
            );
            pod_template(&mut spec["template"]);
        }
        "DaemonSet" => {
            let spec = spec(obj);
            set_default(
                spec,
                "updateStrategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}),
            );
            set_default(spec, "revisionHistoryLimit", json!(10));
            pod_template(&mut spec["template"]);
        }
        "ReplicaSet" => {
            let spec = spec(obj);
            set_default(spec, "replicas", json!(1));
            pod_template(&mut spec["template"]);
        }
        "Job" => {
            job_spec(spec(obj));
        }
        "CronJob" => {
            let spec = spec(obj);
            set_default(spec, "concurrencyPolicy", json!("Allow"));
            set_default(spec, "suspend", json!(false));
            set_default(spec, "successfulJobsHistoryLimit", json!(3));
            set_default(spec, "failedJobsHistoryLimit", json!(1));
            if spec["jobTemplate"]["spec"].is_object() {
                job_spec(&mut spec["jobTemplate"]["spec"]);
            }
        }
        "Pod" => pod_spec(spec(obj)),
        "Service" => {
            let spec = spec(obj);
            set_default(spec, "type", json!("ClusterIP"));
            set_default(spec, "sessionAffinity", json!("None"));
            if spec["type"] != "ExternalName" {
                if spec.get("clusterIP").is_none() {
                    let ip = next_ip();
                    spec["clusterIP"] = json!(ip);
                }
                let ip = spec["clusterIP"].clone();
                set_default(spec, "clusterIPs", json!([ip]));
                set_default(spec, "ipFamilies", json!(["IPv4"]));
                set_default(spec, "ipFamilyPolicy", json!("SingleStack"));
                set_default(spec, "internalTrafficPolicy", json!("Cluster"));
            }
            if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
                for p in ports {
                    set_default(p, "protocol", json!("TCP"));
                    let port = p["port"].clone();
                    set_default(p, "targetPort", port);
                }
            }
        }
        "Secret" => {
            set_default(obj, "type", json!("Opaque"));
            if let Some(Value::Object(sd)) =
                obj.as_object_mut().and_then(|m| m.remove("stringData"))
            {
                set_default(obj, "data", json!({}));
                for (k, v) in sd {
                    let text = v.as_str().unwrap_or_default();
                    obj["data"][k] =
                        json!(base64::engine::general_purpose::STANDARD.encode(text.as_bytes()));
                }
            }
        }
        "PersistentVolumeClaim" => {
            set_default(spec(obj), "volumeMode", json!("Filesystem"));
        }
        "Namespace" => {
            set_default(spec(obj), "finalizers", json!(["kubernetes"]));
            if let Some(name) = obj["metadata"]["name"].as_str().map(String::from) {
                set_default(&mut obj["metadata"], "labels", json!({}));
                obj["metadata"]["labels"]["kubernetes.io/metadata.name"] = json!(name);
            }
            obj["status"] = json!({"phase": "Active"});
        }
        _ => {}
    }
}

fn spec(obj: &mut Value) -> &mut Value {
    set_default(obj, "spec", json!({}));
    &mut obj["spec"]
}

fn job_spec(spec: &mut Value) {
    set_default(spec, "backoffLimit", json!(6));
    set_default(spec, "completions", json!(1));
    set_default(spec, "parallelism", json!(1));
    set_default(spec, "completionMode", json!("NonIndexed"));
    set_default(spec, "suspend", json!(false));
    pod_template(&mut spec["template"]);
}

fn pod_template(template: &mut Value) {
    if template.is_object() {
        pod_spec(&mut template["spec"]);
    }
}

fn pod_spec(spec: &mut Value) {
    if !spec.is_object() {
        return;
    }
    set_default(spec, "restartPolicy", json!("Always"));
    set_default(spec, "terminationGracePeriodSeconds", json!(30));
    set_default(spec, "dnsPolicy", json!("ClusterFirst"));
    set_default(spec, "securityContext", json!({}));
    set_default(spec, "schedulerName", json!("default-scheduler"));
    for list in ["containers", "initContainers"] {
        if let Some(cs) = spec.get_mut(list).and_then(Value::as_array_mut) {
            for c in cs {
                set_default(c, "terminationMessagePath", json!("/dev/termination-log"));
                set_default(c, "terminationMessagePolicy", json!("File"));
                let image = c["image"].as_str().unwrap_or_default();
                let tag = image.rsplit('/').next().unwrap_or_default();
                let latest = !tag.contains(':') || tag.ends_with(":latest");
                let policy = if latest && !image.contains('@') {
                    "Always"
                } else {
                    "IfNotPresent"
                };
                set_default(c, "imagePullPolicy", json!(policy));
                set_default(c, "resources", json!({}));
                if let Some(ports) = c.get_mut("ports").and_then(Value::as_array_mut) {
                    for p in ports {
                        set_default(p, "protocol", json!("TCP"));
                    }
                }
            }
        }
    }
}
