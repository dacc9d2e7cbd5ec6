//! YAML store: bytes ⇄ the ordered tree, comments kept as tree items placed in
//! the branch go-yaml (and therefore sops) gives them, scalars typed as
//! go-yaml v3 resolves them, output laid out as sops writes it (4-space
//! indent, literal blocks for multi-line strings, comments in encrypted lists
//! as `- ENC[…,type:comment]` items). Knows nothing of keys or ciphers.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

use super::{FormatError, MAX_ALIAS_NODES, MAX_DEPTH};
use crate::secrets::tree::{go_format_float_g, Item, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pos {
    line: usize,
    col: usize,
}

enum Kind {
    Map(Vec<(Node, Node)>),
    Seq(Vec<Node>),
    Scalar {
        text: String,
        style: ScalarStyle,
        tag: Option<Tag>,
    },
    Alias(usize),
}

struct Node {
    kind: Kind,
    start: Pos,
    anchor: usize,
}

struct Comment {
    line: usize,
    col: usize,
    text: String,
    trailing: bool,
}

fn pos(m: &saphyr_parser::Marker) -> Pos {
    Pos {
        line: m.line(),
        col: m.col(),
    }
}

fn syntax(e: &saphyr_parser::ScanError) -> FormatError {
    FormatError::Syntax {
        line: e.marker().line(),
        col: e.marker().col() + 1,
        reason: e.info().to_string(),
    }
}

struct EventSource<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    /// Scalars' (start, end, style) for locating comments.
    scalars: Vec<(Pos, Pos, ScalarStyle)>,
    /// The text's length in characters when it does not end with a line
    /// break (a block scalar running to such an end has no final break in
    /// go-yaml; saphyr adds one).
    unterminated_end: Option<usize>,
}

impl<'a> EventSource<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), FormatError> {
        match self.parser.next_event() {
            Some(Ok(ev)) => Ok(ev),
            Some(Err(e)) => Err(syntax(&e)),
            None => Err(FormatError::Syntax {
                line: 0,
                col: 0,
                reason: "unexpected end of input".into(),
            }),
        }
    }

    fn node(&mut self, ev: Event<'a>, span: Span, depth: usize) -> Result<Node, FormatError> {
        let start = pos(&span.start);
        if depth > MAX_DEPTH && matches!(ev, Event::SequenceStart(..) | Event::MappingStart(..)) {
            return Err(FormatError::TooDeep {
                line: start.line,
                limit: MAX_DEPTH,
            });
        }
        Ok(match ev {
            Event::Scalar(text, style, anchor, tag) => {
                self.scalars.push((start, pos(&span.end), style));
                let mut text = text.into_owned();
                let block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
                if block
                    && self
                        .unterminated_end
                        .is_some_and(|end| span.end.index() >= end)
                {
                    if let Some(t) = text.strip_suffix('\n') {
                        text = t.to_string();
                    }
                }
                Node {
                    kind: Kind::Scalar {
                        text,
                        style,
                        tag: tag.map(|t| t.into_owned()),
                    },
                    start,
                    anchor,
                }
            }
            Event::Alias(id) => Node {
                kind: Kind::Alias(id),
                start,
                anchor: 0,
            },
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                loop {
                    let (ev, span) = self.next()?;
                    if matches!(ev, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(ev, span, depth + 1)?);
                }
                Node {
                    kind: Kind::Seq(items),
                    start,
                    anchor,
                }
            }
            Event::MappingStart(anchor, _) => {
                let mut pairs = Vec::new();
                loop {
                    let (ev, span) = self.next()?;
                    if matches!(ev, Event::MappingEnd) {
                        break;
                    }
                    let key = self.node(ev, span, depth + 1)?;
                    let (ev, span) = self.next()?;
                    let value = self.node(ev, span, depth + 1)?;
                    pairs.push((key, value));
                }
                Node {
                    kind: Kind::Map(pairs),
                    start,
                    anchor,
                }
            }
            _ => {
                return Err(FormatError::Syntax {
                    line: start.line,
                    col: start.col + 1,
                    reason: "unexpected YAML event".into(),
                })
            }
        })
    }
}

/// Parse a YAML document into a map tree (one document only).
pub(crate) fn load(text: &str) -> Result<Value, FormatError> {
    let mut docs = load_documents(text)?;
    if docs.len() > 1 {
        return Err(FormatError::MultiDocument);
    }
    Ok(docs.pop().unwrap_or(Value::Map(Vec::new())))
}

