//! Go's `text/template/parse` parser: items from [`crate::lex`] become trees
//! of typed nodes, each knowing its byte position, with Go's parse error
//! texts (`template: NAME:LINE: MSG`). Functions must be known at parse
//! time, as in Go; variables must be declared before use.
//!
//! This module builds trees only; it evaluates nothing.

use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

use crate::lex::{lex, Item, ItemType, LexOptions};

/// A parsed number literal, with every interpretation Go allows.
#[derive(Debug, Clone, PartialEq)]
pub struct Number {
    /// The literal as written.
    pub text: String,
    /// Fits an `int64`.
    pub is_int: bool,
    /// Fits a `uint64`.
    pub is_uint: bool,
    /// Is (or converts exactly to) a float.
    pub is_float: bool,
    /// A complex literal (not evaluated by this engine).
    pub is_complex: bool,
    /// The `int64` value.
    pub int: i64,
    /// The `uint64` value.
    pub uint: u64,
    /// The `float64` value.
    pub float: f64,
}

/// An operand of a command.
#[derive(Debug, Clone)]
pub enum Arg {
    /// `.a.b`.
    Field { pos: usize, idents: Vec<String> },
    /// `(pipe).a.b` or `fn.a`.
    Chain {
        pos: usize,
        node: Box<Arg>,
        fields: Vec<String>,
    },
    /// `$x.a.b`.
    Variable { pos: usize, idents: Vec<String> },
    /// `.`.
    Dot { pos: usize },
    /// `nil`.
    Nil { pos: usize },
    /// `true`/`false`.
    Bool { pos: usize, value: bool },
    /// A number.
    Number { pos: usize, number: Number },
    /// A string literal.
    String {
        pos: usize,
        quoted: String,
        /// The unquoted text, shared with every value evaluating it yields.
        text: Rc<str>,
    },
    /// A function name.
    Identifier { pos: usize, name: String },
    /// A parenthesized pipeline.
    Pipe(Box<Pipe>),
}

impl Arg {
    /// Byte offset.
    pub fn pos(&self) -> usize {
        match self {
            Arg::Field { pos, .. }
            | Arg::Chain { pos, .. }
            | Arg::Variable { pos, .. }
            | Arg::Dot { pos }
            | Arg::Nil { pos }
            | Arg::Bool { pos, .. }
            | Arg::Number { pos, .. }
            | Arg::String { pos, .. }
            | Arg::Identifier { pos, .. } => *pos,
            Arg::Pipe(p) => p.pos,
        }
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Field { idents, .. } => {
                for i in idents {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
            Arg::Chain { node, fields, .. } => {
                if let Arg::Pipe(p) = node.as_ref() {
                    write!(f, "({p})")?;
                } else {
                    write!(f, "{node}")?;
                }
                for i in fields {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
            Arg::Variable { idents, .. } => f.write_str(&idents.join(".")),
            Arg::Dot { .. } => f.write_str("."),
            Arg::Nil { .. } => f.write_str("nil"),
            Arg::Bool { value, .. } => write!(f, "{value}"),
            Arg::Number { number, .. } => f.write_str(&number.text),
            Arg::String { quoted, .. } => f.write_str(quoted),
            Arg::Identifier { name, .. } => f.write_str(name),
            Arg::Pipe(p) => write!(f, "{p}"),
        }
    }
}

/// A command: operands separated by spaces.
#[derive(Debug, Clone)]
pub struct Command {
    /// Byte offset.
    pub pos: usize,
    /// The operands; the first is the function or value.
    pub args: Vec<Arg>,
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            if let Arg::Pipe(p) = a {
                write!(f, "({p})")?;
            } else {
                write!(f, "{a}")?;
            }
        }
        Ok(())
    }
}

/// A pipeline with optional variable declarations.
#[derive(Debug, Clone)]
pub struct Pipe {
    /// Byte offset.
    pub pos: usize,
    /// Line of the pipeline.
    pub line: usize,
    /// `=` rather than `:=`.
    pub is_assign: bool,
    /// Declared variables (names with `$`).
    pub decl: Vec<String>,
    /// The commands, in order.
    pub cmds: Vec<Command>,
}

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            f.write_str(&self.decl.join(", "))?;
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl Drop for Pipe {
    /// Drop nested pipelines iteratively: deep nesting must not overflow.
    fn drop(&mut self) {
        let mut stack: Vec<Pipe> = Vec::new();
        take_pipes(&mut self.cmds, &mut stack);
        while let Some(mut p) = stack.pop() {
            take_pipes(&mut p.cmds, &mut stack);
        }
    }
}

fn take_pipes(cmds: &mut Vec<Command>, stack: &mut Vec<Pipe>) {
    for c in cmds.drain(..) {
        for a in c.args {
            take_arg(a, stack);
        }
    }
}

fn take_arg(mut a: Arg, stack: &mut Vec<Pipe>) {
    loop {
        match a {
            Arg::Pipe(p) => {
                stack.push(*p);
                return;
            }
            Arg::Chain { node, .. } => a = *node,
            _ => return,
        }
    }
}

/// A control structure's body.
#[derive(Debug, Clone, Default)]
pub struct List {
    /// Byte offset.
    pub pos: usize,
    /// The nodes in order.
    pub nodes: Vec<Node>,
}

impl fmt::Display for List {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for n in &self.nodes {
            write!(f, "{n}")?;
        }
        Ok(())
    }
}

