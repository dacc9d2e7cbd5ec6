//! Shared test infrastructure: the harness that runs the real binary, helpers
//! that find the peer tools (failing loudly when one is missing), and the test
//! Kubernetes API server.
#![allow(dead_code)]

pub mod apiserver;
pub mod chart_repos;
pub mod harness;
pub mod kms;
