//! YAML text → a node tree per document, as go-yaml v2's parser builds it:
//! scalars with their tag and "implicit" flag, mappings as key/value child
//! lists, aliases pointing at the anchored node (anchors may be redefined;
//! an alias sees the latest definition). Events come from `saphyr-parser`;
//! its error texts are translated to libyaml's where they correspond.
//!
//! Enforces the nesting limit while reading events (so a deeply nested file
//! fails after reading only as far as the limit) and nothing else; typing
//! scalars and expanding aliases is [`super::decode`]'s job.

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span};

use super::{Error, ErrorKind, Limits};

/// One node of a document.
#[derive(Debug)]
pub struct Node {
    pub kind: NodeKind,
}

#[derive(Debug)]
pub enum NodeKind {
    Scalar {
        value: String,
        /// The long tag, "" when none.
        tag: String,
        /// libyaml's `plain_implicit`: a plain scalar without tag (or with `!`).
        implicit: bool,
    },
    Sequence(Vec<usize>),
    /// Children as key, value, key, value...
    Mapping(Vec<usize>),
    Alias {
        name: String,
        /// The anchored node, or `None` for an anchor never defined.
        target: Option<usize>,
    },
}

/// One parsed document: nodes in an arena, `root` the top node (`None` for
/// a stream without documents).
#[derive(Debug, Default)]
pub struct Document {
    pub nodes: Vec<Node>,
    pub root: Option<usize>,
}

/// Char index → byte offset for a text walked mostly forward.
struct Cursor<'a> {
    text: &'a str,
    chars: usize,
    bytes: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Self {
        Cursor {
            text,
            chars: 0,
            bytes: 0,
        }
    }

    fn byte_of(&mut self, char_idx: usize) -> usize {
        // walk back from where we are (events rarely go backwards)
        while char_idx < self.chars {
            match self.text[..self.bytes].chars().next_back() {
                Some(c) => {
                    self.bytes -= c.len_utf8();
                    self.chars -= 1;
                }
                None => break,
            }
        }
        let mut it = self.text[self.bytes..].char_indices();
        while self.chars < char_idx {
            match it.next() {
                Some((_, c)) => {
                    self.bytes += c.len_utf8();
                    self.chars += 1;
                }
                None => break,
            }
        }
        self.bytes
    }

    fn char_at(&mut self, char_idx: usize) -> Option<char> {
        let b = self.byte_of(char_idx);
        self.text[b..].chars().next()
    }

    fn slice(&mut self, span: Span) -> &'a str {
        let start = self.byte_of(span.start.index());
        let end = self.byte_of(span.end.index()).max(start);
        &self.text[start..end]
    }
}

struct Open {
    node: usize,
    flow: bool,
}

/// Parse every document of `text` (or only the first when `first_only`,
/// as go-yaml's `Unmarshal` does: later documents are never read).
pub fn parse(text: &str, limits: &Limits, first_only: bool) -> Result<Vec<Document>, Error> {
    if let Some((line, problem)) = bad_directive(text) {
        return Err(Error::yaml(ErrorKind::Syntax, line, problem.into()));
    }
    if text.chars().any(|c| !allowed_char(c)) {
        return Err(Error::yaml(
            ErrorKind::Syntax,
            None,
            "control characters are not allowed".into(),
        ));
    }
    let mut owned: Option<String> = yaml11_breaks(text);
    for _ in 0..MAX_TAB_RETRIES {
        let current = owned.as_deref().unwrap_or(text);
        match parse_once(current, limits, first_only) {
            Err(Failure::TabAfterColon(char_idx)) => {
                // libyaml takes a tab after `:` as the separating blank,
                // saphyr does not: turn that one tab into a space and retry
                // (positions and lines stay the same).
                let mut fixed = String::with_capacity(current.len());
                for (i, c) in current.chars().enumerate() {
                    fixed.push(if i == char_idx { ' ' } else { c });
                }
                owned = Some(fixed);
            }
            Err(Failure::Reindent(first, last)) => {
                // libyaml does not check the indentation of a quoted
                // scalar's continuation lines or of flow collections; saphyr
                // does. Leading blanks there are folded away or insignificant,
                // so indenting the lines changes nothing but positions after.
                let mut fixed = String::with_capacity(current.len() + REINDENT.len());
                for (i, l) in current.split_inclusive('\n').enumerate() {
                    if (first..=last).contains(&(i + 1)) {
                        fixed.push_str(REINDENT);
                    }
                    fixed.push_str(l);
                }
                owned = Some(fixed);
            }
            Err(Failure::Error(e)) => return Err(e),
            Ok(docs) => return Ok(docs),
        }
    }
    Err(Error::yaml(
        ErrorKind::Limit,
        None,
        format!("more than {MAX_TAB_RETRIES} separators to repair (tabs after ':', unindented quoted lines)"),
    ))
}

