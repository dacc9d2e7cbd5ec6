//! Progress display for long operations (apply, wait): an indicatif bar per
//! release on a terminal, plain greppable log lines otherwise.
