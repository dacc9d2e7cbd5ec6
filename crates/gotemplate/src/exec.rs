//! Go's `text/template` executor: walks parsed trees with a small state (the
//! variable stack, dot, the depth of nested `template` calls, the node being
//! evaluated for error positions), resolves fields on maps and objects,
//! converts arguments against each function's Go signature and reports every
//! mistake with Go's text (`template: NAME:LINE:COL: executing "NAME" at
//! <NODE>: MSG`).
//!
//! It owns [`Templates`] (a set of named trees sharing one function map, as
//! Go's `*template.Template` with its associated templates) and [`Error`].
//! The builtins' bodies live in [`crate::builtins`]; printing in [`crate::fmt`].

use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

use crate::builtins;
use crate::func::{Env, FuncError, FuncMap, Function, Param, TextError};
use crate::parse::{self, Arg, BranchKind, Command, List, Node, Number, Pipe, Tree};
use crate::value::{SliceType, Value};

/// Go's limit on nested `{{template}}` calls.
pub const MAX_EXEC_DEPTH: usize = 100_000;

/// What a missing map key yields (`Option("missingkey=...")`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingKey {
    /// `missingkey=default`: no value at all (prints `<no value>`).
    #[default]
    Default,
    /// `missingkey=zero`: the zero of the map's element type (a nil
    /// `interface {}` for Helm's maps, which also prints `<no value>`).
    Zero,
    /// `missingkey=error`: `map has no entry for key "x"`.
    Error,
}

/// Execution options.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// The `missingkey` option.
    pub missing_key: MissingKey,
}

/// Which Go error an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A parse error (`template: NAME:LINE: ...`).
    Parse,
    /// A `template.ExecError`.
    Exec,
    /// Any other error (`template: no template "x" associated with ...`).
    Other,
}

/// A template error. `Display` is Go's `err.Error()`; [`Error::chain`] is
/// what `errors.Unwrap` walks (Helm's error reformatting reads it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    /// `links[0]` is the full text; each next one is the wrapped error's text.
    links: Vec<String>,
}

impl Error {
    fn new(kind: ErrorKind, text: String) -> Error {
        Error {
            kind,
            links: vec![text],
        }
    }

    /// Which Go error this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The texts of this error and of every error it wraps, outermost first.
    pub fn chain(&self) -> &[String] {
        &self.links
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.links[0])
    }
}

impl std::error::Error for Error {}

/// A set of templates sharing one function map and options, as a Go
/// `*template.Template` and the templates associated with it.
#[derive(Clone)]
pub struct Templates {
    funcs: Rc<FuncMap>,
    trees: HashMap<String, Rc<Tree>, rustc_hash::FxBuildHasher>,
    options: Options,
    root_name: String,
}

impl Templates {
    /// An empty set whose root template is named `"root"`.
    pub fn new(funcs: FuncMap, options: Options) -> Templates {
        Templates::with_root_name("root", funcs, options)
    }

    /// An empty set whose root template (the one `template.New(name)`
    /// created; its name appears in `no template ... associated with
    /// template "NAME"` and names texts parsed by [`Env::execute_text`]).
    pub fn with_root_name(root: &str, funcs: FuncMap, options: Options) -> Templates {
        Templates {
            funcs: Rc::new(funcs),
            trees: HashMap::default(),
            options,
            root_name: root.to_string(),
        }
    }

    /// The root template's name.
    pub fn root_name(&self) -> &str {
        &self.root_name
    }

    /// Whether `name` is a function templates may call (user or builtin).
    pub fn has_function(&self, name: &str) -> bool {
        self.funcs.contains_key(name) || builtins::is_builtin(name)
    }

    /// `t.New(name).Parse(text)`: parse `text` as template `name` and add
    /// it and its `define`s to the set. A later definition replaces an
    /// earlier one, except that an empty (blank) body never replaces one.
    pub fn parse(&mut self, name: &str, text: &str) -> Result<(), Error> {
        self.parse_new(name, text).map(|_| ())
    }

    /// [`Templates::parse`], returning the tree `text` itself parsed to:
    /// what the template `t.New(name)` returns holds and executes, even when
    /// the set keeps an earlier, non-empty definition of `name`.
    fn parse_new(&mut self, name: &str, text: &str) -> Result<Rc<Tree>, Error> {
        let funcs = self.funcs.clone();
        let has = move |n: &str| funcs.contains_key(n) || builtins::is_builtin(n);
        let trees =
            parse::parse(name, text, &has).map_err(|e| Error::new(ErrorKind::Parse, e.0))?;
        let mut main = None;
        // Go adds the trees in map order; the only observable rule is the
        // empty-tree one, which does not depend on the order.
        for (tname, tree) in trees {
            let tree = Rc::new(tree);
            if tname == name {
                main = Some(tree.clone());
            }
            if self.trees.contains_key(&tname) && parse::is_empty_list(&tree.root) {
                continue;
            }
            self.trees.insert(tname, tree);
        }
        main.ok_or_else(|| Error::new(ErrorKind::Parse, format!("template: {name}: no tree")))
    }

    /// Whether a template named `name` exists.
    pub fn lookup(&self, name: &str) -> bool {
        self.trees.contains_key(name)
    }

    /// `ExecuteTemplate`: run template `name` with `data` as dot.
    pub fn execute(&self, name: &str, data: Value) -> Result<String, Error> {
        let mut out = String::new();
        self.execute_into(name, data, &mut out)?;
        Ok(out)
    }

    /// Like [`Templates::execute`], writing into `out` (partial output stays
    /// there on error, as with Go's writer).
    pub fn execute_into(&self, name: &str, data: Value, out: &mut String) -> Result<(), Error> {
        let Some(tree) = self.trees.get(name) else {
            return Err(Error::new(
                ErrorKind::Other,
                format!(
                    "template: no template {} associated with template {}",
                    crate::fmt::quote(name),
                    crate::fmt::quote(&self.root_name)
                ),
            ));
        };
        self.execute_tree(tree, name, data, out)
    }

