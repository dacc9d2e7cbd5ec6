//! Helm's strvals syntax (`--set`, `--set-string`, `--set-file`, `--set-json`,
//! `--set-literal`) parsed *into* an accumulated values map, as Helm's
//! `ParseInto` family does: `a.b=1,c[0].d=x`, escapes (`a\.b`, `\,`, `\=`),
//! lists in braces (`a={x,y}`), and Helm's typing (int64 for integers from
//! `--set`, float64 for numbers from `--set-json`). Also the dotted paths of a
//! release's `set:` entries. Reads no files itself (`--set-file` goes through
//! the caller's reader) and never puts expression text into an error: errors
//! carry a character position, as the text may be a secret split at a comma.

use serde_json::{Map, Value};

/// Largest list index a path may use (Helm's `strvals.MaxIndex`).
pub const MAX_INDEX: i64 = 65_536;

/// Most `key.` nesting levels a path may have (Helm's `MaxNestedNameLevel`).
/// As in Helm, a `.` right after a list index does not count.
pub const MAX_NAME_LEVEL: usize = 30;

/// Most nested maps and lists one path may create, keys and indexes together.
/// Helm has no such limit for indexes (`a[0][0]…`); berth stops at this depth
/// so that a pathological path fails with an error instead of a stack overflow.
pub const MAX_DEPTH: usize = 128;

/// Which flag an expression comes from; decides how values are typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetKind {
    /// `--set`: `true`/`false`/`null` (any case) and decimal integers without a
    /// leading zero are typed (integers as int64); the rest are strings.
    Typed,
    /// `--set-string`: every value is a string.
    String,
    /// `--set-file`: every value (and list item) is a file path, read by the caller.
    File,
    /// `--set-json`: every value is a JSON document (numbers become float64);
    /// an empty value is null.
    Json,
    /// `--set-literal`: one key; everything after the first `=` is the string value.
    Literal,
}

