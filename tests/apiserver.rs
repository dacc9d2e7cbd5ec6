//! Integration tests: the test API server spoken to over HTTP through the
//! `kube` crate (discovery, CRUD, selectors, server-side apply, defaults, the
//! readiness controller, CRDs, watch, faults), and the real `kubectl` driving
//! the standalone server (the conformance witness).

use crate::support::apiserver::{ServerOptions, TestApiServer};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Service};
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::discovery::{Discovery, Scope};
use serde_json::{json, Value};
use std::future::Future;
use std::time::{Duration, Instant};

fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("test runtime")
        .block_on(f)
}

async fn client(server: &TestApiServer) -> kube::Client {
    // kube (ring) and the AWS SDK (aws-lc-rs) both enable a rustls provider
    let _ = rustls::crypto::ring::default_provider().install_default();
    let kc = kube::config::Kubeconfig::read_from(server.kubeconfig()).expect("read kubeconfig");
    let cfg = kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default())
        .await
        .expect("kubeconfig to config");
    assert_eq!(cfg.default_namespace, "default");
    kube::Client::try_from(cfg).expect("client")
}

fn api_err(e: kube::Error) -> Box<kube::core::Status> {
    match e {
        kube::Error::Api(s) => s,
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn cm(name: &str, labels: Value) -> ConfigMap {
    serde_json::from_value(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "labels": labels}, "data": {"k": "v"}}))
    .expect("configmap")
}

fn deployment(name: &str, replicas: i64, image: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": image, "ports": [{"containerPort": 8080}]}]}}}})
}

fn ns_obj(name: &str) -> Namespace {
    serde_json::from_value(
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}),
    )
    .expect("namespace")
}

