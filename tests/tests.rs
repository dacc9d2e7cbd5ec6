//! berth's integration tests: one test binary, one module per topic. Every test
//! runs the real `berth` binary (see `support::harness`) against real peers:
//! sops, age, a moto KMS server and the in-process test API server.

mod support;

mod apiserver;
mod ci;
mod deploy;
mod release;
mod render;
mod rollout;
mod secrets;