/// One step of a value path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A map key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// What went wrong in an expression. Never holds text of the expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetProblem {
    #[error("a key has no value (expected KEY=VALUE; write a comma inside a value as `\\,`)")]
    NoValue,
    #[error(
        "a key has no value before `,` (expected KEY=VALUE; write a comma inside a value as `\\,`)"
    )]
    NoValueBeforeComma,
    #[error("a key ending in `.` has no value (expected KEY.NAME=VALUE)")]
    EmptyMap,
    #[error("value name nested level is greater than maximum supported nested level of {MAX_NAME_LEVEL}")]
    TooManyLevels,
    #[error("a path nests more than {MAX_DEPTH} maps and lists")]
    TooDeep,
    #[error("a list index is not an integer (expected [N])")]
    BadIndex,
    #[error("negative list index {0} not allowed")]
    NegativeIndex(i64),
    #[error("list index {0} is greater than maximum supported index of {MAX_INDEX}")]
    IndexTooLarge(i64),
    #[error("unexpected text after a list index (expected `.`, `[` or `=`)")]
    AfterIndex,
    #[error("a list `{{…` must end with `}}`")]
    UnterminatedList,
    #[error("the path needs a map here, but an earlier value set it to {0}")]
    NotAMap(&'static str),
    #[error("the path needs a list here, but an earlier value set it to {0}")]
    NotAList(&'static str),
    #[error("invalid JSON value: {0}")]
    Json(String),
    #[error("a `{{…}}` JSON value must be a JSON object: {0}")]
    JsonObject(String),
    #[error("{0}")]
    File(String),
    #[error("a `set` path has an empty key")]
    EmptyKey,
    #[error("a `set` path must not contain `=` or `,` (escape them as `\\=`, `\\,`)")]
    PathChar,
}

/// A problem and where it was found: `pos` counts characters from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}at character {pos}: {problem}", path.as_ref().map(|p| format!("`{p}` ")).unwrap_or_default())]
pub struct SetError {
    /// The character (from 1) at which the problem was noticed.
    pub pos: usize,
    /// What is wrong.
    pub problem: SetProblem,
    /// The path, for release `set:` keys (keys are not values, so they may be shown).
    pub path: Option<String>,
}

/// Reads a `--set-file` value: given the path text, returns the value to set.
pub type FileReader<'r> = dyn FnMut(&str) -> Result<Value, String> + 'r;

/// Parse `expr` into `dest` as Helm's `ParseInto`/`ParseIntoString`/
/// `ParseIntoFile`/`ParseJSON`/`ParseLiteralInto` do: existing maps are
/// merged into, existing lists edited in place by index, scalars replaced.
/// `read_file` is called for each `--set-file` value (unused for other kinds).
pub fn parse_into(
    expr: &str,
    kind: SetKind,
    dest: &mut Map<String, Value>,
    read_file: &mut FileReader<'_>,
) -> Result<(), SetError> {
    let mut parser = Parser {
        chars: expr.chars().collect(),
        pos: 0,
        kind,
        read_file,
    };
    loop {
        match parser.key(dest, 0, 0) {
            Ok(Step::More) => continue,
            Ok(Step::End) => return Ok(()),
            Err(problem) => {
                return Err(SetError {
                    pos: parser.pos.max(1),
                    problem,
                    path: None,
                })
            }
        }
    }
}

/// Parse `expr` on its own (into an empty map); for kinds that read no files.
pub fn parse(expr: &str, kind: SetKind) -> Result<Map<String, Value>, SetError> {
    let mut out = Map::new();
    parse_into(expr, kind, &mut out, &mut |_| {
        Err("--set-file values need a file reader".to_string())
    })?;
    Ok(out)
}

/// `--set-json '{…}'`: a whole JSON object, merged as a values file is.
pub fn parse_json_object(text: &str) -> Result<Map<String, Value>, SetError> {
    match serde_json::from_str::<Value>(text.trim()) {
        Ok(Value::Object(map)) => Ok(map
            .into_iter()
            .map(|(k, v)| (k, super::file_numbers(v)))
            .collect()),
        Ok(other) => Err(SetError {
            pos: 1,
            problem: SetProblem::JsonObject(format!("found {}", type_name(&other))),
            path: None,
        }),
        Err(e) => Err(SetError {
            pos: e.column().max(1),
            problem: SetProblem::JsonObject(json_category(&e)),
            path: None,
        }),
    }
}

/// Whether a parse step left more input (`More`) or reached the end (`End`,
/// Helm's `io.EOF`, which also cuts some assignments short exactly as in Helm).
enum Step {
    More,
    End,
}

struct Parser<'r, 'f> {
    chars: Vec<char>,
    pos: usize,
    kind: SetKind,
    read_file: &'r mut FileReader<'f>,
}

impl Parser<'_, '_> {
    fn escapes(&self) -> bool {
        self.kind != SetKind::Literal
    }

    /// Read up to (and consuming) the first unescaped stop character. Returns
    /// the text read and the stop, or `None` at the end of input (a trailing
    /// backslash is dropped, as in Helm).
    fn until(&mut self, stops: &[char]) -> (String, Option<char>) {
        let mut text = String::new();
        while let Some(&c) = self.chars.get(self.pos) {
            self.pos += 1;
            if stops.contains(&c) {
                return (text, Some(c));
            }
            if c == '\\' && self.escapes() {
                match self.chars.get(self.pos) {
                    Some(&next) => {
                        self.pos += 1;
                        text.push(next);
                    }
                    None => return (text, None),
                }
            } else {
                text.push(c);
            }
        }
        (text, None)
    }

    fn key_stops(&self) -> &'static [char] {
        if self.kind == SetKind::Literal {
            &['=', '[', '.']
        } else {
            &['=', '[', ',', '.']
        }
    }

    /// One assignment whose path starts in `data` (Helm's `parser.key`).
    fn key(
        &mut self,
        data: &mut Map<String, Value>,
        level: usize,
        depth: usize,
    ) -> Result<Step, SetProblem> {
        if depth > MAX_DEPTH {
            return Err(SetProblem::TooDeep);
        }
        let (key, stop) = self.until(self.key_stops());
        match stop {
            None if key.is_empty() => Ok(Step::End),
            None => Err(SetProblem::NoValue),
            Some(',') => Err(SetProblem::NoValueBeforeComma),
            Some('[') => {
                // An index cut off by the end of input ends the parse (Helm
                // wraps io.EOF there, and its loop stops on any EOF).
                let Some(index) = self.index()? else {
                    return Ok(Step::End);
                };
                if key.is_empty() {
                    // Helm walks the path but never stores under an empty key.
                    let mut scratch = Vec::new();
                    return self.list_item(&mut scratch, index, level, depth + 1);
                }
                let list = match data.entry(key).or_insert_with(|| Value::Array(Vec::new())) {
                    Value::Array(list) => list,
                    other => return Err(SetProblem::NotAList(type_name(other))),
                };
                self.list_item(list, index, level, depth + 1)
            }
            Some('.') => {
                let level = level + 1;
                if level > MAX_NAME_LEVEL {
                    return Err(SetProblem::TooManyLevels);
                }
                match data.get_mut(&key) {
                    Some(Value::Object(inner)) => {
                        let step = self.key(inner, level, depth + 1)?;
                        if matches!(step, Step::More) && inner.is_empty() {
                            return Err(SetProblem::EmptyMap);
                        }
                        Ok(step)
                    }
                    Some(other) => Err(SetProblem::NotAMap(type_name(other))),
                    None => {
                        let mut inner = Map::new();
                        let step = self.key(&mut inner, level, depth + 1)?;
                        if inner.is_empty() {
                            return match step {
                                Step::More => Err(SetProblem::EmptyMap),
                                Step::End => Ok(Step::End),
                            };
                        }
                        if !key.is_empty() {
                            data.insert(key, Value::Object(inner));
                        }
                        Ok(step)
                    }
                }
            }
            Some(_) => match self.value()? {
                // `key=` at the very end: an empty string, and the end.
                None => {
                    set(data, key, Value::String(String::new()));
                    Ok(Step::End)
                }
                Some(value) => {
                    set(data, key, value);
                    Ok(Step::More)
                }
            },
        }
    }

    /// One step below a list index `[index]` (Helm's `parser.listItem`).
    fn list_item(
        &mut self,
        list: &mut Vec<Value>,
        index: i64,
        level: usize,
        depth: usize,
    ) -> Result<Step, SetProblem> {
        if depth > MAX_DEPTH {
            return Err(SetProblem::TooDeep);
        }
        if index < 0 {
            return Err(SetProblem::NegativeIndex(index));
        }
        let (text, stop) = self.until(&['[', '.', '=']);
        if !text.is_empty() {
            return Err(SetProblem::AfterIndex);
        }
        let slot = usize::try_from(index).unwrap_or(usize::MAX);
        match stop {
            None => Ok(Step::End),
            Some('=') => {
                let value = self.value()?.unwrap_or(Value::String(String::new()));
                set_index(list, index, value)?;
                Ok(Step::More)
            }
            Some('[') => {
                let Some(next) = self.index()? else {
                    return Ok(Step::End);
                };
                match list.get_mut(slot) {
                    // An existing list is edited in place.
                    Some(Value::Array(inner)) => self.list_item(inner, next, level, depth + 1),
                    Some(Value::Null) | None => {
                        let mut inner = Vec::new();
                        match self.list_item(&mut inner, next, level, depth + 1)? {
                            // As in Helm, an assignment cut short by the end
                            // of input does not store the new list.
                            Step::End => Ok(Step::End),
                            Step::More => {
                                set_index(list, index, Value::Array(inner))?;
                                Ok(Step::More)
                            }
                        }
                    }
                    Some(other) => Err(SetProblem::NotAList(type_name(other))),
                }
            }
            Some(_) => {
                // '.': a map at this index; anything else there is replaced by one.
                match list.get_mut(slot) {
                    Some(existing) => {
                        if !existing.is_object() {
                            *existing = Value::Object(Map::new());
                        }
                        match existing {
                            Value::Object(inner) => self.key(inner, level, depth + 1),
                            _ => Ok(Step::End),
                        }
                    }
                    None => {
                        let mut inner = Map::new();
                        match self.key(&mut inner, level, depth + 1)? {
                            Step::End => Ok(Step::End),
                            Step::More => {
                                set_index(list, index, Value::Object(inner))?;
                                Ok(Step::More)
                            }
                        }
                    }
                }
            }
        }
    }

    /// A list index after `[`, up to `]` (Go's `strconv.Atoi` rules);
    /// `None` when the input ends first.
    fn index(&mut self) -> Result<Option<i64>, SetProblem> {
        let stops: &[char] = &[']'];
        let (text, stop) = self.until(stops);
        if stop.is_none() {
            return Ok(None);
        }
        text.parse::<i64>()
            .map(Some)
            .map_err(|_| SetProblem::BadIndex)
    }

    /// The value after `=`. `None` when the input ends right there (for the
    /// kinds where Helm then stores an empty string and stops).
    fn value(&mut self) -> Result<Option<Value>, SetProblem> {
        match self.kind {
            SetKind::Literal => {
                let rest: String = self.chars[self.pos..].iter().collect();
                self.pos = self.chars.len();
                Ok(Some(Value::String(rest)))
            }
            SetKind::Json => self.json().map(Some),
            _ => match self.chars.get(self.pos) {
                None => Ok(None),
                Some('{') => {
                    self.pos += 1;
                    self.list().map(Some)
                }
                Some(_) => {
                    let (text, _) = self.until(&[',']);
                    self.read(&text).map(Some)
                }
            },
        }
    }

    /// A `{a,b,c}` list (the `{` already read); empty items are kept.
    fn list(&mut self) -> Result<Value, SetProblem> {
        let mut items = Vec::new();
        loop {
            let (text, stop) = self.until(&[',', '}']);
            match stop {
                None => return Err(SetProblem::UnterminatedList),
                Some('}') => {
                    if self.chars.get(self.pos) == Some(&',') {
                        self.pos += 1;
                    }
                    items.push(self.read(&text)?);
                    return Ok(Value::Array(items));
                }
                Some(_) => items.push(self.read(&text)?),
            }
        }
    }

    /// A raw value (or list item) as this kind types it.
    fn read(&mut self, text: &str) -> Result<Value, SetProblem> {
        match self.kind {
            SetKind::Typed => Ok(typed(text)),
            SetKind::File => (self.read_file)(text).map_err(SetProblem::File),
            _ => Ok(Value::String(text.to_string())),
        }
    }

    /// Skip white space; true (and the comma consumed) when no value follows.
    fn empty_value(&mut self) -> bool {
        while let Some(&c) = self.chars.get(self.pos) {
            if c == ',' {
                self.pos += 1;
                return true;
            }
            if !c.is_whitespace() {
                return false;
            }
            self.pos += 1;
        }
        true
    }

    /// A `--set-json` value: one JSON document, then optional blanks and a comma.
    fn json(&mut self) -> Result<Value, SetProblem> {
        if self.empty_value() {
            return Ok(Value::Null);
        }
        let start = self.pos;
        let end = json_extent(&self.chars, start).map_err(|at| {
            self.pos = at + 1;
            SetProblem::Json("the JSON value is incomplete or malformed".to_string())
        })?;
        let text: String = self.chars[start..end].iter().collect();
        let value: Value = serde_json::from_str(&text).map_err(|e| {
            self.pos = start + e.column().max(1);
            SetProblem::Json(json_category(&e))
        })?;
        self.pos = end;
        self.empty_value();
        Ok(super::file_numbers(value))
    }
}

