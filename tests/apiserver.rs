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
    let client = server.client().await;
    assert_eq!(client.default_namespace(), "default");
    client
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
        let meta = all
            .list_metadata(&ListParams::default().labels("app=web"))
            .await
            .expect("metadata list");
        assert_eq!(
            meta.items
                .iter()
                .map(|m| m.metadata.name.clone().expect("name"))
                .collect::<Vec<_>>(),
            ["a", "c"]
        );
        let one = one_ns_meta(&client).await;
        assert_eq!(one.metadata.labels.expect("labels")["app"], "web");
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
        // a page ending at a namespace boundary continues in the next namespace
        let page = all
            .list(&ListParams::default().limit(2))
            .await
            .expect("page");
        let token = page.metadata.continue_.clone().expect("continue token");
        assert_eq!(names(page), ["a", "b"]);
        let rest = all
            .list(&ListParams::default().limit(2).continue_token(&token))
            .await
            .expect("page 2");
        assert!(
            rest.metadata.continue_.is_none() || rest.metadata.continue_.as_deref() == Some("")
        );
        assert_eq!(names(rest), ["c", "d"]);
    });
}

async fn one_ns_meta(client: &kube::Client) -> kube::core::PartialObjectMeta<ConfigMap> {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "other");
    api.get_metadata("c").await.expect("metadata get")
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
            .filter(|m| m.subresource.as_deref() != Some("status"))
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
        let mf = deploys
            .get("web")
            .await
            .expect("get")
            .metadata
            .managed_fields
            .expect("managedFields");
        assert!(
            mf.iter()
                .any(|m| m.manager.as_deref() == Some("kube-controller-manager")
                    && m.subresource.as_deref() == Some("status")
                    && m.operation.as_deref() == Some("Update")),
            "{mf:?}"
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
        // kube's watcher (list, then watch from the list's resourceVersion) sees
        // the current objects, then a change made afterwards
        use kube::runtime::watcher::Event as WEvent;
        let mut w =
            kube::runtime::watcher(cms.clone(), kube::runtime::watcher::Config::default()).boxed();
        let mut initial = Vec::new();
        loop {
            match tokio::time::timeout(Duration::from_secs(5), w.try_next()).await {
                Ok(Ok(Some(WEvent::InitApply(o)))) => initial.push(o.metadata.name.expect("name")),
                Ok(Ok(Some(WEvent::InitDone))) => break,
                Ok(Ok(Some(_))) => {}
                other => panic!("watcher ended: {other:?}"),
            }
        }
        initial.sort();
        assert_eq!(initial, ["after", "unlabelled"]);
        // and the metadata-only watcher gets PartialObjectMetadata
        let meta_api: Api<kube::core::PartialObjectMeta<ConfigMap>> =
            Api::namespaced(client.clone(), "default");
        let mut mw =
            kube::runtime::watcher(meta_api, kube::runtime::watcher::Config::default()).boxed();
        let mut names = Vec::new();
        loop {
            match tokio::time::timeout(Duration::from_secs(5), mw.try_next()).await {
                Ok(Ok(Some(WEvent::InitApply(o)))) => names.push(o.metadata.name.expect("name")),
                Ok(Ok(Some(WEvent::InitDone))) => break,
                Ok(Ok(Some(_))) => {}
                other => panic!("metadata watcher ended: {other:?}"),
            }
        }
        names.sort();
        assert_eq!(names, ["after", "unlabelled"]);
        cms.create(&PostParams::default(), &cm("later", json!({})))
            .await
            .expect("create");
        loop {
            match tokio::time::timeout(Duration::from_secs(5), w.try_next()).await {
                Ok(Ok(Some(WEvent::Apply(o)))) if o.metadata.name.as_deref() == Some("later") => {
                    break
                }
                Ok(Ok(Some(_))) => {}
                other => panic!("watcher ended: {other:?}"),
            }
        }
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

/// The standalone server (`examples/test-apiserver.rs`), built by
/// `cargo test --all-targets`, running for one test.
struct Standalone {
    child: std::process::Child,
    kubeconfig: std::path::PathBuf,
}

impl Standalone {
    fn start(dir: &std::path::Path, extra: &[&str]) -> Standalone {
        use std::io::BufRead;
        let test_exe = std::env::current_exe().expect("test executable path");
        // target/<profile>/deps/tests-<hash> → target/<profile>/examples/test-apiserver
        let bin = test_exe
            .parent()
            .and_then(|deps| deps.parent())
            .map(|profile| {
                profile
                    .join("examples")
                    .join(format!("test-apiserver{}", std::env::consts::EXE_SUFFIX))
            })
            .expect("target directory layout");
        assert!(
            bin.is_file(),
            "the standalone test API server is not built at {}: run `cargo test --all-targets` \
             (scripts/test does) or `cargo build --example test-apiserver`",
            bin.display()
        );
        let kubeconfig = dir.join("kubeconfig");
        let mut child = std::process::Command::new(&bin)
            .args(["--port", "0", "--kubeconfig-out"])
            .arg(&kubeconfig)
            .args(["--ready-delay-ms", "100"])
            .args(extra)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("spawn the standalone test API server");
        let stdout = child.stdout.take().expect("stdout piped");
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the ready line");
        assert_eq!(
            line.trim(),
            "ready",
            "the standalone server did not say ready"
        );
        Standalone { child, kubeconfig }
    }
}

impl Drop for Standalone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Kubectl<'a> {
    bin: std::path::PathBuf,
    dir: &'a std::path::Path,
    kubeconfig: &'a std::path::Path,
}

