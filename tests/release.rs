//! Integration tests: release.
