//! A document's node tree → the Go value go-yaml v2's `Unmarshal` builds
//! into an `interface{}`: `map[interface{}]interface{}` with keys of any
//! scalar type, `[]interface{}`, `int`/`uint64`/`float64`/`bool`/`string`/nil.
//! Owns merge keys (`<<`, with go-yaml's precedence: later keys overwrite,
//! the first map of a `<<: [..]` list wins), alias expansion with go-yaml's
//! excessive-aliasing ratio plus berth's absolute cap, duplicate keys (last
//! wins), `!!binary`, and the decode-time errors with go-yaml's texts.

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
    index: rustc_hash::FxHashMap<KeyId, usize>,
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

    /// go-yaml's recursive `d.unmarshal`, run on an explicit stack so that
    /// 10,000 levels of nesting need no deep native stack.
    fn unmarshal(&mut self, root: usize) -> Result<GoValue, Error> {
        let mut maps: Vec<GoMap> = Vec::new();
        let mut stack: Vec<Frame> = vec![Frame::Start(root)];
        let mut incoming: Option<GoValue> = None;
        while let Some(top) = stack.pop() {
            match top {
                Frame::Start(n) => {
                    self.count()?;
                    match &self.doc.nodes[n].kind {
                        NodeKind::Alias { .. } => {
                            let target = self.alias_enter(n)?;
                            stack.push(Frame::AliasEnd);
                            stack.push(Frame::Start(target));
                        }
                        NodeKind::Scalar {
                            value,
                            tag,
                            implicit,
                        } => incoming = Some(scalar(value, tag, *implicit)?),
                        NodeKind::Sequence(_) => {
                            self.enter('[')?;
                            stack.push(Frame::Seq {
                                node: n,
                                next: 0,
                                items: Vec::new(),
                            });
                        }
                        NodeKind::Mapping(_) => {
                            self.enter('{')?;
                            maps.push(GoMap::default());
                            stack.push(Frame::Map {
                                node: n,
                                next: 0,
                                slot: maps.len() - 1,
                                owned: true,
                                phase: Phase::Fresh,
                            });
                        }
                    }
                }
                Frame::AliasEnd => {
                    self.alias_depth -= 1;
                    self.active.pop();
                }
                Frame::Seq {
                    node,
                    next,
                    mut items,
                } => {
                    if let Some(v) = incoming.take() {
                        items.push(v);
                    }
                    let children = self.children(node);
                    if next < children.len() {
                        let child = children[next];
                        stack.push(Frame::Seq {
                            node,
                            next: next + 1,
                            items,
                        });
                        stack.push(Frame::Start(child));
                    } else {
                        self.depth -= 1;
                        incoming = Some(GoValue::Seq(items));
                    }
                }
                Frame::Map {
                    node,
                    next,
                    slot,
                    owned,
                    phase,
                } => {
                    let child = |d: &Self, i: usize| d.children(node).get(i).copied();
                    match phase {
                        Phase::AwaitKey => {
                            let k = incoming.take().unwrap_or(GoValue::Nil);
                            if matches!(k, GoValue::Map(_) | GoValue::Seq(_)) {
                                return Err(fail(format!(
                                    "invalid map key: {}",
                                    super::gosyntax::go_syntax(&k)
                                )));
                            }
                            match child(self, next) {
                                Some(v) => {
                                    stack.push(Frame::Map {
                                        node,
                                        next: next + 1,
                                        slot,
                                        owned,
                                        phase: Phase::AwaitValue(k),
                                    });
                                    stack.push(Frame::Start(v));
                                }
                                None => {
                                    maps[slot].set(k, GoValue::Nil);
                                    stack.push(Frame::Map {
                                        node,
                                        next: next + 1,
                                        slot,
                                        owned,
                                        phase: Phase::Fresh,
                                    });
                                }
                            }
                            continue;
                        }
                        Phase::AwaitValue(k) => {
                            let v = incoming.take().unwrap_or(GoValue::Nil);
                            maps[slot].set(k, v);
                        }
                        Phase::Fresh => {}
                    }
                    // at a key position
                    match child(self, next) {
                        Some(k) if self.is_merge(k) => {
                            stack.push(Frame::Map {
                                node,
                                next: next + 2,
                                slot,
                                owned,
                                phase: Phase::Fresh,
                            });
                            if let Some(v) = child(self, next + 1) {
                                self.merge(v, slot, &mut stack)?;
                            }
                        }
                        Some(k) => {
                            stack.push(Frame::Map {
                                node,
                                next: next + 1,
                                slot,
                                owned,
                                phase: Phase::AwaitKey,
                            });
                            stack.push(Frame::Start(k));
                        }
                        None if owned => {
                            self.depth -= 1;
                            let m = maps.pop().unwrap_or_default();
                            incoming = Some(GoValue::Map(m));
                        }
                        None => {}
                    }
                }
                Frame::MergeSeq { node, left, slot } => {
                    if left == 0 {
                        continue;
                    }
                    let c = self.children(node)[left - 1];
                    stack.push(Frame::MergeSeq {
                        node,
                        left: left - 1,
                        slot,
                    });
                    match &self.doc.nodes[c].kind {
                        NodeKind::Alias { .. } | NodeKind::Mapping(_) => {
                            self.merge_one(c, slot, &mut stack)?
                        }
                        _ => return Err(want_map()),
                    }
                }
            }
        }
        Ok(incoming.unwrap_or(GoValue::Nil))
    }

    fn children(&self, n: usize) -> &[usize] {
        match &self.doc.nodes[n].kind {
            NodeKind::Sequence(c) | NodeKind::Mapping(c) => c,
            _ => &[],
        }
    }

    /// Nesting beyond the limit: encoding/json (the next step Helm takes)
    /// refuses it with this message; stop here before going deeper.
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

    /// Start expanding alias `n`: its target node.
    fn alias_enter(&mut self, n: usize) -> Result<usize, Error> {
        let NodeKind::Alias { name, target } = &self.doc.nodes[n].kind else {
            return Err(fail("internal error: not an alias"));
        };
        let Some(target) = *target else {
            return Err(fail(format!("unknown anchor '{name}' referenced")));
        };
        if self.active.contains(&n) {
            return Err(fail(format!("anchor '{name}' value contains itself")));
        }
        self.active.push(n);
        self.alias_depth += 1;
        Ok(target)
    }

    fn is_merge(&self, n: usize) -> bool {
        matches!(&self.doc.nodes[n].kind,
            NodeKind::Scalar { value, tag, implicit }
                if value == "<<" && (*implicit || tag == resolve::MERGE))
    }

    /// go-yaml's `d.merge(n, out)`: push the frames that fill map `slot`.
    fn merge(&mut self, n: usize, slot: usize, stack: &mut Vec<Frame>) -> Result<(), Error> {
        match &self.doc.nodes[n].kind {
            NodeKind::Mapping(_) | NodeKind::Alias { .. } => self.merge_one(n, slot, stack),
            NodeKind::Sequence(children) => {
                // go-yaml merges the list from its last map to its first
                stack.push(Frame::MergeSeq {
                    node: n,
                    left: children.len(),
                    slot,
                });
                Ok(())
            }
            NodeKind::Scalar { .. } => Err(want_map()),
        }
    }

    /// Merge one mapping or alias of a mapping into map `slot`.
    fn merge_one(&mut self, n: usize, slot: usize, stack: &mut Vec<Frame>) -> Result<(), Error> {
        match &self.doc.nodes[n].kind {
            NodeKind::Mapping(_) => {
                self.count()?;
                stack.push(Frame::Map {
                    node: n,
                    next: 0,
                    slot,
                    owned: false,
                    phase: Phase::Fresh,
                });
                Ok(())
            }
            NodeKind::Alias { target, .. } => {
                if let Some(t) = target {
                    if !matches!(self.doc.nodes[*t].kind, NodeKind::Mapping(_)) {
                        return Err(want_map());
                    }
                }
                self.count()?;
                let target = self.alias_enter(n)?;
                self.count()?;
                stack.push(Frame::AliasEnd);
                stack.push(Frame::Map {
                    node: target,
                    next: 0,
                    slot,
                    owned: false,
                    phase: Phase::Fresh,
                });
                Ok(())
            }
            _ => Err(want_map()),
        }
    }
}

fn want_map() -> Error {
    fail("map merge requires map or sequence of maps as the value")
}

/// Where a [`Frame::Map`] is within its current pair.
enum Phase {
    /// At a key position, nothing pending.
    Fresh,
    /// The key at `next - 1` is being decoded.
    AwaitKey,
    /// The value at `next - 1` is being decoded for this key.
    AwaitValue(GoValue),
}

/// A suspended step of [`Decoder::unmarshal`].
enum Frame {
    /// Decode this node (one `d.unmarshal` call).
    Start(usize),
    /// Leaving an alias expansion.
    AliasEnd,
    Seq {
        node: usize,
        next: usize,
        items: Vec<GoValue>,
    },
    /// Filling map `slot` from mapping `node`; `next` is the child index to
    /// look at. `owned` maps are values of their own; others are merges
    /// into an outer map.
    Map {
        node: usize,
        next: usize,
        slot: usize,
        owned: bool,
        phase: Phase,
    },
    /// Merging a `<<: [..]` list: `left` entries remain, taken from the end.
    MergeSeq {
        node: usize,
        left: usize,
        slot: usize,
    },
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