/// Parse every document of a YAML stream into map trees (sops' tree
/// branches), in order; comments go to the document they sit in.
pub(crate) fn load_documents(text: &str) -> Result<Vec<Value>, FormatError> {
    // YAML's line breaks are `\n`, `\r\n` and a lone `\r`; scalars read them
    // all as `\n`. One form here keeps comment lines where the parser sees
    // them (a lone `\r` inside a comment ended it, and what followed was
    // content, found by the fuzzer).
    let normalized;
    let text = if text.contains('\r') {
        normalized = zeroize::Zeroizing::new(text.replace("\r\n", "\n").replace('\r', "\n"));
        normalized.as_str()
    } else {
        text
    };
    let mut src = EventSource {
        parser: Parser::new_from_str(text),
        scalars: Vec::new(),
        unterminated_end: (!text.ends_with('\n')).then(|| text.chars().count()),
    };
    let mut roots: Vec<Node> = Vec::new();
    loop {
        let (ev, span) = src.next()?;
        match ev {
            Event::StreamStart | Event::DocumentEnd | Event::Nothing | Event::DocumentStart(_) => {}
            Event::StreamEnd => break,
            ev => roots.push(src.node(ev, span, 1)?),
        }
    }
    let comments = find_comments(text, &src.scalars);
    let mut b = Builder {
        comments,
        next: 0,
        anchors: HashMap::new(),
        expanded: 0,
    };
    let mut docs = Vec::new();
    for node in &roots {
        docs.push(match &node.kind {
            Kind::Map(_) => b.convert(node, None, 0)?,
            Kind::Scalar { text, style, .. } if text.is_empty() && *style == ScalarStyle::Plain => {
                Value::Map(Vec::new())
            }
            _ => return Err(FormatError::NotAMap),
        });
    }
    if docs.is_empty() {
        docs.push(Value::Map(Vec::new()));
    }
    if let Some(Value::Map(items)) = docs.last_mut() {
        while b.next < b.comments.len() {
            items.push(Item::Comment(std::mem::take(&mut b.comments[b.next].text)));
            b.next += 1;
        }
    }
    Ok(docs)
}

/// Locate every comment: full-line ones and those trailing a line's content,
/// skipping the inside of multi-line scalars.
fn find_comments(text: &str, scalars: &[(Pos, Pos, ScalarStyle)]) -> Vec<Comment> {
    let lines: Vec<&str> = text.lines().collect();
    let n = lines.len() + 2;
    let mut content = vec![false; n];
    let mut block_indent: Vec<Option<usize>> = vec![None; n];
    let mut end_col: Vec<Option<usize>> = vec![None; n];
    let mut ml_start: Vec<Option<usize>> = vec![None; n];
    for &(start, end, style) in scalars {
        if end.line > start.line {
            let last = if end.col == 0 { end.line - 1 } else { end.line };
            let is_block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
            let indent = if is_block {
                (start.line + 1..=last.min(lines.len()))
                    .filter_map(|l| lines.get(l - 1))
                    .find(|l| !l.trim().is_empty())
                    .map(|l| l.len() - l.trim_start().len())
            } else {
                None
            };
            for l in start.line + 1..=last.min(n - 1) {
                content[l] = true;
                block_indent[l] = indent;
            }
            if last < n && end.col != 0 {
                end_col[last] = Some(end_col[last].unwrap_or(0).max(end.col));
            }
            if start.line < n {
                ml_start[start.line] =
                    Some(ml_start[start.line].unwrap_or(usize::MAX).min(start.col));
            }
        } else if end.line < n {
            end_col[end.line] = Some(end_col[end.line].unwrap_or(0).max(end.col));
        }
    }
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let ln = i + 1;
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if content[ln] {
            let is_comment_line =
                trimmed.starts_with('#') && block_indent[ln].is_some_and(|bi| indent < bi);
            if !is_comment_line {
                continue;
            }
        }
        let chars: Vec<char> = line.chars().collect();
        let from = end_col[ln].unwrap_or(0);
        let to = ml_start[ln].unwrap_or(usize::MAX).min(chars.len());
        let mut j = from;
        while j < to {
            if chars[j] == '#' && (j == 0 || chars[j - 1].is_whitespace()) {
                let before_blank = chars[..j].iter().all(|c| c.is_whitespace());
                out.push(Comment {
                    line: ln,
                    col: j,
                    text: chars[j + 1..].iter().collect(),
                    trailing: !before_blank,
                });
                break;
            }
            j += 1;
        }
    }
    out
}

