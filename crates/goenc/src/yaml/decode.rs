//! A document's node tree → the Go value go-yaml v2's `Unmarshal` builds
//! into an `interface{}`: `map[interface{}]interface{}` with keys of any
//! scalar type, `[]interface{}`, `int`/`uint64`/`float64`/`bool`/`string`/nil.
//! Owns merge keys (`<<`, with go-yaml's precedence: later keys overwrite,
//! the first map of a `<<: [..]` list wins), alias expansion with go-yaml's
//! excessive-aliasing ratio plus berth's absolute cap, duplicate keys (last
//! wins), `!!binary`, and the decode-time errors with go-yaml's texts.

use std::collections::HashMap;

use base64::engine::{GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

/// Go's `base64.StdEncoding`: padding required, trailing bits not checked.
const GO_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

use super::resolve::{self, Scalar};
use super::tree::{Document, NodeKind};
use super::{Error, ErrorKind, Limits};

/// A Go value as go-yaml v2 decodes into `interface{}`.
#[derive(Debug, Clone)]
pub enum GoValue {
    Nil,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
    Seq(Vec<GoValue>),
    Map(GoMap),
}

/// A `map[interface{}]interface{}`: entries in first-insertion order, keys
/// compared as Go compares interface values (type and value).
#[derive(Debug, Clone, Default)]
pub struct GoMap {
    pub entries: Vec<(GoValue, GoValue)>,
    index: HashMap<KeyId, usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum KeyId {
    Nil,
    Bool(bool),
    Int(i64),
    Uint(u64),
    /// NaN keys never compare equal in Go; each gets its own id.
    Float(u64, usize),
    Str(String),
}

impl GoMap {
    /// Go's `m[k] = v`.
    pub fn set(&mut self, k: GoValue, v: GoValue) {
        let id = match &k {
            GoValue::Nil => KeyId::Nil,
            GoValue::Bool(b) => KeyId::Bool(*b),
            GoValue::Int(i) => KeyId::Int(*i),
            GoValue::Uint(u) => KeyId::Uint(*u),
            GoValue::Float(f) if f.is_nan() => KeyId::Float(f.to_bits(), self.entries.len()),
            // +0 and -0 are the same Go map key
            GoValue::Float(f) => KeyId::Float((f + 0.0).to_bits(), 0),
            GoValue::Str(s) => KeyId::Str(s.clone()),
            // maps and slices are refused as keys before reaching here
            GoValue::Seq(_) | GoValue::Map(_) => return,
        };
        match self.index.get(&id) {
            Some(&i) => self.entries[i].1 = v,
            None => {
                self.index.insert(id, self.entries.len());
                self.entries.push((k, v));
            }
        }
    }
}

// go-yaml v2's alias ratio thresholds.
const ALIAS_RATIO_RANGE_LOW: usize = 400_000;
const ALIAS_RATIO_RANGE_HIGH: usize = 4_000_000;

fn allowed_alias_ratio(decode_count: usize) -> f64 {
    if decode_count <= ALIAS_RATIO_RANGE_LOW {
        0.99
    } else if decode_count >= ALIAS_RATIO_RANGE_HIGH {
        0.10
    } else {
        0.99 - 0.89
            * ((decode_count - ALIAS_RATIO_RANGE_LOW) as f64
                / (ALIAS_RATIO_RANGE_HIGH - ALIAS_RATIO_RANGE_LOW) as f64)
    }
}

struct Decoder<'a> {
    doc: &'a Document,
    limits: &'a Limits,
    decode_count: usize,
    alias_count: usize,
    alias_depth: usize,
    /// alias nodes being expanded (go-yaml's `d.aliases`)
    active: Vec<usize>,
    depth: usize,
}

fn fail(msg: impl Into<String>) -> Error {
    Error::yaml(ErrorKind::Decode, None, msg.into())
}

/// Decode a document into a Go value; `None` root (empty stream) is nil.
pub fn decode(doc: &Document, limits: &Limits) -> Result<GoValue, Error> {
    let Some(root) = doc.root else {
        return Ok(GoValue::Nil);
    };
    let mut d = Decoder {
        doc,
        limits,
        decode_count: 0,
        alias_count: 0,
        alias_depth: 0,
        active: Vec::new(),
        depth: 0,
    };
    // go-yaml counts the document node itself
    d.count()?;
    d.unmarshal(root)
}

impl Decoder<'_> {
    fn count(&mut self) -> Result<(), Error> {
        self.decode_count += 1;
        if self.alias_depth > 0 {
            self.alias_count += 1;
        }
        if self.alias_count > 100
            && self.decode_count > 1000
            && self.alias_count as f64 / self.decode_count as f64
                > allowed_alias_ratio(self.decode_count)
        {
            return Err(Error::yaml(
                ErrorKind::Limit,
                None,
                "document contains excessive aliasing".into(),
            ));
        }
        if self.alias_count > self.limits.max_alias_nodes {
            return Err(Error::yaml(
                ErrorKind::Limit,
                None,
                format!(
                    "document contains excessive aliasing (more than {} nodes produced by aliases)",
                    self.limits.max_alias_nodes
                ),
            ));
        }
        Ok(())
    }

    fn unmarshal(&mut self, n: usize) -> Result<GoValue, Error> {
        self.count()?;
        match &self.doc.nodes[n].kind {
            NodeKind::Alias { .. } => self.alias(n, None).map(|v| v.unwrap_or(GoValue::Nil)),
            NodeKind::Scalar {
                value,
                tag,
                implicit,
            } => scalar(value, tag, *implicit),
            NodeKind::Sequence(children) => {
                self.enter('[')?;
                let mut out = Vec::with_capacity(children.len());
                for &c in children {
                    out.push(self.unmarshal(c)?);
                }
                self.depth -= 1;
                Ok(GoValue::Seq(out))
            }
            NodeKind::Mapping(_) => {
                self.enter('{')?;
                let mut m = GoMap::default();
                self.mapping(n, &mut m)?;
                self.depth -= 1;
                Ok(GoValue::Map(m))
            }
        }
    }

    /// Nesting beyond the limit: encoding/json (the next step Helm takes)
    /// refuses it with this message; stop here before recursing further.
    fn enter(&mut self, open: char) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            return Err(Error::unmarshal(
                ErrorKind::Limit,
                format!("invalid character '{open}' exceeded max depth"),
            ));
        }
        Ok(())
    }

    /// Expand an alias; with `into`, the target mapping merges into that map.
    fn alias(&mut self, n: usize, into: Option<&mut GoMap>) -> Result<Option<GoValue>, Error> {
        let NodeKind::Alias { name, target } = &self.doc.nodes[n].kind else {
            return Ok(None);
        };
        let Some(target) = *target else {
            return Err(fail(format!("unknown anchor '{name}' referenced")));
        };
        if self.active.contains(&n) {
            return Err(fail(format!("anchor '{name}' value contains itself")));
        }
        self.active.push(n);
        self.alias_depth += 1;
        let out = match into {
            Some(m) => {
                self.count()?;
                self.mapping(target, m)?;
                None
            }
            None => Some(self.unmarshal(target)?),
        };
        self.alias_depth -= 1;
        self.active.pop();
        Ok(out)
    }

    /// Fill `out` from mapping node `n` (go-yaml's `d.mapping` into a map).
    fn mapping(&mut self, n: usize, out: &mut GoMap) -> Result<(), Error> {
        let NodeKind::Mapping(children) = &self.doc.nodes[n].kind else {
            return Ok(());
        };
        for pair in children.chunks(2) {
            let (k, v) = (pair[0], pair.get(1).copied());
            if self.is_merge(k) {
                if let Some(v) = v {
                    self.merge(v, out)?;
                }
                continue;
            }
            let key = self.unmarshal(k)?;
            if matches!(key, GoValue::Map(_) | GoValue::Seq(_)) {
                return Err(fail(format!(
                    "invalid map key: {}",
                    super::gosyntax::go_syntax(&key)
                )));
            }
            let value = match v {
                Some(v) => self.unmarshal(v)?,
                None => GoValue::Nil,
            };
            out.set(key, value);
        }
        Ok(())
    }

    fn is_merge(&self, n: usize) -> bool {
        matches!(&self.doc.nodes[n].kind,
            NodeKind::Scalar { value, tag, implicit }
                if value == "<<" && (*implicit || tag == resolve::MERGE))
    }

    fn merge(&mut self, n: usize, out: &mut GoMap) -> Result<(), Error> {
        let want_map = || fail("map merge requires map or sequence of maps as the value");
        match &self.doc.nodes[n].kind {
            NodeKind::Mapping(_) => {
                self.count()?;
                self.mapping(n, out)
            }
            NodeKind::Alias { target, .. } => {
                if let Some(t) = target {
                    if !matches!(self.doc.nodes[*t].kind, NodeKind::Mapping(_)) {
                        return Err(want_map());
                    }
                }
                self.count()?;
                self.alias(n, Some(out)).map(|_| ())
            }
            NodeKind::Sequence(children) => {
                for &c in children.iter().rev() {
                    match &self.doc.nodes[c].kind {
                        NodeKind::Alias { target, .. } => {
                            if let Some(t) = target {
                                if !matches!(self.doc.nodes[*t].kind, NodeKind::Mapping(_)) {
                                    return Err(want_map());
                                }
                            }
                            self.count()?;
                            self.alias(c, Some(out))?;
                        }
                        NodeKind::Mapping(_) => {
                            self.count()?;
                            self.mapping(c, out)?;
                        }
                        _ => return Err(want_map()),
                    }
                }
                Ok(())
            }
            NodeKind::Scalar { .. } => Err(want_map()),
        }
    }
}

/// go-yaml's `d.scalar` into an `interface{}`.
fn scalar(value: &str, tag: &str, implicit: bool) -> Result<GoValue, Error> {
    if tag.is_empty() && !implicit {
        return Ok(GoValue::Str(value.to_string()));
    }
    let (rtag, resolved) = resolve::resolve(tag, value).map_err(fail)?;
    if rtag == resolve::BINARY {
        let clean: String = value.chars().filter(|&c| c != '\n' && c != '\r').collect();
        let data = GO_BASE64
            .decode(clean.as_bytes())
            .map_err(|_| fail("!!binary value contains invalid base64 data"))?;
        return Ok(GoValue::Str(String::from_utf8_lossy(&data).into_owned()));
    }
    Ok(match resolved {
        Scalar::Null => GoValue::Nil,
        Scalar::Bool(b) => GoValue::Bool(b),
        Scalar::Int(i) => GoValue::Int(i),
        Scalar::Uint(u) => GoValue::Uint(u),
        Scalar::Float(f) => GoValue::Float(f),
        Scalar::Str => GoValue::Str(value.to_string()),
    })
}
