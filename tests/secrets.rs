//! Integration tests: secrets.
