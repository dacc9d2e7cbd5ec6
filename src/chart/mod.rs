//! chart (to be built).