    /// Run `tree` as template `name` of this set.
    fn execute_tree(
        &self,
        tree: &Tree,
        name: &str,
        data: Value,
        out: &mut String,
    ) -> Result<(), Error> {
        let dot = RV::typed(data);
        let mut state = State {
            set: self,
            tree,
            name: name.to_string(),
            vars: vec![("$".to_string(), dot.clone())],
            depth: 0,
            at: At::None,
            out,
            pending: None,
        };
        stacker::maybe_grow(256 * 1024, 8 * 1024 * 1024, || {
            state.walk_list(&dot, &tree.root).map(|_| ())
        })
    }
}

/// A value as the executor holds it: Go's `reflect.Value`, where it matters
/// whether the value sits in an `interface {}` (map elements, `[]interface
/// {}` elements) or is missing altogether.
#[derive(Clone, Debug)]
pub(crate) enum RV {
    /// No value (`reflect.Value{}`): a missing key under `missingkey=default`,
    /// the result of a pipeline that produced nil.
    Invalid,
    /// A value of static type `interface {}` (`Iface(Value::Nil)` is a nil
    /// interface).
    Iface(Value),
    /// A value of its own concrete type (never `Value::Nil`).
    Typed(Value),
}

impl RV {
    pub(crate) fn typed(v: Value) -> RV {
        match v {
            Value::Nil => RV::Iface(Value::Nil),
            v => RV::Typed(v),
        }
    }

    /// Go's `indirectInterface`: the concrete value, or `None` for nil.
    pub(crate) fn concrete(&self) -> Option<&Value> {
        match self {
            RV::Invalid | RV::Iface(Value::Nil) => None,
            RV::Iface(v) | RV::Typed(v) => Some(v),
        }
    }

    /// The value handed to an `interface {}` parameter.
    pub(crate) fn into_value(self) -> Value {
        match self {
            RV::Invalid => Value::Nil,
            RV::Iface(v) | RV::Typed(v) => v,
        }
    }

    /// What evalPipeline does to each command's result: dig out of an
    /// `interface {}`.
    fn unwrap_iface(self) -> RV {
        match self {
            RV::Iface(Value::Nil) => RV::Invalid,
            RV::Iface(v) => RV::Typed(v),
            other => other,
        }
    }

    /// Go's `reflect.Value.Type()` string for error messages.
    fn static_type(&self) -> String {
        match self {
            RV::Invalid => "<nil>".into(),
            RV::Iface(_) => "interface {}".into(),
            RV::Typed(v) => v.type_name(),
        }
    }

    pub(crate) fn truth(&self) -> bool {
        self.concrete().is_some_and(Value::truth)
    }
}

