//! Go's `text/template`, with sprig's and Helm's functions, as Helm v4 runs
//! it: the same output bytes and the same error texts. Three stages kept
//! apart as in Go — [`lex`] emits items, [`parse`] builds a tree of nodes that
//! know their position, [`exec`] walks it — over one value model
//! ([`value`]) and one function map ([`func`]).
//!
//! Dependencies: `stacker` grows the stack on the heap for deeply nested
//! `template`/`include` calls (Go allows 100000 nested template calls).
//!
//! This crate knows nothing of charts, files or clusters: the caller hands
//! it template texts, data and extra functions.
#![forbid(unsafe_code)]

pub mod builtins;
pub mod encoding;
pub mod exec;
pub mod fmt;
pub mod func;
pub mod helm;
pub mod lex;
pub mod parse;
mod printf;
pub mod sprig;
pub mod value;

/// Masterminds/semver v3 as Helm uses it: versions and constraint ranges
/// (`^1.2`, `~1.2.3`, `>= 1, < 2 || 3.x`), the same implementation sprig's
/// `semver`/`semverCompare` run.
pub mod semver {
    pub use crate::sprig::semver::{Constraints, Version};
}

pub use exec::{Error, ErrorKind, MissingKey, Options, Templates};
pub use func::{Env, FuncError, FuncMap, Function, Param, Signature, TextError};
pub use value::{Map, Object, SliceType, Value};
