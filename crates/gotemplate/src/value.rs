//! The value model: Go's kinds as `text/template`, sprig and Helm see them.
//!
//! Every value a template touches is one of these. The variants follow Go's
//! types where a chart can observe the difference (`typeOf`, `kindOf`, `printf
//! "%T"`, `eq` between an `int` and a `float64`, `1e+06` printing): numbers keep
//! their Go type, maps are references (sprig's `set` mutates the map every
//! holder sees, as in Go), lists remember whether they are `[]interface {}` or
//! `[]string`. Structs and pointers Helm hands to templates (`.Release`,
//! `.Files`, `.Capabilities`, semver versions, certificates) are [`Object`]s
//! with fields and methods.
//!
//! This module owns the types, Go's truthiness, Go's type names and the
//! conversion to and from the JSON tree ([`serde_json::Value`]) that values
//! files and `encoding/json` use. Printing (`%v` and the other verbs) lives in
//! [`crate::fmt`].

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

/// A Go `map[string]interface {}`: shared and mutable, as Go maps are.
/// Keys iterate in sorted order, which is the order `range`, `keys`-then-sort,
/// `%v` and `toYaml` observe.
pub type Map = Rc<RefCell<BTreeMap<String, Value>>>;

/// The element type of a Go slice, where charts can observe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SliceType {
    /// `[]interface {}` (sprig `list`, `fromYamlArray`, values lists).
    Interface,
    /// `[]string` (sprig `splitList`, `keys`, `sortAlpha`, `regexFindAll`).
    String,
    /// `[]int` (sprig `until`, `untilStep`).
    Int,
}

/// One template value.
#[derive(Clone)]
pub enum Value {
    /// An untyped nil (`interface {}` holding nothing): a missing map key, `nil`.
    Nil,
    /// `bool`.
    Bool(bool),
    /// `int` (template integer literals, `len`, sprig `int`, `atoi`).
    Int(i64),
    /// `int64` (`--set` integers, sprig `int64`, `add`, `sub`, ...).
    Int64(i64),
    /// `uint64`.
    Uint64(u64),
    /// `float64` (every number read from a YAML or JSON file, float literals).
    Float64(f64),
    /// `string`.
    String(Rc<str>),
    /// `[]byte` (`.Files.GetBytes`, `b64dec` internals).
    Bytes(Rc<[u8]>),
    /// A slice, shared (Go slices are references; sprig never mutates one in place).
    List(SliceType, Rc<Vec<Value>>),
    /// `map[string]interface {}`.
    Map(Map),
    /// A struct or pointer Helm or sprig hands to templates.
    Object(Rc<dyn Object>),
}

/// A Go struct (or pointer to one) with fields and methods, e.g. `.Release`,
/// `.Files`, a `*semver.Version`.
pub trait Object {
    /// Go's type name as `printf "%T"` and sprig's `typeOf` print it, e.g.
    /// `*semver.Version`, `chartutil.ReleaseOptions`... (`common.Release`).
    fn type_name(&self) -> &str;
    /// Go's kind as sprig's `kindOf` prints it: `struct` or `ptr`.
    fn kind_name(&self) -> &str {
        "struct"
    }
    /// An exported field, or `None` when the type has no such field.
    fn field(&self, name: &str) -> Option<Value>;
    /// Whether the type has a method `name` (methods win over fields in Go).
    fn has_method(&self, _name: &str) -> bool {
        false
    }
    /// The Go signature of method `name`, so the executor checks and
    /// converts arguments as Go does (`wrong number of args for Get: want 1
    /// got 0`). `None` passes every argument as `interface {}` unchecked.
    fn method_signature(&self, _name: &str) -> Option<crate::func::Signature> {
        None
    }
    /// Call method `name` with already-evaluated arguments. Only called when
    /// [`Object::has_method`] said yes. The error text is Go's (the executor
    /// wraps it as `error calling NAME: ...`).
    fn call_method(&self, name: &str, _args: &[Value]) -> Result<Value, String> {
        Err(format!("can't call method/function {name:?}"))
    }
    /// `%v` of the value (Go prints structs as `{field1 field2}`; pointers
    /// with a `String()` method print that).
    fn display(&self) -> String;
    /// What `{{ . }}` writes for the value: text/template prints an
    /// addressable value through its pointer's `String()` method when it has
    /// one (a struct field of a pointer, such as `.Capabilities.KubeVersion`),
    /// where `%v` of a copy prints the struct. Defaults to [`Object::display`].
    fn template_display(&self) -> String {
        self.display()
    }
    /// The value `encoding/json` would marshal, for `toJson`/`toYaml`.
    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(serde_json::Map::new())
    }
    /// Go's truth of the value: a non-nil pointer or any struct is true.
    fn truth(&self) -> bool {
        true
    }
    /// For a map type with methods (Helm's `.Files` is a `map[string][]byte`):
    /// its entries in key order, which `range`, `len` and `index` see.
    /// `None` for structs.
    fn entries(&self) -> Option<Vec<(String, Value)>> {
        None
    }
    /// For a slice type with methods (Helm's `.Capabilities.APIVersions` is a
    /// `[]string` with `Has`): its items, which `range`, `len` and `index`
    /// see. `None` for structs.
    fn items(&self) -> Option<Vec<Value>> {
        None
    }
}

