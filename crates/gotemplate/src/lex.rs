//! Go's `text/template/parse` lexer: turns template text into items (text,
//! delimiters, words, literals) with their byte position and line, applying
//! the trim markers (`{{- ` and ` -}}`) and dropping comments as Go does.
//!
//! It only emits items; it knows nothing of nodes or values. Errors are
//! items too (the lexer stops after one), with Go's texts.

use std::borrow::Cow;

/// The kind of a lexed item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemType {
    /// A lexing error; `val` is the message.
    Error,
    /// `true` or `false`.
    Bool,
    /// A printable ASCII character not otherwise meaningful (`,` for example).
    Char,
    /// A character constant such as `'a'`.
    CharConstant,
    /// A complex constant (`1+2i`).
    Complex,
    /// `=`.
    Assign,
    /// `:=`.
    Declare,
    /// End of input.
    Eof,
    /// `.name`.
    Field,
    /// A function name or other bare word.
    Identifier,
    /// `{{` (the trim marker, if any, is consumed).
    LeftDelim,
    /// `(`.
    LeftParen,
    /// A number.
    Number,
    /// `|`.
    Pipe,
    /// A raw (back-quoted) string, quotes included.
    RawString,
    /// `}}`.
    RightDelim,
    /// `)`.
    RightParen,
    /// Spaces inside an action.
    Space,
    /// A quoted string, quotes included.
    String,
    /// Plain text outside actions.
    Text,
    /// `$` or `$name`.
    Variable,
    /// `block`.
    Block,
    /// `break`.
    Break,
    /// `continue`.
    Continue,
    /// `.` alone.
    Dot,
    /// `define`.
    Define,
    /// `else`.
    Else,
    /// `end`.
    End,
    /// `if`.
    If,
    /// `nil`.
    Nil,
    /// `range`.
    Range,
    /// `template`.
    Template,
    /// `with`.
    With,
}

impl ItemType {
    /// Whether this is a keyword (printed as `<word>` in errors).
    pub fn is_keyword(self) -> bool {
        matches!(
            self,
            ItemType::Block
                | ItemType::Break
                | ItemType::Continue
                | ItemType::Dot
                | ItemType::Define
                | ItemType::Else
                | ItemType::End
                | ItemType::If
                | ItemType::Nil
                | ItemType::Range
                | ItemType::Template
                | ItemType::With
        )
    }
}

/// One lexed item. Its text borrows from the input (only error messages
/// are owned), so items are cheap to copy around the parser's lookahead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item<'a> {
    /// Its kind.
    pub typ: ItemType,
    /// Byte offset in the input.
    pub pos: usize,
    /// The text (for errors, the message).
    pub val: Cow<'a, str>,
    /// The line (1-based) where the item starts.
    pub line: usize,
}

impl std::fmt::Display for Item<'_> {
    /// Go's `item.String()`, as parse errors print items.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.typ {
            ItemType::Eof => f.write_str("EOF"),
            ItemType::Error => f.write_str(&self.val),
            t if t.is_keyword() => write!(f, "<{}>", self.val),
            _ if self.val.chars().count() > 10 => {
                let head: String = self.val.chars().take(10).collect();
                write!(f, "{}...", crate::fmt::quote(&head))
            }
            _ => f.write_str(&crate::fmt::quote(&self.val)),
        }
    }
}

/// Lexer options that depend on the function map (as in Go: `break` and
/// `continue` are keywords unless a function has that name).
#[derive(Debug, Clone, Copy)]
pub struct LexOptions {
    /// `break` is a keyword.
    pub break_ok: bool,
    /// `continue` is a keyword.
    pub continue_ok: bool,
}

const LEFT: &str = "{{";
const RIGHT: &str = "}}";
const LEFT_COMMENT: &str = "/*";
const RIGHT_COMMENT: &str = "*/";

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alnum(c: char) -> bool {
    if c.is_ascii() {
        return c == '_' || c.is_ascii_alphanumeric();
    }
    c.is_alphabetic() || c.is_numeric()
}

fn has_left_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(b[1] as char)
}

fn has_right_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && is_space(b[0] as char) && b[1] == b'-'
}

fn right_trim_len(s: &str) -> usize {
    s.len() - s.trim_end_matches(is_space).len()
}

fn left_trim_len(s: &str) -> usize {
    s.len() - s.trim_start_matches(is_space).len()
}