/// Store under `key` unless the key is empty (Helm's `set`).
fn set(data: &mut Map<String, Value>, key: String, value: Value) {
    if !key.is_empty() {
        data.insert(key, value);
    }
}

/// Put `value` at `index`, growing the list with nulls (Helm's `setIndex`).
fn set_index(list: &mut Vec<Value>, index: i64, value: Value) -> Result<(), SetProblem> {
    if index < 0 {
        return Err(SetProblem::NegativeIndex(index));
    }
    if index > MAX_INDEX {
        return Err(SetProblem::IndexTooLarge(index));
    }
    let slot = usize::try_from(index).map_err(|_| SetProblem::IndexTooLarge(index))?;
    if list.len() <= slot {
        list.resize(slot + 1, Value::Null);
    }
    list[slot] = value;
    Ok(())
}

/// Helm's `typedVal` for `--set`: booleans and null in any case, int64
/// integers without a leading zero (and `0`), strings otherwise.
fn typed(text: &str) -> Value {
    if fold_eq(text, "true") {
        return Value::Bool(true);
    }
    if fold_eq(text, "false") {
        return Value::Bool(false);
    }
    if fold_eq(text, "null") {
        return Value::Null;
    }
    if text == "0" {
        return Value::from(0i64);
    }
    if !text.is_empty() && !text.starts_with('0') {
        if let Ok(n) = text.parse::<i64>() {
            return Value::from(n);
        }
    }
    Value::String(text.to_string())
}

