//! Readiness as small pure conditions over an object's JSON: a Deployment,
//! StatefulSet or DaemonSet rolled out, a Job complete, a CRD established.
//! The polling loop lives in [`super::Cluster::wait_ready`].

use serde_json::Value;

/// What a condition says about an object right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// Done: rolled out, complete, established.
    Ready,
    /// Not yet; the text says what is missing (`2/3 replicas updated`).
    Pending(String),
    /// Will not become ready without a change (Job failed, progress deadline exceeded).
    Failed(String),
}

/// Whether berth waits for objects of this kind at all.
pub fn is_waited_kind(kind: &str) -> bool {
    matches!(
        kind,
        "Deployment" | "StatefulSet" | "DaemonSet" | "Job" | "CustomResourceDefinition"
    )
}

/// The readiness of `obj` by its kind; kinds berth does not wait for are ready.
pub fn readiness(obj: &Value) -> Readiness {
    match obj.get("kind").and_then(Value::as_str).unwrap_or_default() {
        "Deployment" => deployment(obj),
        "StatefulSet" => statefulset(obj),
        "DaemonSet" => daemonset(obj),
        "Job" => job(obj),
        "CustomResourceDefinition" => crd_established(obj),
        _ => Readiness::Ready,
    }
}

fn int(obj: &Value, pointer: &str) -> Option<i64> {
    obj.pointer(pointer).and_then(Value::as_i64)
}

/// The status condition of `type_`, as (status, reason, message).
fn condition<'a>(obj: &'a Value, type_: &str) -> Option<(&'a str, &'a str, &'a str)> {
    obj.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(type_))
        .map(|c| {
            let s = |k| c.get(k).and_then(Value::as_str).unwrap_or_default();
            (s("status"), s("reason"), s("message"))
        })
}

/// The controller has seen the latest spec (`observedGeneration >= generation`).
fn observed(obj: &Value) -> Option<Readiness> {
    let generation = int(obj, "/metadata/generation").unwrap_or(0);
    let observed = int(obj, "/status/observedGeneration").unwrap_or(0);
    (observed < generation).then(|| {
        Readiness::Pending(format!(
            "waiting for the controller to observe generation {generation}"
        ))
    })
}

/// A Deployment is rolled out when every desired replica is updated and available.
pub fn deployment(obj: &Value) -> Readiness {
    if let Some((status, reason, message)) = condition(obj, "Progressing") {
        if status == "False" && reason == "ProgressDeadlineExceeded" {
            return Readiness::Failed(format!("progress deadline exceeded: {message}"));
        }
    }
    if let Some(p) = observed(obj) {
        return p;
    }
    let want = int(obj, "/spec/replicas").unwrap_or(1);
    let updated = int(obj, "/status/updatedReplicas").unwrap_or(0);
    let available = int(obj, "/status/availableReplicas").unwrap_or(0);
    let total = int(obj, "/status/replicas").unwrap_or(0);
    if updated < want {
        return Readiness::Pending(format!("{updated}/{want} replicas updated"));
    }
    if total > updated {
        return Readiness::Pending(format!(
            "{} old replicas pending termination",
            total - updated
        ));
    }
    if available < want {
        return Readiness::Pending(format!("{available}/{want} replicas available"));
    }
    Readiness::Ready
}

/// A StatefulSet is rolled out when every replica is ready and on the update revision.
pub fn statefulset(obj: &Value) -> Readiness {
    if let Some(p) = observed(obj) {
        return p;
    }
    let want = int(obj, "/spec/replicas").unwrap_or(1);
    let ready = int(obj, "/status/readyReplicas").unwrap_or(0);
    if ready < want {
        return Readiness::Pending(format!("{ready}/{want} replicas ready"));
    }
    let rolling = obj
        .pointer("/spec/updateStrategy/type")
        .and_then(Value::as_str)
        .unwrap_or("RollingUpdate")
        == "RollingUpdate";
    if rolling {
        let updated = int(obj, "/status/updatedReplicas").unwrap_or(0);
        if updated < want {
            return Readiness::Pending(format!("{updated}/{want} replicas updated"));
        }
        let current = obj
            .pointer("/status/currentRevision")
            .and_then(Value::as_str);
        let update = obj
            .pointer("/status/updateRevision")
            .and_then(Value::as_str);
        if update.is_some() && current != update {
            return Readiness::Pending("waiting for the update revision to become current".into());
        }
    }
    Readiness::Ready
}

/// A DaemonSet is rolled out when every scheduled pod is updated and available.
pub fn daemonset(obj: &Value) -> Readiness {
    if let Some(p) = observed(obj) {
        return p;
    }
    let want = int(obj, "/status/desiredNumberScheduled").unwrap_or(0);
    let updated = int(obj, "/status/updatedNumberScheduled").unwrap_or(0);
    let available = int(obj, "/status/numberAvailable").unwrap_or(0);
    if updated < want {
        return Readiness::Pending(format!("{updated}/{want} pods updated"));
    }
    if available < want {
        return Readiness::Pending(format!("{available}/{want} pods available"));
    }
    Readiness::Ready
}

