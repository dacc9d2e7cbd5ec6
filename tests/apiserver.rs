//! Integration tests: apiserver.
