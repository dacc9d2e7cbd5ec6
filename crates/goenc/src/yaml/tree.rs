//! YAML text → a node tree per document, as go-yaml v2's parser builds it:
//! scalars with their tag and "implicit" flag, mappings as key/value child
//! lists, aliases pointing at the anchored node (anchors may be redefined;
//! an alias sees the latest definition). Events come from `saphyr-parser`;
//! its error texts are translated to libyaml's where they correspond.
//!
//! Enforces the nesting limit while reading events (so a deeply nested file
//! fails after reading only as far as the limit) and repairs, by re-parsing,
//! the few inputs libyaml reads and saphyr refuses ([`super::compat`] has the
//! checks); typing scalars and expanding aliases is [`super::decode`]'s job.

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use super::compat::allowed_char;
use super::compat::{
    self, anchor_in, bad_directive, check_anchor_name, closing_quote_line, flow_end_line,
    parser_line, scan_error, scanner_line, slash_escape_line, yaml11_breaks,
};

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
pub(super) struct Cursor<'a> {
    pub(super) text: &'a str,
    chars: usize,
    bytes: usize,
    /// An ASCII text's char indexes are its byte offsets (most manifests).
    ascii: bool,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Self {
        Cursor {
            text,
            chars: 0,
            bytes: 0,
            ascii: text.is_ascii(),
        }
    }

    pub(super) fn byte_of(&mut self, char_idx: usize) -> usize {
        if self.ascii {
            return char_idx.min(self.text.len());
        }
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

    pub(super) fn char_at(&mut self, char_idx: usize) -> Option<char> {
        let b = self.byte_of(char_idx);
        self.text[b..].chars().next()
    }

    pub(super) fn slice(&mut self, span: Span) -> &'a str {
        let start = self.byte_of(span.start.index());
        let end = self.byte_of(span.end.index()).max(start);
        &self.text[start..end]
    }
}

struct Open {
    node: usize,
    flow: bool,
    /// A `key: value` pair inside `[...]` (a mapping without braces).
    pair: bool,
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
    if let Some(line) = compat::tab_after_indicator(text) {
        return Err(Error::yaml(
            ErrorKind::Syntax,
            scanner_line(line),
            "found character that cannot start any token".into(),
        ));
    }
    let mut owned: Option<String> = yaml11_breaks(text);
    if let Some(fixed) = compat::tab_separators(owned.as_deref().unwrap_or(text)) {
        owned = Some(fixed);
    }
    // each repair re-parses the whole text: bound the total work
    let retries = (REPAIR_BUDGET_BYTES / text.len().max(1)).clamp(1, MAX_REPAIRS);
    let mut batch_reindented = false;
    let mut dashes = false;
    for _ in 0..retries {
        let current = owned.as_deref().unwrap_or(text);
        match parse_once(current, limits, first_only, dashes) {
            Err(Failure::LoneDash(char_idx, _)) if !text.contains(DASH) => {
                // go-yaml reads a lone `-` in a flow collection as the string
                // "-"; saphyr refuses it. Stand a private-use character in for
                // it and turn that scalar back into "-".
                dashes = true;
                let fixed: String = current
                    .chars()
                    .enumerate()
                    .map(|(i, c)| if i == char_idx { DASH } else { c })
                    .collect();
                owned = Some(fixed);
            }
            Err(Failure::DropChar(char_idx)) => {
                // go-yaml knows the `\'` escape, saphyr does not: drop the
                // backslash (lines stay the same)
                let fixed: String = current
                    .chars()
                    .enumerate()
                    .filter(|&(i, _)| i != char_idx)
                    .map(|(_, c)| c)
                    .collect();
                owned = Some(fixed);
            }
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
            Err(Failure::Reindent(..)) if !batch_reindented => {
                // first time: repair every such place at once
                batch_reindented = true;
                owned = Some(compat::reindent_continuations(current));
            }
            Err(Failure::Reindent(first, last)) => {
                // libyaml does not check the indentation of a quoted
                // scalar's continuation lines or of flow collections; saphyr
                // does. Leading blanks there are folded away or insignificant,
                // so indenting the lines changes nothing but positions after.
                // deeper than any line before: deeper than the enclosing block
                let depth = 1 + current
                    .split('\n')
                    .take(first.saturating_sub(1))
                    .map(|l| l.len() - l.trim_start_matches(' ').len())
                    .max()
                    .unwrap_or(0);
                let pad = " ".repeat(depth);
                let mut fixed =
                    String::with_capacity(current.len() + pad.len() * (last + 1 - first));
                for (i, l) in current.split_inclusive('\n').enumerate() {
                    if (first..=last).contains(&(i + 1)) {
                        fixed.push_str(&pad);
                    }
                    fixed.push_str(l);
                }
                owned = Some(fixed);
            }
            Err(Failure::Error(e) | Failure::LoneDash(_, e)) => return Err(e),
            Ok(docs) => return Ok(docs),
        }
    }
    Err(Error::yaml(
        ErrorKind::Limit,
        None,
        format!(
            "more than {retries} places to repair (tabs after ':', unindented quoted or flow lines, \\' escapes)"
        ),
    ))
}