struct Lexer<'a> {
    input: &'a str,
    pos: usize,
    start: usize,
    items: Vec<Item<'a>>,
    paren_depth: i32,
    opts: LexOptions,
    /// Newlines counted up to `line_at`.
    line_at: usize,
    line: usize,
}

enum State {
    Text,
    LeftDelim,
    Comment,
    RightDelim,
    InsideAction,
    Done,
}

/// Lex the whole input into items, ending with an `Eof` or `Error` item.
pub fn lex(input: &str, opts: LexOptions) -> Vec<Item<'_>> {
    let mut l = Lexer {
        input,
        pos: 0,
        start: 0,
        // About one item per 8 bytes of a typical chart template.
        items: Vec::with_capacity(input.len() / 8 + 4),
        paren_depth: 0,
        opts,
        line_at: 0,
        line: 1,
    };
    let mut state = State::Text;
    loop {
        state = match state {
            State::Text => l.lex_text(),
            State::LeftDelim => l.lex_left_delim(),
            State::Comment => l.lex_comment(),
            State::RightDelim => l.lex_right_delim(),
            State::InsideAction => l.lex_inside_action(),
            State::Done => break,
        };
    }
    l.items
}

impl<'a> Lexer<'a> {
    fn line_of(&mut self, pos: usize) -> usize {
        let newlines = |s: &str| s.bytes().filter(|&b| b == b'\n').count();
        if pos >= self.line_at {
            self.line += newlines(&self.input[self.line_at..pos]);
        } else {
            self.line -= newlines(&self.input[pos..self.line_at]);
        }
        self.line_at = pos;
        self.line
    }

    fn emit(&mut self, typ: ItemType) -> State {
        let line = self.line_of(self.start);
        self.items.push(Item {
            typ,
            pos: self.start,
            val: Cow::Borrowed(&self.input[self.start..self.pos]),
            line,
        });
        self.start = self.pos;
        if typ == ItemType::Eof {
            State::Done
        } else {
            State::InsideAction
        }
    }

    fn errorf(&mut self, msg: String) -> State {
        let line = self.line_of(self.start);
        self.items.push(Item {
            typ: ItemType::Error,
            pos: self.start,
            val: Cow::Owned(msg),
            line,
        });
        State::Done
    }

