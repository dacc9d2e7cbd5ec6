//! Object diffs: what changes when the desired objects replace the live ones.
//! Both sides are normalised ([`normalise`]), compared structurally (changed
//! paths, drift owned by other field managers) and rendered as a coloured
//! unified YAML diff per object with `similar`, then a summary line. Secret
//! `data` is masked unless the caller asks otherwise: key names and byte
//! lengths only, never a value, in plaintext or base64.
//! This module is pure: it never talks to the cluster or prints.

pub mod drift;
pub mod normalise;

use std::fmt::Write as _;

use base64::Engine as _;
use serde::Serialize;
use serde_json::Value;
use similar::{ChangeTag, TextDiff};

use crate::manifest::ObjectRef;
pub use drift::Drift;
pub use normalise::{is_secret, normalise};

/// What happens to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Created.
    Add,
    /// Changed in place.
    Change,
    /// Pruned.
    Delete,
    /// Already as desired.
    Unchanged,
}

impl Action {
    /// The header sign: `+`, `~`, `-`, `=`.
    pub fn sign(self) -> char {
        match self {
            Action::Add => '+',
            Action::Change => '~',
            Action::Delete => '-',
            Action::Unchanged => '=',
        }
    }
}

/// How one Secret key changes (lengths in decoded bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(
    tag = "change",
    rename_all = "lowercase",
    rename_all_fields = "camelCase"
)]
pub enum KeyChange {
    Added {
        key: String,
        bytes: usize,
    },
    Removed {
        key: String,
        bytes: usize,
    },
    Changed {
        key: String,
        old_bytes: usize,
        new_bytes: usize,
    },
}

/// The diff of one object. `before`/`after` are normalised.
#[derive(Debug, Clone)]
pub struct ObjectDiff {
    pub action: Action,
    pub object: ObjectRef,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// Dotted paths whose values differ (`spec.replicas`, `data.password`).
    pub changed_paths: Vec<String>,
    /// Fields another manager owns with a different live value.
    pub drift: Vec<Drift>,
    /// For Secrets: which data keys change.
    pub secret_keys: Vec<KeyChange>,
}

