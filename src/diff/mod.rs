//! diff (to be built).
