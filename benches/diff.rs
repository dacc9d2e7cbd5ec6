//! Criterion benchmark of the pure diff path: normalise both sides of 1,000
//! Deployment-sized objects, compare them and render the unified diff, as a
//! no-op (`berth diff` with nothing to change) and with one field changed in
//! each object.

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Value};

use berth::diff::{compare, render_object, RenderOptions};
use berth::manifest::ObjectRef;

fn deployment(i: usize, replicas: u32) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": format!("app-{i}"), "namespace": "bench",
            "uid": "0c5c0f7e", "resourceVersion": "12345", "generation": 3,
            "labels": {"app.kubernetes.io/managed-by": "berth", "berth.deploy/release": "bench"},
            "annotations": {"deployment.kubernetes.io/revision": "3"},
            "managedFields": [{"manager": "berth", "operation": "Apply",
                "fieldsV1": {"f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {
                    "k:{\"name\":\"app\"}": {".": {}, "f:image": {}, "f:name": {}}}}}}}}]},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": format!("app-{i}")}},
            "template": {"metadata": {"labels": {"app": format!("app-{i}")}},
                "spec": {"containers": [{"name": "app", "image": format!("registry.example/app:{i}"),
                    "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                    "env": [{"name": "MODE", "value": "production"}, {"name": "INDEX", "value": i.to_string()}],
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]}}},
        "status": {"replicas": replicas, "readyReplicas": replicas}
    })
}

fn oref(i: usize) -> ObjectRef {
    ObjectRef {
        api_version: "apps/v1".into(),
        kind: "Deployment".into(),
        namespace: Some("bench".into()),
        name: format!("app-{i}"),
    }
}

fn bench(c: &mut Criterion) {
    let live: Vec<Value> = (0..1000).map(|i| deployment(i, 2)).collect();
    let same: Vec<Value> = (0..1000).map(|i| deployment(i, 2)).collect();
    let changed: Vec<Value> = (0..1000).map(|i| deployment(i, 3)).collect();
    let opts = RenderOptions {
        color: false,
        show_secrets: false,
        context_lines: 3,
    };
    c.bench_function("normalise+diff 1000 objects, no change", |b| {
        b.iter(|| {
            let mut out = 0;
            for (i, (l, d)) in live.iter().zip(&same).enumerate() {
                let diff = compare(oref(i), Some(l), Some(d), Some(d), "berth");
                out += render_object(&diff, &opts).len();
            }
            out
        })
    });
    c.bench_function("normalise+diff 1000 objects, one field changed each", |b| {
        b.iter(|| {
            let mut out = 0;
            for (i, (l, d)) in live.iter().zip(&changed).enumerate() {
                let diff = compare(oref(i), Some(l), Some(d), Some(d), "berth");
                out += render_object(&diff, &opts).len();
            }
            out
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