/// Compare the live object (raw, with managedFields) with what berth would
/// make it (`result`: the server's dry-run answer). `applied` is the object
/// berth sends, for drift detection. `None` on one side means add or delete.
pub fn compare(
    object: ObjectRef,
    live: Option<&Value>,
    result: Option<&Value>,
    applied: Option<&Value>,
    field_manager: &str,
) -> ObjectDiff {
    let before = live.map(normalise);
    let after = result.map(normalise);
    let action = match (&before, &after) {
        (None, Some(_)) => Action::Add,
        (Some(_), None) => Action::Delete,
        (Some(b), Some(a)) if b == a => Action::Unchanged,
        (Some(_), Some(_)) => Action::Change,
        (None, None) => Action::Unchanged,
    };
    let null = Value::Null;
    let mut changed_paths = Vec::new();
    if action != Action::Unchanged {
        changed(
            "",
            before.as_ref().unwrap_or(&null),
            after.as_ref().unwrap_or(&null),
            &mut changed_paths,
        );
    }
    let drift = match (live, applied) {
        (Some(l), Some(a)) => drift::detect(l, a, field_manager),
        _ => Vec::new(),
    };
    let secret = [&before, &after]
        .iter()
        .any(|o| o.as_ref().is_some_and(is_secret));
    let secret_keys = if secret {
        key_changes(before.as_ref(), after.as_ref())
    } else {
        Vec::new()
    };
    ObjectDiff {
        action,
        object,
        before,
        after,
        changed_paths,
        drift,
        secret_keys,
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Collect the leaf-most paths where `a` and `b` differ.
fn changed(prefix: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    if a == b {
        return;
    }
    match (a, b) {
        (Value::Object(ma), Value::Object(mb)) => {
            let mut keys: Vec<&String> = ma.keys().chain(mb.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let null = Value::Null;
                changed(
                    &join(prefix, k),
                    ma.get(k).unwrap_or(&null),
                    mb.get(k).unwrap_or(&null),
                    out,
                );
            }
        }
        (Value::Array(la), Value::Array(lb)) if la.len() == lb.len() => {
            for (i, (x, y)) in la.iter().zip(lb).enumerate() {
                changed(&format!("{prefix}[{i}]"), x, y, out);
            }
        }
        _ => out.push(if prefix.is_empty() {
            ".".into()
        } else {
            prefix.to_string()
        }),
    }
}

/// Decoded byte length of every `data` key of a normalised Secret.
fn secret_lengths(secret: Option<&Value>) -> Vec<(String, Vec<u8>)> {
    secret
        .and_then(|s| s.get("data"))
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let raw = v.as_str().unwrap_or_default();
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(raw)
                        .unwrap_or_else(|_| raw.as_bytes().to_vec());
                    (k.clone(), bytes)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn key_changes(before: Option<&Value>, after: Option<&Value>) -> Vec<KeyChange> {
    let old = secret_lengths(before);
    let new = secret_lengths(after);
    let mut out = Vec::new();
    for (k, v) in &new {
        match old.iter().find(|(ok, _)| ok == k) {
            None => out.push(KeyChange::Added {
                key: k.clone(),
                bytes: v.len(),
            }),
            Some((_, ov)) if ov != v => out.push(KeyChange::Changed {
                key: k.clone(),
                old_bytes: ov.len(),
                new_bytes: v.len(),
            }),
            Some(_) => {}
        }
    }
    for (k, v) in &old {
        if !new.iter().any(|(nk, _)| nk == k) {
            out.push(KeyChange::Removed {
                key: k.clone(),
                bytes: v.len(),
            });
        }
    }
    out
}

/// How to render diffs.
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions {
    /// ANSI colour.
    pub color: bool,
    /// Show Secret values (decoded) instead of masking them.
    pub show_secrets: bool,
    /// Lines of context around each change.
    pub context_lines: usize,
}

fn paint(on: bool, code: &str, text: &str) -> String {
    crate::ui::paint(on, code, text)
}

const MASKED: &str = "<masked>";

/// Whether a drift path is a Secret value.
fn secret_path(path: &str) -> bool {
    path.starts_with("data.") || path.starts_with("stringData.") || path == "data"
}

/// The copy of a normalised object shown in a diff: Secret data removed
/// (masked) or decoded (`show_secrets`).
fn shown(obj: &Value, show_secrets: bool) -> Value {
    let mut out = obj.clone();
    if !show_secrets && normalise::is_list(obj) {
        if let Some(items) = out.get_mut("items").and_then(Value::as_array_mut) {
            for item in items.iter_mut() {
                *item = shown(item, false);
            }
        }
        return out;
    }
    if is_secret(obj) {
        if let Some(map) = out.as_object_mut() {
            if show_secrets {
                if let Some(Value::Object(data)) = map.get_mut("data") {
                    for v in data.values_mut() {
                        let raw = v.as_str().unwrap_or_default().to_string();
                        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&raw) {
                            if let Ok(text) = String::from_utf8(bytes) {
                                *v = Value::String(text);
                            }
                        }
                    }
                }
            } else {
                map.remove("data");
                map.remove("stringData");
            }
        }
    }
    out
}

fn yaml(v: Option<&Value>, show_secrets: bool) -> String {
    match v {
        None => String::new(),
        Some(v) => serde_yaml_ng::to_string(&shown(v, show_secrets)).unwrap_or_default(),
    }
}

/// Where `after` holds a string with a value from a SOPS file, replace both
/// that string and the string at the same path of `before` by the mask.
fn mask_paired(before: &mut Value, after: &mut Value) {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            for (k, av) in a.iter_mut() {
                if let Some(bv) = b.get_mut(k) {
                    mask_paired(bv, av);
                }
            }
        }
        (Value::Array(b), Value::Array(a)) => {
            for (bv, av) in b.iter_mut().zip(a.iter_mut()) {
                mask_paired(bv, av);
            }
        }
        (b @ Value::String(_), Value::String(a)) => {
            if matches!(crate::ui::mask::mask_always(a), std::borrow::Cow::Owned(_)) {
                *b = Value::from(crate::ui::mask::MASK);
            }
        }
        _ => {}
    }
}

