//! Criterion benchmark of the release record path: encode (JSON + gzip) and
//! decode a record whose manifest holds 1,000 Deployment-sized objects, and a
//! full begin → succeed lifecycle (superseding, history limit) on the
//! in-memory store. Prints the encoded size once: a record must fit in one
//! Secret (1 MiB including metadata).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use criterion::{criterion_group, criterion_main, Criterion};

use berth::git::GitInfo;
use berth::manifest::ObjectRef;
use berth::release::{
    decode, encode, MemoryStore, Record, RecordMeta, Releases, Status, SystemClock,
};

fn manifest(objects: usize) -> (String, Vec<ObjectRef>) {
    let mut yaml = String::new();
    let mut inventory = Vec::new();
    for i in 0..objects {
        yaml.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  namespace: bench\n  labels:\n    app.kubernetes.io/managed-by: berth\n    berth.deploy/release: bench\n    berth.deploy/profile: bench\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: app-{i}\n  template:\n    metadata:\n      labels:\n        app: app-{i}\n    spec:\n      containers:\n        - name: app\n          image: registry.example/app:{i}\n          ports:\n            - containerPort: 8080\n          env:\n            - name: MODE\n              value: production\n            - name: INDEX\n              value: \"{i}\"\n          resources:\n            requests:\n              cpu: 100m\n              memory: 128Mi\n"
        ));
        inventory.push(ObjectRef {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: Some("bench".into()),
            name: format!("app-{i}"),
        });
    }
    (yaml, inventory)
}

fn record(objects: usize) -> Record {
    let (manifest, inventory) = manifest(objects);
    Record {
        release: "bench".into(),
        namespace: "bench".into(),
        revision: 7,
        status: Status::Deployed,
        profile: "bench".into(),
        chart_name: "bench".into(),
        chart_version: "1.0.0".into(),
        git: GitInfo::default(),
        description: "deploy".into(),
        error: None,
        started_at: Utc::now(),
        updated_at: Utc::now(),
        manifest,
        inventory,
    }
}

fn bench(c: &mut Criterion) {
    let r = record(1000);
    let bytes = encode(&r).expect("encode");
    eprintln!(
        "release record, 1,000 Deployments: manifest {} bytes, encoded (gzip JSON) {} bytes ({:.1}% of a Secret's 1 MiB)",
        r.manifest.len(),
        bytes.len(),
        bytes.len() as f64 * 100.0 / (1024.0 * 1024.0)
    );
    c.bench_function("record encode 1000 objects", |b| {
        b.iter(|| encode(&r).expect("encode"))
    });
    c.bench_function("record decode 1000 objects", |b| {
        b.iter(|| decode(&bytes).expect("decode"))
    });

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let releases = Releases::with_store(
        MemoryStore::new(),
        10,
        Duration::from_secs(300),
        "bench@host:1".into(),
        Arc::new(SystemClock),
    );
    let (m, inv) = manifest(100);
    c.bench_function("begin+succeed, 100-object manifest, limit 10", |b| {
        b.iter(|| {
            rt.block_on(async {
                let tx = releases
                    .begin("bench", "bench", RecordMeta::default())
                    .await
                    .expect("begin");
                tx.succeed(m.clone(), inv.clone()).await.expect("succeed")
            })
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