impl Kubectl<'_> {
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let mut cmd = std::process::Command::new(&self.bin);
        crate::support::harness::clean_env(&mut cmd, self.dir);
        let out = cmd
            .env("KUBECONFIG", self.kubeconfig)
            .current_dir(self.dir)
            .args(args)
            .output()
            .expect("run kubectl");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
    /// Run and require `code`; returns stdout.
    fn expect(&self, code: i32, args: &[&str]) -> String {
        let (got, out, err) = self.run(args);
        assert_eq!(
            got,
            code,
            "kubectl {} exited {got}, wanted {code}\n--- stdout ---\n{out}\n--- stderr ---\n{err}",
            args.join(" ")
        );
        out
    }
}

const KUBECTL_APP: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  greeting: hello
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 80
";

#[test]
fn kubectl_conformance_against_the_standalone_server() {
    let kubectl_bin = crate::support::harness::require_tool("kubectl");
    let tmp = crate::support::harness::tempdir();
    let server = Standalone::start(tmp.path(), &[]);
    let k = Kubectl {
        bin: kubectl_bin,
        dir: tmp.path(),
        kubeconfig: &server.kubeconfig,
    };
    std::fs::write(tmp.path().join("app.yaml"), KUBECTL_APP).expect("write manifest");

    let ns = k.expect(0, &["get", "ns"]);
    assert!(ns.contains("default") && ns.contains("Active"), "{ns}");

    let applied = k.expect(0, &["apply", "--server-side", "-f", "app.yaml"]);
    for what in [
        "configmap/web-config serverside-applied",
        "deployment.apps/web serverside-applied",
        "service/web serverside-applied",
    ] {
        assert!(applied.contains(what), "{applied}");
    }

    let listed: Value =
        serde_json::from_str(&k.expect(0, &["get", "deployment,service,configmap", "-o", "json"]))
            .expect("json");
    let items = listed["items"].as_array().expect("items");
    let find = |kind: &str, name: &str| {
        items
            .iter()
            .find(|i| i["kind"] == kind && i["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("{kind}/{name} missing from {listed}"))
    };
    assert_eq!(find("Deployment", "web")["spec"]["replicas"], 2);
    assert!(find("Service", "web")["spec"]["clusterIP"]
        .as_str()
        .is_some_and(|ip| ip.starts_with("10.")));
    assert_eq!(find("ConfigMap", "web-config")["data"]["greeting"], "hello");

    // watch-based commands see the controller make the deployment ready
    k.expect(0, &["rollout", "status", "deployment/web", "--timeout=20s"]);
    k.expect(
        0,
        &[
            "wait",
            "--for=condition=Available",
            "deployment/web",
            "--timeout=20s",
        ],
    );

    assert!(k
        .expect(0, &["scale", "deployment", "web", "--replicas=3"])
        .contains("deployment.apps/web scaled"));
    let d: Value = serde_json::from_str(&k.expect(
        0,
        &[
            "get",
            "deployment",
            "web",
            "-o",
            "json",
            "--show-managed-fields",
        ],
    ))
    .expect("json");
    assert_eq!(d["spec"]["replicas"], 3);
    let scale_entry = d["metadata"]["managedFields"]
        .as_array()
        .expect("managedFields")
        .iter()
        .find(|m| m["subresource"] == "scale")
        .expect("scale manager recorded");
    assert_eq!(
        scale_entry["fieldsV1"],
        json!({"f:spec": {"f:replicas": {}}})
    );

    // the manifest says 2, the cluster 3: diff exits 1 and shows it
    let (code, out, err) = k.run(&["diff", "-f", "app.yaml"]);
    assert_eq!(code, 1, "kubectl diff: 1 means differences\n{out}\n{err}");
    assert!(
        out.contains("-  replicas: 3") && out.contains("+  replicas: 2"),
        "{out}"
    );

    // re-applying conflicts with the scale; forcing takes the field back
    let (code, _, err) = k.run(&["apply", "--server-side", "-f", "app.yaml"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("Apply failed with 1 conflict: conflict with \"kubectl\" with subresource \"scale\" using apps/v1: .spec.replicas"), "{err}");
    k.expect(
        0,
        &[
            "apply",
            "--server-side",
            "--force-conflicts",
            "-f",
            "app.yaml",
        ],
    );
    let d: Value = serde_json::from_str(&k.expect(0, &["get", "deployment", "web", "-o", "json"]))
        .expect("json");
    assert_eq!(d["spec"]["replicas"], 2);

    let deleted = k.expect(0, &["delete", "-f", "app.yaml"]);
    assert!(
        deleted.contains("deployment.apps \"web\" deleted"),
        "{deleted}"
    );
    let (code, _, err) = k.run(&["get", "configmap", "web-config"]);
    assert_eq!(code, 1);
    assert!(err.contains("configmaps \"web-config\" not found"), "{err}");
}

#[test]
fn decoding_and_validation_errors_match_the_real_server() {
    let server = TestApiServer::start();
    block_on(async {
        let client = client(&server).await;
        let apply = |api_version: &str, kind: &str, body: Value| {
            let ar = ApiResource::from_gvk(&GroupVersionKind::gvk(
                api_version.split_once('/').map_or("", |(g, _)| g),
                api_version.rsplit('/').next().unwrap_or(api_version),
                kind,
            ));
            let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), "default", &ar);
            let name = body["metadata"]["name"].as_str().unwrap_or("x").to_string();
            async move {
                api.patch(&name, &PatchParams::apply("berth"), &Patch::Apply(body))
                    .await
            }
        };
        let e = api_err(
            apply(
                "v1",
                "ConfigMap",
                json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "n"}, "data": {"port": 8080}}),
            )
            .await
            .unwrap_err(),
        );
        assert_eq!((e.code, e.reason.as_str()), (400, "BadRequest"));
        assert!(
            e.message.contains("cannot unmarshal number"),
            "{}",
            e.message
        );
        let e = api_err(
            apply(
                "v1",
                "ConfigMap",
                json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "l", "labels": {"a": "not valid!"}}}),
            )
            .await
            .unwrap_err(),
        );
        assert_eq!((e.code, e.reason.as_str()), (422, "Invalid"));
        let e = api_err(
            apply(
                "v1",
                "Secret",
                json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s"}, "data": {"k": "not base64!"}}),
            )
            .await
            .unwrap_err(),
        );
        assert_eq!(e.code, 400);
        let mut d = deployment("web", 1, "a:1");
        d["spec"]["template"]["metadata"]["labels"] = json!({"app": "other"});
        let e = api_err(apply("apps/v1", "Deployment", d).await.unwrap_err());
        assert_eq!((e.code, e.reason.as_str()), (422, "Invalid"));
        assert!(
            e.message
                .contains("`selector` does not match template `labels`"),
            "{}",
            e.message
        );
        let s = apply(
            "v1",
            "Secret",
            json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "ok"}, "stringData": {"password": "hunter2"}}),
        )
        .await
        .expect("stringData accepted");
        assert_eq!(s.data["data"]["password"], "aHVudGVyMg==");
        assert_eq!(s.data["type"], "Opaque");
        assert!(s.data.get("stringData").is_none());
    });
}