/// Render one object's diff (header, drift notes, hunks, masked Secret keys).
pub fn render_object(d: &ObjectDiff, opts: &RenderOptions) -> String {
    let out = render_object_unmasked(d, opts);
    // Values from SOPS files wherever they landed (any kind, any field).
    if opts.show_secrets {
        out
    } else {
        crate::ui::mask::mask_always(&out).into_owned()
    }
}

fn render_object_unmasked(d: &ObjectDiff, opts: &RenderOptions) -> String {
    let mut out = String::new();
    let (code, sign) = match d.action {
        Action::Add => ("32;1", "+"),
        Action::Change => ("33;1", "~"),
        Action::Delete => ("31;1", "-"),
        Action::Unchanged => ("2", "="),
    };
    let _ = writeln!(
        out,
        "{}",
        paint(opts.color, code, &format!("{sign} {}", d.object))
    );
    if d.action == Action::Unchanged {
        return out;
    }
    let secret = d
        .before
        .as_ref()
        .or(d.after.as_ref())
        .is_some_and(is_secret);
    let list = d
        .before
        .as_ref()
        .or(d.after.as_ref())
        .is_some_and(normalise::holds_secret);
    for drift in &d.drift {
        let masked = (secret && secret_path(&drift.path)) || (list && !secret);
        let (live, want) = if masked && !opts.show_secrets {
            (MASKED.to_string(), MASKED.to_string())
        } else {
            (scalar(&drift.live), scalar(&drift.desired))
        };
        let _ = writeln!(
            out,
            "{}",
            paint(
                opts.color,
                "35",
                &format!(
                    "  ! drift: {} is {live} on the cluster (owned by field manager {}), berth wants {want}",
                    drift.path, drift.manager
                )
            )
        );
    }
    let (before, after) = if opts.show_secrets {
        (yaml(d.before.as_ref(), true), yaml(d.after.as_ref(), true))
    } else {
        // A field that holds a value from a SOPS file now held a secret
        // before too (an older version of it, in no file any more): mask the
        // old value at the same place.
        let mut b = d.before.as_ref().map(|v| shown(v, false));
        let mut a = d.after.as_ref().map(|v| shown(v, false));
        if let (Some(b), Some(a)) = (b.as_mut(), a.as_mut()) {
            mask_paired(b, a);
        }
        let text = |v: Option<Value>| {
            v.map(|v| serde_yaml_ng::to_string(&v).unwrap_or_default())
                .unwrap_or_default()
        };
        (text(b), text(a))
    };
    let text = TextDiff::from_lines(&before, &after);
    for hunk in text
        .unified_diff()
        .context_radius(opts.context_lines)
        .iter_hunks()
    {
        let _ = writeln!(
            out,
            "{}",
            paint(opts.color, "36", &hunk.header().to_string())
        );
        for change in hunk.iter_changes() {
            let line = change.value().trim_end_matches('\n');
            let _ = match change.tag() {
                ChangeTag::Delete => {
                    writeln!(out, "{}", paint(opts.color, "31", &format!("-{line}")))
                }
                ChangeTag::Insert => {
                    writeln!(out, "{}", paint(opts.color, "32", &format!("+{line}")))
                }
                ChangeTag::Equal => writeln!(out, " {line}"),
            };
        }
    }
    if secret && !opts.show_secrets {
        for k in &d.secret_keys {
            let line = match k {
                KeyChange::Added { key, bytes } => paint(
                    opts.color,
                    "32",
                    &format!("+ {key}: <added, {bytes} bytes>"),
                ),
                KeyChange::Removed { key, bytes } => paint(
                    opts.color,
                    "31",
                    &format!("- {key}: <removed, {bytes} bytes>"),
                ),
                KeyChange::Changed {
                    key,
                    old_bytes,
                    new_bytes,
                } => paint(
                    opts.color,
                    "33",
                    &format!("~ {key}: <changed, {old_bytes} → {new_bytes} bytes>"),
                ),
            };
            let _ = writeln!(out, "  {line}");
        }
    }
    out
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Counts of a set of diffs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub delete: usize,
    pub unchanged: usize,
}

