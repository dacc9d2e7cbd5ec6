//! values (to be built).
