//! berth: render, encrypt, diff and deploy Kubernetes charts with SOPS secrets.
//!
//! Data flows one way: workspace → plan → values (+secrets) → render → objects →
//! diff → apply → record. Each module owns one step and does not reach back up
//! that line. The binary (`src/main.rs`) only parses arguments, calls
//! [`run`] and maps the error to an exit code.
#![forbid(unsafe_code)]

pub mod action;
pub mod chart;
pub mod cli;
pub mod cluster;
pub mod diff;
pub mod git;
pub mod manifest;
pub mod release;
pub mod rollout;
pub mod secrets;
pub mod sops;
pub mod template;
pub mod ui;
pub mod values;
pub mod workspace;

pub use action::{run, Exit};
