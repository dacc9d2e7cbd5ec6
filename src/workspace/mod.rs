//! workspace (to be built).
