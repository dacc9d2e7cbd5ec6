//! sprig's `semver` and `semverCompare` over Masterminds/semver v3.4's
//! rules, written here (the `semver` crate's parsing and range syntax
//! differ): loose "coercing" version parsing (`v1`, `1.2`, `01.2.3` are
//! accepted), constraints with `=`, `!=`, `>`, `<`, `>=`, `<=`, `~`, `~>`,
//! `^`, `x`/`X`/`*` wildcards, `a - b` ranges, `,`/space for AND and `||`
//! for OR, and the rule that a prerelease version only satisfies an OR
//! branch that itself names a prerelease. A parsed version is an
//! [`Object`] (`*semver.Version`) with Go's methods.

use std::cmp::Ordering;
use std::rc::Rc;
use std::sync::OnceLock;

use regex::Regex;

use super::conv::sarg;
use super::reg;
use crate::func::{FuncError, FuncMap, Param};
use crate::value::{Object, Value};

use Param::String as Str;

pub(super) fn register(m: &mut FuncMap) {
    reg(m, "semver", &[Str], None, |a| {
        let v = Version::parse(&sarg(&a, 0)).map_err(FuncError::new)?;
        Ok(Value::Object(Rc::new(SemverObject { v, pointer: true })))
    });
    reg(m, "semverCompare", &[Str, Str], None, |a| {
        let c = Constraints::parse(&sarg(&a, 0)).map_err(FuncError::new)?;
        let v = Version::parse(&sarg(&a, 1)).map_err(FuncError::new)?;
        Ok(Value::Bool(c.check(&v)))
    });
}

/// A Masterminds `Version` (`semver.NewVersion`: a leading `v` and missing
/// minor/patch are accepted; [`Version::original`] is the text as written).
#[derive(Clone, Debug)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    metadata: String,
    original: String,
}

const NUM: &str = "0123456789";

fn loose_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$",
        )
        .expect("static regex")
    })
}

fn parse_segment(s: &str) -> Result<u64, String> {
    s.parse::<u64>().map_err(|_| {
        format!(
            "error parsing version segment: strconv.ParseUint: parsing {}: value out of range",
            crate::fmt::quote(s)
        )
    })
}

impl Version {
    /// `semver.NewVersion` (coercing); `Err` is Masterminds' message.
    pub fn parse(v: &str) -> Result<Version, String> {
        let m = loose_regex()
            .captures(v)
            .ok_or("invalid semantic version")?;
        let get = |i: usize| m.get(i).map(|x| x.as_str()).unwrap_or("");
        let major = parse_segment(get(1))?;
        let minor = if get(2).is_empty() {
            0
        } else {
            parse_segment(&get(2)[1..])?
        };
        let patch = if get(3).is_empty() {
            0
        } else {
            parse_segment(&get(3)[1..])?
        };
        let pre = get(5).to_string();
        let metadata = get(8).to_string();
        if !pre.is_empty() {
            for part in pre.split('.') {
                if part.is_empty() {
                    return Err("invalid prerelease string".into());
                }
                if part.chars().all(|c| NUM.contains(c)) && part.len() > 1 && part.starts_with('0')
                {
                    return Err("version segment starts with 0".into());
                }
            }
        }
        if !metadata.is_empty() && metadata.split('.').any(str::is_empty) {
            return Err("invalid metadata string".into());
        }
        Ok(Version {
            major,
            minor,
            patch,
            pre,
            metadata,
            original: v.to_string(),
        })
    }

    fn string(&self) -> String {
        let mut s = format!("{}.{}.{}", self.major, self.minor, self.patch);
        if !self.pre.is_empty() {
            s.push('-');
            s.push_str(&self.pre);
        }
        if !self.metadata.is_empty() {
            s.push('+');
            s.push_str(&self.metadata);
        }
        s
    }

    /// The text the version was parsed from (`Version.Original`).
    pub fn original(&self) -> &str {
        &self.original
    }

    /// Whether the version has a prerelease part (`1.0.0-rc.1`).
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    /// `Version.Compare` (metadata ignored).
    pub fn compare(&self, o: &Version) -> Ordering {
        self.major
            .cmp(&o.major)
            .then(self.minor.cmp(&o.minor))
            .then(self.patch.cmp(&o.patch))
            .then_with(|| match (self.pre.is_empty(), o.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prerelease(&self.pre, &o.pre),
            })
    }
}

