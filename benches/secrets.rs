//! Criterion benchmarks of the secrets hot paths: the per-value cipher, the
//! MAC hash and loading a 5,000-value YAML tree — through the public API
//! (a whole-file decrypt) and the pieces it is made of.

use criterion::{criterion_group, criterion_main, Criterion};

fn plain_doc() -> String {
    let mut s = String::new();
    for sec in 0..100 {
        s.push_str(&format!("section{sec:03}:\n"));
        for k in 0..50 {
            s.push_str(&format!(
                "    key{k:02}: value-{sec}-{k}-abcdefghijklmnop\n"
            ));
        }
    }
    s
}

fn benches(c: &mut Criterion) {
    let doc = plain_doc();
    c.bench_function("yaml tree load, 5,000 values", |b| {
        b.iter(|| berth::secrets::bench_support::load_yaml(std::hint::black_box(&doc)))
    });
    c.bench_function("value cipher encrypt+decrypt, 1 value", |b| {
        let cipher = berth::secrets::bench_support::Bench::new();
        b.iter(|| cipher.round_trip(std::hint::black_box("value-1-2-abcdefghijklmnop")))
    });
    c.bench_function("MAC over 5,000 values", |b| {
        let values: Vec<String> = (0..5000)
            .map(|i| format!("value-{i}-abcdefghijklmnop"))
            .collect();
        b.iter(|| berth::secrets::bench_support::mac(std::hint::black_box(&values)))
    });
    let dir = tempfile::tempdir().unwrap();
    let (file, key_file) = berth::secrets::bench_support::encrypted_file(dir.path(), &doc);
    std::env::set_var("SOPS_AGE_KEY_FILE", &key_file);
    c.bench_function("decrypt_values, 5,000 values", |b| {
        b.iter(|| berth::secrets::decrypt_values(std::hint::black_box(&file)).unwrap())
    });
}

criterion_group!(secrets, benches);
criterion_main!(secrets);