/// libyaml knows only `%YAML` and `%TAG` (saphyr skips other directives):
/// the 1-based line of an unknown one before the first document.
/// And `%YAML` must say 1.1 (go-yaml: "found incompatible YAML document").
fn bad_directive(text: &str) -> Option<(Option<usize>, &'static str)> {
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start_matches('\u{feff}');
        if let Some(rest) = t.strip_prefix('%') {
            let mut words = rest.split_whitespace();
            match words.next() {
                Some("TAG") => {}
                Some("YAML") => {
                    let version = words.next().unwrap_or("");
                    let (major, minor) = version.split_once('.').unwrap_or((version, ""));
                    let num = |s: &str| s.parse::<u64>().ok();
                    if num(major).is_some()
                        && num(minor).is_some()
                        && (num(major), num(minor)) != (Some(1), Some(1))
                    {
                        // a parser error: libyaml names the 0-based line
                        return Some((parser_line(i + 1), "found incompatible YAML document"));
                    }
                }
                _ => return Some((scanner_line(i + 1), "found unknown directive name")),
            }
        } else if !(t.trim().is_empty() || t.starts_with('#')) {
            return None;
        }
    }
    None
}

/// YAML 1.1 line breaks: libyaml takes NEL, LS and PS as line breaks
/// outside quoted scalars (saphyr, a YAML 1.2 parser, takes them as text),
/// and folds a NEL inside quotes like a newline. Rewrite them so saphyr sees
/// what libyaml sees; the number of characters stays the same. Quotes are
/// recognised where a scalar may start (an approximation, used only when
/// one of these characters occurs at all).
fn yaml11_breaks(text: &str) -> Option<String> {
    if !text.contains(['\u{85}', '\u{2028}', '\u{2029}']) {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut quote: Option<char> = None;
    let mut prev = '\n';
    let mut escaped = false;
    for c in text.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if q == '"' && c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
                out.push(if c == '\u{85}' { '\n' } else { c });
            }
            None => {
                if (c == '"' || c == '\'')
                    && matches!(prev, ' ' | '\t' | '\n' | '[' | '{' | ',' | ':' | '-' | '?')
                {
                    quote = Some(c);
                }
                out.push(if matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}') {
                    '\n'
                } else {
                    c
                });
            }
        }
        prev = if matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}') {
            '\n'
        } else {
            c
        };
    }
    Some(out)
}

