//! berth's integration tests: one test binary, one module per topic. Every test
//! runs the real `berth` binary (see `support::harness`) against real peers:
//! sops, age, a moto KMS server, the in-process test API server, and for
//! `dependency` a static HTTP chart repository and `docker-registry` — except
//! `values`, which checks the values library against Helm v4's own SDK.

mod support;

mod apiserver;
mod ci;
mod dependency;
mod deploy;
mod faults;
mod hardening;
mod helm_dependencies;
mod helm_errors;
mod helm_manifests;
mod helm_template;
mod release;
mod render;
mod rollout;
mod secrets;
mod sops_cli;
mod values;