    fn peek(&self) -> Option<char> {
        self.input[self.pos..].chars().next()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn backup(&mut self, c: Option<char>) {
        if let Some(c) = c {
            self.pos -= c.len_utf8();
        }
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.peek() {
            Some(c) if valid.contains(c) => {
                self.pos += c.len_utf8();
                true
            }
            _ => false,
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    fn rest(&self) -> &str {
        &self.input[self.pos..]
    }

    fn lex_text(&mut self) -> State {
        if let Some(x) = self.rest().find(LEFT) {
            if x > 0 {
                self.pos += x;
                let delim_end = self.pos + LEFT.len();
                let trim = if has_left_trim(&self.input[delim_end..]) {
                    right_trim_len(&self.input[self.start..self.pos])
                } else {
                    0
                };
                let end = self.pos - trim;
                if end > self.start {
                    let line = self.line_of(self.start);
                    self.items.push(Item {
                        typ: ItemType::Text,
                        pos: self.start,
                        val: Cow::Borrowed(&self.input[self.start..end]),
                        line,
                    });
                }
                self.start = self.pos;
            }
            return State::LeftDelim;
        }
        self.pos = self.input.len();
        if self.pos > self.start {
            self.emit(ItemType::Text);
        }
        self.emit(ItemType::Eof)
    }

    fn lex_left_delim(&mut self) -> State {
        self.pos += LEFT.len();
        let trim = has_left_trim(self.rest());
        let after = if trim { 2 } else { 0 };
        if self.input[self.pos + after..].starts_with(LEFT_COMMENT) {
            self.pos += after;
            self.start = self.pos;
            return State::Comment;
        }
        self.emit(ItemType::LeftDelim);
        self.pos += after;
        self.start = self.pos;
        self.paren_depth = 0;
        State::InsideAction
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let rest = self.rest();
        if has_right_trim(rest) && rest[2..].starts_with(RIGHT) {
            return (true, true);
        }
        (rest.starts_with(RIGHT), false)
    }

    fn lex_comment(&mut self) -> State {
        self.pos += LEFT_COMMENT.len();
        let Some(x) = self.rest().find(RIGHT_COMMENT) else {
            return self.errorf("unclosed comment".into());
        };
        self.pos += x + RIGHT_COMMENT.len();
        let (delim, trim) = self.at_right_delim();
        if !delim {
            return self.errorf("comment ends before closing delimiter".into());
        }
        if trim {
            self.pos += 2;
        }
        self.pos += RIGHT.len();
        if trim {
            self.pos += left_trim_len(self.rest());
        }
        self.start = self.pos;
        State::Text
    }

    fn lex_right_delim(&mut self) -> State {
        let (_, trim) = self.at_right_delim();
        if trim {
            self.pos += 2;
            self.start = self.pos;
        }
        self.pos += RIGHT.len();
        self.emit(ItemType::RightDelim);
        if trim {
            self.pos += left_trim_len(self.rest());
            self.start = self.pos;
        }
        State::Text
    }

    fn lex_inside_action(&mut self) -> State {
        let (delim, _) = self.at_right_delim();
        if delim {
            if self.paren_depth == 0 {
                return State::RightDelim;
            }
            return self.errorf("unclosed left paren".into());
        }
        let r = self.next();
        match r {
            None => self.errorf("unclosed action".into()),
            Some(c) if is_space(c) => {
                self.backup(r);
                self.lex_space()
            }
            Some('=') => self.emit(ItemType::Assign),
            Some(':') => {
                if self.next() != Some('=') {
                    return self.errorf("expected :=".into());
                }
                self.emit(ItemType::Declare)
            }
            Some('|') => self.emit(ItemType::Pipe),
            Some('"') => self.lex_quote(),
            Some('`') => self.lex_raw_quote(),
            Some('$') => self.lex_variable(),
            Some('\'') => self.lex_char(),
            Some('.') => {
                match self.peek() {
                    Some(d) if d.is_ascii_digit() => {}
                    _ => return self.lex_field_or_variable(ItemType::Field),
                }
                self.backup(r);
                self.lex_number()
            }
            Some(c) if c == '+' || c == '-' || c.is_ascii_digit() => {
                self.backup(r);
                self.lex_number()
            }
            Some(c) if is_alnum(c) => {
                self.backup(r);
                self.lex_identifier()
            }
            Some('(') => {
                self.paren_depth += 1;
                self.emit(ItemType::LeftParen)
            }
            Some(')') => {
                self.paren_depth -= 1;
                if self.paren_depth < 0 {
                    return self.errorf("unexpected right paren".into());
                }
                self.emit(ItemType::RightParen)
            }
            Some(c) if c.is_ascii() && !c.is_ascii_control() => self.emit(ItemType::Char),
            Some(c) => self.errorf(format!(
                "unrecognized character in action: {}",
                crate::fmt::format_unicode(c as u32, true)
            )),
        }
    }

    fn lex_space(&mut self) -> State {
        let mut n = 0;
        while let Some(c) = self.peek() {
            if !is_space(c) {
                break;
            }
            self.pos += c.len_utf8();
            n += 1;
        }
        let before = &self.input[self.pos - 1..];
        if has_right_trim(before) && before[2..].starts_with(RIGHT) {
            self.pos -= 1;
            if n == 1 {
                return State::RightDelim;
            }
        }
        self.emit(ItemType::Space)
    }

    fn lex_quote(&mut self) -> State {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some(c) if c != '\n' => {}
                    _ => return self.errorf("unterminated quoted string".into()),
                },
                None | Some('\n') => return self.errorf("unterminated quoted string".into()),
                Some('"') => break,
                _ => {}
            }
        }
        self.emit(ItemType::String)
    }

    fn lex_raw_quote(&mut self) -> State {
        loop {
            match self.next() {
                None => return self.errorf("unterminated raw quoted string".into()),
                Some('`') => break,
                _ => {}
            }
        }
        self.emit(ItemType::RawString)
    }

