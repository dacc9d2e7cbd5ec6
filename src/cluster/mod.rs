//! cluster (to be built).