impl Drop for List {
    /// Drop nested bodies iteratively: deep nesting must not overflow.
    fn drop(&mut self) {
        let mut stack: Vec<List> = Vec::new();
        take_lists(&mut self.nodes, &mut stack);
        while let Some(mut l) = stack.pop() {
            take_lists(&mut l.nodes, &mut stack);
        }
    }
}

fn take_lists(nodes: &mut Vec<Node>, stack: &mut Vec<List>) {
    for n in nodes.drain(..) {
        if let Node::Branch {
            list, else_list, ..
        } = n
        {
            stack.push(list);
            if let Some(e) = else_list {
                stack.push(e);
            }
        }
    }
}

/// Which branching control a [`Node::Branch`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BranchKind {
    /// `if`.
    If,
    /// `range`.
    Range,
    /// `with`.
    With,
}

/// A node of a template body.
#[derive(Debug, Clone)]
pub enum Node {
    /// Plain text.
    Text { pos: usize, text: String },
    /// `{{pipeline}}`.
    Action { pos: usize, line: usize, pipe: Pipe },
    /// `if`, `range` or `with`.
    Branch {
        kind: BranchKind,
        pos: usize,
        line: usize,
        pipe: Pipe,
        list: List,
        else_list: Option<List>,
    },
    /// `{{template "name" pipeline}}`.
    Template {
        pos: usize,
        line: usize,
        name: String,
        pipe: Option<Pipe>,
    },
    /// `{{break}}`.
    Break { pos: usize, line: usize },
    /// `{{continue}}`.
    Continue { pos: usize, line: usize },
}

impl Node {
    /// Byte offset.
    pub fn pos(&self) -> usize {
        match self {
            Node::Text { pos, .. }
            | Node::Action { pos, .. }
            | Node::Branch { pos, .. }
            | Node::Template { pos, .. }
            | Node::Break { pos, .. }
            | Node::Continue { pos, .. } => *pos,
        }
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Text { text, .. } => f.write_str(&crate::fmt::quote(text)),
            Node::Action { pipe, .. } => write!(f, "{{{{{pipe}}}}}"),
            Node::Branch {
                kind,
                pipe,
                list,
                else_list,
                ..
            } => {
                let name = match kind {
                    BranchKind::If => "if",
                    BranchKind::Range => "range",
                    BranchKind::With => "with",
                };
                write!(f, "{{{{{name} {pipe}}}}}{list}")?;
                if let Some(e) = else_list {
                    write!(f, "{{{{else}}}}{e}")?;
                }
                f.write_str("{{end}}")
            }
            Node::Template { name, pipe, .. } => match pipe {
                None => write!(f, "{{{{template {}}}}}", crate::fmt::quote(name)),
                Some(p) => write!(f, "{{{{template {} {p}}}}}", crate::fmt::quote(name)),
            },
            Node::Break { .. } => f.write_str("{{break}}"),
            Node::Continue { .. } => f.write_str("{{continue}}"),
        }
    }
}

/// One parsed template: its name, the name of the file (or text) it was
/// parsed from, that text (for error positions) and its body.
#[derive(Debug)]
pub struct Tree {
    /// The template's name.
    pub name: String,
    /// The name of the top-level template being parsed (for errors).
    pub parse_name: String,
    /// The whole text parsed.
    pub text: Rc<str>,
    /// The body.
    pub root: List,
}

impl Tree {
    /// Go's `ErrorContext` location: `NAME:LINE:COL` (column is the byte
    /// offset from the line start, as Go counts it).
    pub fn location(&self, pos: usize) -> String {
        let pos = pos.min(self.text.len());
        let before = &self.text[..pos];
        let (line, col) = match before.rfind('\n') {
            None => (1, pos),
            Some(i) => (1 + before.matches('\n').count(), pos - (i + 1)),
        };
        format!("{}:{}:{}", self.parse_name, line, col)
    }
}

/// Whether a body holds nothing but space (Go's `IsEmptyTree`).
pub fn is_empty_list(list: &List) -> bool {
    list.nodes.iter().all(|n| match n {
        Node::Text { text, .. } => text.trim_matches(|c: char| c.is_whitespace()).is_empty(),
        _ => false,
    })
}

/// Go's limit on nested parenthesized pipelines.
pub const MAX_PAREN_DEPTH: usize = 10_000;

/// A parse error, with Go's full text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parse `text` as template `name`; `has_function` says which function
/// names exist. Returns every tree it defines (the top-level one under
/// `name`, plus `define`s and `block`s), as Go's `parse.Parse` does.
pub fn parse(
    name: &str,
    text: &str,
    has_function: &dyn Fn(&str) -> bool,
) -> Result<HashMap<String, Tree>, ParseError> {
    let opts = LexOptions {
        break_ok: !has_function("break"),
        continue_ok: !has_function("continue"),
    };
    let items = lex(text, opts);
    let mut p = Parser {
        items,
        idx: 0,
        token: [None, None, None],
        peek_count: 0,
        vars: vec!["$".to_string()],
        has_function,
        parse_name: name.to_string(),
        text: Rc::from(text),
        tree_set: HashMap::new(),
        action_line: 0,
        range_depth: 0,
        paren_depth: 0,
        last_line: 1,
    };
    p.parse_top(name)?;
    Ok(p.tree_set)
}