struct Builder {
    comments: Vec<Comment>,
    next: usize,
    /// Anchored values with their node counts and depths.
    anchors: HashMap<usize, (Value, usize, usize)>,
    /// Nodes produced so far by expanding aliases (bounded by [`MAX_ALIAS_NODES`]).
    expanded: usize,
}

/// Nodes in a value (each scalar, map, list and comment counts one) and its
/// nesting depth (a scalar is 0).
fn measure(v: &Value) -> (usize, usize) {
    match v {
        Value::Map(items) => items.iter().fold((1, 1), |(n, d), i| match i {
            Item::Entry(_, v) => {
                let (vn, vd) = measure(v);
                (n.saturating_add(1 + vn), d.max(vd + 1))
            }
            Item::Comment(_) => (n + 1, d),
        }),
        Value::Seq(vals) => vals.iter().fold((1, 1), |(n, d), v| {
            let (vn, vd) = measure(v);
            (n.saturating_add(vn), d.max(vd + 1))
        }),
        _ => (1, 0),
    }
}

enum Sink<'a> {
    Map(&'a mut Vec<Item>),
    Seq(&'a mut Vec<Value>),
}

impl Builder {
    fn flush(&mut self, sink: &mut Sink<'_>, keep: &dyn Fn(&Comment) -> bool) {
        while let Some(c) = self.comments.get_mut(self.next) {
            if !keep(c) {
                break;
            }
            let text = std::mem::take(&mut c.text);
            match sink {
                Sink::Map(items) => items.push(Item::Comment(text)),
                Sink::Seq(values) => values.push(Value::Comment(text)),
            }
            self.next += 1;
        }
    }

    /// Comments left after a container's last element that are indented
    /// deeper than the next token belong to the deepest open container.
    fn foot(next: Option<Pos>) -> impl Fn(&Comment) -> bool {
        move |c: &Comment| match next {
            Some(n) => c.line < n.line && c.col > n.col,
            None => c.col > 0,
        }
    }

    /// `depth`: the nesting depth of the container `node` sits in (0 at the root).
    fn convert(
        &mut self,
        node: &Node,
        next: Option<Pos>,
        depth: usize,
    ) -> Result<Value, FormatError> {
        let value = match &node.kind {
            Kind::Alias(id) => {
                let (value, count, vdepth) =
                    self.anchors.get(id).ok_or(FormatError::UnknownAlias {
                        line: node.start.line,
                    })?;
                // Counted before cloning: a bomb is refused before it is built.
                self.expanded = self.expanded.saturating_add(*count);
                if self.expanded > MAX_ALIAS_NODES {
                    return Err(FormatError::AliasExpansion {
                        line: node.start.line,
                        limit: MAX_ALIAS_NODES,
                    });
                }
                // Aliases of aliases nest: bound the depth they build.
                if depth + vdepth > MAX_DEPTH {
                    return Err(FormatError::TooDeep {
                        line: node.start.line,
                        limit: MAX_DEPTH,
                    });
                }
                return Ok(value.clone());
            }
            Kind::Scalar { text, style, tag } => resolve(text, *style, tag.as_ref()),
            Kind::Map(pairs) => {
                let mut items = Vec::with_capacity(pairs.len());
                let mut seen: HashMap<String, usize> = HashMap::with_capacity(pairs.len());
                for (i, (k, v)) in pairs.iter().enumerate() {
                    let kl = k.start.line;
                    self.flush(&mut Sink::Map(&mut items), &|c| {
                        c.line < kl || (c.line == kl && c.trailing)
                    });
                    let key = match &k.kind {
                        Kind::Scalar { text, .. } => text.clone(),
                        Kind::Alias(id) => match self.anchors.get(id) {
                            Some((Value::Str(s), ..)) => s.clone(),
                            _ => return Err(FormatError::ComplexKey { line: kl }),
                        },
                        _ => return Err(FormatError::ComplexKey { line: kl }),
                    };
                    // go-yaml (and so sops) refuses a key defined twice in one map:
                    // a later `token: ""` must never override an encrypted value.
                    if let Some(&first) = seen.get(&key) {
                        return Err(FormatError::DuplicateKey {
                            line: kl,
                            key,
                            first,
                        });
                    }
                    seen.insert(key.clone(), kl);
                    let vnext = pairs.get(i + 1).map(|(k, _)| k.start).or(next);
                    let value = self.convert(v, vnext, depth + 1)?;
                    items.push(Item::Entry(key, value));
                }
                self.flush(&mut Sink::Map(&mut items), &Self::foot(next));
                Value::Map(items)
            }
            Kind::Seq(elems) => {
                let seq_col = node.start.col;
                let mut values = Vec::with_capacity(elems.len());
                for (i, e) in elems.iter().enumerate() {
                    let el = e.start.line;
                    let scalar = matches!(e.kind, Kind::Scalar { .. } | Kind::Alias(_));
                    self.flush(&mut Sink::Seq(&mut values), &|c| {
                        c.line < el || (scalar && c.line == el && c.trailing)
                    });
                    let enext = elems
                        .get(i + 1)
                        .map(|n| Pos {
                            line: n.start.line,
                            col: seq_col,
                        })
                        .or(next);
                    values.push(self.convert(e, enext, depth + 1)?);
                }
                self.flush(&mut Sink::Seq(&mut values), &Self::foot(next));
                Value::Seq(values)
            }
        };
        if node.anchor != 0 {
            let (count, vdepth) = measure(&value);
            self.anchors
                .insert(node.anchor, (value.clone(), count, vdepth));
        }
        Ok(value)
    }
}

fn resolve(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Value {
    if let Some(tag) = tag {
        if tag.suffix == "str" || tag.suffix == "tag:yaml.org,2002:str" {
            return Value::Str(text.to_string());
        }
    }
    if style != ScalarStyle::Plain {
        return Value::Str(text.to_string());
    }
    resolve_plain(text)
}

/// Resolve a plain scalar as go-yaml v3 does when decoding into `interface{}`.
pub(crate) fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return Value::Str(s.to_string());
    }
    let plain = s.replace('_', "");
    if let Some(i) = go_parse_int(&plain) {
        return Value::Int(i);
    }
    if is_yaml_float(&plain) {
        if let Ok(f) = plain.parse::<f64>() {
            return Value::Float(f);
        }
    }
    if let Some(t) = parse_timestamp(s) {
        return Value::Time(t);
    }
    Value::Str(s.to_string())
}