/// Where the executor is, for error messages.
#[derive(Clone, Copy)]
pub(crate) enum At<'a> {
    None,
    Node(&'a Node),
    Pipe(&'a Pipe),
    Arg(&'a Arg),
    Cmd(&'a Command),
}

enum Flow {
    Normal,
    Break,
    Continue,
}

/// How an argument is converted before a call.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Want {
    /// A builtin's `reflect.Value` parameter: no conversion.
    Reflect,
    /// A Go parameter type.
    Param(Param),
}

type R<T> = Result<T, Error>;

pub(crate) struct State<'a, 'o> {
    set: &'a Templates,
    tree: &'a Tree,
    name: String,
    vars: Vec<(String, RV)>,
    depth: usize,
    at: At<'a>,
    out: &'o mut String,
    /// The error behind the last failing include/tpl, so the calling
    /// function's error can wrap it (Go's `%w`).
    pending: Option<Error>,
}

fn can_be_nil(p: Param) -> bool {
    matches!(
        p,
        Param::Any | Param::Slice | Param::StringSlice | Param::Map
    )
}

fn zero_of(p: Param) -> RV {
    match p {
        Param::Slice => RV::Typed(Value::List(SliceType::Interface, Rc::new(Vec::new()))),
        Param::StringSlice => RV::Typed(Value::List(SliceType::String, Rc::new(Vec::new()))),
        Param::Map => RV::Typed(Value::Nil),
        _ => RV::Iface(Value::Nil),
    }
}

impl<'a> State<'a, '_> {
    fn errorf<T>(&self, msg: impl fmt::Display) -> R<T> {
        Err(self.error(msg.to_string()))
    }

    pub(crate) fn error(&self, msg: String) -> Error {
        let (pos, context) = match self.at {
            At::None => {
                return Error::new(ErrorKind::Exec, format!("template: {}: {}", self.name, msg))
            }
            At::Node(n) => (n.pos(), n.to_string()),
            At::Pipe(p) => (p.pos, p.to_string()),
            At::Arg(a) => (a.pos(), a.to_string()),
            At::Cmd(c) => (c.pos, c.to_string()),
        };
        Error::new(
            ErrorKind::Exec,
            format!(
                "template: {}: executing {} at <{}>: {}",
                self.tree.location(pos),
                crate::fmt::quote(&self.name),
                context,
                msg
            ),
        )
    }

    fn var_value(&self, name: &str) -> R<RV> {
        for (n, v) in self.vars.iter().rev() {
            if n == name {
                return Ok(v.clone());
            }
        }
        self.errorf(format!("undefined variable: {name}"))
    }

    fn set_var(&mut self, name: &str, value: RV) -> R<()> {
        for (n, v) in self.vars.iter_mut().rev() {
            if n == name {
                *v = value;
                return Ok(());
            }
        }
        self.errorf(format!("undefined variable: {name}"))
    }

    fn set_top_var(&mut self, n: usize, value: RV) {
        let len = self.vars.len();
        self.vars[len - n].1 = value;
    }

    fn walk_list(&mut self, dot: &RV, list: &'a List) -> R<Flow> {
        for node in &list.nodes {
            match self.walk(dot, node)? {
                Flow::Normal => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, dot: &RV, node: &'a Node) -> R<Flow> {
        match node {
            Node::Branch { .. } => {
                stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || self.walk_inner(dot, node))
            }
            _ => self.walk_inner(dot, node),
        }
    }

    fn walk_inner(&mut self, dot: &RV, node: &'a Node) -> R<Flow> {
        self.at = At::Node(node);
        match node {
            Node::Text { text, .. } => self.out.push_str(text),
            Node::Action { pipe, .. } => {
                let v = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    self.at = At::Node(node);
                    match v {
                        RV::Invalid => self.out.push_str("<no value>"),
                        v => match v.into_value() {
                            Value::Object(o) => self.out.push_str(&o.template_display()),
                            v => crate::fmt::write_v(self.out, &v),
                        },
                    }
                }
            }
            Node::Break { .. } => return Ok(Flow::Break),
            Node::Continue { .. } => return Ok(Flow::Continue),
            Node::Branch {
                kind: BranchKind::Range,
                ..
            } => return self.walk_range(dot, node),
            Node::Branch {
                kind,
                pipe,
                list,
                else_list,
                ..
            } => {
                let mark = self.vars.len();
                let r = (|| {
                    let val = self.eval_pipeline(dot, pipe)?;
                    if val.truth() {
                        if *kind == BranchKind::With {
                            self.walk_list(&val, list)
                        } else {
                            self.walk_list(dot, list)
                        }
                    } else if let Some(e) = else_list {
                        self.walk_list(dot, e)
                    } else {
                        Ok(Flow::Normal)
                    }
                })();
                self.vars.truncate(mark);
                return r;
            }
            Node::Template { name, pipe, .. } => {
                stacker::maybe_grow(256 * 1024, 8 * 1024 * 1024, || {
                    self.walk_template(dot, node, name, pipe.as_ref())
                })?;
            }
        }
        Ok(Flow::Normal)
    }

    fn walk_template(
        &mut self,
        dot: &RV,
        node: &'a Node,
        name: &str,
        pipe: Option<&'a Pipe>,
    ) -> R<()> {
        self.at = At::Node(node);
        let Some(tree) = self.set.trees.get(name) else {
            return self.errorf(format!("template {} not defined", crate::fmt::quote(name)));
        };
        if self.depth == MAX_EXEC_DEPTH {
            return self.errorf(format!(
                "exceeded maximum template depth ({MAX_EXEC_DEPTH})"
            ));
        }
        let dot = match pipe {
            Some(p) => self.eval_pipeline(dot, p)?,
            None => RV::Invalid,
        };
        let mut inner = State {
            set: self.set,
            tree,
            name: name.to_string(),
            vars: vec![("$".to_string(), dot.clone())],
            depth: self.depth + 1,
            at: At::None,
            out: &mut *self.out,
            pending: None,
        };
        inner.walk_list(&dot, &tree.root).map(|_| ())
    }

    fn walk_range(&mut self, dot: &RV, node: &'a Node) -> R<Flow> {
        let Node::Branch {
            pipe,
            list,
            else_list,
            ..
        } = node
        else {
            return Ok(Flow::Normal);
        };
        self.at = At::Node(node);
        let mark0 = self.vars.len();
        let r = self.walk_range_inner(dot, pipe, list, else_list.as_ref());
        self.vars.truncate(mark0);
        r.map(|_| Flow::Normal)
    }

    fn one_iteration(
        &mut self,
        pipe: &'a Pipe,
        list: &'a List,
        mark: usize,
        index: RV,
        elem: RV,
    ) -> R<bool> {
        if !pipe.decl.is_empty() {
            if pipe.is_assign {
                if pipe.decl.len() > 1 {
                    self.set_var(&pipe.decl[0], index.clone())?;
                } else {
                    self.set_var(&pipe.decl[0], elem.clone())?;
                }
            } else {
                self.set_top_var(1, elem.clone());
            }
        }
        if pipe.decl.len() > 1 {
            if pipe.is_assign {
                self.set_var(&pipe.decl[1], elem.clone())?;
            } else {
                self.set_top_var(2, index);
            }
        }
        let r = self.walk_list(&elem, list);
        self.vars.truncate(mark);
        Ok(matches!(r?, Flow::Break))
    }

    fn walk_range_inner(
        &mut self,
        dot: &RV,
        pipe: &'a Pipe,
        list: &'a List,
        else_list: Option<&'a List>,
    ) -> R<()> {
        let val = self.eval_pipeline(dot, pipe)?;
        let mark = self.vars.len();
        let ran = match val.concrete() {
            None => false,
            Some(Value::List(st, items)) => {
                let items = items.clone();
                for (i, item) in items.iter().enumerate() {
                    let elem = match st {
                        SliceType::Interface => RV::Iface(item.clone()),
                        _ => RV::typed(item.clone()),
                    };
                    if self.one_iteration(
                        pipe,
                        list,
                        mark,
                        RV::Typed(Value::Int(i as i64)),
                        elem,
                    )? {
                        break;
                    }
                }
                !items.is_empty()
            }
            Some(Value::Bytes(b)) => {
                let b = b.clone();
                for (i, byte) in b.iter().enumerate() {
                    let elem = RV::Typed(Value::Uint64(*byte as u64));
                    if self.one_iteration(
                        pipe,
                        list,
                        mark,
                        RV::Typed(Value::Int(i as i64)),
                        elem,
                    )? {
                        break;
                    }
                }
                !b.is_empty()
            }
            Some(Value::Map(m)) => {
                let entries: Vec<(String, Value)> = m
                    .borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                for (k, v) in &entries {
                    if self.one_iteration(
                        pipe,
                        list,
                        mark,
                        RV::Typed(Value::str(k.as_str())),
                        RV::Iface(v.clone()),
                    )? {
                        break;
                    }
                }
                !entries.is_empty()
            }
            Some(v @ (Value::Int(_) | Value::Int64(_) | Value::Uint64(_))) => {
                let v = v.clone();
                if pipe.decl.len() > 1 {
                    return self.errorf(format!(
                        "can't use {} to iterate over more than one variable",
                        crate::fmt::display(&v)
                    ));
                }
                let n: i128 = match v {
                    Value::Int(i) | Value::Int64(i) => i as i128,
                    Value::Uint64(u) => u as i128,
                    _ => 0,
                };
                let mut i: i128 = 0;
                while i < n {
                    let iv = match v {
                        Value::Int(_) => Value::Int(i as i64),
                        Value::Int64(_) => Value::Int64(i as i64),
                        _ => Value::Uint64(i as u64),
                    };
                    if self.one_iteration(pipe, list, mark, RV::Typed(iv.clone()), RV::Typed(iv))? {
                        break;
                    }
                    i += 1;
                }
                n > 0
            }
            Some(Value::Object(o)) if o.entries().is_some() || o.items().is_some() => {
                let o = o.clone();
                let mut ran = false;
                if let Some(entries) = o.entries() {
                    for (k, v) in entries {
                        ran = true;
                        let (k, v) = (RV::Typed(Value::str(k.as_str())), RV::typed(v));
                        if self.one_iteration(pipe, list, mark, k, v)? {
                            break;
                        }
                    }
                } else if let Some(items) = o.items() {
                    for (i, item) in items.into_iter().enumerate() {
                        ran = true;
                        let i = RV::Typed(Value::Int(i as i64));
                        if self.one_iteration(pipe, list, mark, i, RV::typed(item))? {
                            break;
                        }
                    }
                }
                ran
            }
            Some(v) => {
                let text = crate::fmt::display(v);
                return self.errorf(format!("range can't iterate over {text}"));
            }
        };
        if !ran {
            if let Some(e) = else_list {
                self.walk_list(dot, e)?;
            }
        }
        Ok(())
    }

    fn eval_pipeline(&mut self, dot: &RV, pipe: &'a Pipe) -> R<RV> {
        stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || {
            self.eval_pipeline_inner(dot, pipe)
        })
    }

    fn eval_pipeline_inner(&mut self, dot: &RV, pipe: &'a Pipe) -> R<RV> {
        self.at = At::Pipe(pipe);
        let mut value: Option<RV> = None;
        for cmd in &pipe.cmds {
            let v = self.eval_command(dot, cmd, value.take())?;
            value = Some(v.unwrap_iface());
        }
        let value = value.unwrap_or(RV::Invalid);
        for v in &pipe.decl {
            if pipe.is_assign {
                self.set_var(v, value.clone())?;
            } else {
                self.vars.push((v.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &[Arg], fin: &Option<RV>) -> R<()> {
        if args.len() > 1 || fin.is_some() {
            return self.errorf(format!("can't give argument to non-function {}", args[0]));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &RV, cmd: &'a Command, fin: Option<RV>) -> R<RV> {
        let first = &cmd.args[0];
        match first {
            Arg::Field { .. } => return self.eval_field_node(dot, first, &cmd.args, fin),
            Arg::Chain { .. } => return self.eval_chain_node(dot, first, &cmd.args, fin),
            Arg::Identifier { name, .. } => {
                return self.eval_function(dot, first, name, &cmd.args[1..], Some(cmd), fin)
            }
            Arg::Pipe(p) => {
                self.not_a_function(&cmd.args, &fin)?;
                return self.eval_pipeline(dot, p);
            }
            Arg::Variable { .. } => return self.eval_variable_node(dot, first, &cmd.args, fin),
            _ => {}
        }
        self.at = At::Arg(first);
        self.not_a_function(&cmd.args, &fin)?;
        match first {
            Arg::Bool { value, .. } => Ok(RV::Typed(Value::Bool(*value))),
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Nil { .. } => self.errorf("nil is not a command"),
            Arg::Number { number, .. } => self.ideal_constant(number),
            Arg::String { text, .. } => Ok(RV::Typed(Value::String(text.clone()))),
            _ => self.errorf(format!(
                "can't evaluate command {}",
                crate::fmt::quote(&first.to_string())
            )),
        }
    }

    fn ideal_constant(&self, n: &Number) -> R<RV> {
        let t = &n.text;
        let is_hex_int = t.len() > 2
            && t.starts_with('0')
            && matches!(t.as_bytes()[1], b'x' | b'X')
            && !t.contains(['p', 'P']);
        if n.is_complex {
            return self.errorf(format!("complex constant {t} is not supported"));
        }
        if n.is_float
            && !is_hex_int
            && !t.starts_with('\'')
            && t.contains(['.', 'e', 'E', 'p', 'P'])
        {
            return Ok(RV::Typed(Value::Float64(n.float)));
        }
        if n.is_int {
            return Ok(RV::Typed(Value::Int(n.int)));
        }
        if n.is_uint {
            return self.errorf(format!("{t} overflows int"));
        }
        Ok(RV::Invalid)
    }

    fn eval_field_node(
        &mut self,
        dot: &RV,
        field: &'a Arg,
        args: &'a [Arg],
        fin: Option<RV>,
    ) -> R<RV> {
        self.at = At::Arg(field);
        let Arg::Field { idents, .. } = field else {
            return Ok(RV::Invalid);
        };
        self.eval_field_chain(dot, dot.clone(), field, idents, args, fin)
    }

    fn eval_chain_node(
        &mut self,
        dot: &RV,
        chain: &'a Arg,
        args: &'a [Arg],
        fin: Option<RV>,
    ) -> R<RV> {
        self.at = At::Arg(chain);
        let Arg::Chain { node, fields, .. } = chain else {
            return Ok(RV::Invalid);
        };
        if let Arg::Nil { .. } = node.as_ref() {
            return self.errorf(format!("indirection through explicit nil in {chain}"));
        }
        let pipe = self.eval_arg(dot, None, node)?;
        self.eval_field_chain(dot, pipe, chain, fields, args, fin)
    }

    fn eval_variable_node(
        &mut self,
        dot: &RV,
        var: &'a Arg,
        args: &'a [Arg],
        fin: Option<RV>,
    ) -> R<RV> {
        self.at = At::Arg(var);
        let Arg::Variable { idents, .. } = var else {
            return Ok(RV::Invalid);
        };
        let value = self.var_value(&idents[0])?;
        if idents.len() == 1 {
            if !args.is_empty() {
                self.not_a_function(args, &fin)?;
            }
            return Ok(value);
        }
        self.eval_field_chain(dot, value, var, &idents[1..], args, fin)
    }

    fn eval_field_chain(
        &mut self,
        dot: &RV,
        mut receiver: RV,
        node: &'a Arg,
        idents: &'a [String],
        args: &'a [Arg],
        fin: Option<RV>,
    ) -> R<RV> {
        let n = idents.len();
        for ident in &idents[..n - 1] {
            receiver = self.eval_field(dot, ident, node, &[], None, receiver)?;
        }
        self.eval_field(dot, &idents[n - 1], node, args, fin, receiver)
    }

    fn eval_field(
        &mut self,
        dot: &RV,
        name: &str,
        node: &'a Arg,
        args: &'a [Arg],
        fin: Option<RV>,
        receiver: RV,
    ) -> R<RV> {
        if let RV::Invalid = receiver {
            if self.set.options.missing_key == MissingKey::Error {
                return self.errorf(format!(
                    "nil data; no entry for key {}",
                    crate::fmt::quote(name)
                ));
            }
            return Ok(RV::Invalid);
        }
        let Some(value) = receiver.concrete().cloned() else {
            let typ = receiver.static_type();
            return self.errorf(format!("nil pointer evaluating {typ}.{name}"));
        };
        let has_args = args.len() > 1 || fin.is_some();
        match &value {
            Value::Object(o) => {
                if o.has_method(name) {
                    let o = o.clone();
                    return self.eval_method(dot, &o, name, node, args, fin);
                }
                if let Some(v) = o.field(name) {
                    if has_args {
                        return self.errorf(format!(
                            "{name} has arguments but cannot be invoked as function"
                        ));
                    }
                    return Ok(RV::typed(v));
                }
            }
            Value::Map(m) => {
                if has_args {
                    return self.errorf(format!("{name} is not a method but has arguments"));
                }
                let got = m.borrow().get(name).cloned();
                return match got {
                    Some(v) => Ok(RV::Iface(v)),
                    None => match self.set.options.missing_key {
                        MissingKey::Default => Ok(RV::Invalid),
                        MissingKey::Zero => Ok(RV::Iface(Value::Nil)),
                        MissingKey::Error => self.errorf(format!(
                            "map has no entry for key {}",
                            crate::fmt::quote(name)
                        )),
                    },
                };
            }
            _ => {}
        }
        let typ = receiver.static_type();
        self.errorf(format!("can't evaluate field {name} in type {typ}"))
    }

    fn eval_method(
        &mut self,
        dot: &RV,
        o: &Rc<dyn crate::value::Object>,
        name: &str,
        node: &'a Arg,
        args: &'a [Arg],
        fin: Option<RV>,
    ) -> R<RV> {
        let rest = if args.is_empty() { args } else { &args[1..] };
        let argv: Vec<Value> = match o.method_signature(name) {
            Some(sig) => {
                let fixed: Vec<Want> = sig.params.iter().map(|p| Want::Param(*p)).collect();
                self.eval_args(dot, name, &fixed, sig.variadic.map(Want::Param), rest, fin)?
                    .into_iter()
                    .map(RV::into_value)
                    .collect()
            }
            None => {
                let mut v = Vec::new();
                for a in rest {
                    v.push(
                        self.eval_arg(dot, Some(Want::Param(Param::Any)), a)?
                            .into_value(),
                    );
                }
                if let Some(f) = fin {
                    v.push(f.into_value());
                }
                v
            }
        };
        match o.call_method(name, &argv) {
            Ok(v) => Ok(RV::typed(v)),
            Err(msg) => {
                // `error calling NAME: %w`: the method's own error is the next
                // link (Helm then keeps Go's one-line text).
                self.at = At::Arg(node);
                let mut err = self.error(format!("error calling {name}: {msg}"));
                err.links.push(msg);
                Err(err)
            }
        }
    }

    /// Evaluate a call's arguments against fixed and variadic parameter
    /// kinds, with Go's argument-count errors.
    pub(crate) fn eval_args(
        &mut self,
        dot: &RV,
        name: &str,
        fixed: &[Want],
        variadic: Option<Want>,
        args: &'a [Arg],
        fin: Option<RV>,
    ) -> R<Vec<RV>> {
        let num_in = args.len() + usize::from(fin.is_some());
        let num_fixed = fixed.len();
        if variadic.is_some() {
            if num_in < num_fixed {
                return self.errorf(format!(
                    "wrong number of args for {name}: want at least {num_fixed} got {}",
                    args.len()
                ));
            }
        } else if num_in != num_fixed {
            return self.errorf(format!(
                "wrong number of args for {name}: want {num_fixed} got {num_in}"
            ));
        }
        let mut argv = Vec::with_capacity(num_in);
        for (i, a) in args.iter().enumerate() {
            let want = if i < num_fixed {
                fixed[i]
            } else {
                variadic.unwrap_or(Want::Reflect)
            };
            argv.push(self.eval_arg(dot, Some(want), a)?);
        }
        if let Some(f) = fin {
            let want = if variadic.is_some() && num_in > num_fixed {
                variadic.unwrap_or(Want::Reflect)
            } else if variadic.is_some() {
                fixed[num_in - 1]
            } else {
                fixed[num_fixed - 1]
            };
            argv.push(self.validate_type(f, Some(want))?);
        }
        Ok(argv)
    }

    fn eval_function(
        &mut self,
        dot: &RV,
        node: &'a Arg,
        name: &str,
        args: &'a [Arg],
        cmd: Option<&'a Command>,
        fin: Option<RV>,
    ) -> R<RV> {
        self.at = At::Arg(node);
        let err_at = match cmd {
            Some(c) => At::Cmd(c),
            None => At::Arg(node),
        };
        if let Some(f) = self.set.funcs.get(name) {
            let f = f.clone();
            return self.call_function(dot, &f, name, args, fin, err_at);
        }
        if builtins::is_builtin(name) {
            return builtins::call(self, dot, name, args, fin, err_at);
        }
        self.errorf(format!(
            "{} is not a defined function",
            crate::fmt::quote(name)
        ))
    }

    fn call_function(
        &mut self,
        dot: &RV,
        f: &Function,
        name: &str,
        args: &'a [Arg],
        fin: Option<RV>,
        err_at: At<'a>,
    ) -> R<RV> {
        let sig = f.signature;
        let mut buf = [Want::Reflect; 8];
        let heap: Vec<Want>;
        let fixed: &[Want] = if sig.params.len() <= buf.len() {
            for (w, p) in buf.iter_mut().zip(sig.params) {
                *w = Want::Param(*p);
            }
            &buf[..sig.params.len()]
        } else {
            heap = sig.params.iter().map(|p| Want::Param(*p)).collect();
            &heap
        };
        let argv = self.eval_args(dot, name, fixed, sig.variadic.map(Want::Param), args, fin)?;
        let argv: Vec<Value> = argv.into_iter().map(RV::into_value).collect();
        self.pending = None;
        let r = (f.call)(self, argv);
        match r {
            Ok(v) => Ok(RV::typed(v)),
            Err(e) => {
                self.at = err_at;
                Err(self.call_error(name, e))
            }
        }
    }

    /// `error calling NAME: %w`, keeping the wrapped error's chain.
    fn call_error(&mut self, name: &str, e: FuncError) -> Error {
        let msg = e.0;
        let mut err = self.error(format!("error calling {name}: {msg}"));
        match self.pending.take() {
            Some(inner) if msg.ends_with(inner.links[0].as_str()) => {
                if msg != inner.links[0] {
                    err.links.push(msg);
                }
                err.links.extend(inner.links);
            }
            _ => err.links.push(msg),
        }
        err
    }

    /// `evalArg`: evaluate one operand for a parameter (`None`: no type).
    pub(crate) fn eval_arg(&mut self, dot: &RV, want: Option<Want>, arg: &'a Arg) -> R<RV> {
        self.at = At::Arg(arg);
        match arg {
            Arg::Dot { .. } => return self.validate_type(dot.clone(), want),
            Arg::Nil { .. } => {
                return match want {
                    None | Some(Want::Reflect) => Ok(RV::Invalid),
                    Some(Want::Param(p)) if can_be_nil(p) => Ok(zero_of(p)),
                    Some(Want::Param(p)) => {
                        self.errorf(format!("cannot assign nil to {}", p.go_name()))
                    }
                }
            }
            Arg::Field { .. } => {
                let v = self.eval_field_node(dot, arg, std::slice::from_ref(arg), None)?;
                return self.validate_type(v, want);
            }
            Arg::Variable { .. } => {
                let v = self.eval_variable_node(dot, arg, &[], None)?;
                return self.validate_type(v, want);
            }
            Arg::Pipe(p) => {
                let v = self.eval_pipeline(dot, p)?;
                return self.validate_type(v, want);
            }
            Arg::Identifier { name, .. } => {
                let v = self.eval_function(dot, arg, name, &[], None, None)?;
                return self.validate_type(v, want);
            }
            Arg::Chain { .. } => {
                let v = self.eval_chain_node(dot, arg, &[], None)?;
                return self.validate_type(v, want);
            }
            _ => {}
        }
        let p = match want {
            None | Some(Want::Reflect) | Some(Want::Param(Param::Any)) => {
                return match arg {
                    Arg::Bool { value, .. } => Ok(RV::Typed(Value::Bool(*value))),
                    Arg::Number { number, .. } => self.ideal_constant(number),
                    Arg::String { text, .. } => Ok(RV::Typed(Value::String(text.clone()))),
                    _ => Ok(RV::Invalid),
                }
            }
            Some(Want::Param(p)) => p,
        };
        match (p, arg) {
            (Param::Bool, Arg::Bool { value, .. }) => Ok(RV::Typed(Value::Bool(*value))),
            (Param::Bool, _) => self.errorf(format!("expected bool; found {arg}")),
            (Param::Float64, Arg::Number { number, .. }) if number.is_float => {
                Ok(RV::Typed(Value::Float64(number.float)))
            }
            (Param::Float64, _) => self.errorf(format!("expected float; found {arg}")),
            (Param::Int, Arg::Number { number, .. }) if number.is_int => {
                Ok(RV::Typed(Value::Int(number.int)))
            }
            (Param::Int64, Arg::Number { number, .. }) if number.is_int => {
                Ok(RV::Typed(Value::Int64(number.int)))
            }
            (Param::Int | Param::Int64, _) => self.errorf(format!("expected integer; found {arg}")),
            (Param::String, Arg::String { text, .. }) => Ok(RV::Typed(Value::String(text.clone()))),
            (Param::String, _) => self.errorf(format!("expected string; found {arg}")),
            _ => self.errorf(format!(
                "can't handle {arg} for arg of type {}",
                p.go_name()
            )),
        }
    }

    /// `validateType`: check a value against a parameter type.
    pub(crate) fn validate_type(&self, value: RV, want: Option<Want>) -> R<RV> {
        let p = match want {
            None => {
                return Ok(match value {
                    RV::Invalid => RV::Invalid,
                    v => v,
                })
            }
            Some(Want::Reflect) => return Ok(value),
            Some(Want::Param(p)) => p,
        };
        let v = match value {
            RV::Invalid => {
                if can_be_nil(p) {
                    return Ok(zero_of(p));
                }
                return self.errorf(format!("invalid value; expected {}", p.go_name()));
            }
            v => v,
        };
        if p == Param::Any {
            return Ok(v);
        }
        let Some(inner) = v.concrete() else {
            return self.errorf(format!(
                "wrong type for value; expected {}; got interface {{}}",
                p.go_name()
            ));
        };
        let tn = inner.type_str();
        let ok = tn == p.go_name() || (p == Param::Map && matches!(inner, Value::Map(_)));
        if !ok {
            return self.errorf(format!(
                "wrong type for value; expected {}; got {tn}",
                p.go_name()
            ));
        }
        Ok(RV::Typed(inner.clone()))
    }

    /// A builtin's error at `at`: `error calling NAME: MSG`.
    pub(crate) fn fail(&mut self, name: &str, msg: String, at: At<'a>) -> Error {
        self.at = at;
        let mut err = self.error(format!("error calling {name}: {msg}"));
        err.links.push(msg);
        err
    }
}

impl Env for State<'_, '_> {
    fn execute_named(&mut self, name: &str, data: Value) -> Result<String, FuncError> {
        match self.set.execute(name, data) {
            Ok(s) => Ok(s),
            Err(e) => {
                let msg = e.to_string();
                self.pending = Some(e);
                Err(FuncError(msg))
            }
        }
    }

    fn execute_text(&mut self, text: &str, data: Value) -> Result<String, FuncError> {
        self.execute_text_checked(text, data).map_err(|e| match e {
            TextError::Parse(e) | TextError::Exec(e) => e,
        })
    }

    fn execute_text_checked(&mut self, text: &str, data: Value) -> Result<String, TextError> {
        let mut set = self.set.clone();
        let root = set.root_name.clone();
        // Helm's tpl runs `t.New(name).Parse(text)`'s own tree: a blank text
        // runs as blank even though the set keeps the outer (non-empty)
        // definition of that name (else nested tpl would recurse forever).
        let tree = match set.parse_new(&root, text) {
            Ok(tree) => tree,
            Err(e) => {
                let msg = e.to_string();
                self.pending = Some(e);
                return Err(TextError::Parse(FuncError(msg)));
            }
        };
        let mut out = String::new();
        match set.execute_tree(&tree, &root, data, &mut out).map(|()| out) {
            Ok(s) => Ok(s),
            Err(e) => {
                let msg = e.to_string();
                self.pending = Some(e);
                Err(TextError::Exec(FuncError(msg)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn data() -> Value {
        let mut inner = BTreeMap::new();
        inner.insert("b".to_string(), Value::Float64(1.0));
        inner.insert("n".to_string(), Value::Nil);
        let mut top = BTreeMap::new();
        top.insert("a".to_string(), Value::map(inner));
        top.insert(
            "l".to_string(),
            Value::list(vec![Value::Int(1), Value::str("x")]),
        );
        Value::map(top)
    }

    fn run(text: &str, missing_key: MissingKey) -> Result<String, String> {
        let mut t = Templates::new(FuncMap::default(), Options { missing_key });
        t.parse("t", text).map_err(|e| e.to_string())?;
        t.execute("t", data()).map_err(|e| e.to_string())
    }

    #[test]
    fn missing_keys_follow_the_option() {
        assert_eq!(
            run("{{ .a.x }}", MissingKey::Default).unwrap(),
            "<no value>"
        );
        assert_eq!(run("{{ .a.x }}", MissingKey::Zero).unwrap(), "<no value>");
        assert_eq!(
            run("{{ .x.y }}", MissingKey::Default).unwrap(),
            "<no value>"
        );
        assert_eq!(
            run("{{ .x.y }}", MissingKey::Zero).unwrap_err(),
            "template: t:1:5: executing \"t\" at <.x.y>: nil pointer evaluating interface {}.y"
        );
        assert_eq!(
            run("{{ .a.x }}", MissingKey::Error).unwrap_err(),
            "template: t:1:5: executing \"t\" at <.a.x>: map has no entry for key \"x\""
        );
        assert_eq!(
            run("{{ (index . \"x\").y }}", MissingKey::Error).unwrap_err(),
            // Go reports the last node it evaluated (the index argument), as Helm shows.
            "template: t:1:12: executing \"t\" at <\"x\">: nil data; no entry for key \"y\""
        );
        // A key that is present but null is not missing.
        assert_eq!(run("{{ .a.n }}", MissingKey::Error).unwrap(), "<no value>");
    }

    #[test]
    fn errors_carry_positions_and_chains() {
        let err = run("x\n  {{ .a.b.c }}", MissingKey::Zero).unwrap_err();
        assert_eq!(
            err,
            "template: t:2:7: executing \"t\" at <.a.b.c>: can't evaluate field c in type interface {}"
        );
        let mut t = Templates::new(FuncMap::default(), Options::default());
        t.parse("t", "{{ index .l 7 }}").unwrap();
        let e = t.execute("t", data()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Exec);
        assert_eq!(e.chain().len(), 2);
        assert_eq!(e.chain()[1], "index out of range: 7");
        let e = t.execute("nope", data()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "template: no template \"nope\" associated with template \"root\""
        );
    }

    #[test]
    fn functions_are_checked_against_their_signatures() {
        let mut funcs = FuncMap::default();
        funcs.insert(
            "twice".into(),
            Function::pure(&[Param::String], None, |a| {
                Ok(Value::str(a[0].as_str().unwrap_or_default().repeat(2)))
            }),
        );
        funcs.insert(
            "boom".into(),
            Function::pure(&[], None, |_| Err(FuncError::new("it broke"))),
        );
        let mut t = Templates::new(funcs, Options::default());
        let cases = [
            ("{{ twice \"ab\" }}", Ok("abab")),
            ("{{ \"ab\" | twice }}", Ok("abab")),
            ("{{ twice }}", Err("template: t:1:3: executing \"t\" at <twice>: wrong number of args for twice: want 1 got 0")),
            ("{{ twice 1 }}", Err("template: t:1:9: executing \"t\" at <1>: expected string; found 1")),
            ("{{ twice .l }}", Err("template: t:1:9: executing \"t\" at <.l>: wrong type for value; expected string; got []interface {}")),
            ("{{ twice .zz }}", Err("template: t:1:9: executing \"t\" at <.zz>: invalid value; expected string")),
            ("{{ twice (.zz) }}", Err("template: t:1:10: executing \"t\" at <.zz>: invalid value; expected string")),
            ("{{ boom }}", Err("template: t:1:3: executing \"t\" at <boom>: error calling boom: it broke")),
        ];
        for (text, want) in cases {
            t.parse("t", text).unwrap();
            let got = t.execute("t", data()).map_err(|e| e.to_string());
            assert_eq!(
                got.as_deref(),
                want.map_err(str::to_string).as_deref(),
                "{text}"
            );
        }
    }

    #[test]
    fn later_definitions_win_but_empty_ones_do_not() {
        let mut t = Templates::new(FuncMap::default(), Options::default());
        t.parse("a", "{{ define \"x\" }}first{{ end }}").unwrap();
        t.parse("b", "{{ define \"x\" }}second{{ end }}").unwrap();
        t.parse("c", "{{ define \"x\" }}  {{ end }}").unwrap();
        t.parse("main", "{{ template \"x\" }}").unwrap();
        assert_eq!(t.execute("main", Value::Nil).unwrap(), "second");
    }

    struct Files;

    impl crate::value::Object for Files {
        fn type_name(&self) -> &str {
            "engine.files"
        }
        fn field(&self, name: &str) -> Option<Value> {
            (name == "Get" || name == "Plain").then(|| Value::str("field"))
        }
        fn has_method(&self, name: &str) -> bool {
            name == "Get"
        }
        fn method_signature(&self, _name: &str) -> Option<crate::func::Signature> {
            Some(crate::func::Signature {
                params: &[Param::String],
                variadic: None,
            })
        }
        fn call_method(&self, _name: &str, args: &[Value]) -> Result<Value, String> {
            match args[0].as_str() {
                Some("bad") => Err("no such file".into()),
                Some(s) => Ok(Value::str(format!("content of {s}"))),
                None => Err("not a string".into()),
            }
        }
        fn display(&self) -> String {
            "map[]".into()
        }
    }

    #[test]
    fn objects_prefer_methods_and_check_their_arguments() {
        let mut top = BTreeMap::new();
        top.insert("Files".to_string(), Value::Object(Rc::new(Files)));
        let data = Value::map(top);
        let mut t = Templates::new(FuncMap::default(), Options::default());
        let cases = [
            ("{{ .Files.Get \"a\" }}", Ok("content of a")),
            ("{{ \"b\" | .Files.Get }}", Ok("content of b")),
            ("{{ .Files.Plain }}", Ok("field")),
            ("{{ .Files }}", Ok("map[]")),
            ("{{ .Files.Plain 1 }}", Err("template: t:1:9: executing \"t\" at <.Files.Plain>: Plain has arguments but cannot be invoked as function")),
            ("{{ .Files.Get }}", Err("template: t:1:9: executing \"t\" at <.Files.Get>: wrong number of args for Get: want 1 got 0")),
            ("{{ .Files.Get 1 }}", Err("template: t:1:14: executing \"t\" at <1>: expected string; found 1")),
            ("{{ .Files.Get \"bad\" }}", Err("template: t:1:9: executing \"t\" at <.Files.Get>: error calling Get: no such file")),
            ("{{ .Files.Nope }}", Err("template: t:1:9: executing \"t\" at <.Files.Nope>: can't evaluate field Nope in type interface {}")),
        ];
        for (text, want) in cases {
            t.parse("t", text).unwrap();
            let got = t.execute("t", data.clone()).map_err(|e| e.to_string());
            assert_eq!(
                got.as_deref(),
                want.map_err(str::to_string).as_deref(),
                "{text}"
            );
        }
    }
}

#[cfg(test)]
mod depth_tests {
    use super::*;

    #[test]
    fn deep_nesting_neither_overflows_parser_nor_executor() {
        let n = 10_000;
        let text = format!("{}1{}", "(".repeat(n), ")".repeat(n));
        let text = format!("{{{{ {text} }}}}");
        let mut t = Templates::new(FuncMap::default(), Options::default());
        t.parse("t", &text).unwrap();
        assert_eq!(t.execute("t", Value::Nil).unwrap(), "1");
        let deeper = format!("{{{{ {}1{} }}}}", "(".repeat(n + 1), ")".repeat(n + 1));
        assert_eq!(
            t.parse("t", &deeper).unwrap_err().to_string(),
            "template: t:1: max expression depth exceeded"
        );
        let n = 20_000;
        let ifs = format!("{}x{}", "{{if 1}}".repeat(n), "{{end}}".repeat(n));
        t.parse("t", &ifs).unwrap();
        assert_eq!(t.execute("t", Value::Nil).unwrap(), "x");
    }
}