/// The characters libyaml's reader accepts (a raw DEL, C1 control or
/// U+FFFE/U+FFFF anywhere fails the whole document).
pub fn allowed_char(c: char) -> bool {
    matches!(c as u32,
        0x09 | 0x0A | 0x0D | 0x20..=0x7E | 0x85 | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

/// What [`parse`] puts before a quoted scalar's unindented continuation line.
const REINDENT: &str = "                                                                ";

/// How many `key:<TAB>value` separators [`parse`] repairs before giving up.
const MAX_TAB_RETRIES: usize = 64;

enum Failure {
    TabAfterColon(usize),
    /// Lines (1-based, first..=last) of a quoted scalar's continuation or of
    /// a flow collection at too small an indent for saphyr.
    Reindent(usize, usize),
    Error(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Error(e)
    }
}

fn parse_once(text: &str, limits: &Limits, first_only: bool) -> Result<Vec<Document>, Failure> {
    let mut parser = Parser::new_from_str(text);
    let mut cursor = Cursor::new(text);
    let mut docs = Vec::new();
    let mut doc = Document::default();
    let mut stack: Vec<Open> = Vec::new();
    // anchor id (saphyr's) → node index, per document
    let mut anchors: std::collections::HashMap<usize, usize> = Default::default();
    let mut flow_level = 0usize;
    let mut block_level = 0usize;
    loop {
        let (event, span) = match parser.next_event() {
            None => break,
            Some(Ok(ev)) => ev,
            Some(Err(e)) => {
                if first_only
                    && stack.iter().all(|open| !open.flow)
                    && doc.root.is_some()
                    && e.info() == "invalid content after document end marker"
                {
                    // go-yaml stops at the end of the first document
                    docs.push(std::mem::take(&mut doc));
                    return Ok(docs);
                }
                if e.info() == "invalid indentation in flow construct" {
                    // libyaml ignores indentation inside `[...]`/`{...}`
                    let l = e.marker().line();
                    return Err(Failure::Reindent(l, flow_end_line(cursor.text, l)));
                }
                if e.info() == "invalid indentation in quoted scalar" {
                    if let Some(close_line) = closing_quote_line(&mut cursor, e.marker().index()) {
                        let start = e.marker().line();
                        return Err(Failure::Reindent(start + 1, close_line));
                    }
                }
                if e.info() == "':' must be followed by a valid YAML whitespace" {
                    let idx = e.marker().index();
                    for i in [idx.wrapping_sub(1), idx, idx + 1] {
                        if cursor.char_at(i) == Some('\t')
                            && cursor.char_at(i.wrapping_sub(1)) == Some(':')
                        {
                            return Err(Failure::TabAfterColon(i));
                        }
                    }
                }
                let context = stack.last().map(|open| {
                    let seq = matches!(doc.nodes[open.node].kind, NodeKind::Sequence(_));
                    (open.flow, seq)
                });
                return Err(scan_error(&e, &mut cursor, context).into());
            }
        };
        let line = span.start.line().max(1);
        let new_node = match event {
            Event::StreamStart | Event::Nothing => continue,
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                doc = Document::default();
                anchors.clear();
                continue;
            }
            Event::DocumentEnd => {
                docs.push(std::mem::take(&mut doc));
                if first_only {
                    break;
                }
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(open) = stack.pop() {
                    if open.flow {
                        flow_level -= 1;
                    } else {
                        block_level -= 1;
                    }
                }
                continue;
            }
            Event::Alias(id) => {
                let name = cursor
                    .slice(span)
                    .trim_start_matches('*')
                    .trim()
                    .to_string();
                check_anchor_name(&name, line)?;
                Node {
                    kind: NodeKind::Alias {
                        name,
                        target: anchors.get(&id).copied(),
                    },
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                if style == ScalarStyle::Plain
                    && value.is_empty()
                    && tag.is_none()
                    && anchor == 0
                    && cursor.char_at(span.start.index()) == Some(':')
                {
                    // libyaml has no empty implicit keys
                    match at_mapping_key(&doc, &stack) {
                        Some(false) => {
                            return Err(Error::yaml(
                                ErrorKind::Syntax,
                                parser_line(line),
                                "did not find expected key".into(),
                            )
                            .into())
                        }
                        Some(true) => {
                            return Err(Error::yaml(
                                ErrorKind::Syntax,
                                parser_line(line),
                                "did not find expected node content".into(),
                            )
                            .into())
                        }
                        None => {}
                    }
                }
                if style == ScalarStyle::DoubleQuoted && value.contains('/') {
                    if let Some(bad) = slash_escape_line(cursor.slice(span), line) {
                        return Err(Error::yaml(
                            ErrorKind::Syntax,
                            scanner_line(bad),
                            "found unknown escape character".into(),
                        )
                        .into());
                    }
                }
                let tag = tag.map(|t| format!("{}{}", t.handle, t.suffix));
                let implicit = match tag.as_deref() {
                    None => style == ScalarStyle::Plain,
                    Some(t) => t == "!",
                };
                let idx = doc.nodes.len();
                if anchor > 0 {
                    let start = cursor.byte_of(span.start.index());
                    let props = &cursor.text[start..cursor.text.len().min(start + 1024)];
                    if let Some(name) = anchor_in(props) {
                        check_anchor_name(name, line)?;
                    }
                    anchors.insert(anchor, idx);
                }
                Node {
                    kind: NodeKind::Scalar {
                        value: value.into_owned(),
                        tag: tag.unwrap_or_default(),
                        implicit,
                    },
                }
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                let is_seq = matches!(event, Event::SequenceStart(..));
                let flow =
                    flow_level > 0 || matches!(cursor.char_at(span.start.index()), Some('[' | '{'));
                if flow {
                    flow_level += 1;
                } else {
                    block_level += 1;
                }
                if flow_level > limits.max_depth || block_level > limits.max_depth {
                    return Err(Error::yaml(
                        ErrorKind::Limit,
                        scanner_line(line),
                        format!("exceeded max depth of {}", limits.max_depth),
                    )
                    .into());
                }
                let idx = doc.nodes.len();
                if anchor > 0 {
                    let start = cursor.byte_of(span.start.index());
                    let props = &cursor.text[start..cursor.text.len().min(start + 1024)];
                    if let Some(name) = anchor_in(props) {
                        check_anchor_name(name, line)?;
                    }
                    anchors.insert(anchor, idx);
                }
                let node = Node {
                    kind: if is_seq {
                        NodeKind::Sequence(Vec::new())
                    } else {
                        NodeKind::Mapping(Vec::new())
                    },
                };
                attach(&mut doc, &stack, idx);
                doc.nodes.push(node);
                stack.push(Open { node: idx, flow });
                continue;
            }
        };
        let idx = doc.nodes.len();
        attach(&mut doc, &stack, idx);
        doc.nodes.push(new_node);
    }
    Ok(docs)
}

/// libyaml's anchor and alias names: ASCII letters, digits, `_` and `-`,
/// ended by a blank or one of ``?:,]}%@` ``. Saphyr takes more; a name
/// libyaml would stop short on with anything else is its error.
fn check_anchor_name(name: &str, line: usize) -> Result<(), Error> {
    let is_alpha = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    match name.chars().find(|&c| !is_alpha(c)) {
        Some(c) if !"?:,]}%@`".contains(c) => Err(Error::yaml(
            ErrorKind::Syntax,
            scanner_line(line),
            "did not find expected alphabetic or numeric character".into(),
        )),
        _ => Ok(()),
    }
}

/// The anchor name in a node's properties (`!tag &name` or `&name !tag`).
fn anchor_in(props: &str) -> Option<&str> {
    let mut rest = props;
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix('&') {
            let end = after
                .find(|c: char| c.is_whitespace() || ",[]{}".contains(c))
                .unwrap_or(after.len());
            return Some(&after[..end]);
        }
        if rest.starts_with('!') {
            let end = rest.find(char::is_whitespace)?;
            rest = &rest[end..];
            continue;
        }
        return None;
    }
}

/// When the next node is a key of the innermost mapping: whether that
/// mapping is a flow one.
fn at_mapping_key(doc: &Document, stack: &[Open]) -> Option<bool> {
    let open = stack.last()?;
    matches!(&doc.nodes[open.node].kind, NodeKind::Mapping(c) if c.len() % 2 == 0)
        .then_some(open.flow)
}

/// go-yaml knows no `\/` escape: the line of the first one in a
/// double-quoted scalar's source, if any.
fn slash_escape_line(source: &str, start_line: usize) -> Option<usize> {
    let mut line = start_line;
    let mut chars = source.chars();
    while let Some(c) = chars.next() {
        match c {
            '\n' => line += 1,
            '\\' => match chars.next() {
                Some('/') => return Some(line),
                Some('\n') => line += 1,
                _ => {}
            },
            _ => {}
        }
    }
    None
}

fn attach(doc: &mut Document, stack: &[Open], idx: usize) {
    match stack.last() {
        Some(open) => match &mut doc.nodes[open.node].kind {
            NodeKind::Sequence(children) | NodeKind::Mapping(children) => children.push(idx),
            _ => {}
        },
        None => doc.root = Some(idx),
    }
}

/// go-yaml prints `line N: ` for scanner errors at the problem's 1-based
/// line, except on the first line (its 0-based line is 0 there).
fn scanner_line(line: usize) -> Option<usize> {
    (line > 1).then_some(line)
}

/// The deepest `[`/`{` nesting saphyr-parser can read.
pub const MAX_FLOW_LEVELS: usize = 255;

/// The line libyaml reports for a problem found at the end of the input.
fn eof_line(text: &str) -> Option<usize> {
    let zero_based = text.matches('\n').count();
    (zero_based > 0).then_some(zero_based + 1)
}

/// Parser (not scanner) errors: go-yaml prints the 0-based line.
fn parser_line(line: usize) -> Option<usize> {
    (line > 1).then(|| line - 1)
}

/// Translate saphyr's error into the message and line go-yaml v2 shows.
/// The 1-based line of the quote closing the scalar that opens at char
/// `from`, if it closes at all.
fn closing_quote_line(cursor: &mut Cursor<'_>, from: usize) -> Option<usize> {
    let quote = cursor.char_at(from).filter(|c| matches!(c, '"' | '\''))?;
    let start = cursor.byte_of(from + 1);
    let before = &cursor.text[..start];
    let mut line = before.matches('\n').count() + 1;
    let mut chars = cursor.text[start..].chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => line += 1,
            '\\' if quote == '"' && chars.next() == Some('\n') => line += 1,
            '\'' if quote == '\'' => {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                } else {
                    return Some(line);
                }
            }
            '"' if quote == '"' => return Some(line),
            _ => {}
        }
    }
    None
}