#[test]
fn standalone_fault_flags_reach_kubectl() {
    let kubectl_bin = crate::support::harness::require_tool("kubectl");
    let tmp = crate::support::harness::tempdir();
    let server = Standalone::start(
        tmp.path(),
        &[
            "--fail",
            "GET:/api/v1/namespaces:500:1",
            "--conflict",
            "PATCH:/configmaps/c:1",
            "--never-ready",
        ],
    );
    let k = Kubectl {
        bin: kubectl_bin,
        dir: tmp.path(),
        kubeconfig: &server.kubeconfig,
    };
    let (code, _, err) = k.run(&["get", "ns"]);
    assert_eq!(code, 1, "the injected 500 reaches kubectl: {err}");
    assert!(
        err.contains("InternalError") || err.contains("injected fault"),
        "{err}"
    );
    k.expect(0, &["get", "ns"]);
    std::fs::write(
        tmp.path().join("c.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n",
    )
    .expect("write");
    let (code, _, err) = k.run(&["apply", "--server-side", "-f", "c.yaml"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("Conflict") || err.contains("the object has been modified"),
        "{err}"
    );
    k.expect(0, &["apply", "--server-side", "-f", "c.yaml"]);
    std::fs::write(tmp.path().join("app.yaml"), KUBECTL_APP).expect("write manifest");
    k.expect(0, &["apply", "--server-side", "-f", "app.yaml"]);
    let (code, _, err) = k.run(&["rollout", "status", "deployment/web", "--timeout=2s"]);
    assert_eq!(code, 1, "--never-ready keeps the rollout waiting: {err}");
}

#[test]
fn immutable_fields_are_refused_like_the_real_server() {
    let server = TestApiServer::start();
    block_on(async {
        let client = client(&server).await;
        let jobs: Api<DynamicObject> = Api::namespaced_with(
            client.clone(),
            "default",
            &ApiResource::from_gvk(&GroupVersionKind::gvk("batch", "v1", "Job")),
        );
        let job = |image: &str| {
            json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate"},
            "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "m", "image": image}]}}}})
        };
        jobs.patch(
            "migrate",
            &PatchParams::apply("berth"),
            &Patch::Apply(job("m:1")),
        )
        .await
        .expect("job");
        let e = api_err(
            jobs.patch(
                "migrate",
                &PatchParams::apply("berth"),
                &Patch::Apply(job("m:2")),
            )
            .await
            .unwrap_err(),
        );
        assert_eq!((e.code, e.reason.as_str()), (422, "Invalid"));
        assert!(
            e.message
                .starts_with("Job.batch \"migrate\" is invalid: spec.template: Invalid value:"),
            "{}",
            e.message
        );
        assert!(e.message.ends_with("field is immutable"), "{}", e.message);

        let deploys: Api<Deployment> = Api::namespaced(client.clone(), "default");
        deploys
            .patch(
                "web",
                &PatchParams::apply("berth"),
                &Patch::Apply(deployment("web", 1, "a:1")),
            )
            .await
            .expect("apply");
        let mut moved = deployment("web", 1, "a:1");
        moved["spec"]["selector"]["matchLabels"]["extra"] = json!("x");
        moved["spec"]["template"]["metadata"]["labels"]["extra"] = json!("x");
        let e = api_err(
            deploys
                .patch("web", &PatchParams::apply("berth"), &Patch::Apply(moved))
                .await
                .unwrap_err(),
        );
        assert!(
            e.message
                .starts_with("Deployment.apps \"web\" is invalid: spec.selector"),
            "{}",
            e.message
        );

        let svcs: Api<Service> = Api::namespaced(client.clone(), "default");
        let lb = svcs.patch("lb", &PatchParams::apply("berth"), &Patch::Apply(json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "lb"}, "spec": {"type": "LoadBalancer", "ports": [{"port": 443}]}}))).await.expect("lb");
        assert!(lb.spec.expect("spec").cluster_ip.is_some());
        let lb = svcs.get("lb").await.expect("get");
        assert!(
            lb.status
                .and_then(|s| s.load_balancer)
                .and_then(|l| l.ingress)
                .is_some_and(|i| !i.is_empty()),
            "LoadBalancer services get an ingress address"
        );
    });
}