fn go_parse_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = if let Some(r) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
        (16, r)
    } else if let Some(r) = body.strip_prefix("0o").or(body.strip_prefix("0O")) {
        (8, r)
    } else if let Some(r) = body.strip_prefix("0b").or(body.strip_prefix("0B")) {
        (2, r)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        if magnitude <= i64::MAX as u64 + 1 {
            Some((magnitude as i128).wrapping_neg() as i64)
        } else {
            None
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let st = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - st
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// YAML timestamps (go-yaml's accepted layouts) as Go's RFC 3339 text.
fn parse_timestamp(s: &str) -> Option<String> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(format!("{}T00:00:00Z", d.format("%Y-%m-%d")));
    }
    let fmt_utc = |dt: NaiveDateTime| dt.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    for f in ["%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%dt%H:%M:%S%.f%:z"] {
        if let Ok(dt) = DateTime::parse_from_str(&s.replace('Z', "+00:00"), f) {
            if dt.offset().local_minus_utc() == 0 {
                return Some(fmt_utc(dt.naive_utc()));
            }
            return Some(dt.format("%Y-%m-%dT%H:%M:%S%:z").to_string());
        }
    }
    if let Ok(dt) = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f") {
        return Some(fmt_utc(dt));
    }
    None
}

// ---------------------------------------------------------------- emitting

const INDENT: usize = 4;

/// YAML's longest implicit (`key: value`) key, in characters.
const MAX_IMPLICIT_KEY: usize = 1024;

/// Emit a map tree as YAML. `encrypted` lays comments in lists out as sops
/// does in encrypted files (as list items).
pub(crate) fn emit(tree: &Value, encrypted: bool) -> String {
    let mut out = String::new();
    match tree {
        // go-yaml writes an empty top-level mapping as `{}`.
        Value::Map(items) if items.is_empty() => out.push_str("{}\n"),
        Value::Map(items) => emit_map(items, 0, INDENT, encrypted, &mut out),
        other => {
            scalar(other, 0, &mut out);
            out.push('\n');
        }
    }
    out
}

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn has_entries(items: &[Item]) -> bool {
    items.iter().any(|i| matches!(i, Item::Entry(..)))
}

