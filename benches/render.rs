//! Criterion benchmarks of the render hot path: one chart's templates rendered
//! into objects, and a whole generated workspace (50 releases × 20 templates =
//! 1,000 objects, made by `scripts/gen-bench-workspace`) rendered end to end
//! through the library. `scripts/bench-render` measures the binary's wall time
//! and peak RSS against the targets.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use berth::chart::{Chart, ProfileInfo, ReleaseInfo, TemplateContext};
use berth::cli::ValueArgs;
use criterion::{criterion_group, criterion_main, Criterion};

/// Generate the benchmark workspace into a temp dir (deterministic).
fn generate() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("ws");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/gen-bench-workspace");
    let status = Command::new(&script)
        .arg(&root)
        .status()
        .expect("run scripts/gen-bench-workspace");
    assert!(status.success(), "gen-bench-workspace failed");
    (dir, root)
}

fn bench(c: &mut Criterion) {
    let (_keep, root) = generate();

    // One chart: 20 templates with partials and helpers.
    let chart = Chart::load(&root.join("charts/svc-00"), &root).expect("chart loads");
    let git = berth::git::GitInfo::default();
    let extra = TemplateContext {
        release: ReleaseInfo {
            name: "svc-00",
            namespace: "bench",
            revision: 1,
            is_upgrade: false,
        },
        profile: ProfileInfo {
            name: "bench",
            description: "benchmark",
        },
        git: &git,
    };
    c.bench_function("chart_render_20_templates", |b| {
        b.iter(|| {
            let ctx = chart.context(chart.values.clone(), &extra);
            let (objects, errors) = chart.render(ctx);
            assert!(errors.is_empty());
            assert_eq!(objects.len(), 20);
        })
    });

    // The whole workspace through the library entry point.
    let profiles = vec!["bench".to_string()];
    let values = ValueArgs::default();
    let revisions = BTreeMap::new();
    let mut group = c.benchmark_group("workspace");
    group.sample_size(20);
    group.bench_function("render_50_releases_1000_objects", |b| {
        b.iter(|| {
            let rendered = berth::action::render::render(&berth::action::render::RenderRequest {
                workspace: Some(&root),
                profiles: &profiles,
                values: &values,
                namespace: None,
                revisions: &revisions,
                strict: false,
            })
            .expect("render");
            let n: usize = rendered.releases.iter().map(|r| r.objects.len()).sum();
            assert_eq!(n, 1000);
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