struct Parser<'f, 't> {
    items: Vec<Item<'t>>,
    idx: usize,
    token: [Option<Item<'t>>; 3],
    peek_count: usize,
    vars: Vec<String>,
    has_function: &'f dyn Fn(&str) -> bool,
    parse_name: String,
    text: Rc<str>,
    tree_set: HashMap<String, Tree>,
    action_line: usize,
    range_depth: usize,
    /// Nesting of parenthesized pipelines (Go stops at 10000).
    paren_depth: usize,
    /// Line of `token[0]` (the last item read from the lexer).
    last_line: usize,
}

type PResult<T> = Result<T, ParseError>;

/// What ended an item list.
enum End {
    End,
    Else { pos: usize },
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            End::End => f.write_str("{{end}}"),
            End::Else { .. } => f.write_str("{{else}}"),
        }
    }
}

enum TextOrAction {
    Node(Node),
    End(End),
}

impl<'t> Parser<'_, 't> {
    fn lex_next(&mut self) -> Item<'t> {
        let item = match self.items.get(self.idx) {
            Some(i) => {
                self.idx += 1;
                i.clone()
            }
            None => self.items.last().cloned().unwrap_or(Item {
                typ: ItemType::Eof,
                pos: self.text.len(),
                val: std::borrow::Cow::Borrowed(""),
                line: 1,
            }),
        };
        self.last_line = item.line;
        item
    }

    fn tok(&self, i: usize) -> Item<'t> {
        self.token[i].clone().unwrap_or(Item {
            typ: ItemType::Eof,
            pos: 0,
            val: std::borrow::Cow::Borrowed(""),
            line: 1,
        })
    }

    fn next(&mut self) -> Item<'t> {
        if self.peek_count > 0 {
            self.peek_count -= 1;
        } else {
            let it = self.lex_next();
            self.token[0] = Some(it);
        }
        self.tok(self.peek_count)
    }

    fn backup(&mut self) {
        self.peek_count += 1;
    }

    fn backup2(&mut self, t1: Item<'t>) {
        self.token[1] = Some(t1);
        self.peek_count = 2;
    }

    fn backup3(&mut self, t2: Item<'t>, t1: Item<'t>) {
        self.token[1] = Some(t1);
        self.token[2] = Some(t2);
        self.peek_count = 3;
    }

    fn peek(&mut self) -> Item<'t> {
        if self.peek_count > 0 {
            return self.tok(self.peek_count - 1);
        }
        self.peek_count = 1;
        let it = self.lex_next();
        self.token[0] = Some(it);
        self.tok(0)
    }

    fn next_non_space(&mut self) -> Item<'t> {
        loop {
            let t = self.next();
            if t.typ != ItemType::Space {
                return t;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item<'t> {
        let t = self.next_non_space();
        self.backup();
        t
    }

    fn errorf<T>(&self, msg: impl fmt::Display) -> PResult<T> {
        Err(ParseError(format!(
            "template: {}:{}: {}",
            self.parse_name,
            self.token[0]
                .as_ref()
                .map(|t| t.line)
                .unwrap_or(self.last_line),
            msg
        )))
    }

    fn expect(&mut self, typ: ItemType, context: &str) -> PResult<Item<'t>> {
        let t = self.next_non_space();
        if t.typ != typ {
            return self.unexpected(&t, context);
        }
        Ok(t)
    }

    fn unexpected<T>(&self, token: &Item, context: &str) -> PResult<T> {
        if token.typ == ItemType::Error {
            let mut extra = String::new();
            if self.action_line != 0 && self.action_line != token.line {
                extra = format!(
                    " in action started at {}:{}",
                    self.parse_name, self.action_line
                );
                if token.val.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.errorf(format!("{token}{extra}"));
        }
        self.errorf(format!("unexpected {token} in {context}"))
    }

    fn add_tree(&mut self, name: String, root: List) -> PResult<()> {
        if let Some(old) = self.tree_set.get(&name) {
            if !is_empty_list(&old.root) {
                if !is_empty_list(&root) {
                    return self.errorf(format!(
                        "template: multiple definition of template {}",
                        crate::fmt::quote(&name)
                    ));
                }
                return Ok(());
            }
        }
        self.tree_set.insert(
            name.clone(),
            Tree {
                name,
                parse_name: self.parse_name.clone(),
                text: self.text.clone(),
                root,
            },
        );
        Ok(())
    }

    fn parse_top(&mut self, name: &str) -> PResult<()> {
        let pos = self.peek().pos;
        let mut root = List {
            pos,
            nodes: Vec::new(),
        };
        while self.peek().typ != ItemType::Eof {
            if self.peek().typ == ItemType::LeftDelim {
                let delim = self.next();
                if self.next_non_space().typ == ItemType::Define {
                    let saved = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
                    self.parse_definition()?;
                    self.vars = saved;
                    continue;
                }
                self.backup2(delim);
            }
            match self.text_or_action()? {
                TextOrAction::End(e) => return self.errorf(format!("unexpected {e}")),
                TextOrAction::Node(n) => root.nodes.push(n),
            }
        }
        self.add_tree(name.to_string(), root)
    }

    fn parse_definition(&mut self) -> PResult<()> {
        let context = "define clause";
        let t = self.next_non_space();
        if t.typ != ItemType::String && t.typ != ItemType::RawString {
            return self.unexpected(&t, context);
        }
        let name = match unquote(&t.val) {
            Ok(s) => s,
            Err(e) => return self.errorf(e),
        };
        self.expect(ItemType::RightDelim, context)?;
        let (list, end) = self.item_list()?;
        if !matches!(end, End::End) {
            return self.errorf(format!("unexpected {end} in {context}"));
        }
        self.add_tree(name, list)
    }

    fn item_list(&mut self) -> PResult<(List, End)> {
        stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || self.item_list_inner())
    }

    fn item_list_inner(&mut self) -> PResult<(List, End)> {
        let pos = self.peek_non_space().pos;
        let mut list = List {
            pos,
            nodes: Vec::new(),
        };
        while self.peek_non_space().typ != ItemType::Eof {
            match self.text_or_action()? {
                TextOrAction::End(e) => return Ok((list, e)),
                TextOrAction::Node(n) => list.nodes.push(n),
            }
        }
        self.errorf("unexpected EOF")
    }

    fn text_or_action(&mut self) -> PResult<TextOrAction> {
        let token = self.next_non_space();
        match token.typ {
            ItemType::Text => Ok(TextOrAction::Node(Node::Text {
                pos: token.pos,
                text: token.val.into_owned(),
            })),
            ItemType::LeftDelim => {
                self.action_line = token.line;
                let r = self.action();
                self.action_line = 0;
                r
            }
            _ => self.unexpected(&token, "input"),
        }
    }

    fn action(&mut self) -> PResult<TextOrAction> {
        let token = self.next_non_space();
        match token.typ {
            ItemType::Block => return self.block_control().map(TextOrAction::Node),
            ItemType::Break => {
                return self
                    .break_or_continue(token, "{{break}}")
                    .map(TextOrAction::Node)
            }
            ItemType::Continue => {
                return self
                    .break_or_continue(token, "{{continue}}")
                    .map(TextOrAction::Node)
            }
            ItemType::Else => return self.else_control().map(TextOrAction::End),
            ItemType::End => {
                self.expect(ItemType::RightDelim, "end")?;
                return Ok(TextOrAction::End(End::End));
            }
            ItemType::If => return self.control(BranchKind::If, "if").map(TextOrAction::Node),
            ItemType::Range => {
                self.range_depth += 1;
                let r = self.control(BranchKind::Range, "range");
                self.range_depth -= 1;
                return r.map(TextOrAction::Node);
            }
            ItemType::Template => return self.template_control().map(TextOrAction::Node),
            ItemType::With => {
                return self
                    .control(BranchKind::With, "with")
                    .map(TextOrAction::Node)
            }
            _ => {}
        }
        self.backup();
        let token = self.peek();
        let pipe = self.pipeline("command")?;
        Ok(TextOrAction::Node(Node::Action {
            pos: token.pos,
            line: token.line,
            pipe,
        }))
    }

    fn break_or_continue(&mut self, token: Item<'t>, what: &str) -> PResult<Node> {
        let t = self.next_non_space();
        if t.typ != ItemType::RightDelim {
            return self.unexpected(&t, what);
        }
        if self.range_depth == 0 {
            return self.errorf(format!("{what} outside {{{{range}}}}"));
        }
        Ok(if what == "{{break}}" {
            Node::Break {
                pos: token.pos,
                line: token.line,
            }
        } else {
            Node::Continue {
                pos: token.pos,
                line: token.line,
            }
        })
    }

    fn else_control(&mut self) -> PResult<End> {
        let peek = self.peek_non_space();
        if peek.typ == ItemType::If || peek.typ == ItemType::With {
            return Ok(End::Else { pos: peek.pos });
        }
        let t = self.expect(ItemType::RightDelim, "else")?;
        Ok(End::Else { pos: t.pos })
    }

    fn pipeline(&mut self, context: &str) -> PResult<Pipe> {
        // Deeply nested parentheses and controls recurse here; grow the
        // stack on the heap rather than overflow (Go's stacks grow too).
        stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || self.pipeline_inner(context))
    }

    fn pipeline_inner(&mut self, context: &str) -> PResult<Pipe> {
        let token = self.peek_non_space();
        let mut pipe = Pipe {
            pos: token.pos,
            line: token.line,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        'decls: loop {
            let v = self.peek_non_space();
            if v.typ != ItemType::Variable {
                break;
            }
            self.next();
            let after = self.peek();
            let next = self.peek_non_space();
            if next.typ == ItemType::Assign || next.typ == ItemType::Declare {
                pipe.is_assign = next.typ == ItemType::Assign;
                self.next_non_space();
                pipe.decl.push(v.val.to_string());
                self.vars.push(v.val.into_owned());
            } else if next.typ == ItemType::Char && next.val == "," {
                self.next_non_space();
                pipe.decl.push(v.val.to_string());
                self.vars.push(v.val.into_owned());
                if context == "range" && pipe.decl.len() < 2 {
                    match self.peek_non_space().typ {
                        ItemType::Variable | ItemType::RightDelim | ItemType::RightParen => {
                            continue 'decls;
                        }
                        _ => return self.errorf("range can only initialize variables"),
                    }
                }
                return self.errorf(format!("too many declarations in {context}"));
            } else if after.typ == ItemType::Space {
                self.backup3(v, after);
            } else {
                self.backup2(v);
            }
            break;
        }
        loop {
            let token = self.next_non_space();
            match token.typ {
                ItemType::RightDelim | ItemType::RightParen => {
                    self.check_pipeline(&pipe, context)?;
                    if token.typ == ItemType::RightParen {
                        self.backup();
                    }
                    return Ok(pipe);
                }
                ItemType::Bool
                | ItemType::CharConstant
                | ItemType::Complex
                | ItemType::Dot
                | ItemType::Field
                | ItemType::Identifier
                | ItemType::Number
                | ItemType::Nil
                | ItemType::RawString
                | ItemType::String
                | ItemType::Variable
                | ItemType::LeftParen => {
                    self.backup();
                    let c = self.command()?;
                    pipe.cmds.push(c);
                }
                _ => return self.unexpected(&token, context),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return self.errorf(format!("missing value for {context}"));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args.first(),
                Some(
                    Arg::Bool { .. }
                        | Arg::Dot { .. }
                        | Arg::Nil { .. }
                        | Arg::Number { .. }
                        | Arg::String { .. }
                )
            ) {
                return self.errorf(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                ));
            }
        }
        Ok(())
    }

    fn control(&mut self, kind: BranchKind, context: &str) -> PResult<Node> {
        let mark = self.vars.len();
        let r = self.control_inner(kind, context);
        self.vars.truncate(mark);
        r
    }

    fn control_inner(&mut self, kind: BranchKind, context: &str) -> PResult<Node> {
        let pipe = self.pipeline(context)?;
        let (list, next) = self.item_list()?;
        let mut else_list = None;
        if let End::Else { pos } = next {
            let peek = self.peek().typ;
            if kind == BranchKind::If && peek == ItemType::If {
                self.next();
                let n = self.control(BranchKind::If, "if")?;
                else_list = Some(List {
                    pos,
                    nodes: vec![n],
                });
            } else if kind == BranchKind::With && peek == ItemType::With {
                self.next();
                let n = self.control(BranchKind::With, "with")?;
                else_list = Some(List {
                    pos,
                    nodes: vec![n],
                });
            } else {
                let (l, next) = self.item_list()?;
                if !matches!(next, End::End) {
                    return self.errorf(format!("expected end; found {next}"));
                }
                else_list = Some(l);
            }
        }
        Ok(Node::Branch {
            kind,
            pos: pipe.pos,
            line: pipe.line,
            pipe,
            list,
            else_list,
        })
    }

    fn template_name(&self, token: &Item, context: &str) -> PResult<String> {
        match token.typ {
            ItemType::String | ItemType::RawString => match unquote(&token.val) {
                Ok(s) => Ok(s),
                Err(e) => self.errorf(e),
            },
            _ => self.unexpected(token, context),
        }
    }

    fn block_control(&mut self) -> PResult<Node> {
        let context = "block clause";
        let token = self.next_non_space();
        let name = self.template_name(&token, context)?;
        let pipe = self.pipeline(context)?;
        let saved = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
        let saved_depth = std::mem::replace(&mut self.range_depth, 0);
        let r = self.item_list();
        self.vars = saved;
        self.range_depth = saved_depth;
        let (list, end) = r?;
        if !matches!(end, End::End) {
            return self.errorf(format!("unexpected {end} in {context}"));
        }
        self.add_tree(name.clone(), list)?;
        Ok(Node::Template {
            pos: token.pos,
            line: token.line,
            name,
            pipe: Some(pipe),
        })
    }

    fn template_control(&mut self) -> PResult<Node> {
        let context = "template clause";
        let token = self.next_non_space();
        let name = self.template_name(&token, context)?;
        let mut pipe = None;
        if self.next_non_space().typ != ItemType::RightDelim {
            self.backup();
            pipe = Some(self.pipeline(context)?);
        }
        Ok(Node::Template {
            pos: token.pos,
            line: token.line,
            name,
            pipe,
        })
    }

    fn command(&mut self) -> PResult<Command> {
        let pos = self.peek_non_space().pos;
        let mut cmd = Command {
            pos,
            args: Vec::new(),
        };
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                cmd.args.push(op);
            }
            let token = self.next();
            match token.typ {
                ItemType::Space => continue,
                ItemType::RightDelim | ItemType::RightParen => self.backup(),
                ItemType::Pipe => {}
                ItemType::Error => return self.unexpected(&token, "operand"),
                _ => return self.errorf(format!("unexpected {token} in operand")),
            }
            break;
        }
        if cmd.args.is_empty() {
            return self.errorf("empty command");
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().typ != ItemType::Field {
            return Ok(Some(node));
        }
        let chain_pos = self.peek().pos;
        let mut fields = Vec::new();
        while self.peek().typ == ItemType::Field {
            let f = self.next().val;
            fields.push(f[1..].to_string());
        }
        Ok(Some(match node {
            Arg::Field { mut idents, .. } => {
                idents.extend(fields);
                Arg::Field {
                    pos: chain_pos,
                    idents,
                }
            }
            Arg::Variable { mut idents, .. } => {
                idents.extend(fields);
                Arg::Variable {
                    pos: chain_pos,
                    idents,
                }
            }
            Arg::Bool { .. }
            | Arg::String { .. }
            | Arg::Number { .. }
            | Arg::Nil { .. }
            | Arg::Dot { .. } => {
                let s = crate::fmt::quote(&node.to_string());
                return self.errorf(format!("unexpected . after term {s}"));
            }
            other => Arg::Chain {
                pos: chain_pos,
                node: Box::new(other),
                fields,
            },
        }))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let token = self.next_non_space();
        let pos = token.pos;
        Ok(Some(match token.typ {
            ItemType::Error => return self.unexpected(&token, "operand"),
            ItemType::Identifier => {
                if !(self.has_function)(&token.val) {
                    return self.errorf(format!(
                        "function {} not defined",
                        crate::fmt::quote(&token.val)
                    ));
                }
                Arg::Identifier {
                    pos,
                    name: token.val.into_owned(),
                }
            }
            ItemType::Dot => Arg::Dot { pos },
            ItemType::Nil => Arg::Nil { pos },
            ItemType::Variable => {
                let idents: Vec<String> = token.val.split('.').map(str::to_string).collect();
                if !self.vars.iter().any(|v| *v == idents[0]) {
                    return self.errorf(format!(
                        "undefined variable {}",
                        crate::fmt::quote(&idents[0])
                    ));
                }
                Arg::Variable { pos, idents }
            }
            ItemType::Field => Arg::Field {
                pos,
                idents: vec![token.val[1..].to_string()],
            },
            ItemType::Bool => Arg::Bool {
                pos,
                value: token.val == "true",
            },
            ItemType::CharConstant | ItemType::Complex | ItemType::Number => {
                match new_number(&token.val, token.typ) {
                    Ok(number) => Arg::Number { pos, number },
                    Err(e) => return self.errorf(e),
                }
            }
            ItemType::LeftParen => {
                if self.paren_depth >= MAX_PAREN_DEPTH {
                    return self.errorf("max expression depth exceeded");
                }
                self.paren_depth += 1;
                let pipe = self.pipeline("parenthesized pipeline");
                self.paren_depth -= 1;
                let pipe = pipe?;
                let t = self.next();
                if t.typ != ItemType::RightParen {
                    return self.errorf(format!("unclosed right paren: unexpected {t}"));
                }
                Arg::Pipe(Box::new(pipe))
            }
            ItemType::String | ItemType::RawString => match unquote(&token.val) {
                Ok(text) => Arg::String {
                    pos,
                    quoted: token.val.into_owned(),
                    text: Rc::from(text),
                },
                Err(e) => return self.errorf(e),
            },
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}

/// Go's `strconv.Unquote` for the literals the lexer produces (double-quoted
/// with escapes, back-quoted raw, single-quoted characters).
pub fn unquote(s: &str) -> Result<String, String> {
    let syntax = || "invalid syntax".to_string();
    let bytes = s.as_bytes();
    if bytes.len() < 2 {
        return Err(syntax());
    }
    let q = bytes[0];
    if q != bytes[bytes.len() - 1] {
        return Err(syntax());
    }
    let inner = &s[1..s.len() - 1];
    match q {
        b'`' => {
            if inner.contains('`') {
                return Err(syntax());
            }
            Ok(inner.replace('\r', ""))
        }
        // No escape, quote or newline inside: the text is the value.
        b'"' if !inner.contains(['\\', '"', '\n']) => Ok(inner.to_string()),
        b'"' | b'\'' => {
            // Escapes may spell bytes (\xNN, \NNN): collect bytes; a
            // sequence that is not UTF-8 becomes U+FFFD (Rust strings).
            let mut out: Vec<u8> = Vec::new();
            let mut rest = inner;
            let mut count = 0;
            while !rest.is_empty() {
                let (c, tail) = unquote_char(rest, q as char).map_err(|_| syntax())?;
                match c {
                    Unq::Char(c) => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
                    Unq::Byte(b) => out.push(b),
                }
                rest = tail;
                count += 1;
            }
            if q == b'\'' && count != 1 {
                return Err(syntax());
            }
            Ok(String::from_utf8_lossy(&out).into_owned())
        }
        _ => Err(syntax()),
    }
}

enum Unq {
    Char(char),
    Byte(u8),
}

fn unquote_char(s: &str, quote: char) -> Result<(Unq, &str), ()> {
    let mut chars = s.chars();
    let c = chars.next().ok_or(())?;
    if c == quote && (quote == '\'' || quote == '"') {
        return Err(());
    }
    if c != '\\' {
        if c == '\n' {
            return Err(());
        }
        return Ok((Unq::Char(c), chars.as_str()));
    }
    let e = chars.next().ok_or(())?;
    let rest = chars.as_str();
    let simple = match e {
        'a' => Some('\x07'),
        'b' => Some('\x08'),
        'f' => Some('\x0c'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\x0b'),
        '\\' => Some('\\'),
        '\'' | '"' => {
            if e != quote {
                return Err(());
            }
            Some(e)
        }
        _ => None,
    };
    if let Some(c) = simple {
        return Ok((Unq::Char(c), rest));
    }
    let hex = |n: usize, rest: &str| -> Result<(u32, usize), ()> {
        if rest.len() < n || !rest.is_char_boundary(n) {
            return Err(());
        }
        u32::from_str_radix(&rest[..n], 16)
            .map(|v| (v, n))
            .map_err(|_| ())
    };
    match e {
        'x' => {
            let (v, n) = hex(2, rest)?;
            if quote == '\'' {
                return Ok((Unq::Char(char::from_u32(v).ok_or(())?), &rest[n..]));
            }
            Ok((Unq::Byte(v as u8), &rest[n..]))
        }
        'u' | 'U' => {
            let (v, n) = hex(if e == 'u' { 4 } else { 8 }, rest)?;
            Ok((Unq::Char(char::from_u32(v).ok_or(())?), &rest[n..]))
        }
        '0'..='7' => {
            if rest.len() < 2 || !rest.is_char_boundary(2) {
                return Err(());
            }
            let digits = format!("{e}{}", &rest[..2]);
            let v = u32::from_str_radix(&digits, 8).map_err(|_| ())?;
            if v > 255 {
                return Err(());
            }
            Ok((Unq::Byte(v as u8), &rest[2..]))
        }
        _ => Err(()),
    }
}

/// Go's `strconv.ParseInt(text, 0, 64)` / `ParseUint` syntax: base
/// prefixes, a leading 0 for octal, underscores between digits.
fn parse_go_int(text: &str) -> (Option<i64>, Option<u64>) {
    let (neg, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (base, digits, prefixed) = if body.len() >= 2 && body.as_bytes()[0] == b'0' {
        match body.as_bytes()[1] {
            b'x' | b'X' => (16, &body[2..], true),
            b'o' | b'O' => (8, &body[2..], true),
            b'b' | b'B' => (2, &body[2..], true),
            _ => (8, &body[1..], true),
        }
    } else {
        (10, body, false)
    };
    if !underscores_ok(body, prefixed) {
        return (None, None);
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    if clean.is_empty() {
        if body == "0" {
            return (Some(0), if neg { None } else { Some(0) });
        }
        return (None, None);
    }
    let Ok(mag) = u64::from_str_radix(&clean, base) else {
        return (None, None);
    };
    let u = if neg { None } else { Some(mag) };
    let i = if neg {
        if mag <= i64::MAX as u64 + 1 {
            Some((mag as i128).wrapping_neg() as i64)
        } else {
            None
        }
    } else if mag <= i64::MAX as u64 {
        Some(mag as i64)
    } else {
        None
    };
    (i, u)
}

/// Go's `underscoreOK`: underscores only between digits or after a base prefix.
fn underscores_ok(s: &str, _prefixed: bool) -> bool {
    if !s.contains('_') {
        return true;
    }
    let b = s.as_bytes();
    let mut saw = '^';
    let mut i = 0;
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' {
        let c = b[1].to_ascii_lowercase();
        if c == b'x' || c == b'o' || c == b'b' {
            hex = c == b'x';
            i = 2;
            saw = '0';
        }
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = '0';
        } else if c == b'_' {
            if saw != '0' {
                return false;
            }
            saw = '_';
        } else {
            if saw == '_' {
                return false;
            }
            saw = '!';
        }
        i += 1;
    }
    saw != '_'
}

/// Go's `strconv.ParseFloat(text, 64)` for template number syntax.
fn parse_go_float(text: &str) -> Option<f64> {
    let lower = text.to_ascii_lowercase();
    let (neg, body) = match lower.as_bytes().first() {
        Some(b'-') => (true, &lower[1..]),
        Some(b'+') => (false, &lower[1..]),
        _ => (false, &lower[..]),
    };
    if body.contains('_') && !underscores_ok(body, false) {
        return None;
    }
    let body: String = body.chars().filter(|c| *c != '_').collect();
    let v = if let Some(hex) = body.strip_prefix("0x") {
        let (mant, exp) = hex.split_once('p')?;
        let exp: i32 = exp.parse().ok()?;
        let (ip, fp) = mant.split_once('.').unwrap_or((mant, ""));
        if ip.is_empty() && fp.is_empty() {
            return None;
        }
        let mut v = 0f64;
        for c in ip.chars() {
            v = v * 16.0 + c.to_digit(16)? as f64;
        }
        let mut scale = 1.0 / 16.0;
        for c in fp.chars() {
            v += c.to_digit(16)? as f64 * scale;
            scale /= 16.0;
        }
        v * 2f64.powi(exp)
    } else {
        if body.is_empty()
            || !body
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == 'e' || c == '+' || c == '-')
        {
            return None;
        }
        body.parse::<f64>().ok()?
    };
    Some(if neg { -v } else { v })
}

/// Go's `newNumber`: every interpretation of a number literal, or Go's error.
pub fn new_number(text: &str, typ: ItemType) -> Result<Number, String> {
    let mut n = Number {
        text: text.to_string(),
        is_int: false,
        is_uint: false,
        is_float: false,
        is_complex: false,
        int: 0,
        uint: 0,
        float: 0.0,
    };
    match typ {
        ItemType::CharConstant => {
            let inner = &text[1..];
            let (c, tail) = unquote_char(inner, '\'').map_err(|_| "invalid syntax".to_string())?;
            if tail != "'" {
                return Err(format!("malformed character constant: {text}"));
            }
            let r = match c {
                Unq::Char(c) => c as u32,
                Unq::Byte(b) => b as u32,
            };
            n.int = r as i64;
            n.uint = r as u64;
            n.float = r as f64;
            n.is_int = true;
            n.is_uint = true;
            n.is_float = true;
            return Ok(n);
        }
        ItemType::Complex => {
            n.is_complex = true;
            return Ok(n);
        }
        _ => {}
    }
    if let Some(imag) = text.strip_suffix('i') {
        if parse_go_float(imag).is_some() {
            n.is_complex = true;
            return Ok(n);
        }
    }
    let (i, u) = parse_go_int(text);
    if let Some(u) = u {
        n.is_uint = true;
        n.uint = u;
    }
    if let Some(i) = i {
        n.is_int = true;
        n.int = i;
        if i == 0 {
            n.is_uint = true;
            n.uint = 0;
        }
    }
    if n.is_int {
        n.is_float = true;
        n.float = n.int as f64;
    } else if n.is_uint {
        n.is_float = true;
        n.float = n.uint as f64;
    } else if let Some(f) = parse_go_float(text) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {}", crate::fmt::quote(text)));
        }
        n.is_float = true;
        n.float = f;
        if f.fract() == 0.0 && (-9.223372036854776e18..9.223372036854776e18).contains(&f) {
            n.is_int = true;
            n.int = f as i64;
        }
        if f.fract() == 0.0 && (0.0..1.8446744073709552e19).contains(&f) {
            n.is_uint = true;
            n.uint = f as u64;
        }
    }
    if !n.is_int && !n.is_uint && !n.is_float {
        return Err(format!(
            "illegal number syntax: {}",
            crate::fmt::quote(text)
        ));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn funcs(name: &str) -> bool {
        matches!(name, "printf" | "eq" | "len")
    }

    fn p(text: &str) -> Result<String, String> {
        parse("t", text, &funcs)
            .map(|set| set["t"].root.to_string())
            .map_err(|e| e.0)
    }

    #[test]
    fn trees_print_as_go() {
        assert_eq!(p("a{{.x.y}}b").unwrap(), "\"a\"{{.x.y}}\"b\"");
        assert_eq!(
            p("{{if eq .a 1}}x{{else if .b}}y{{else}}z{{end}}").unwrap(),
            "{{if eq .a 1}}\"x\"{{else}}{{if .b}}\"y\"{{else}}\"z\"{{end}}{{end}}"
        );
        assert_eq!(
            p("{{range $i, $v := .l}}{{$i}}{{end}}").unwrap(),
            "{{range $i, $v := .l}}{{$i}}{{end}}"
        );
        assert_eq!(
            p("{{ (len .a).b | printf \"%d\" }}").unwrap(),
            "{{(len .a).b | printf \"%d\"}}"
        );
    }

    #[test]
    fn parse_errors_are_go_texts() {
        for (text, want) in [
            ("{{ if }}", "template: t:1: missing value for if"),
            ("{{ nope }}", "template: t:1: function \"nope\" not defined"),
            ("{{ $x }}", "template: t:1: undefined variable \"$x\""),
            ("{{ end }}", "template: t:1: unexpected {{end}}"),
            ("{{ if .a }}", "template: t:1: unexpected EOF"),
            (
                "{{ .a | 1 }}",
                "template: t:1: non executable command in pipeline stage 2",
            ),
            ("{{ break }}", "template: t:1: {{break}} outside {{range}}"),
            ("{{ .a\n", "template: t:2: unclosed action started at t:1"),
        ] {
            assert_eq!(p(text).unwrap_err(), want, "{text}");
        }
    }

    #[test]
    fn numbers() {
        let n = new_number("0x1F", ItemType::Number).unwrap();
        assert!(n.is_int && n.int == 31);
        let n = new_number("1_000", ItemType::Number).unwrap();
        assert_eq!(n.int, 1000);
        let n = new_number("1e3", ItemType::Number).unwrap();
        assert!(n.is_int && n.is_float && n.float == 1000.0);
        assert_eq!(
            new_number("99999999999999999999", ItemType::Number).unwrap_err(),
            "integer overflow: \"99999999999999999999\""
        );
    }
}