/// Go's `strings.EqualFold` against a lower-case ASCII word (simple case
/// folding: besides ASCII case, `ſ` folds to `s` and the Kelvin sign to `k`).
fn fold_eq(text: &str, word: &str) -> bool {
    text.chars().count() == word.len()
        && text.chars().zip(word.chars()).all(|(c, w)| {
            c.to_ascii_lowercase() == w
                || (w == 's' && c == '\u{17F}')
                || (w == 'k' && c == '\u{212A}')
        })
}

/// Where the JSON value starting at `start` ends, scanning as Go's decoder
/// does: objects, arrays and strings to their closing character; numbers and
/// `true`/`false`/`null` as far as their grammar goes. `Err` is the index of
/// the character where the value cannot go on.
fn json_extent(chars: &[char], start: usize) -> Result<usize, usize> {
    let at = |i: usize| chars.get(i).copied();
    match at(start) {
        Some('{') | Some('[') => {
            let mut depth = 0usize;
            let mut i = start;
            while let Some(c) = at(i) {
                match c {
                    '"' => i = string_end(chars, i)?,
                    '{' | '[' => {
                        depth += 1;
                        i += 1;
                    }
                    '}' | ']' => {
                        depth -= 1;
                        i += 1;
                        if depth == 0 {
                            return Ok(i);
                        }
                    }
                    _ => i += 1,
                }
            }
            Err(chars.len())
        }
        Some('"') => string_end(chars, start),
        Some('-') | Some('0'..='9') => {
            let mut i = start;
            if at(i) == Some('-') {
                i += 1;
            }
            match at(i) {
                Some('0') => i += 1,
                Some('1'..='9') => {
                    while matches!(at(i), Some('0'..='9')) {
                        i += 1;
                    }
                }
                _ => return Err(i),
            }
            if at(i) == Some('.') {
                i += 1;
                if !matches!(at(i), Some('0'..='9')) {
                    return Err(i);
                }
                while matches!(at(i), Some('0'..='9')) {
                    i += 1;
                }
            }
            if matches!(at(i), Some('e') | Some('E')) {
                i += 1;
                if matches!(at(i), Some('+') | Some('-')) {
                    i += 1;
                }
                if !matches!(at(i), Some('0'..='9')) {
                    return Err(i);
                }
                while matches!(at(i), Some('0'..='9')) {
                    i += 1;
                }
            }
            Ok(i)
        }
        Some(c) => {
            let word = match c {
                't' => "true",
                'f' => "false",
                'n' => "null",
                _ => return Err(start),
            };
            for (k, w) in word.chars().enumerate() {
                if at(start + k) != Some(w) {
                    return Err(start + k);
                }
            }
            Ok(start + word.len())
        }
        None => Err(start),
    }
}