impl Summary {
    /// Count the actions of `diffs`.
    pub fn of<'a>(diffs: impl IntoIterator<Item = &'a ObjectDiff>) -> Summary {
        let mut s = Summary::default();
        for d in diffs {
            match d.action {
                Action::Add => s.add += 1,
                Action::Change => s.change += 1,
                Action::Delete => s.delete += 1,
                Action::Unchanged => s.unchanged += 1,
            }
        }
        s
    }
    /// Whether anything changes.
    pub fn has_changes(&self) -> bool {
        self.add + self.change + self.delete > 0
    }
    /// Add another summary.
    pub fn merge(&mut self, other: Summary) {
        self.add += other.add;
        self.change += other.change;
        self.delete += other.delete;
        self.unchanged += other.unchanged;
    }
}

impl std::fmt::Display for Summary {
    /// `3 to add, 2 to change, 1 to delete`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} to add, {} to change, {} to delete",
            self.add, self.change, self.delete
        )
    }
}

/// A drift entry as JSON (Secret values masked unless shown).
#[derive(Debug, Clone, Serialize)]
pub struct DriftJson {
    pub path: String,
    pub manager: String,
    pub live: Value,
    pub desired: Value,
}

/// One object's diff as JSON: no object bodies, no Secret values.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectDiffJson {
    pub action: Action,
    pub api_version: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    pub changed_paths: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<DriftJson>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secret_keys: Vec<KeyChange>,
}