impl Value {
    /// A `string` value.
    pub fn str(s: impl Into<Rc<str>>) -> Value {
        Value::String(s.into())
    }

    /// An `[]interface {}` value.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(SliceType::Interface, Rc::new(items))
    }

    /// A `[]string` value.
    pub fn string_list<S: Into<Rc<str>>>(items: impl IntoIterator<Item = S>) -> Value {
        Value::List(
            SliceType::String,
            Rc::new(items.into_iter().map(|s| Value::String(s.into())).collect()),
        )
    }

    /// A new `map[string]interface {}`.
    pub fn map(entries: BTreeMap<String, Value>) -> Value {
        Value::Map(Rc::new(RefCell::new(entries)))
    }

    /// An empty `map[string]interface {}`.
    pub fn empty_map() -> Value {
        Value::map(BTreeMap::new())
    }

    /// Go's `text/template` truth: false, 0, nil, and empty strings, slices
    /// and maps are false; everything else is true.
    pub fn truth(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) | Value::Int64(i) => *i != 0,
            Value::Uint64(u) => *u != 0,
            Value::Float64(f) => *f != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::Bytes(b) => !b.is_empty(),
            Value::List(_, l) => !l.is_empty(),
            Value::Map(m) => !m.borrow().is_empty(),
            Value::Object(o) => o.truth(),
        }
    }

    /// Go's type name (`printf "%T"`, sprig `typeOf`): `string`, `int`,
    /// `float64`, `[]interface {}`, `map[string]interface {}`, `<nil>` ...
    pub fn type_name(&self) -> String {
        self.type_str().to_string()
    }

    /// [`Value::type_name`] without allocating, for the executor's type
    /// checks on every call.
    pub fn type_str(&self) -> &str {
        match self {
            Value::Nil => "<nil>",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Uint64(_) => "uint64",
            Value::Float64(_) => "float64",
            Value::String(_) => "string",
            Value::Bytes(_) => "[]uint8",
            Value::List(SliceType::Interface, _) => "[]interface {}",
            Value::List(SliceType::String, _) => "[]string",
            Value::List(SliceType::Int, _) => "[]int",
            Value::Map(_) => "map[string]interface {}",
            Value::Object(o) => o.type_name(),
        }
    }

    /// Go's kind name (sprig `kindOf`, `kindIs`): `string`, `int`, `int64`,
    /// `float64`, `bool`, `slice`, `map`, `struct`, `ptr`, `invalid` for nil.
    pub fn kind_name(&self) -> &str {
        match self {
            Value::Nil => "invalid",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Uint64(_) => "uint64",
            Value::Float64(_) => "float64",
            Value::String(_) => "string",
            Value::Bytes(_) | Value::List(..) => "slice",
            Value::Map(_) => "map",
            Value::Object(o) => o.kind_name(),
        }
    }

    /// The string inside a `string` value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this is an untyped nil.
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// Convert a JSON tree (values files, `--set`, `fromJson`) into template
    /// values. A JSON number that holds a float becomes `float64`; an integer
    /// becomes `int64` (`--set` integers are `int64` in Helm). Values read from
    /// YAML/JSON files must therefore arrive with their numbers as floats, as
    /// sigs.k8s.io/yaml delivers them to Helm.
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => {
                if let Some(i) = n.as_i64().filter(|_| !n.is_f64()) {
                    Value::Int64(i)
                } else if let Some(u) = n.as_u64().filter(|_| !n.is_f64()) {
                    Value::Uint64(u)
                } else {
                    Value::Float64(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            serde_json::Value::String(s) => Value::str(s.as_str()),
            serde_json::Value::Array(items) => {
                Value::list(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(entries) => Value::map(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// The tree `encoding/json` would marshal this value as (before any
    /// text is written): integers stay integers, `float64` stays a float
    /// (non-finite floats become `null` here; `toJson` reports Go's error
    /// for them before calling this), `[]byte` becomes base64 as Go does.
    pub fn to_json(&self) -> serde_json::Value {
        use base64::Engine as _;
        match self {
            Value::Nil => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) | Value::Int64(i) => serde_json::Value::from(*i),
            Value::Uint64(u) => serde_json::Value::from(*u),
            Value::Float64(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::Bytes(b) => {
                serde_json::Value::String(base64::engine::general_purpose::STANDARD.encode(b))
            }
            Value::List(_, items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect())
            }
            Value::Map(m) => serde_json::Value::Object(
                m.borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
            Value::Object(o) => o.to_json(),
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.type_name(), crate::fmt::display(self))
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::str(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::str(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
