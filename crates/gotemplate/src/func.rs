//! Functions as templates call them: a Go signature per function (so the
//! executor converts arguments and reports mistakes with Go's own texts), a
//! callable, and the function map a template set is parsed and executed with.
//!
//! This module defines the shapes only; the builtins live in
//! [`crate::builtins`], sprig's functions in [`crate::sprig`], Helm's in
//! [`crate::helm`].

use std::collections::HashMap;
use std::rc::Rc;

use crate::value::Value;

/// A Go parameter type, as far as `text/template`'s argument checking can see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// `interface {}`: anything, nil included.
    Any,
    /// `string`.
    String,
    /// `int`.
    Int,
    /// `int64`.
    Int64,
    /// `float64`.
    Float64,
    /// `bool`.
    Bool,
    /// `[]interface {}`.
    Slice,
    /// `[]string`.
    StringSlice,
    /// `map[string]interface {}`.
    Map,
}

impl Param {
    /// Go's spelling of the type, as it appears in error messages.
    pub fn go_name(self) -> &'static str {
        match self {
            Param::Any => "interface {}",
            Param::String => "string",
            Param::Int => "int",
            Param::Int64 => "int64",
            Param::Float64 => "float64",
            Param::Bool => "bool",
            Param::Slice => "[]interface {}",
            Param::StringSlice => "[]string",
            Param::Map => "map[string]interface {}",
        }
    }
}

/// A function's Go signature.
#[derive(Debug, Clone, Copy)]
pub struct Signature {
    /// Fixed parameters, in order.
    pub params: &'static [Param],
    /// The element type of a final `...T` parameter, if any.
    pub variadic: Option<Param>,
}

/// The error a function returns (Go's `error` result), or a recovered panic.
/// The executor reports it as `error calling NAME: MESSAGE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuncError(pub String);

impl FuncError {
    /// An error with Go's message text.
    pub fn new(message: impl Into<String>) -> FuncError {
        FuncError(message.into())
    }
}

impl std::fmt::Display for FuncError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FuncError {}

/// What a function may ask of the running executor (Helm's `include` and
/// `tpl` need the template set they run in).
pub trait Env {
    /// Execute the template named `name` with `data` and return its output
    /// (Helm's `include`).
    fn execute_named(&mut self, name: &str, data: Value) -> Result<String, FuncError>;
    /// Parse `text` as a new template in the current set and execute it with
    /// `data` (Helm's `tpl`).
    fn execute_text(&mut self, text: &str, data: Value) -> Result<String, FuncError>;
    /// Like [`Env::execute_text`], telling a parse error from an execution
    /// error (Helm's `tpl` words them differently).
    fn execute_text_checked(&mut self, text: &str, data: Value) -> Result<String, TextError> {
        self.execute_text(text, data).map_err(TextError::Exec)
    }
}

/// Why [`Env::execute_text_checked`] failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextError {
    /// The text did not parse (Go's parse error text).
    Parse(FuncError),
    /// The text failed while executing (Go's exec error text).
    Exec(FuncError),
}

/// The callable part of a function. Arguments arrive already converted to the
/// signature's types (an `int` parameter receives a [`Value::Int`]).
pub type Call = Rc<dyn Fn(&mut dyn Env, Vec<Value>) -> Result<Value, FuncError>>;

/// One function of a function map.
#[derive(Clone)]
pub struct Function {
    /// The Go signature the executor checks arguments against.
    pub signature: Signature,
    /// The body.
    pub call: Call,
}

impl Function {
    /// A function from a signature and a body that does not need the executor.
    pub fn pure(
        params: &'static [Param],
        variadic: Option<Param>,
        body: impl Fn(Vec<Value>) -> Result<Value, FuncError> + 'static,
    ) -> Function {
        Function {
            signature: Signature { params, variadic },
            call: Rc::new(move |_env: &mut dyn Env, args: Vec<Value>| body(args)),
        }
    }

    /// A function whose body reaches the executor through [`Env`].
    pub fn with_env(
        params: &'static [Param],
        variadic: Option<Param>,
        body: impl Fn(&mut dyn Env, Vec<Value>) -> Result<Value, FuncError> + 'static,
    ) -> Function {
        Function {
            signature: Signature { params, variadic },
            call: Rc::new(body),
        }
    }
}

/// Functions by name, as `template.Funcs` takes them. Hashed with FxHash:
/// every call in a template looks its name up here. Build one with
/// `FuncMap::default()`.
pub type FuncMap = HashMap<String, Function, rustc_hash::FxBuildHasher>;