/// The innermost `[` or `{` still open before char `upto` (quoted text
/// skipped), for errors raised before the parser reported the collection.
fn innermost_flow(cursor: &mut Cursor<'_>, upto: usize) -> Option<(bool, bool)> {
    let end = cursor.byte_of(upto);
    let mut scan = BracketScan::default();
    for c in cursor.text[..end].chars() {
        scan.feed(c);
    }
    scan.open.last().map(|&c| (true, c == '['))
}

/// The last line (1-based) of the flow collection open at line `line`
/// (brackets counted outside quotes from the start of the text).
fn flow_end_line(text: &str, line: usize) -> usize {
    let mut scan = BracketScan::default();
    let mut current = 1;
    for c in text.chars() {
        if c == '\n' {
            current += 1;
            if current > line && scan.open.is_empty() {
                return current - 1;
            }
        }
        scan.feed(c);
    }
    current
}

/// Bracket nesting outside quoted text (a quote counts where a scalar may
/// start: after a blank, a line start or an indicator).
struct BracketScan {
    open: Vec<char>,
    quote: Option<char>,
    escaped: bool,
    prev: char,
}

impl Default for BracketScan {
    fn default() -> Self {
        BracketScan {
            open: Vec::new(),
            quote: None,
            escaped: false,
            prev: '\n',
        }
    }
}