/// Keys at column `indent`; nested blocks at `child` (go-yaml indents the
/// children of a map inside a list from the dash, not from the key).
fn emit_map(items: &[Item], indent: usize, child: usize, encrypted: bool, out: &mut String) {
    for item in items {
        match item {
            Item::Comment(c) => {
                pad(out, indent);
                out.push('#');
                out.push_str(c);
                out.push('\n');
            }
            Item::Entry(k, v) => {
                pad(out, indent);
                let mut written = String::new();
                key(k, &mut written);
                // YAML allows implicit keys of at most 1024 characters; a longer
                // one is written as an explicit `? key` (as go-yaml does).
                if written.chars().count() > MAX_IMPLICIT_KEY {
                    out.push_str("? ");
                    out.push_str(&written);
                    out.push('\n');
                    pad(out, indent);
                } else {
                    out.push_str(&written);
                }
                out.push(':');
                value_after_key(v, child, encrypted, out);
            }
        }
    }
}

fn value_after_key(v: &Value, child: usize, encrypted: bool, out: &mut String) {
    match v {
        Value::Map(items) if has_entries(items) => {
            out.push('\n');
            emit_map(items, child, child + INDENT, encrypted, out);
        }
        Value::Map(_) => out.push_str(" {}\n"),
        Value::Seq(vals) if !vals.is_empty() => {
            out.push('\n');
            emit_seq(vals, child, encrypted, out);
        }
        Value::Seq(_) => out.push_str(" []\n"),
        other => {
            out.push(' ');
            scalar(other, child, out);
            out.push('\n');
        }
    }
}

fn emit_seq(vals: &[Value], indent: usize, encrypted: bool, out: &mut String) {
    for v in vals {
        match v {
            Value::Comment(c) if encrypted => {
                pad(out, indent);
                out.push_str("- ");
                string(c, indent + 2, out);
                out.push('\n');
            }
            Value::Comment(c) => {
                pad(out, indent);
                out.push('#');
                out.push_str(c);
                out.push('\n');
            }
            Value::Map(items) if has_entries(items) => {
                pad(out, indent);
                if matches!(items.first(), Some(Item::Entry(..))) {
                    out.push_str("- ");
                    // First entry on the dash line, the rest aligned under it.
                    let mut first = String::new();
                    emit_map(
                        &items[..1],
                        indent + 2,
                        indent + INDENT,
                        encrypted,
                        &mut first,
                    );
                    out.push_str(&first[indent + 2..]);
                    emit_map(&items[1..], indent + 2, indent + INDENT, encrypted, out);
                } else {
                    out.push_str("-\n");
                    emit_map(items, indent + 2, indent + INDENT, encrypted, out);
                }
            }
            Value::Map(_) => {
                pad(out, indent);
                out.push_str("- {}\n");
            }
            Value::Seq(inner) if !inner.is_empty() => {
                pad(out, indent);
                out.push_str("-\n");
                emit_seq(inner, indent + INDENT, encrypted, out);
            }
            Value::Seq(_) => {
                pad(out, indent);
                out.push_str("- []\n");
            }
            other => {
                pad(out, indent);
                out.push_str("- ");
                // go-yaml indents a block scalar in a list item two columns
                // past the dash, not by the map indent.
                scalar(other, indent + 2, out);
                out.push('\n');
            }
        }
    }
}

fn scalar(v: &Value, content_indent: usize, out: &mut String) {
    match v {
        Value::Str(s) => string(s, content_indent, out),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&match go_format_float_g(*f).as_str() {
            "+Inf" => ".inf".to_string(),
            "-Inf" => "-.inf".to_string(),
            "NaN" => ".nan".to_string(),
            s => s.to_string(),
        }),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Time(t) => out.push_str(t),
        Value::Bytes(b) => match std::str::from_utf8(b) {
            Ok(s) => string(s, content_indent, out),
            Err(_) => {
                use base64::Engine;
                out.push_str("!!binary ");
                out.push_str(&base64::engine::general_purpose::STANDARD.encode(b));
            }
        },
        Value::Null => out.push_str("null"),
        Value::Comment(c) => string(c, content_indent, out),
        Value::Map(_) => out.push_str("{}"),
        Value::Seq(_) => out.push_str("[]"),
    }
}