fn compare_prerelease(v: &str, o: &str) -> Ordering {
    let s: Vec<&str> = v.split('.').collect();
    let t: Vec<&str> = o.split('.').collect();
    for i in 0..s.len().max(t.len()) {
        let d = compare_pre_part(
            s.get(i).copied().unwrap_or(""),
            t.get(i).copied().unwrap_or(""),
        );
        if d != Ordering::Equal {
            return d;
        }
    }
    Ordering::Equal
}

fn compare_pre_part(s: &str, o: &str) -> Ordering {
    if s == o {
        return Ordering::Equal;
    }
    if s.is_empty() {
        return Ordering::Less;
    }
    if o.is_empty() {
        return Ordering::Greater;
    }
    match (s.parse::<u64>(), o.parse::<u64>()) {
        (Err(_), Err(_)) => {
            if s > o {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (_, Err(_)) => Ordering::Less,
        (Err(_), _) => Ordering::Greater,
        (Ok(a), Ok(b)) => {
            if a > b {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
    }
}

/// A `*semver.Version` (or, from `IncPatch` and friends, a `semver.Version`).
struct SemverObject {
    v: Version,
    pointer: bool,
}

fn version_arg(args: &[Value]) -> Result<Version, String> {
    match args.first() {
        Some(Value::Object(o)) if o.type_name() == "*semver.Version" => {
            Version::parse(&o.display()).map_err(|e| e.to_string())
        }
        Some(other) => Err(format!(
            "wrong type for value; expected *semver.Version; got {}",
            other.type_name()
        )),
        None => Err("wrong number of args: got 0 want 1".into()),
    }
}

impl Object for SemverObject {
    fn type_name(&self) -> &str {
        if self.pointer {
            "*semver.Version"
        } else {
            "semver.Version"
        }
    }
    fn kind_name(&self) -> &str {
        if self.pointer {
            "ptr"
        } else {
            "struct"
        }
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn has_method(&self, name: &str) -> bool {
        // `semver.Version` (a value, from IncPatch...) has only the methods
        // with value receivers; the rest are on `*semver.Version`.
        let value_methods = matches!(
            name,
            "String" | "IncMajor" | "IncMinor" | "IncPatch" | "SetPrerelease" | "SetMetadata"
        );
        value_methods
            || (self.pointer
                && matches!(
                    name,
                    "Major"
                        | "Minor"
                        | "Patch"
                        | "Prerelease"
                        | "Metadata"
                        | "Original"
                        | "LessThan"
                        | "GreaterThan"
                        | "Equal"
                        | "Compare"
                        | "LessThanEqual"
                        | "GreaterThanEqual"
                ))
    }
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        let v = &self.v;
        let inc = |mut n: Version, which: u8| {
            match which {
                0 => {
                    n.major += 1;
                    n.minor = 0;
                    n.patch = 0;
                }
                1 => {
                    n.minor += 1;
                    n.patch = 0;
                }
                _ => {
                    if n.pre.is_empty() {
                        n.patch += 1;
                    }
                }
            }
            n.pre.clear();
            n.metadata.clear();
            n.original = n.string();
            Value::Object(Rc::new(SemverObject {
                v: n,
                pointer: false,
            }))
        };
        Ok(match name {
            "Major" => Value::Uint64(v.major),
            "Minor" => Value::Uint64(v.minor),
            "Patch" => Value::Uint64(v.patch),
            "Prerelease" => Value::from(v.pre.clone()),
            "Metadata" => Value::from(v.metadata.clone()),
            "Original" => Value::from(v.original.clone()),
            "String" => Value::from(v.string()),
            "IncMajor" => inc(v.clone(), 0),
            "IncMinor" => inc(v.clone(), 1),
            "IncPatch" => inc(v.clone(), 2),
            "SetPrerelease" | "SetMetadata" => {
                let text = args.first().map(super::conv::strval).unwrap_or_default();
                let allowed = |p: &str| p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
                let mut n = v.clone();
                if name == "SetPrerelease" {
                    if !text.is_empty() {
                        for part in text.split('.') {
                            if part.is_empty() || !allowed(part) {
                                return Err("invalid prerelease string".into());
                            }
                            if part.chars().all(|c| c.is_ascii_digit())
                                && part.len() > 1
                                && part.starts_with('0')
                            {
                                return Err("version segment starts with 0".into());
                            }
                        }
                    }
                    n.pre = text;
                } else {
                    if !text.is_empty() && text.split('.').any(|p| p.is_empty() || !allowed(p)) {
                        return Err("invalid metadata string".into());
                    }
                    n.metadata = text;
                }
                n.original = n.string();
                Value::Object(Rc::new(SemverObject {
                    v: n,
                    pointer: false,
                }))
            }
            "Compare" => Value::Int(match v.compare(&version_arg(args)?) {
                Ordering::Less => -1,
                Ordering::Equal => 0,
                Ordering::Greater => 1,
            }),
            "LessThan" => Value::Bool(v.compare(&version_arg(args)?) == Ordering::Less),
            "GreaterThan" => Value::Bool(v.compare(&version_arg(args)?) == Ordering::Greater),
            "Equal" => Value::Bool(v.compare(&version_arg(args)?) == Ordering::Equal),
            "LessThanEqual" => Value::Bool(v.compare(&version_arg(args)?) != Ordering::Greater),
            "GreaterThanEqual" => Value::Bool(v.compare(&version_arg(args)?) != Ordering::Less),
            _ => return Err(format!("can't call method/function {name:?}")),
        })
    }
    fn display(&self) -> String {
        self.v.string()
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::String(self.v.string())
    }
}

const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";
const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";

struct Regexes {
    constraint: Regex,
    range: Regex,
    find: Regex,
    valid: Regex,
}

fn regexes() -> &'static Regexes {
    static RE: OnceLock<Regexes> = OnceLock::new();
    RE.get_or_init(|| {
        let ws = r"[\t\n\f\r ]";
        let build = |s: String| Regex::new(&s).expect("static regex");
        Regexes {
            constraint: build(format!(r"^{ws}*({OPS}){ws}*({CV}){ws}*$")),
            range: build(format!(r"{ws}*({CV}){ws}+-{ws}+({CV}){ws}*")),
            find: build(format!(r"({OPS}){ws}*({CV})")),
            valid: build(format!(
                r"^({ws}*({OPS}){ws}*({CV}){ws}*)((?:{ws}+|,{ws}*)({OPS}){ws}*({CV}){ws}*)*$"
            )),
        }
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    TildeOrEqual,
    NotEqual,
    Greater,
    Less,
    GreaterEqual,
    LessEqual,
    Tilde,
    Caret,
}

struct Constraint {
    op: Op,
    con: Version,
    minor_dirty: bool,
    patch_dirty: bool,
    dirty: bool,
}

/// Parsed `NewConstraint`: OR of ANDs, and per OR branch whether it names a prerelease.
pub struct Constraints {
    ors: Vec<(Vec<Constraint>, bool)>,
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "*" | "X")
}

impl Constraints {
    /// `semver.NewConstraint`; `Err` is Masterminds' message.
    pub fn parse(c: &str) -> Result<Constraints, String> {
        let re = regexes();
        // rewriteRange: "a - b" becomes ">= a, <= b ".
        let mut text = c.to_string();
        let ranges: Vec<(String, String, String)> = re
            .range
            .captures_iter(c)
            .map(|m| (m[0].to_string(), m[1].to_string(), m[11].to_string()))
            .collect();
        for (whole, a, b) in ranges {
            text = text.replacen(&whole, &format!(">= {a}, <= {b} "), 1);
        }
        let mut ors = Vec::new();
        for part in text.split("||") {
            if !re.valid.is_match(part) {
                return Err(format!("improper constraint: {}", crate::fmt::quote(part)));
            }
            let mut found: Vec<String> = re
                .find
                .find_iter(part)
                .map(|m| m.as_str().to_string())
                .collect();
            if found.is_empty() {
                found.push(part.to_string());
            }
            let mut ands = Vec::new();
            let mut has_pre = false;
            for s in found {
                let pc = parse_constraint(&s)?;
                if !pc.con.pre.is_empty() {
                    has_pre = true;
                }
                ands.push(pc);
            }
            ors.push((ands, has_pre));
        }
        Ok(Constraints { ors })
    }

    /// `Constraints.Check`: a prerelease matches only a branch naming a prerelease.
    pub fn check(&self, v: &Version) -> bool {
        self.ors
            .iter()
            .any(|(ands, pre)| ands.iter().all(|c| c.check(v, *pre)))
    }
}

fn parse_constraint(c: &str) -> Result<Constraint, String> {
    if c.is_empty() {
        return Ok(Constraint {
            op: Op::TildeOrEqual,
            con: Version::parse("0.0.0")?,
            minor_dirty: false,
            patch_dirty: false,
            dirty: true,
        });
    }
    let m = regexes()
        .constraint
        .captures(c)
        .ok_or_else(|| format!("improper constraint: {}", crate::fmt::quote(c)))?;
    let get = |i: usize| m.get(i).map(|x| x.as_str()).unwrap_or("");
    let op = match get(1) {
        "" | "=" => Op::TildeOrEqual,
        "!=" => Op::NotEqual,
        ">" => Op::Greater,
        "<" => Op::Less,
        ">=" | "=>" => Op::GreaterEqual,
        "<=" | "=<" => Op::LessEqual,
        "~" | "~>" => Op::Tilde,
        _ => Op::Caret,
    };
    let (mut ver, mut minor_dirty, mut patch_dirty, mut dirty) =
        (get(2).to_string(), false, false, false);
    if is_x(get(3)) || get(3).is_empty() {
        ver = format!("0.0.0{}", get(6));
        dirty = true;
    } else if is_x(get(4).trim_start_matches('.')) || get(4).is_empty() {
        minor_dirty = true;
        dirty = true;
        ver = format!("{}.0.0{}", get(3), get(6));
    } else if is_x(get(5).trim_start_matches('.')) || get(5).is_empty() {
        dirty = true;
        patch_dirty = true;
        ver = format!("{}{}.0{}", get(3), get(4), get(6));
    }
    let con = Version::parse(&ver).map_err(|_| "constraint parser error".to_string())?;
    Ok(Constraint {
        op,
        con,
        minor_dirty,
        patch_dirty,
        dirty,
    })
}

impl Constraint {
    fn check(&self, v: &Version, include_pre: bool) -> bool {
        if !v.pre.is_empty() && !include_pre {
            return false;
        }
        let c = &self.con;
        match self.op {
            Op::NotEqual => {
                if self.dirty {
                    if c.major != v.major {
                        return true;
                    }
                    if c.minor != v.minor && !self.minor_dirty {
                        return true;
                    } else if self.minor_dirty {
                        return false;
                    } else if c.patch != v.patch && !self.patch_dirty {
                        return true;
                    } else if self.patch_dirty {
                        if !v.pre.is_empty() || !c.pre.is_empty() {
                            return compare_prerelease(&v.pre, &c.pre) != Ordering::Equal;
                        }
                        return false;
                    }
                }
                v.compare(c) != Ordering::Equal
            }
            Op::Greater => {
                if !self.dirty {
                    return v.compare(c) == Ordering::Greater;
                }
                if v.major > c.major {
                    true
                } else if v.major < c.major || self.minor_dirty {
                    false
                } else if self.patch_dirty {
                    v.minor > c.minor
                } else {
                    v.compare(c) == Ordering::Greater
                }
            }
            Op::Less => v.compare(c) == Ordering::Less,
            Op::GreaterEqual => v.compare(c) != Ordering::Less,
            Op::LessEqual => {
                if !self.dirty {
                    return v.compare(c) != Ordering::Greater;
                }
                !(v.major > c.major
                    || (v.major == c.major && v.minor > c.minor && !self.minor_dirty))
            }
            Op::Tilde => self.tilde(v),
            Op::TildeOrEqual => {
                if self.dirty {
                    self.tilde(v)
                } else {
                    v.compare(c) == Ordering::Equal
                }
            }
            Op::Caret => {
                if v.compare(c) == Ordering::Less {
                    return false;
                }
                if c.major > 0 || self.minor_dirty {
                    return v.major == c.major;
                }
                if v.major > 0 {
                    return false;
                }
                if c.minor > 0 || self.patch_dirty {
                    return v.minor == c.minor;
                }
                if v.minor > 0 {
                    return false;
                }
                c.patch == v.patch
            }
        }
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.compare(c) == Ordering::Less {
            return false;
        }
        if c.major == 0 && c.minor == 0 && c.patch == 0 && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        if v.major != c.major {
            return false;
        }
        v.minor == c.minor || self.minor_dirty
    }
}
