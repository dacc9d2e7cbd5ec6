//! release (to be built).