fn key(k: &str, out: &mut String) {
    quoted(k, out);
}

/// A one-line string that cannot be plain, quoted as go-yaml does: double
/// quotes when it would read back as another type (go-yaml asks for them)
/// or holds characters single quotes cannot carry, else single quotes (what
/// libyaml falls back to when a plain scalar is not allowed).
fn quoted(s: &str, out: &mut String) {
    if plain_ok(s) {
        out.push_str(s);
    } else if !s.contains('\n') && single_ok(s) && !other_type(s) {
        out.push('\'');
        out.push_str(&s.replace('\'', "''"));
        out.push('\'');
    } else {
        double_quoted(s, out);
    }
}

fn single_ok(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(|c| c.is_control() || is_special(c))
}

/// Whether a plain `s` would resolve to something other than this string
/// (go-yaml double-quotes those).
fn other_type(s: &str) -> bool {
    let first = s.chars().next().unwrap_or(' ');
    !matches!(resolve_plain(s), Value::Str(_))
        || matches!(
            s.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off"
        )
        || (s.contains(':')
            && (first.is_ascii_digit() || first == '+')
            && s.chars().all(|c| c.is_ascii_digit() || "_.:+".contains(c)))
}

fn string(s: &str, content_indent: usize, out: &mut String) {
    if plain_ok(s) {
        out.push_str(s);
    } else if literal_ok(s) {
        out.push('|');
        if !s.ends_with('\n') {
            out.push('-');
        } else if s.ends_with("\n\n") {
            out.push('+');
        }
        out.push('\n');
        let body = s.strip_suffix('\n').unwrap_or(s);
        for (i, line) in body.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
            }
            if !line.is_empty() {
                pad(out, content_indent);
                out.push_str(line);
            }
        }
    } else {
        quoted(s, out);
    }
}

fn literal_ok(s: &str) -> bool {
    s.contains('\n')
        && !s.starts_with(' ')
        && !s.starts_with('\n')
        && !s
            .chars()
            .any(|c| (c.is_control() && c != '\n' && c != '\t') || is_special(c))
        && !s.split('\n').any(|l| l.ends_with(' ') || l.ends_with('\t'))
}