impl BracketScan {
    fn feed(&mut self, c: char) {
        let prev = std::mem::replace(&mut self.prev, c);
        match self.quote {
            Some(q) => {
                if self.escaped {
                    self.escaped = false;
                } else if c == '\\' && q == '"' {
                    self.escaped = true;
                } else if c == q {
                    self.quote = None;
                }
            }
            None => match c {
                '"' | '\''
                    if matches!(prev, ' ' | '\t' | '\n' | '[' | '{' | ',' | ':' | '-' | '?') =>
                {
                    self.quote = Some(c)
                }
                '[' | '{' => self.open.push(c),
                ']' | '}' => {
                    self.open.pop();
                }
                _ => {}
            },
        }
    }
}

/// `context` is the innermost open collection: (flow?, sequence?).
fn scan_error(e: &ScanError, cursor: &mut Cursor<'_>, context: Option<(bool, bool)>) -> Error {
    let info = e.info();
    let line = e.marker().line();
    let (msg, shown) = match info {
        // libyaml's parser sees a second scalar where it wanted a separator
        "invalid trailing content after double-quoted scalar" => {
            match context.or_else(|| innermost_flow(cursor, e.marker().index())) {
                Some((true, true)) => (
                    "did not find expected ',' or ']'".to_string(),
                    parser_line(line),
                ),
                Some((true, false)) => (
                    "did not find expected ',' or '}'".to_string(),
                    parser_line(line),
                ),
                Some((false, _)) => ("did not find expected key".to_string(), parser_line(line)),
                None => (info.to_string(), scanner_line(line)),
            }
        }
        "illegal placement of ':' indicator" => {
            match context.or_else(|| innermost_flow(cursor, e.marker().index())) {
                Some((true, true)) => (
                    "did not find expected ',' or ']'".to_string(),
                    parser_line(line),
                ),
                Some((true, false)) => (
                    "did not find expected ',' or '}'".to_string(),
                    parser_line(line),
                ),
                _ => (info.to_string(), scanner_line(line)),
            }
        }
        "invalid indentation" if context.is_some_and(|(flow, _)| flow) => {
            // libyaml ignores indentation inside `[...]`/`{...}` and reads on
            // to the end of the stream
            let zero_based = cursor.text.matches('\n').count();
            let msg = if context == Some((true, true)) {
                "did not find expected ',' or ']'"
            } else {
                "did not find expected ',' or '}'"
            };
            (msg.to_string(), (zero_based > 0).then_some(zero_based))
        }
        "invalid indentation in quoted scalar"
            if closing_quote_line(cursor, e.marker().index()).is_none() =>
        {
            (
                "found unexpected end of stream".to_string(),
                eof_line(cursor.text),
            )
        }
        r#""-" is only valid inside a block"# => (
            "did not find expected node content".to_string(),
            parser_line(line),
        ),
        "duplicate version directive" => (
            "found duplicate %YAML directive".to_string(),
            parser_line(line),
        ),
        "while scanning a plain scalar, found a tab" => (
            "found a tab character that violates indentation".to_string(),
            scanner_line(line + 1),
        ),
        "while parsing a quoted scalar, did not find expected hexadecimal number" => (
            // libyaml's spelling
            "did not find expected hexdecimal number".to_string(),
            scanner_line(line),
        ),
        "mapping values are not allowed in this context" => (info.to_string(), scanner_line(line)),
        "while parsing a block mapping, did not find expected key" => {
            ("did not find expected key".to_string(), parser_line(line))
        }
        "simple key expect ':'" => (
            "could not find expected ':'".to_string(),
            scanner_line(line),
        ),
        "while parsing a flow sequence, expected ',' or ']'" => (
            "did not find expected ',' or ']'".to_string(),
            parser_line(line),
        ),
        "while parsing a flow mapping, did not find expected ',' or '}'" => (
            "did not find expected ',' or '}'".to_string(),
            parser_line(line),
        ),
        "while parsing a block collection, did not find expected '-' indicator" => (
            "did not find expected '-' indicator".to_string(),
            parser_line(line),
        ),
        "while parsing a node, did not find expected node content" => (
            "did not find expected node content".to_string(),
            parser_line(line),
        ),
        "while parsing a quoted scalar, found unknown escape character" => (
            "found unknown escape character".to_string(),
            scanner_line(line),
        ),
        "while scanning a quoted scalar, found unexpected end of stream" => (
            "found unexpected end of stream".to_string(),
            eof_line(cursor.text),
        ),
        "tabs disallowed within this context (block indentation)" => (
            "found character that cannot start any token".to_string(),
            scanner_line(line),
        ),
        "recursion limit exceeded" => {
            // saphyr-parser counts flow levels in a u8; go-yaml allows 10,000
            return Error::yaml(
                ErrorKind::Limit,
                scanner_line(line),
                format!("exceeded max depth of {MAX_FLOW_LEVELS} nested flow collections"),
            );
        }
        "misplaced bracket" => (
            "did not find expected node content".to_string(),
            parser_line(line),
        ),
        "block sequence entries are not allowed in this context" => {
            (info.to_string(), scanner_line(line))
        }
        "mapping keys are not allowed in this context" => (info.to_string(), scanner_line(line)),
        "while parsing node, found unknown anchor" => {
            // go-yaml reports this while decoding, without a line.
            let start = e.marker().index();
            let mut name = String::new();
            let mut i = start + 1;
            while let Some(c) = cursor.char_at(i) {
                if c.is_whitespace() || ",[]{}".contains(c) {
                    break;
                }
                name.push(c);
                i += 1;
            }
            return Error::yaml(
                ErrorKind::Decode,
                None,
                format!("unknown anchor '{name}' referenced"),
            );
        }
        _ if info.starts_with("unexpected character")
            || info == "did not find expected next token" =>
        {
            (
                "found character that cannot start any token".to_string(),
                scanner_line(line),
            )
        }
        // libyaml shows the problem without its "while scanning ..." context
        _ => match info.strip_prefix("while ").and_then(|r| r.split_once(", ")) {
            Some((_, problem)) => (problem.to_string(), scanner_line(line)),
            None => (info.to_string(), scanner_line(line)),
        },
    };
    Error::yaml(ErrorKind::Syntax, shown, msg)
}
