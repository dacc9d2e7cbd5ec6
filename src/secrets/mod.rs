//! secrets (to be built).