fn is_special(c: char) -> bool {
    matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// Whether `s` can be written as a plain scalar and read back as this string.
fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if ",[]{}#&*!|>'\"%@`=<".contains(first) || first.is_whitespace() {
        return false;
    }
    // As libyaml: `-`, `?` and `:` start a plain scalar unless a blank (or
    // the end) follows them (`--flag` and `-x` stay plain, `-` and `- x` do
    // not); `---` and `...` would be document markers.
    if "-?:".contains(first) && !s[1..].starts_with(|c: char| !c.is_whitespace()) {
        return false;
    }
    if s.starts_with("---") || s.starts_with("...") {
        return false;
    }
    if s.ends_with(|c: char| c.is_whitespace() || c == ':') {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.contains(":\t") || s.contains("\t#") {
        return false;
    }
    if s.chars().any(|c| c.is_control() || is_special(c)) {
        return false;
    }
    if !matches!(resolve_plain(s), Value::Str(_)) {
        return false;
    }
    // YAML 1.1 booleans and anything number-like stay quoted for other readers.
    if matches!(
        s.to_ascii_lowercase().as_str(),
        "y" | "n" | "yes" | "no" | "on" | "off"
    ) {
        return false;
    }
    // go-yaml also quotes YAML 1.1 base-60 numbers such as 1:20.
    if s.contains(':')
        && (first.is_ascii_digit() || first == '+')
        && s.chars().all(|c| c.is_ascii_digit() || "_.:+".contains(c))
    {
        return false;
    }
    true
}

fn double_quoted(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() || is_special(c) => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(v: &Value) -> Vec<String> {
        match v {
            Value::Map(items) => items
                .iter()
                .map(|i| match i {
                    Item::Comment(c) => format!("#{c}"),
                    Item::Entry(k, _) => k.clone(),
                })
                .collect(),
            _ => panic!("not a map"),
        }
    }

    #[test]
    fn comments_land_in_sops_branches() {
        let text = "# top\na: hello # trailing\nnested:\n    # inner head\n    x: 1\n    y:\n        - one\n        # in list\n        - k: v\n          k2: v2\n    # inner foot\nmulti: |\n    line1\n    # not a comment\n# before b\nb: 2\n";
        let v = load(text).unwrap();
        assert_eq!(
            entries(&v),
            [
                "# top",
                "# trailing",
                "a",
                "nested",
                "multi",
                "# before b",
                "b"
            ]
        );
        let Value::Map(items) = &v else { panic!() };
        let Item::Entry(_, nested) = &items[3] else {
            panic!()
        };
        assert_eq!(entries(nested), ["# inner head", "x", "y"]);
        let Value::Map(n) = nested else { panic!() };
        let Item::Entry(_, Value::Seq(list)) = &n[2] else {
            panic!()
        };
        assert_eq!(list[1], Value::Comment(" in list".into()));
        assert_eq!(entries(&list[2]), ["k", "k2", "# inner foot"]);
        let Item::Entry(_, multi) = &items[4] else {
            panic!()
        };
        assert_eq!(multi, &Value::Str("line1\n# not a comment\n".into()));
    }

    #[test]
    fn duplicate_keys_are_refused_with_both_lines() {
        let err = load("a: 1\nb:\n    c: x\n    c: \"\"\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 4: mapping key \"c\" already defined at line 3"
        );
        // The same key in two different maps is fine.
        assert!(load("a:\n    k: 1\nb:\n    k: 2\n").is_ok());
    }

    #[test]
    fn alias_expansion_and_depth_are_bounded() {
        let mut bomb = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..7 {
            let refs = vec![format!("*l{}", i - 1); 10].join(", ");
            bomb.push_str(&format!("l{i}: &l{i} [{refs}]\n"));
        }
        assert!(matches!(
            load(&bomb),
            Err(FormatError::AliasExpansion {
                limit: MAX_ALIAS_NODES,
                ..
            })
        ));
        let deep = format!("a: {}{}\n", "[".repeat(200), "]".repeat(200));
        assert!(matches!(
            load(&deep),
            Err(FormatError::TooDeep {
                limit: MAX_DEPTH,
                ..
            })
        ));
        let ok = format!("a: {}{}\n", "[".repeat(100), "]".repeat(100));
        assert!(load(&ok).is_ok());
    }

    #[test]
    fn scalars_resolve_like_go_yaml() {
        assert_eq!(resolve_plain("0x1F"), Value::Int(31));
        assert_eq!(resolve_plain("0o17"), Value::Int(15));
        assert_eq!(resolve_plain("1_000"), Value::Int(1000));
        assert_eq!(resolve_plain("1.5"), Value::Float(1.5));
        assert_eq!(resolve_plain("yes"), Value::Str("yes".into()));
        assert_eq!(resolve_plain("~"), Value::Null);
        assert_eq!(
            resolve_plain("2024-01-01"),
            Value::Time("2024-01-01T00:00:00Z".into())
        );
        assert_eq!(resolve_plain("3.11.0"), Value::Str("3.11.0".into()));
    }

    #[test]
    fn emit_round_trips() {
        let text = "# c\na: \"123\"\nb: |\n    two\n    lines\nc:\n    - x\n    - k: v\n      j: \"yes\"\nd: héllo ☃\ne: \"\"\nf: 'with: colon'\ng: null\nh: 1.5\n";
        let v = load(text).unwrap();
        let out = emit(&v, false);
        assert_eq!(load(&out).unwrap(), v);
        assert_eq!(out, text);
    }

    /// Checked against sops 3.11 (go-yaml v3): types are double-quoted,
    /// other unsafe plain scalars single-quoted, `-x` stays plain.
    #[test]
    fn quoting_matches_go_yaml() {
        let mut out = String::new();
        for s in [
            "68688e4cb8a2",
            "3.11.0",
            "1:20",
            "1e3",
            "0x1",
            "yes",
            "n",
            "a: b",
            "-x",
        ] {
            string(s, 4, &mut out);
            out.push('|');
        }
        assert_eq!(
            out,
            "68688e4cb8a2|3.11.0|\"1:20\"|\"1e3\"|\"0x1\"|\"yes\"|\"n\"|'a: b'|-x|"
        );
    }
}