/// How many places [`parse`] repairs (re-parsing each time) at most.
const MAX_REPAIRS: usize = 1024;

/// Bytes [`parse`] may re-parse in all while repairing: a 64 MiB document
/// gets four repairs, a 256 KiB one [`MAX_REPAIRS`].
const REPAIR_BUDGET_BYTES: usize = 256 << 20;

enum Failure {
    TabAfterColon(usize),
    /// A lone `-` in a flow collection, at this char index (and the error
    /// to report when it cannot be repaired).
    LoneDash(usize, Error),
    /// A character to remove (the backslash of a `\'` escape).
    DropChar(usize),
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

/// What stands in for a lone `-` in flow collections while saphyr parses.
const DASH: char = '\u{E000}';

fn parse_once(
    text: &str,
    limits: &Limits,
    first_only: bool,
    dashes: bool,
) -> Result<Vec<Document>, Failure> {
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
                if e.info() == "while parsing a quoted scalar, found unknown escape character" {
                    match compat::first_odd_escape(&mut cursor, e.marker().index()) {
                        Some(compat::Escape::SingleQuote(at)) => return Err(Failure::DropChar(at)),
                        Some(compat::Escape::Unknown(escape_line)) => {
                            return Err(Error::yaml(
                                ErrorKind::Syntax,
                                scanner_line(escape_line),
                                "found unknown escape character".into(),
                            )
                            .into())
                        }
                        None => {}
                    }
                }
                if e.info() == "plain scalar cannot start with '-' followed by ,[]{}"
                    && cursor.char_at(e.marker().index()) == Some('-')
                {
                    let context = None;
                    let error = scan_error(&e, &mut cursor, context);
                    return Err(Failure::LoneDash(e.marker().index(), error));
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
                // libyaml reports a flow pair's errors as the sequence's
                let context = stack.iter().rev().find(|open| !open.pair).map(|open| {
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
                let value = if dashes && style == ScalarStyle::Plain && value == "\u{E000}" {
                    "-".to_string()
                } else {
                    value.into_owned()
                };
                Node {
                    kind: NodeKind::Scalar {
                        value,
                        tag: tag.unwrap_or_default(),
                        implicit,
                    },
                }
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                let is_seq = matches!(event, Event::SequenceStart(..));
                let opener = cursor.char_at(span.start.index());
                let flow = flow_level > 0 || matches!(opener, Some('[' | '{'));
                let pair = flow && !is_seq && opener != Some('{');
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
                stack.push(Open {
                    node: idx,
                    flow,
                    pair,
                });
                continue;
            }
        };
        let idx = doc.nodes.len();
        attach(&mut doc, &stack, idx);
        doc.nodes.push(new_node);
    }
    Ok(docs)
}

/// When the next node is a key of the innermost mapping: whether that
/// mapping is a flow one.
fn at_mapping_key(doc: &Document, stack: &[Open]) -> Option<bool> {
    let open = stack.last()?;
    matches!(&doc.nodes[open.node].kind, NodeKind::Mapping(c) if c.len() % 2 == 0)
        .then_some(open.flow)
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