    fn lex_char(&mut self) -> State {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some(c) if c != '\n' => {}
                    _ => return self.errorf("unterminated character constant".into()),
                },
                None | Some('\n') => return self.errorf("unterminated character constant".into()),
                Some('\'') => break,
                _ => {}
            }
        }
        self.emit(ItemType::CharConstant)
    }

    fn at_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) if is_space(c) => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            _ => self.rest().starts_with(RIGHT),
        }
    }

    fn lex_variable(&mut self) -> State {
        if self.at_terminator() {
            return self.emit(ItemType::Variable);
        }
        self.lex_field_or_variable(ItemType::Variable)
    }

    fn lex_field_or_variable(&mut self, typ: ItemType) -> State {
        if self.at_terminator() {
            return self.emit(if typ == ItemType::Variable {
                ItemType::Variable
            } else {
                ItemType::Dot
            });
        }
        let mut r;
        loop {
            r = self.next();
            match r {
                Some(c) if is_alnum(c) => {}
                _ => {
                    self.backup(r);
                    break;
                }
            }
        }
        if !self.at_terminator() {
            return self.bad_character(r);
        }
        self.emit(typ)
    }

    fn bad_character(&mut self, r: Option<char>) -> State {
        let code = r.map(|c| c as u32).unwrap_or(0xFFFD);
        let text = match r {
            Some(c) => crate::fmt::format_unicode(c as u32, true),
            None => format!("U+{code:04X}"),
        };
        self.errorf(format!("bad character {text}"))
    }

    fn lex_identifier(&mut self) -> State {
        loop {
            let r = self.next();
            match r {
                Some(c) if is_alnum(c) => {}
                _ => {
                    self.backup(r);
                    let word = &self.input[self.start..self.pos];
                    if !self.at_terminator() {
                        return self.bad_character(r);
                    }
                    let typ = match word {
                        "block" => ItemType::Block,
                        "break" if self.opts.break_ok => ItemType::Break,
                        "continue" if self.opts.continue_ok => ItemType::Continue,
                        "define" => ItemType::Define,
                        "else" => ItemType::Else,
                        "end" => ItemType::End,
                        "if" => ItemType::If,
                        "range" => ItemType::Range,
                        "nil" => ItemType::Nil,
                        "template" => ItemType::Template,
                        "with" => ItemType::With,
                        "true" | "false" => ItemType::Bool,
                        _ => ItemType::Identifier,
                    };
                    return self.emit(typ);
                }
            }
        }
    }

    fn lex_number(&mut self) -> State {
        if !self.scan_number() {
            let text = self.input[self.start..self.pos].to_string();
            return self.errorf(format!("bad number syntax: {}", crate::fmt::quote(&text)));
        }
        if matches!(self.peek(), Some('+' | '-')) {
            if !self.scan_number() || !self.input[..self.pos].ends_with('i') {
                let text = self.input[self.start..self.pos].to_string();
                return self.errorf(format!("bad number syntax: {}", crate::fmt::quote(&text)));
            }
            return self.emit(ItemType::Complex);
        }
        self.emit(ItemType::Number)
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if let Some(c) = self.peek() {
            if is_alnum(c) {
                self.next();
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTS: LexOptions = LexOptions {
        break_ok: true,
        continue_ok: true,
    };

    fn kinds(input: &str) -> Vec<(ItemType, String)> {
        lex(input, OPTS)
            .into_iter()
            .map(|i| (i.typ, i.val.into_owned()))
            .collect()
    }

    #[test]
    fn trims_and_comments() {
        use ItemType::*;
        assert_eq!(
            kinds("a \n{{- .x -}}\n b{{/* c */}}d{{- /* e */ -}}  f"),
            vec![
                (Text, "a".into()),
                (LeftDelim, "{{".into()),
                (Field, ".x".into()),
                (RightDelim, "}}".into()),
                (Text, "b".into()),
                (Text, "d".into()),
                (Text, "f".into()),
                (Eof, "".into()),
            ]
        );
    }

    #[test]
    fn words_and_literals() {
        use ItemType::*;
        let got: Vec<ItemType> = lex("{{$x := .a.b | f 0x1F 'c' `r` \"s\" (nil) true}}", OPTS)
            .into_iter()
            .map(|i| i.typ)
            .filter(|t| *t != Space)
            .collect();
        assert_eq!(
            got,
            vec![
                LeftDelim,
                Variable,
                Declare,
                Field,
                Field,
                Pipe,
                Identifier,
                Number,
                CharConstant,
                RawString,
                String,
                LeftParen,
                Nil,
                RightParen,
                Bool,
                RightDelim,
                Eof
            ]
        );
    }

    #[test]
    fn errors_and_lines() {
        let items = lex("a\n{{ .x\n", OPTS);
        let last = items.last().unwrap();
        assert_eq!(last.typ, ItemType::Error);
        assert_eq!(last.val, "unclosed action");
        assert_eq!(items[1].line, 2);
        let items = lex("{{ 3x }}", OPTS);
        assert_eq!(items.last().unwrap().val, "bad number syntax: \"3x\"");
        let items = lex("{{ \"abc }}", OPTS);
        assert_eq!(items.last().unwrap().val, "unterminated quoted string");
    }
}