/// The index just past the closing quote of the JSON string at `start`.
fn string_end(chars: &[char], start: usize) -> Result<usize, usize> {
    let mut i = start + 1;
    while let Some(&c) = chars.get(i) {
        match c {
            '\\' => i += 2,
            '"' => return Ok(i + 1),
            _ => i += 1,
        }
    }
    Err(chars.len())
}

/// serde_json's description of a syntax error without its line/column
/// (berth reports the position itself). It never quotes the input.
fn json_category(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rsplit_once(" at line ") {
        Some((what, _)) => what.to_string(),
        None => text,
    }
}

/// Go's name for a value's type, as Helm's type-assertion errors show it.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(n) if n.is_f64() => "a float64",
        Value::Number(_) => "an int64",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// Parse a release `set:` key (`hub.db[0].url`, `annotations.a\.b`) with the
/// `--set` key syntax. Stricter than `--set`: empty keys are refused rather
/// than silently ignored, and `=`/`,` must be escaped.
pub fn parse_path(input: &str) -> Result<Vec<Seg>, SetError> {
    let fail = |pos: usize, problem: SetProblem| SetError {
        pos: pos.max(1),
        problem,
        path: Some(input.to_string()),
    };
    let mut reader = |_: &str| Err(String::new());
    let mut p = Parser {
        chars: input.chars().collect(),
        pos: 0,
        kind: SetKind::Typed,
        read_file: &mut reader,
    };
    let mut segs = Vec::new();
    let mut levels = 0;
    loop {
        let (text, stop) = p.until(&['.', '[', '=', ',']);
        match stop {
            Some('=') | Some(',') => return Err(fail(p.pos, SetProblem::PathChar)),
            None | Some('.') if text.is_empty() => return Err(fail(p.pos, SetProblem::EmptyKey)),
            None => {
                segs.push(Seg::Key(text));
                break;
            }
            Some('.') => {
                levels += 1;
                if levels > MAX_NAME_LEVEL {
                    return Err(fail(p.pos, SetProblem::TooManyLevels));
                }
                segs.push(Seg::Key(text));
            }
            Some(_) => {
                // '['
                if text.is_empty() && !matches!(segs.last(), Some(Seg::Index(_)) | None) {
                    return Err(fail(p.pos, SetProblem::EmptyKey));
                }
                if text.is_empty() && segs.is_empty() {
                    return Err(fail(p.pos, SetProblem::EmptyKey));
                }
                if !text.is_empty() {
                    segs.push(Seg::Key(text));
                }
                loop {
                    let index = p
                        .index()
                        .map_err(|e| fail(p.pos, e))?
                        .ok_or_else(|| fail(p.pos, SetProblem::BadIndex))?;
                    if index < 0 {
                        return Err(fail(p.pos, SetProblem::NegativeIndex(index)));
                    }
                    if index > MAX_INDEX {
                        return Err(fail(p.pos, SetProblem::IndexTooLarge(index)));
                    }
                    segs.push(Seg::Index(usize::try_from(index).unwrap_or_default()));
                    if segs.len() > MAX_DEPTH {
                        return Err(fail(p.pos, SetProblem::TooDeep));
                    }
                    match p.chars.get(p.pos) {
                        Some('[') => p.pos += 1,
                        Some('.') => {
                            p.pos += 1;
                            break;
                        }
                        None => return Ok(segs),
                        Some(_) => return Err(fail(p.pos + 1, SetProblem::AfterIndex)),
                    }
                }
            }
        }
        if segs.len() > MAX_DEPTH {
            return Err(fail(p.pos, SetProblem::TooDeep));
        }
    }
    Ok(segs)
}

