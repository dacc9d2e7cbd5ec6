//! Where libyaml (go-yaml v2's parser) and saphyr-parser part ways: the
//! input checks libyaml makes and saphyr does not (raw control characters,
//! directives, anchor names, `\\/`), the YAML 1.1 line breaks, and the
//! translation of saphyr's errors into libyaml's texts and line numbers.
//!
//! Pure functions over the source text; [`super::tree`] decides when to
//! call them and owns the parse itself.

use saphyr_parser::ScanError;

use super::tree::Cursor;
use super::{Error, ErrorKind};

/// libyaml knows only `%YAML` and `%TAG` (saphyr skips other directives):
/// the 1-based line of an unknown one before the first document.
/// And `%YAML` must say 1.1 (go-yaml: "found incompatible YAML document").
pub(super) fn bad_directive(text: &str) -> Option<(Option<usize>, &'static str)> {
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
pub(super) fn yaml11_breaks(text: &str) -> Option<String> {
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
pub(crate) fn allowed_char(c: char) -> bool {
    matches!(c as u32,
        0x09 | 0x0A | 0x0D | 0x20..=0x7E | 0x85 | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

/// libyaml's anchor and alias names: ASCII letters, digits, `_` and `-`,
/// ended by a blank or one of ``?:,]}%@` ``. Saphyr takes more; a name
/// libyaml would stop short on with anything else is its error.
pub(super) fn check_anchor_name(name: &str, line: usize) -> Result<(), Error> {
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
pub(super) fn anchor_in(props: &str) -> Option<&str> {
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

/// go-yaml knows no `\/` escape: the line of the first one in a
/// double-quoted scalar's source, if any.
pub(super) fn slash_escape_line(source: &str, start_line: usize) -> Option<usize> {
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

/// go-yaml prints `line N: ` for scanner errors at the problem's 1-based
/// line, except on the first line (its 0-based line is 0 there).
pub(super) fn scanner_line(line: usize) -> Option<usize> {
    (line > 1).then_some(line)
}

/// The deepest `[`/`{` nesting saphyr-parser can read.
pub const MAX_FLOW_LEVELS: usize = 255;

/// The line libyaml reports for a problem found at the end of the input.
pub(super) fn eof_line(text: &str) -> Option<usize> {
    let zero_based = text.matches('\n').count();
    (zero_based > 0).then_some(zero_based + 1)
}

/// Parser (not scanner) errors: go-yaml prints the 0-based line.
pub(super) fn parser_line(line: usize) -> Option<usize> {
    (line > 1).then(|| line - 1)
}

/// The 1-based line of the quote closing the scalar that opens at char
/// `from`, if it closes at all.
pub(super) fn closing_quote_line(cursor: &mut Cursor<'_>, from: usize) -> Option<usize> {
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
pub(super) fn innermost_flow(cursor: &mut Cursor<'_>, upto: usize) -> Option<(bool, bool)> {
    let end = cursor.byte_of(upto);
    let mut scan = BracketScan::default();
    for c in cursor.text[..end].chars() {
        scan.feed(c);
    }
    scan.open.last().map(|&c| (true, c == '['))
}

/// The last line (1-based) of the flow collection open at line `line`
/// (brackets counted outside quotes from the start of the text).
pub(super) fn flow_end_line(text: &str, line: usize) -> usize {
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

/// Translate saphyr's error into the message and line go-yaml v2 shows;
/// `context` is the innermost open collection: (flow?, sequence?).
pub(super) fn scan_error(
    e: &ScanError,
    cursor: &mut Cursor<'_>,
    context: Option<(bool, bool)>,
) -> Error {
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
        "while parsing a flow mapping, did not find expected ',' or '}'" => {
            // a `key: value` pair inside `[...]` fails as the sequence
            let msg = if context == Some((true, true)) {
                "did not find expected ',' or ']'"
            } else {
                "did not find expected ',' or '}'"
            };
            (msg.to_string(), parser_line(line))
        }
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

/// An escape in a double-quoted scalar that needs attention.
pub(super) enum Escape {
    /// `\'` at this char index: go-yaml reads it as `'`, saphyr refuses it.
    SingleQuote(usize),
    /// An escape go-yaml refuses too, on this 1-based line.
    Unknown(usize),
}

/// The first `\'` or unknown escape of the double-quoted scalar opening at
/// char `from`.
pub(super) fn first_odd_escape(cursor: &mut Cursor<'_>, from: usize) -> Option<Escape> {
    if cursor.char_at(from) != Some('"') {
        return None;
    }
    let start = cursor.byte_of(from + 1);
    let mut line = cursor.text[..start].matches('\n').count() + 1;
    let mut idx = from + 1;
    let mut chars = cursor.text[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return None,
            '\n' => line += 1,
            '\\' => {
                let e = chars.next()?;
                match e {
                    '\'' => return Some(Escape::SingleQuote(idx)),
                    '0' | 'a' | 'b' | 't' | '\t' | 'n' | 'v' | 'f' | 'r' | 'e' | ' ' | '"'
                    | '\\' | 'N' | '_' | 'L' | 'P' | 'x' | 'u' | 'U' => {}
                    '\n' => line += 1,
                    _ => return Some(Escape::Unknown(line)),
                }
                idx += 1;
            }
            _ => {}
        }
        idx += 1;
    }
    None
}

/// libyaml reads a tab after `:` as the blank that makes it a value
/// indicator; saphyr does not. Turn such tabs into spaces outside quoted
/// scalars and block scalar bodies (where the tab is text), in one pass;
/// the number of characters stays the same. Quotes and block scalars are
/// recognised approximately, as [`BracketScan`] does; what this misses,
/// [`super::tree::parse`] still repairs one place at a time.
pub(super) fn tab_separators(text: &str) -> Option<String> {
    if !text.contains(":\t") {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut quote: Option<char> = None;
    let mut escaped = false;
    // indentation of the line that opened a block scalar still running
    let mut block: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let blank = line.trim().is_empty();
        if let Some(opener) = block {
            if blank || indent > opener {
                out.push_str(line);
                continue;
            }
            block = None;
        }
        let mut prev = '\n';
        let mut in_comment = false;
        for c in line.chars() {
            match quote {
                Some(q) => {
                    if escaped {
                        escaped = false;
                    } else if q == '"' && c == '\\' {
                        escaped = true;
                    } else if c == q {
                        quote = None;
                    }
                    out.push(c);
                }
                None => {
                    if in_comment {
                        out.push(c);
                    } else if c == '#' && matches!(prev, ' ' | '\t' | '\n') {
                        in_comment = true;
                        out.push(c);
                    } else if (c == '"' || c == '\'')
                        && matches!(prev, ' ' | '\t' | '\n' | '[' | '{' | ',' | ':' | '-' | '?')
                    {
                        quote = Some(c);
                        out.push(c);
                    } else if c == '\t' && prev == ':' {
                        out.push(' ');
                    } else {
                        out.push(c);
                    }
                }
            }
            prev = c;
        }
        if quote.is_none() && opens_block_scalar(line) {
            block = Some(indent);
        }
    }
    Some(out)
}

/// Whether a line ends with a block scalar header (`|`, `>-`, `|2+`...),
/// optionally followed by a comment.
fn opens_block_scalar(line: &str) -> bool {
    let content = match line.find(" #") {
        Some(i) => &line[..i],
        None => line,
    };
    let t = content.trim_end();
    let head = t.trim_end_matches(|c: char| c == '+' || c == '-' || c.is_ascii_digit());
    (head.ends_with('|') || head.ends_with('>'))
        && matches!(
            head[..head.len() - 1].chars().last(),
            None | Some(' ' | '\t' | ':' | '-')
        )
}

/// Indent, in one pass, every line that continues a quoted scalar or a flow
/// collection at no more indentation than the line that opened it, when the
/// scalar or collection closes later (libyaml reads such lines, saphyr
/// refuses them; their leading blanks are folded away or insignificant).
/// Lines of constructs that never close are left alone, so the errors stay
/// libyaml's.
pub(super) fn reindent_continuations(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // lines of the open construct, held until it closes
    let mut held: Vec<&str> = Vec::new();
    let mut opener_indent = 0usize;
    let mut scan = BracketScan::default();
    let mut block: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let open_before = scan.quote.is_some() || !scan.open.is_empty();
        if !open_before {
            if let Some(opener) = block {
                if line.trim().is_empty() || indent > opener {
                    out.push_str(line);
                    continue;
                }
                block = None;
            }
        }
        if !open_before {
            opener_indent = indent;
        }
        let mut comment = false;
        for c in line.chars() {
            if scan.quote.is_none()
                && scan.open.is_empty()
                && c == '#'
                && matches!(scan.prev, ' ' | '\t' | '\n')
            {
                comment = true;
            }
            if comment {
                if c == '\n' {
                    scan.prev = '\n';
                }
                continue;
            }
            scan.feed(c);
        }
        let open_after = scan.quote.is_some() || !scan.open.is_empty();
        if open_before || open_after {
            held.push(line);
        } else {
            out.push_str(line);
            if opens_block_scalar(line) {
                block = Some(indent);
            }
        }
        if open_before && !open_after {
            // the construct closed on this line: pad its shallow lines
            let pad = " ".repeat(opener_indent + 1);
            for (i, l) in held.drain(..).enumerate() {
                let ind = l.len() - l.trim_start_matches(' ').len();
                if i > 0 && ind <= opener_indent && !l.trim().is_empty() {
                    out.push_str(&pad);
                }
                out.push_str(l);
            }
        }
    }
    for l in held {
        out.push_str(l);
    }
    out
}

/// libyaml refuses a tab right after a block `-` or `?` indicator (only
/// spaces may follow there); saphyr takes it. The 1-based line of the first
/// such tab outside quoted scalars and block scalar bodies.
pub(super) fn tab_after_indicator(text: &str) -> Option<usize> {
    if !text.contains('\t') {
        return None;
    }
    let mut scan = BracketScan::default();
    let mut block: Option<usize> = None;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let free = scan.quote.is_none() && scan.open.is_empty();
        if free {
            if let Some(opener) = block {
                if line.trim().is_empty() || indent > opener {
                    continue;
                }
                block = None;
            }
            // `- - ? x`: indicators, each followed by blanks
            let mut rest = line.trim_start_matches(' ');
            while let Some(after) = rest.strip_prefix(['-', '?']) {
                if !after.starts_with([' ', '\t']) {
                    break;
                }
                let after = after.trim_start_matches(' ');
                if after.starts_with('\t') {
                    return Some(n + 1);
                }
                rest = after;
            }
        }
        for c in line.chars() {
            scan.feed(c);
        }
        if scan.quote.is_none() && scan.open.is_empty() && opens_block_scalar(line) {
            block = Some(indent);
        }
    }
    None
}