async fn eventually<F, Fut>(what: &str, timeout: Duration, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < timeout {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out after {timeout:?} waiting for {what}");
}

#[test]
fn discovery_lists_builtin_kinds_with_scope_verbs_and_short_names() {
    let server = TestApiServer::start();
    block_on(async {
        let client = client(&server).await;
        let version = client.apiserver_version().await.expect("/version");
        assert_eq!(version.major, "1");
        for discovery in [
            Discovery::new(client.clone())
                .run()
                .await
                .expect("discovery"),
            Discovery::new(client.clone())
                .run_aggregated()
                .await
                .expect("aggregated discovery"),
        ] {
            for (g, v, k, scope) in [
                ("", "v1", "Namespace", Scope::Cluster),
                ("", "v1", "ConfigMap", Scope::Namespaced),
                ("", "v1", "Secret", Scope::Namespaced),
                ("", "v1", "ServiceAccount", Scope::Namespaced),
                ("", "v1", "PersistentVolumeClaim", Scope::Namespaced),
                ("apps", "v1", "Deployment", Scope::Namespaced),
                ("apps", "v1", "StatefulSet", Scope::Namespaced),
                ("apps", "v1", "DaemonSet", Scope::Namespaced),
                ("batch", "v1", "CronJob", Scope::Namespaced),
                ("networking.k8s.io", "v1", "Ingress", Scope::Namespaced),
                (
                    "rbac.authorization.k8s.io",
                    "v1",
                    "ClusterRole",
                    Scope::Cluster,
                ),
                (
                    "rbac.authorization.k8s.io",
                    "v1",
                    "ClusterRoleBinding",
                    Scope::Cluster,
                ),
                ("policy", "v1", "PodDisruptionBudget", Scope::Namespaced),
                (
                    "autoscaling",
                    "v2",
                    "HorizontalPodAutoscaler",
                    Scope::Namespaced,
                ),
                (
                    "apiextensions.k8s.io",
                    "v1",
                    "CustomResourceDefinition",
                    Scope::Cluster,
                ),
            ] {
                let (ar, caps) = discovery
                    .resolve_gvk(&GroupVersionKind::gvk(g, v, k))
                    .unwrap_or_else(|| panic!("{g}/{v} {k} not discovered"));
                assert_eq!(caps.scope, scope, "{k}");
                assert!(
                    caps.supports_operation("patch") && caps.supports_operation("watch"),
                    "{k}"
                );
                if k == "Deployment" {
                    assert_eq!(ar.plural, "deployments");
                }
            }
        }
        let req = http::Request::get("/apis/apps/v1")
            .body(vec![])
            .expect("request");
        let list: Value = client.request(req).await.expect("resource list");
        let deploy = list["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .find(|r| r["name"] == "deployments")
            .expect("deployments listed");
        assert_eq!(deploy["shortNames"], json!(["deploy"]));
        assert!(list["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .any(|r| r["name"] == "deployments/scale"));
    });
}

#[test]
fn crud_statuses_are_kubernetes_shaped() {
    let server = TestApiServer::start();
    block_on(async {
        let client = client(&server).await;
        let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
        let created = cms
            .create(&PostParams::default(), &cm("one", json!({"a": "1"})))
            .await
            .expect("create");
        let meta = &created.metadata;
        assert!(meta.uid.is_some() && meta.creation_timestamp.is_some());
        let rv1: u64 = meta
            .resource_version
            .as_deref()
            .expect("rv")
            .parse()
            .expect("numeric rv");
        let dup = api_err(
            cms.create(&PostParams::default(), &cm("one", json!({})))
                .await
                .unwrap_err(),
        );
        assert_eq!((dup.code, dup.reason.as_str()), (409, "AlreadyExists"));
        assert_eq!(dup.message, "configmaps \"one\" already exists");

        let mut changed = created.clone();
        changed.data = Some([("k".to_string(), "v2".to_string())].into());
        let replaced = cms
            .replace("one", &PostParams::default(), &changed)
            .await
            .expect("replace");
        let rv2: u64 = replaced
            .metadata
            .resource_version
            .as_deref()
            .expect("rv")
            .parse()
            .expect("rv");
        assert!(rv2 > rv1, "resourceVersion is monotonic");
        let stale = api_err(
            cms.replace("one", &PostParams::default(), &changed)
                .await
                .unwrap_err(),
        );
        assert_eq!((stale.code, stale.reason.as_str()), (409, "Conflict"));

        let merged = cms
            .patch(
                "one",
                &PatchParams::default(),
                &Patch::Merge(json!({"data": {"extra": "x"}})),
            )
            .await
            .expect("merge patch");
        assert_eq!(
            merged.data.expect("data").get("extra").map(String::as_str),
            Some("x")
        );
        let strategic = cms
            .patch(
                "one",
                &PatchParams::default(),
                &Patch::Strategic(json!({"data": {"extra": null}})),
            )
            .await
            .expect("strategic patch");
        assert!(!strategic.data.expect("data").contains_key("extra"));

        let missing = api_err(cms.get("nope").await.unwrap_err());
        assert_eq!((missing.code, missing.reason.as_str()), (404, "NotFound"));
        let bad = api_err(
            cms.create(&PostParams::default(), &cm("Bad_Name", json!({})))
                .await
                .unwrap_err(),
        );
        assert_eq!((bad.code, bad.reason.as_str()), (422, "Invalid"));
        let in_missing_ns: Api<ConfigMap> = Api::namespaced(client.clone(), "absent");
        let e = api_err(
            in_missing_ns
                .create(&PostParams::default(), &cm("x", json!({})))
                .await
                .unwrap_err(),
        );
        assert_eq!(
            (e.code, e.message.as_str()),
            (404, "namespaces \"absent\" not found")
        );

        let deleted = cms
            .delete("one", &DeleteParams::background())
            .await
            .expect("delete");
        assert!(deleted.is_left(), "delete returns the object");
        assert!(cms.get_opt("one").await.expect("get_opt").is_none());
        let again = api_err(
            cms.delete("one", &DeleteParams::default())
                .await
                .unwrap_err(),
        );
        assert_eq!(again.code, 404);

        let req = http::Request::builder()
            .method("PUT")
            .uri("/api/v1/namespaces/default/configmaps")
            .body(b"{}".to_vec())
            .expect("request");
        let e = api_err(client.request::<Value>(req).await.unwrap_err());
        assert_eq!((e.code, e.reason.as_str()), (405, "MethodNotAllowed"));
        let req = http::Request::builder()
            .method("POST")
            .uri("/api/v1/namespaces/default/configmaps")
            .header("content-type", "application/json")
            .body(b"{not json".to_vec())
            .expect("request");
        let e = api_err(client.request::<Value>(req).await.unwrap_err());
        assert_eq!((e.code, e.reason.as_str()), (400, "BadRequest"));
    });
}

#[test]
fn list_filters_by_label_and_field_selectors_across_namespaces() {
    let server = TestApiServer::start_with(ServerOptions {
        namespaces: vec!["other".into()],
        ..Default::default()
    });
    block_on(async {
        let client = client(&server).await;
        for (ns, name, labels) in [
            ("default", "a", json!({"app": "web", "tier": "fe"})),
            ("default", "b", json!({"app": "api", "tier": "be"})),
            ("other", "c", json!({"app": "web"})),
            ("other", "d", json!({"app": "db", "tier": "be"})),
        ] {
            let api: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
            api.create(&PostParams::default(), &cm(name, labels))
                .await
                .expect("create");
        }
        let all: Api<ConfigMap> = Api::all(client.clone());
        let names = |l: kube::core::ObjectList<ConfigMap>| -> Vec<String> {
            l.items
                .into_iter()
                .map(|c| c.metadata.name.expect("name"))
                .collect()
        };
        let everything = all.list(&ListParams::default()).await.expect("list");
        assert!(everything.metadata.resource_version.is_some());
        assert_eq!(names(everything), ["a", "b", "c", "d"]);
        for (sel, want) in [
            ("app=web", vec!["a", "c"]),
            ("app!=web", vec!["b", "d"]),
            ("app in (api,db)", vec!["b", "d"]),
            ("app notin (web),tier=be", vec!["b", "d"]),
            ("tier", vec!["a", "b", "d"]),
            ("!tier", vec!["c"]),
        ] {
            assert_eq!(
                names(
                    all.list(&ListParams::default().labels(sel))
                        .await
                        .expect("list")
                ),
                want,
                "{sel}"
            );
        }
        let by_name = all
            .list(&ListParams::default().fields("metadata.name=c"))
            .await
            .expect("list");
        assert_eq!(names(by_name), ["c"]);
        let one_ns: Api<ConfigMap> = Api::namespaced(client.clone(), "other");
        assert_eq!(
            names(one_ns.list(&ListParams::default()).await.expect("list")),
            ["c", "d"]
        );
        let page = all
            .list(&ListParams::default().limit(3))
            .await
            .expect("page");
        let token = page.metadata.continue_.clone().expect("continue token");
        assert_eq!(names(page), ["a", "b", "c"]);
        let rest = all
            .list(&ListParams::default().limit(3).continue_token(&token))
            .await
            .expect("page 2");
        assert_eq!(names(rest), ["d"]);
    });
}

#[test]
fn server_side_apply_tracks_managers_conflicts_force_and_removal() {
    let server = TestApiServer::start();
    block_on(async {
        let client = client(&server).await;
        let deploys: Api<Deployment> = Api::namespaced(client.clone(), "default");
        let applied = deploys
            .patch(
                "web",
                &PatchParams::apply("berth"),
                &Patch::Apply(deployment("web", 1, "app:1")),
            )
            .await
            .expect("apply create");
        let mf = applied
            .metadata
            .managed_fields
            .clone()
            .expect("managedFields");
        assert_eq!(mf.len(), 1);
        assert_eq!(
            (mf[0].manager.as_deref(), mf[0].operation.as_deref()),
            (Some("berth"), Some("Apply"))
        );
        let fields = serde_json::to_value(&mf[0].fields_v1).expect("fieldsV1");
        assert!(
            fields["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"app\"}"]
                ["f:image"]
                .is_object(),
            "{fields}"
        );
        assert_eq!(applied.metadata.generation, Some(1));

        // a no-op re-apply writes nothing (a ConfigMap: no controller touches it)
        let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
        let cm_apply = Patch::Apply(
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}}),
        );
        let first = cms
            .patch("c", &PatchParams::apply("berth"), &cm_apply)
            .await
            .expect("apply");
        let again = cms
            .patch("c", &PatchParams::apply("berth"), &cm_apply)
            .await
            .expect("re-apply");
        assert_eq!(
            again.metadata.resource_version,
            first.metadata.resource_version
        );
        assert_eq!(again.metadata.managed_fields, first.metadata.managed_fields);

        // another manager takes .spec.replicas with an update (PUT-like patch)
        deploys
            .patch(
                "web",
                &PatchParams {
                    field_manager: Some("kubectl-scale".into()),
                    ..Default::default()
                },
                &Patch::Merge(json!({"spec": {"replicas": 3}})),
            )
            .await
            .expect("scale");
        let e = api_err(
            deploys
                .patch(
                    "web",
                    &PatchParams::apply("berth"),
                    &Patch::Apply(deployment("web", 1, "app:2")),
                )
                .await
                .unwrap_err(),
        );
        assert_eq!((e.code, e.reason.as_str()), (409, "Conflict"));
        assert_eq!(e.message, "Apply failed with 1 conflict: conflict with \"kubectl-scale\" using apps/v1: .spec.replicas");
        let causes = &e.details.as_ref().expect("details").causes;
        assert_eq!(
            (causes[0].field.as_str(), causes[0].reason.as_str()),
            (".spec.replicas", "FieldManagerConflict")
        );
        // same value: co-ownership, no conflict
        deploys
            .patch(
                "web",
                &PatchParams::apply("other"),
                &Patch::Apply(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web"}, "spec": {"replicas": 3}})),
            )
            .await
            .expect("co-own");

        // force moves ownership
        let forced = deploys
            .patch(
                "web",
                &PatchParams::apply("berth").force(),
                &Patch::Apply(deployment("web", 1, "app:2")),
            )
            .await
            .expect("forced apply");
        assert_eq!(forced.spec.replicas, Some(1));
        assert_eq!(forced.metadata.generation, Some(3));
        let managers: Vec<String> = forced
            .metadata
            .managed_fields
            .expect("mf")
            .iter()
            .filter_map(|m| m.manager.clone())
            .collect();
        assert_eq!(
            managers,
            ["berth"],
            "kubectl-scale and other lost .spec.replicas, their only field"
        );

        // fields berth stops applying go away (no one else owns them)
        let mut smaller = deployment("web", 1, "app:2");
        smaller["metadata"]
            .as_object_mut()
            .expect("md")
            .remove("labels");
        let shrunk = deploys
            .patch("web", &PatchParams::apply("berth"), &Patch::Apply(smaller))
            .await
            .expect("apply");
        assert!(
            shrunk.metadata.labels.is_none(),
            "labels removed: {:?}",
            shrunk.metadata.labels
        );

        // dryRun=All answers the would-be object and stores nothing
        let spec_of = || {
            server
                .get("apps/v1", "Deployment", Some("default"), "web")
                .expect("stored")["spec"]
                .clone()
        };
        let before = spec_of();
        let dry = deploys
            .patch(
                "web",
                &PatchParams::apply("berth").dry_run(),
                &Patch::Apply(deployment("web", 5, "app:9")),
            )
            .await
            .expect("dry-run apply");
        assert_eq!(dry.spec.replicas, Some(5));
        assert_eq!(spec_of(), before);
        let dry_new = deploys
            .patch(
                "fresh",
                &PatchParams::apply("berth").dry_run(),
                &Patch::Apply(deployment("fresh", 1, "x:1")),
            )
            .await
            .expect("dry-run create");
        assert_eq!(dry_new.metadata.name.as_deref(), Some("fresh"));
        assert!(server
            .get("apps/v1", "Deployment", Some("default"), "fresh")
            .is_none());
        cms.create(
            &PostParams {
                dry_run: true,
                ..Default::default()
            },
            &cm("dry", json!({})),
        )
        .await
        .expect("dry create");
        assert!(server
            .get("v1", "ConfigMap", Some("default"), "dry")
            .is_none());
        cms.delete("dry", &DeleteParams::default())
            .await
            .map(|_| ())
            .expect_err("dry create stored nothing");
        deploys
            .delete(
                "web",
                &DeleteParams {
                    dry_run: true,
                    ..Default::default()
                },
            )
            .await
            .expect("dry delete");
        assert!(server
            .get("apps/v1", "Deployment", Some("default"), "web")
            .is_some());

        // every write carried the apply content type and was logged
        let log = server.requests();
        assert!(log.iter().any(|r| r.method == "PATCH"
            && r.content_type.starts_with("application/apply-patch+yaml")
            && r.query.contains("fieldManager=berth")));
        server.clear_requests();
        assert!(server.requests().is_empty());
        deploys.get("web").await.expect("get");
        let log = server.requests();
        assert_eq!(log.len(), 1);
        assert!(!log[0].is_write());
    });
}

#[test]
fn defaults_make_dry_run_diffs_realistic() {
    let server = TestApiServer::start();
    block_on(async {
        let client = client(&server).await;
        let deploys: Api<DynamicObject> = Api::namespaced_with(
            client.clone(),
            "default",
            &ApiResource::from_gvk(&GroupVersionKind::gvk("apps", "v1", "Deployment")),
        );
        let d = deploys
            .patch(
                "web",
                &PatchParams::apply("berth"),
                &Patch::Apply(deployment("web", 2, "app:1")),
            )
            .await
            .expect("apply");
        let spec = &d.data["spec"];
        assert_eq!(
            spec["strategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}})
        );
        assert_eq!(
            (
                spec["revisionHistoryLimit"].as_i64(),
                spec["progressDeadlineSeconds"].as_i64()
            ),
            (Some(10), Some(600))
        );
        let c = &spec["template"]["spec"]["containers"][0];
        assert_eq!(
            (
                c["imagePullPolicy"].as_str(),
                c["ports"][0]["protocol"].as_str()
            ),
            (Some("IfNotPresent"), Some("TCP"))
        );
        assert_eq!(spec["template"]["spec"]["restartPolicy"], "Always");

        let svcs: Api<Service> = Api::namespaced(client.clone(), "default");
        let svc = svcs.patch("web", &PatchParams::apply("berth"), &Patch::Apply(json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}))).await.expect("svc");
        let s = svc.spec.expect("spec");
        let ip = s.cluster_ip.clone().expect("clusterIP allocated");
        assert_eq!(
            (s.type_.as_deref(), s.session_affinity.as_deref()),
            (Some("ClusterIP"), Some("None"))
        );
        assert_eq!(s.ports.expect("ports")[0].protocol.as_deref(), Some("TCP"));
        let svc2 = svcs.patch("web", &PatchParams::apply("berth"), &Patch::Apply(json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web"}, "spec": {"selector": {"app": "web2"}, "ports": [{"port": 80}]}}))).await.expect("svc");
        assert_eq!(
            svc2.spec.expect("spec").cluster_ip,
            Some(ip),
            "clusterIP is kept"
        );

        let ns: Api<Namespace> = Api::all(client.clone());
        let created = ns
            .create(&PostParams::default(), &ns_obj("team"))
            .await
            .expect("namespace");
        assert_eq!(
            created.status.and_then(|s| s.phase).as_deref(),
            Some("Active")
        );
    });
}

#[test]
fn controller_reports_readiness_after_delay_or_never() {
    let server = TestApiServer::start_with(ServerOptions {
        ready_delay: Duration::from_millis(300),
        ..Default::default()
    });
    block_on(async {
        let client = client(&server).await;
        let deploys: Api<Deployment> = Api::namespaced(client.clone(), "default");
        let start = Instant::now();
        deploys
            .patch(
                "web",
                &PatchParams::apply("berth"),
                &Patch::Apply(deployment("web", 2, "app:1")),
            )
            .await
            .expect("apply");
        eventually("deployment ready", Duration::from_secs(5), || async {
            let d = deploys.get("web").await.expect("get");
            let s = d.status.unwrap_or_default();
            s.ready_replicas == Some(2)
                && s.available_replicas == Some(2)
                && s.updated_replicas == Some(2)
                && s.observed_generation == d.metadata.generation
                && s.conditions.unwrap_or_default().iter().any(|c| {
                    c.type_.as_deref() == Some("Available") && c.status.as_deref() == Some("True")
                })
        })
        .await;
        assert!(
            start.elapsed() >= Duration::from_millis(300),
            "ready only after the delay"
        );

        let jobs: Api<DynamicObject> = Api::namespaced_with(
            client.clone(),
            "default",
            &ApiResource::from_gvk(&GroupVersionKind::gvk("batch", "v1", "Job")),
        );
        jobs.patch("migrate", &PatchParams::apply("berth"), &Patch::Apply(json!({"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": "migrate"}, "spec": {"template": {"spec": {"restartPolicy": "Never",
            "containers": [{"name": "m", "image": "m:1"}]}}}}))).await.expect("job");
        eventually("job complete", Duration::from_secs(5), || async {
            let j = jobs.get("migrate").await.expect("get");
            j.data["status"]["succeeded"] == 1
                && j.data["status"]["conditions"].as_array().is_some_and(|c| {
                    c.iter()
                        .any(|c| c["type"] == "Complete" && c["status"] == "True")
                })
        })
        .await;

        server.set_never_ready(true);
        deploys
            .patch(
                "slow",
                &PatchParams::apply("berth"),
                &Patch::Apply(deployment("slow", 1, "app:1")),
            )
            .await
            .expect("apply");
        eventually("progress observed", Duration::from_secs(5), || async {
            deploys
                .get("slow")
                .await
                .expect("get")
                .status
                .and_then(|s| s.observed_generation)
                == Some(1)
        })
        .await;
        tokio::time::sleep(Duration::from_millis(600)).await;
        let s = deploys
            .get("slow")
            .await
            .expect("get")
            .status
            .expect("status");
        assert_eq!(s.ready_replicas, Some(0), "never ready");
        server.set_never_ready(false);
        eventually("ready once allowed", Duration::from_secs(5), || async {
            deploys
                .get("slow")
                .await
                .expect("get")
                .status
                .and_then(|s| s.ready_replicas)
                == Some(1)
        })
        .await;
    });
}

#[test]
fn crd_registers_its_kind_once_established() {
    let server = TestApiServer::start();
    block_on(async {
        let client = client(&server).await;
        let crds: Api<DynamicObject> = Api::all_with(
            client.clone(),
            &ApiResource::from_gvk(&GroupVersionKind::gvk(
                "apiextensions.k8s.io",
                "v1",
                "CustomResourceDefinition",
            )),
        );
        crds.patch("widgets.example.com", &PatchParams::apply("berth"), &Patch::Apply(json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced",
                "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "shortNames": ["wd"]},
                "versions": [{"name": "v1", "served": true, "storage": true,
                    "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}}))).await.expect("crd");
        eventually("Established", Duration::from_secs(5), || async {
            let c = crds.get("widgets.example.com").await.expect("get");
            c.data["status"]["conditions"].as_array().is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["type"] == "Established" && c["status"] == "True")
            })
        })
        .await;
        let discovery = Discovery::new(client.clone())
            .run()
            .await
            .expect("discovery");
        let (ar, caps) = discovery
            .resolve_gvk(&GroupVersionKind::gvk("example.com", "v1", "Widget"))
            .expect("Widget discovered");
        assert_eq!(caps.scope, Scope::Namespaced);
        let widgets: Api<DynamicObject> = Api::namespaced_with(client.clone(), "default", &ar);
        widgets
            .patch(
                "w1",
                &PatchParams::apply("berth"),
                &Patch::Apply(json!({"apiVersion": "example.com/v1", "kind": "Widget",
            "metadata": {"name": "w1", "labels": {"size": "l"}}, "spec": {"size": 3}})),
            )
            .await
            .expect("custom object");
        let listed = widgets
            .list(&ListParams::default().labels("size=l"))
            .await
            .expect("list");
        assert_eq!(listed.items.len(), 1);
        assert_eq!(listed.items[0].data["spec"]["size"], 3);
        crds.delete("widgets.example.com", &DeleteParams::default())
            .await
            .expect("delete crd");
        let gone = api_err(widgets.get("w1").await.unwrap_err());
        assert_eq!(gone.code, 404);
    });
}

#[test]
fn deleting_a_namespace_deletes_its_objects() {
    let server = TestApiServer::start();
    block_on(async {
        let client = client(&server).await;
        let ns: Api<Namespace> = Api::all(client.clone());
        ns.create(&PostParams::default(), &ns_obj("team"))
            .await
            .expect("ns");
        let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "team");
        cms.create(&PostParams::default(), &cm("c", json!({})))
            .await
            .expect("cm");
        ns.delete("team", &DeleteParams::default())
            .await
            .expect("delete ns");
        assert!(server.get("v1", "ConfigMap", Some("team"), "c").is_none());
        assert!(server.get("v1", "Namespace", None, "team").is_none());
    });
}

#[test]
fn watch_streams_changes() {
    use futures::{StreamExt, TryStreamExt};
    let server = TestApiServer::start();
    block_on(async {
        let client = client(&server).await;
        let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
        cms.create(&PostParams::default(), &cm("before", json!({"w": "1"})))
            .await
            .expect("create");
        let list = cms.list(&ListParams::default()).await.expect("list");
        let rv = list.metadata.resource_version.expect("rv");
        let mut stream = cms
            .watch(
                &kube::api::WatchParams::default().labels("w=1").timeout(10),
                &rv,
            )
            .await
            .expect("watch")
            .boxed();
        cms.create(&PostParams::default(), &cm("after", json!({"w": "1"})))
            .await
            .expect("create");
        cms.create(&PostParams::default(), &cm("unlabelled", json!({})))
            .await
            .expect("create");
        cms.delete("before", &DeleteParams::default())
            .await
            .expect("delete");
        let mut seen = Vec::new();
        while seen.len() < 2 {
            match tokio::time::timeout(Duration::from_secs(5), stream.try_next()).await {
                Ok(Ok(Some(kube::api::WatchEvent::Added(o)))) => {
                    seen.push(format!("ADDED {}", o.metadata.name.expect("name")))
                }
                Ok(Ok(Some(kube::api::WatchEvent::Deleted(o)))) => {
                    seen.push(format!("DELETED {}", o.metadata.name.expect("name")))
                }
                Ok(Ok(Some(other))) => panic!("unexpected event {other:?}"),
                other => panic!("watch ended: {other:?}"),
            }
        }
        assert_eq!(seen, ["ADDED after", "DELETED before"]);
        // kube's watcher (list + watch) sees the objects too
        let objs: Vec<ConfigMap> =
            kube::runtime::watcher(cms.clone(), kube::runtime::watcher::Config::default())
                .take(1)
                .try_collect::<Vec<_>>()
                .await
                .expect("watcher")
                .into_iter()
                .filter_map(|e| match e {
                    kube::runtime::watcher::Event::InitApply(o)
                    | kube::runtime::watcher::Event::Apply(o) => Some(o),
                    _ => None,
                })
                .collect();
        let _ = objs;
    });
}

/// Send one raw HTTP/1.1 request and return the response head and body.
fn raw_http(server: &TestApiServer, method: &str, path: &str) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let addr = server.url().trim_start_matches("http://").to_string();
    let mut s = std::net::TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
    )?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

#[test]
fn faults_answer_errors_retry_after_latency_drops_and_conflicts() {
    let server = TestApiServer::start();
    block_on(async {
        let client = client(&server).await;
        let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");

        server.faults().fail("GET", "/configmaps", 500, 1);
        let e = api_err(cms.list(&ListParams::default()).await.unwrap_err());
        assert_eq!((e.code, e.reason.as_str()), (500, "InternalError"));
        cms.list(&ListParams::default())
            .await
            .expect("only one request failed");

        // kube retries 503/429 itself, honouring Retry-After: the log shows the faults
        server.clear_requests();
        server.faults().fail("POST", "/configmaps", 503, 2);
        let t = Instant::now();
        cms.create(&PostParams::default(), &cm("x", json!({})))
            .await
            .expect("retried until the faults ran out");
        assert!(
            t.elapsed() >= Duration::from_secs(2),
            "waited Retry-After: 1 twice"
        );
        let statuses: Vec<u16> = server
            .requests()
            .iter()
            .filter(|r| r.method == "POST")
            .map(|r| r.status)
            .collect();
        assert_eq!(statuses, [503, 503, 201]);

        server
            .faults()
            .fail_retry_after("GET", "/api/v1/namespaces", 429, 1, 7);
        let resp = tokio::task::spawn_blocking({
            let url = server.url();
            move || {
                let addr = url.trim_start_matches("http://").to_string();
                use std::io::{Read, Write};
                let mut s = std::net::TcpStream::connect(addr).expect("connect");
                write!(
                    s,
                    "GET /api/v1/namespaces HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                )
                .expect("write");
                let mut out = String::new();
                s.read_to_string(&mut out).expect("read");
                out
            }
        })
        .await
        .expect("raw request");
        assert!(resp.starts_with("HTTP/1.1 429"), "{resp}");
        assert!(
            resp.to_ascii_lowercase().contains("retry-after: 7"),
            "{resp}"
        );
        assert!(resp.contains("\"TooManyRequests\""), "{resp}");

        server
            .faults()
            .latency("GET", "/configmaps/x", Duration::from_millis(400), 1);
        let t = Instant::now();
        cms.get("x").await.expect("slow get");
        assert!(t.elapsed() >= Duration::from_millis(400));

        server.faults().drop_connection("GET", "/configmaps/x", 1);
        match cms.get("x").await {
            Err(kube::Error::Api(s)) => panic!("a dropped connection is not an API answer: {s:?}"),
            Err(_) => {}
            Ok(_) => panic!("the dropped request succeeded"),
        }
        cms.get("x").await.expect("next request works");

        server.faults().conflict("PATCH", "/configmaps/x", 1);
        let e = api_err(
            cms.patch(
                "x",
                &PatchParams::apply("berth"),
                &Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "x"}, "data": {"a": "b"}})),
            )
            .await
            .unwrap_err(),
        );
        assert_eq!((e.code, e.reason.as_str()), (409, "Conflict"));
        assert_eq!(server.faults().remaining(), 0);
        let log = server.requests();
        assert!(
            log.iter().any(|r| r.status == 0 && r.method == "GET"),
            "dropped request logged"
        );
    });
    let _ = raw_http;
}

#[test]
fn serves_http2_prior_knowledge_and_keep_alive() {
    let server = TestApiServer::start();
    let a = raw_http(&server, "GET", "/version").expect("http/1.1");
    assert!(a.starts_with("HTTP/1.1 200"), "{a}");
    block_on(async {
        let client = client(&server).await;
        for _ in 0..20 {
            client.apiserver_version().await.expect("version");
        }
    });
}