/// A Job is ready when its `Complete` condition is true; `Failed` is final.
pub fn job(obj: &Value) -> Readiness {
    if let Some(("True", reason, message)) = condition(obj, "Failed") {
        return Readiness::Failed(format!("job failed: {reason} {message}").trim().into());
    }
    match condition(obj, "Complete") {
        Some(("True", _, _)) => Readiness::Ready,
        _ => {
            let succeeded = int(obj, "/status/succeeded").unwrap_or(0);
            let want = int(obj, "/spec/completions").unwrap_or(1);
            Readiness::Pending(format!("{succeeded}/{want} completions"))
        }
    }
}

/// A CRD is usable when its `Established` condition is true.
pub fn crd_established(obj: &Value) -> Readiness {
    match condition(obj, "Established") {
        Some(("True", _, _)) => Readiness::Ready,
        _ => Readiness::Pending("waiting for the CRD to be established".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        serde_yaml_ng::from_str(text).unwrap()
    }

    #[test]
    fn deployment_rolled_out() {
        let d = yaml(
            "kind: Deployment\nmetadata: {generation: 2}\nspec: {replicas: 3}\n\
             status: {observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3, readyReplicas: 3}",
        );
        assert_eq!(readiness(&d), Readiness::Ready);
    }

    #[test]
    fn deployment_pending_states() {
        let unobserved = yaml(
            "kind: Deployment\nmetadata: {generation: 3}\nspec: {replicas: 1}\nstatus: {observedGeneration: 2}",
        );
        assert!(
            matches!(readiness(&unobserved), Readiness::Pending(m) if m.contains("generation 3"))
        );
        let updating = yaml(
            "kind: Deployment\nmetadata: {generation: 1}\nspec: {replicas: 3}\n\
             status: {observedGeneration: 1, replicas: 3, updatedReplicas: 1, availableReplicas: 3}",
        );
        assert_eq!(
            readiness(&updating),
            Readiness::Pending("1/3 replicas updated".into())
        );
        let old = yaml(
            "kind: Deployment\nmetadata: {generation: 1}\nspec: {replicas: 2}\n\
             status: {observedGeneration: 1, replicas: 3, updatedReplicas: 2, availableReplicas: 2}",
        );
        assert!(matches!(readiness(&old), Readiness::Pending(m) if m.contains("old replicas")));
        // No status at all (just created): default one replica, none available.
        let fresh = yaml("kind: Deployment\nmetadata: {name: x}\nspec: {}");
        assert_eq!(
            readiness(&fresh),
            Readiness::Pending("0/1 replicas updated".into())
        );
        let scaled_to_zero = yaml("kind: Deployment\nspec: {replicas: 0}");
        assert_eq!(readiness(&scaled_to_zero), Readiness::Ready);
    }

    #[test]
    fn deployment_deadline_exceeded_fails() {
        let d = yaml(
            "kind: Deployment\nspec: {replicas: 1}\nstatus:\n  conditions:\n  - {type: Progressing, status: 'False', reason: ProgressDeadlineExceeded, message: too slow}",
        );
        assert!(matches!(readiness(&d), Readiness::Failed(m) if m.contains("too slow")));
    }

    #[test]
    fn statefulset_and_daemonset() {
        let sts = yaml(
            "kind: StatefulSet\nmetadata: {generation: 1}\nspec: {replicas: 2}\n\
             status: {observedGeneration: 1, readyReplicas: 2, updatedReplicas: 2, currentRevision: a, updateRevision: a}",
        );
        assert_eq!(readiness(&sts), Readiness::Ready);
        let rolling = yaml(
            "kind: StatefulSet\nmetadata: {generation: 1}\nspec: {replicas: 2}\n\
             status: {observedGeneration: 1, readyReplicas: 2, updatedReplicas: 2, currentRevision: a, updateRevision: b}",
        );
        assert!(matches!(readiness(&rolling), Readiness::Pending(_)));
        let ds = yaml(
            "kind: DaemonSet\nmetadata: {generation: 1}\n\
             status: {observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 2}",
        );
        assert_eq!(
            readiness(&ds),
            Readiness::Pending("2/3 pods available".into())
        );
    }

    #[test]
    fn job_complete_and_failed() {
        let done = yaml("kind: Job\nstatus:\n  conditions: [{type: Complete, status: 'True'}]");
        assert_eq!(readiness(&done), Readiness::Ready);
        let failed = yaml(
            "kind: Job\nstatus:\n  conditions: [{type: Failed, status: 'True', reason: BackoffLimitExceeded}]",
        );
        assert!(
            matches!(readiness(&failed), Readiness::Failed(m) if m.contains("BackoffLimitExceeded"))
        );
        let running = yaml("kind: Job\nspec: {completions: 2}\nstatus: {succeeded: 1}");
        assert_eq!(
            readiness(&running),
            Readiness::Pending("1/2 completions".into())
        );
    }

    #[test]
    fn crd_and_other_kinds() {
        let crd = yaml(
            "kind: CustomResourceDefinition\nstatus:\n  conditions: [{type: NamesAccepted, status: 'True'}, {type: Established, status: 'True'}]",
        );
        assert_eq!(readiness(&crd), Readiness::Ready);
        let new = yaml("kind: CustomResourceDefinition\nstatus: {}");
        assert!(matches!(readiness(&new), Readiness::Pending(_)));
        assert_eq!(readiness(&yaml("kind: ConfigMap")), Readiness::Ready);
        assert!(is_waited_kind("Job") && !is_waited_kind("Service"));
    }
}