impl ObjectDiff {
    /// The JSON view. Drift values of Secret data are masked unless `show_secrets`.
    pub fn to_json(&self, show_secrets: bool) -> ObjectDiffJson {
        let secret = self
            .before
            .as_ref()
            .or(self.after.as_ref())
            .is_some_and(is_secret);
        let list = self
            .before
            .as_ref()
            .or(self.after.as_ref())
            .is_some_and(normalise::holds_secret);
        ObjectDiffJson {
            action: self.action,
            api_version: self.object.api_version.clone(),
            kind: self.object.kind.clone(),
            namespace: self.object.namespace.clone(),
            name: self.object.name.clone(),
            changed_paths: self.changed_paths.clone(),
            drift: self
                .drift
                .iter()
                .map(|d| {
                    let mask =
                        ((secret && secret_path(&d.path)) || (list && !secret)) && !show_secrets;
                    DriftJson {
                        path: d.path.clone(),
                        manager: d.manager.clone(),
                        live: if mask {
                            Value::from(MASKED)
                        } else {
                            d.live.clone()
                        },
                        desired: if mask {
                            Value::from(MASKED)
                        } else {
                            d.desired.clone()
                        },
                    }
                })
                .collect(),
            secret_keys: self.secret_keys.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn oref(kind: &str, name: &str) -> ObjectRef {
        ObjectRef {
            api_version: "v1".into(),
            kind: kind.into(),
            namespace: Some("jupyter".into()),
            name: name.into(),
        }
    }

    fn plain() -> RenderOptions {
        RenderOptions {
            color: false,
            show_secrets: false,
            context_lines: 3,
        }
    }

    #[test]
    fn unchanged_when_only_server_fields_differ() {
        let live = json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","uid":"1","resourceVersion":"5"},"data":{"a":"1"}});
        let result = json!({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c","resourceVersion":"6"},"data":{"a":"1"}});
        let d = compare(
            oref("ConfigMap", "c"),
            Some(&live),
            Some(&result),
            Some(&result),
            "berth",
        );
        assert_eq!(d.action, Action::Unchanged);
        assert!(d.changed_paths.is_empty());
    }

    #[test]
    fn change_renders_header_hunk_and_paths() {
        let live = json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"1","b":"2"}});
        let result = json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"1","b":"3"}});
        let d = compare(
            oref("ConfigMap", "c"),
            Some(&live),
            Some(&result),
            Some(&result),
            "berth",
        );
        assert_eq!(d.action, Action::Change);
        assert_eq!(d.changed_paths, vec!["data.b"]);
        let text = render_object(&d, &plain());
        assert_eq!(
            text,
            "~ ConfigMap jupyter/c\n@@ -4,4 +4,4 @@\n   name: c\n data:\n   a: '1'\n-  b: '2'\n+  b: '3'\n"
        );
        let one = render_object(
            &d,
            &RenderOptions {
                context_lines: 0,
                ..plain()
            },
        );
        assert_eq!(
            one,
            "~ ConfigMap jupyter/c\n@@ -7 +7 @@\n-  b: '2'\n+  b: '3'\n"
        );
    }

    #[test]
    fn add_and_delete_and_summary() {
        let obj = json!({"apiVersion":"v1","kind":"Service","metadata":{"name":"proxy"}});
        let add = compare(
            oref("Service", "proxy"),
            None,
            Some(&obj),
            Some(&obj),
            "berth",
        );
        let del = compare(oref("ConfigMap", "old"), Some(&obj), None, None, "berth");
        assert_eq!(add.action, Action::Add);
        assert_eq!(del.action, Action::Delete);
        assert!(render_object(&add, &plain()).starts_with("+ Service jupyter/proxy\n"));
        assert!(render_object(&del, &plain()).starts_with("- ConfigMap jupyter/old\n"));
        let s = Summary::of([&add, &del, &add]);
        assert_eq!(s.to_string(), "2 to add, 0 to change, 1 to delete");
        assert!(s.has_changes());
        assert!(!Summary::default().has_changes());
    }

    #[test]
    fn coloured_lines_carry_ansi_codes() {
        let obj = json!({"apiVersion":"v1","kind":"Service","metadata":{"name":"proxy"}});
        let add = compare(
            oref("Service", "proxy"),
            None,
            Some(&obj),
            Some(&obj),
            "berth",
        );
        let text = render_object(
            &add,
            &RenderOptions {
                color: true,
                ..plain()
            },
        );
        assert!(text.contains("\x1b[32m+kind: Service\x1b[0m"), "{text}");
    }

    #[test]
    fn secret_values_are_masked_with_lengths() {
        let old = json!({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},
            "data":{"same":"c2FtZQ==","password":"b2xkcGFzcw==","gone":"eA=="}});
        let new = json!({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},
            "data":{"same":"c2FtZQ=="},"stringData":{"password":"n3w-s3cr3t-pw","token":"tok-123"}});
        let d = compare(
            oref("Secret", "s"),
            Some(&old),
            Some(&new),
            Some(&new),
            "berth",
        );
        assert_eq!(d.action, Action::Change);
        let text = render_object(&d, &plain());
        for secret in [
            "oldpass",
            "b2xkcGFzcw==",
            "n3w-s3cr3t-pw",
            "tok-123",
            "c2FtZQ==",
            "same",
        ] {
            assert!(!text.contains(secret), "{secret} leaked:\n{text}");
        }
        assert!(
            text.contains("~ password: <changed, 7 → 13 bytes>"),
            "{text}"
        );
        assert!(text.contains("+ token: <added, 7 bytes>"), "{text}");
        assert!(text.contains("- gone: <removed, 1 bytes>"), "{text}");
        let json = serde_json::to_string(&d.to_json(false)).unwrap();
        assert!(!json.contains("n3w-s3cr3t-pw") && !json.contains("b2xkcGFzcw=="));
        assert!(json.contains("data.password"));
        let shown = render_object(
            &d,
            &RenderOptions {
                show_secrets: true,
                ..plain()
            },
        );
        assert!(shown.contains("n3w-s3cr3t-pw"), "{shown}");
    }

    #[test]
    fn drift_is_shown_with_manager_live_and_desired() {
        let live = json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"hub",
            "managedFields":[{"manager":"kubectl-scale","operation":"Update","fieldsV1":{"f:spec":{"f:replicas":{}}}}]},
            "spec":{"replicas":5}});
        let applied = json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"hub"},"spec":{"replicas":2}});
        let d = compare(
            oref("Deployment", "hub"),
            Some(&live),
            Some(&applied),
            Some(&applied),
            "berth",
        );
        let text = render_object(&d, &plain());
        assert!(
            text.contains("drift: spec.replicas is 5 on the cluster (owned by field manager kubectl-scale), berth wants 2"),
            "{text}"
        );
        assert_eq!(d.to_json(false).drift[0].manager, "kubectl-scale");
    }
}