/// Set `value` at `path` in `dest` as `--set PATH=…` would: maps on the way
/// are merged into, lists edited in place by index (growing with nulls), and a
/// path through a scalar is an error (as in Helm).
pub fn set_path(
    dest: &mut Map<String, Value>,
    path: &[Seg],
    value: Value,
) -> Result<(), SetProblem> {
    let Some((Seg::Key(key), rest)) = path.split_first() else {
        return Err(SetProblem::EmptyKey);
    };
    match rest.first() {
        None => {
            dest.insert(key.clone(), value);
            Ok(())
        }
        Some(Seg::Key(_)) => {
            match dest
                .entry(key.clone())
                .or_insert_with(|| Value::Object(Map::new()))
            {
                Value::Object(inner) => set_path(inner, rest, value),
                other => Err(SetProblem::NotAMap(type_name(other))),
            }
        }
        Some(Seg::Index(_)) => {
            match dest
                .entry(key.clone())
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                Value::Array(list) => set_in_list(list, rest, value),
                other => Err(SetProblem::NotAList(type_name(other))),
            }
        }
    }
}

/// `path` starts with an index into `list`.
fn set_in_list(list: &mut Vec<Value>, path: &[Seg], value: Value) -> Result<(), SetProblem> {
    let Some((Seg::Index(index), rest)) = path.split_first() else {
        return Err(SetProblem::BadIndex);
    };
    let index = *index;
    let signed = i64::try_from(index).unwrap_or(i64::MAX);
    if signed > MAX_INDEX {
        return Err(SetProblem::IndexTooLarge(signed));
    }
    if list.len() <= index {
        list.resize(index + 1, Value::Null);
    }
    let slot = &mut list[index];
    match rest.first() {
        None => {
            *slot = value;
            Ok(())
        }
        Some(Seg::Index(_)) => {
            if slot.is_null() {
                *slot = Value::Array(Vec::new());
            }
            match slot {
                Value::Array(inner) => set_in_list(inner, rest, value),
                other => Err(SetProblem::NotAList(type_name(other))),
            }
        }
        Some(Seg::Key(_)) => {
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            match slot {
                Value::Object(inner) => set_path(inner, rest, value),
                _ => Err(SetProblem::NotAMap("something else")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn typed_values_and_positions() {
        let out = parse("a.b=1,c=true,d=007,e=1.5,f={x,,y}", SetKind::Typed).unwrap();
        assert_eq!(
            Value::Object(out.clone()),
            json!({"a": {"b": 1}, "c": true, "d": "007", "e": "1.5", "f": ["x", "", "y"]})
        );
        assert!(out["a"]["b"].is_i64());
        let json = parse("n=1,m=[2]", SetKind::Json).unwrap();
        assert!(json["n"].is_f64() && json["m"][0].is_f64());
        let err = parse("a=1,b", SetKind::Typed).unwrap_err();
        assert_eq!((err.pos, err.problem), (5, SetProblem::NoValue));
    }

    #[test]
    fn set_into_existing_lists_and_paths() {
        let mut dest = parse("l={a,b,c}", SetKind::Typed).unwrap();
        parse_into("l[1]=x", SetKind::Typed, &mut dest, &mut |_| {
            Ok(Value::Null)
        })
        .unwrap();
        assert_eq!(dest["l"], json!(["a", "x", "c"]));
        let path = parse_path(r"m.a\.b[1].c").unwrap();
        assert_eq!(
            path,
            [
                Seg::Key("m".into()),
                Seg::Key("a.b".into()),
                Seg::Index(1),
                Seg::Key("c".into())
            ]
        );
        set_path(&mut dest, &path, json!(2)).unwrap();
        assert_eq!(dest["m"], json!({"a.b": [null, {"c": 2}]}));
        for bad in [
            "", "a..b", "a.", "[0]", "a[x]", "a[0]b", "a=b", "a,b", "a[70000]",
        ] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
    }
}
