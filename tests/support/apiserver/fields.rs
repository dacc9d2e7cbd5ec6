//! Field ownership: `metadata.managedFields` in the real `FieldsV1` format
//! (`f:`/`k:`/`v:`/`.` keys), server-side apply (merge, conflicts, force,
//! removal of fields a manager stops applying) and the ownership moves of
//! update operations. Pure functions on JSON objects; no storage, no HTTP.

use super::lists::{key_value, list_type, same_key, ListType};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// A path to one owned field: fieldsV1 keys from the object root.
pub type Path = Vec<String>;
/// A set of owned fields.
pub type FieldSet = BTreeSet<Path>;

/// One `managedFields` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The field manager's name.
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: String,
    /// The apiVersion the manager wrote with.
    pub api_version: String,
    /// When the entry last changed (RFC 3339).
    pub time: String,
    /// `status`/`scale` when written through a subresource.
    pub subresource: Option<String>,
    /// The fields the manager owns.
    pub set: FieldSet,
}

impl Entry {
    fn same_slot(&self, manager: &str, operation: &str, subresource: Option<&str>) -> bool {
        self.manager == manager
            && self.operation == operation
            && self.subresource.as_deref() == subresource
    }
}

/// A field ownership conflict: another manager owns `path` with a different value.
#[derive(Clone, Debug)]
pub struct Conflict {
    /// The manager owning the field.
    pub manager: String,
    /// The apiVersion of its entry.
    pub api_version: String,
    /// Its subresource, if it wrote through one.
    pub subresource: Option<String>,
    /// The contested field.
    pub path: Path,
}

impl Conflict {
    /// The cause message, as the API server words it.
    pub fn manager_text(&self) -> String {
        match &self.subresource {
            Some(s) => format!(
                "conflict with \"{}\" with subresource \"{}\" using {}",
                self.manager, s, self.api_version
            ),
            None => format!(
                "conflict with \"{}\" using {}",
                self.manager, self.api_version
            ),
        }
    }
    /// The field in `.spec.replicas` notation.
    pub fn field(&self) -> String {
        render_path(&self.path)
    }
}

/// The message of a 409 for `conflicts`.
pub fn conflict_message(conflicts: &[Conflict]) -> String {
    if conflicts.len() == 1 {
        let c = &conflicts[0];
        return format!(
            "Apply failed with 1 conflict: {}: {}",
            c.manager_text(),
            c.field()
        );
    }
    let mut msg = format!("Apply failed with {} conflicts: ", conflicts.len());
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for c in conflicts {
        let head = c
            .manager_text()
            .replacen("conflict with", "conflicts with", 1);
        match groups.iter_mut().find(|(h, _)| *h == head) {
            Some((_, fields)) => fields.push(c.field()),
            None => groups.push((head, vec![c.field()])),
        }
    }
    let parts: Vec<String> = groups
        .into_iter()
        .map(|(h, fields)| {
            let list: Vec<String> = fields.iter().map(|f| format!("- {f}")).collect();
            format!("{h}:\n{}", list.join("\n"))
        })
        .collect();
    msg.push_str(&parts.join("\n"));
    msg
}

/// Render a path like `.spec.template.spec.containers[name="app"].image`.
pub fn render_path(path: &Path) -> String {
    let mut out = String::new();
    for el in path {
        if let Some(f) = el.strip_prefix("f:") {
            out.push('.');
            out.push_str(f);
        } else if let Some(k) = el.strip_prefix("k:") {
            let parts: Vec<String> = serde_json::from_str::<Map<String, Value>>(k)
                .map(|m| m.iter().map(|(k, v)| format!("{k}={v}")).collect())
                .unwrap_or_default();
            out.push_str(&format!("[{}]", parts.join(",")));
        } else if let Some(v) = el.strip_prefix("v:") {
            out.push_str(&format!("[={v}]"));
        }
    }
    out
}

/// Metadata fields that identify or are owned by the server, never by managers.
const SERVER_METADATA: [&str; 9] = [
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "deletionTimestamp",
    "selfLink",
];

/// The fields set in `obj` (apiVersion, kind, identity metadata and status excluded).
pub fn field_set(obj: &Value) -> FieldSet {
    let mut set = FieldSet::new();
    if let Value::Object(m) = obj {
        for (k, v) in m {
            match k.as_str() {
                "apiVersion" | "kind" | "status" => {}
                "metadata" => {
                    if let Value::Object(md) = v {
                        for (mk, mv) in md {
                            if !SERVER_METADATA.contains(&mk.as_str()) {
                                walk(mk, mv, vec!["f:metadata".into()], &mut set);
                            }
                        }
                    }
                }
                _ => walk(k, v, vec![], &mut set),
            }
        }
    }
    set
}

/// The fields of `obj` under `.spec.replicas`-style prefix `root` only (e.g. for status).
pub fn field_set_under(obj: &Value, field: &str) -> FieldSet {
    let mut set = FieldSet::new();
    if let Some(v) = obj.get(field) {
        walk(field, v, vec![], &mut set);
    }
    set
}

fn walk(name: &str, v: &Value, mut prefix: Path, set: &mut FieldSet) {
    prefix.push(format!("f:{name}"));
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, child) in m {
                walk(k, child, prefix.clone(), set);
            }
        }
        Value::Array(items) if !items.is_empty() => match list_type(name, items) {
            ListType::Map(keys) => {
                for item in items {
                    let mut p = prefix.clone();
                    p.push(item_key(item, &keys));
                    let mut dot = p.clone();
                    dot.push(".".into());
                    set.insert(dot);
                    if let Value::Object(m) = item {
                        for (k, child) in m {
                            walk(k, child, p.clone(), set);
                        }
                    }
                }
            }
            ListType::Set => {
                for item in items {
                    let mut p = prefix.clone();
                    p.push(format!("v:{item}"));
                    set.insert(p);
                }
            }
            ListType::Atomic => {
                set.insert(prefix);
            }
        },
        _ => {
            set.insert(prefix);
        }
    }
}

fn item_key(item: &Value, keys: &[&str]) -> String {
    let mut sorted: Vec<&str> = keys.to_vec();
    sorted.sort_unstable();
    let parts: Vec<String> = sorted
        .iter()
        .map(|k| format!("{}:{}", Value::String((*k).into()), key_value(item, k)))
        .collect();
    format!("k:{{{}}}", parts.join(","))
}

/// The value at `path` in `obj` (`.` resolves to the list item itself).
pub fn resolve<'a>(obj: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut cur = obj;
    for el in path {
        cur = step(cur, el)?;
    }
    Some(cur)
}

fn step<'a>(cur: &'a Value, el: &str) -> Option<&'a Value> {
    if let Some(f) = el.strip_prefix("f:") {
        cur.get(f)
    } else if let Some(k) = el.strip_prefix("k:") {
        let key: Map<String, Value> = serde_json::from_str(k).ok()?;
        let keys: Vec<&str> = key.keys().map(String::as_str).collect();
        let probe = Value::Object(key.clone());
        cur.as_array()?.iter().find(|i| same_key(i, &probe, &keys))
    } else if let Some(v) = el.strip_prefix("v:") {
        let v: Value = serde_json::from_str(v).ok()?;
        cur.as_array()?.iter().find(|i| **i == v)
    } else if el == "." {
        Some(cur)
    } else {
        None
    }
}

/// Remove the field at `path` from `obj`; parents left empty by the removal are
/// removed too (below the top level).
pub fn remove(obj: &mut Value, path: &[String]) {
    let path = match path.last().map(String::as_str) {
        Some(".") => &path[..path.len() - 1],
        _ => path,
    };
    if path.is_empty() {
        return;
    }
    remove_rec(obj, path);
}

/// Returns whether `cur` became empty.
fn remove_rec(cur: &mut Value, path: &[String]) -> bool {
    let el = &path[0];
    if path.len() == 1 {
        if let Some(f) = el.strip_prefix("f:") {
            if let Value::Object(m) = cur {
                m.remove(f);
            }
        } else if let Value::Array(items) = cur {
            if let Some(idx) = index_of(items, el) {
                items.remove(idx);
            }
        }
    } else {
        let child: Option<&mut Value> = if let Some(f) = el.strip_prefix("f:") {
            cur.get_mut(f)
        } else if let Value::Array(items) = cur {
            index_of(items, el).map(move |i| &mut items[i])
        } else {
            None
        };
        if let Some(child) = child {
            if remove_rec(child, &path[1..]) && path.len() > 1 {
                if let (Some(f), Value::Object(m)) = (el.strip_prefix("f:"), &mut *cur) {
                    m.remove(f);
                }
            }
        }
    }
    match cur {
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

fn index_of(items: &[Value], el: &str) -> Option<usize> {
    if let Some(k) = el.strip_prefix("k:") {
        let key: Map<String, Value> = serde_json::from_str(k).ok()?;
        let keys: Vec<&str> = key.keys().map(String::as_str).collect();
        let probe = Value::Object(key.clone());
        items.iter().position(|i| same_key(i, &probe, &keys))
    } else if let Some(v) = el.strip_prefix("v:") {
        let v: Value = serde_json::from_str(v).ok()?;
        items.iter().position(|i| *i == v)
    } else {
        None
    }
}

/// Server-side-apply merge of `applied` into `live`: maps recursively,
/// associative lists by key, sets by value, everything else replaced.
pub fn merge(live: &mut Value, applied: &Value) {
    match (live, applied) {
        (Value::Object(l), Value::Object(a)) => {
            for (k, av) in a {
                match l.get_mut(k) {
                    Some(lv) => merge_field(k, lv, av),
                    None => {
                        l.insert(k.clone(), av.clone());
                    }
                }
            }
        }
        (l, a) => *l = a.clone(),
    }
}

fn merge_field(name: &str, lv: &mut Value, av: &Value) {
    match (&mut *lv, av) {
        (Value::Object(_), Value::Object(_)) => merge(lv, av),
        (Value::Array(litems), Value::Array(aitems)) => {
            let probe: Vec<Value> = aitems.iter().chain(litems.iter()).cloned().collect();
            match list_type(name, &probe) {
                ListType::Map(keys) => {
                    let mut out = Vec::with_capacity(aitems.len() + litems.len());
                    let mut rest: Vec<Option<Value>> = litems.drain(..).map(Some).collect();
                    for a in aitems {
                        let found = rest
                            .iter_mut()
                            .find(|l| l.as_ref().is_some_and(|l| same_key(l, a, &keys)))
                            .and_then(Option::take);
                        match found {
                            Some(mut l) => {
                                merge(&mut l, a);
                                out.push(l);
                            }
                            None => out.push(a.clone()),
                        }
                    }
                    out.extend(rest.into_iter().flatten());
                    *litems = out;
                }
                ListType::Set => {
                    for a in aitems {
                        if !litems.contains(a) {
                            litems.push(a.clone());
                        }
                    }
                }
                ListType::Atomic => *lv = av.clone(),
            }
        }
        _ => *lv = av.clone(),
    }
}

/// Read `metadata.managedFields` of `obj`.
pub fn entries(obj: &Value) -> Vec<Entry> {
    let Some(list) = obj["metadata"]["managedFields"].as_array() else {
        return vec![];
    };
    list.iter()
        .map(|e| {
            let mut set = FieldSet::new();
            tree_to_set(&e["fieldsV1"], &mut vec![], &mut set);
            Entry {
                manager: e["manager"].as_str().unwrap_or_default().into(),
                operation: e["operation"].as_str().unwrap_or("Update").into(),
                api_version: e["apiVersion"].as_str().unwrap_or_default().into(),
                time: e["time"].as_str().unwrap_or_default().into(),
                subresource: e["subresource"].as_str().map(String::from),
                set,
            }
        })
        .collect()
}

fn tree_to_set(tree: &Value, prefix: &mut Path, set: &mut FieldSet) {
    if let Value::Object(m) = tree {
        for (k, v) in m {
            prefix.push(k.clone());
            match v {
                Value::Object(c) if !c.is_empty() => tree_to_set(v, prefix, set),
                _ => {
                    set.insert(prefix.clone());
                }
            }
            prefix.pop();
        }
    }
}

/// The fieldsV1 tree of `set`.
pub fn set_to_tree(set: &FieldSet) -> Value {
    let mut root = Map::new();
    for path in set {
        let mut cur = &mut root;
        for el in path {
            let next = cur
                .entry(el.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(m) = next else { break };
            cur = m;
        }
    }
    Value::Object(root)
}

/// Write `entries` into `obj`'s `metadata.managedFields` (dropping empty ones).
pub fn write_entries(obj: &mut Value, entries: &[Entry]) {
    let list: Vec<Value> = entries
        .iter()
        .filter(|e| !e.set.is_empty())
        .map(|e| {
            let mut v = json!({
                "manager": e.manager, "operation": e.operation, "apiVersion": e.api_version,
                "time": e.time, "fieldsType": "FieldsV1", "fieldsV1": set_to_tree(&e.set),
            });
            if let Some(s) = &e.subresource {
                v["subresource"] = json!(s);
            }
            v
        })
        .collect();
    if let Some(md) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        if list.is_empty() {
            md.remove("managedFields");
        } else {
            md.insert("managedFields".into(), Value::Array(list));
        }
    }
}

/// Whether any path of `set` starts with `prefix`.
fn owns_under(set: &FieldSet, prefix: &[String]) -> bool {
    set.range(prefix.to_vec()..)
        .next()
        .is_some_and(|p| p.starts_with(prefix))
}

/// Server-side apply `applied` by `manager` onto `base` (the live object, or a
/// skeleton when creating). Returns the merged object with managedFields
/// updated, or the conflicts when not forced. Defaults are the caller's job.
pub fn apply(
    base: &Value,
    applied: &Value,
    manager: &str,
    api_version: &str,
    force: bool,
    now: &str,
) -> Result<Value, Vec<Conflict>> {
    let mut entries = entries(base);
    let applied_set = field_set(applied);
    let mine = |e: &Entry| e.same_slot(manager, "Apply", None);
    let mut conflicts = Vec::new();
    for e in entries.iter().filter(|e| !mine(e)) {
        for p in applied_set.intersection(&e.set) {
            if resolve(base, p) != resolve(applied, p) {
                conflicts.push(Conflict {
                    manager: e.manager.clone(),
                    api_version: e.api_version.clone(),
                    subresource: e.subresource.clone(),
                    path: p.clone(),
                });
            }
        }
    }
    if !conflicts.is_empty() && !force {
        return Err(conflicts);
    }
    for c in &conflicts {
        for e in entries.iter_mut() {
            if e.manager == c.manager && e.subresource == c.subresource && !mine(e) {
                e.set.remove(&c.path);
            }
        }
    }
    let mut merged = base.clone();
    let mut applied_body = applied.clone();
    if let Some(m) = applied_body.as_object_mut() {
        m.remove("status");
        if let Some(md) = m.get_mut("metadata").and_then(Value::as_object_mut) {
            for k in SERVER_METADATA {
                if k != "name" && k != "namespace" {
                    md.remove(k);
                }
            }
        }
    }
    merge(&mut merged, &applied_body);
    // fields this manager applied before but no longer does, owned by no one else
    let previous = entries
        .iter()
        .find(|e| mine(e))
        .map(|e| e.set.clone())
        .unwrap_or_default();
    for p in previous.difference(&applied_set) {
        let item = match p.last().map(String::as_str) {
            Some(".") => &p[..p.len() - 1],
            _ => &p[..],
        };
        let kept_by_other = entries
            .iter()
            .filter(|e| !mine(e))
            .any(|e| owns_under(&e.set, item));
        if !kept_by_other && !owns_under(&applied_set, item) {
            remove(&mut merged, p);
        }
    }
    match entries.iter_mut().find(|e| mine(e)) {
        Some(e) => {
            if e.set != applied_set || e.api_version != api_version {
                e.time = now.into();
            }
            e.set = applied_set;
            e.api_version = api_version.into();
        }
        None => entries.push(Entry {
            manager: manager.into(),
            operation: "Apply".into(),
            api_version: api_version.into(),
            time: now.into(),
            subresource: None,
            set: applied_set,
        }),
    }
    write_entries(&mut merged, &entries);
    Ok(merged)
}

/// Record an update (create, PUT, non-apply PATCH, subresource write) by
/// `manager`: fields that changed from `old` to `new` move to the manager's
/// Update entry; removed fields leave every entry. `new` gets the result.
pub fn record_update(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    api_version: &str,
    subresource: Option<&str>,
    now: &str,
) {
    let null = Value::Null;
    let old_obj = old.unwrap_or(&null);
    let mut entries = entries(old_obj);
    let new_set = match subresource {
        Some("status") => field_set_under(new, "status"),
        _ => field_set(new),
    };
    let old_set = match subresource {
        Some("status") => field_set_under(old_obj, "status"),
        _ => field_set(old_obj),
    };
    let changed: FieldSet = new_set
        .iter()
        .filter(|p| resolve(old_obj, p) != resolve(new, p) || !old_set.contains(*p))
        .cloned()
        .collect();
    let removed: Vec<&Path> = old_set.difference(&new_set).collect();
    for e in entries.iter_mut() {
        for p in &removed {
            e.set.remove(*p);
        }
        if !e.same_slot(manager, "Update", subresource) {
            for p in &changed {
                e.set.remove(p);
            }
        }
    }
    if !changed.is_empty() {
        match entries
            .iter_mut()
            .find(|e| e.same_slot(manager, "Update", subresource))
        {
            Some(e) => {
                e.set.extend(changed);
                e.time = now.into();
                e.api_version = api_version.into();
            }
            None => entries.push(Entry {
                manager: manager.into(),
                operation: "Update".into(),
                api_version: api_version.into(),
                time: now.into(),
                subresource: subresource.map(String::from),
                set: changed,
            }),
        }
    }
    write_entries(new, &entries);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deploy(replicas: i64, image: &str) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
            "spec": {"replicas": replicas, "template": {"spec": {"containers": [
                {"name": "app", "image": image, "ports": [{"containerPort": 80}]}]}}}})
    }

    #[test]
    fn field_set_uses_real_fieldsv1_keys() {
        let tree = set_to_tree(&field_set(&deploy(1, "a")));
        let c = &tree["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"app\"}"];
        assert!(c["."].is_object());
        assert!(c["f:ports"]["k:{\"containerPort\":80,\"protocol\":\"TCP\"}"]["."].is_object());
        assert!(tree["f:metadata"]["f:labels"]["f:app"].is_object());
        assert!(tree.get("f:apiVersion").is_none());
    }

    #[test]
    fn conflict_then_force_moves_ownership() {
        let created = apply(&json!({}), &deploy(1, "a"), "berth", "apps/v1", false, "t").unwrap();
        let mut scaled = created.clone();
        scaled["spec"]["replicas"] = json!(3);
        record_update(
            Some(&created),
            &mut scaled,
            "kubectl-scale",
            "apps/v1",
            Some("scale"),
            "t",
        );
        let err = apply(&scaled, &deploy(1, "a"), "berth", "apps/v1", false, "t").unwrap_err();
        assert_eq!(
            conflict_message(&err),
            "Apply failed with 1 conflict: conflict with \"kubectl-scale\" with subresource \"scale\" using apps/v1: .spec.replicas"
        );
        let forced = apply(&scaled, &deploy(1, "a"), "berth", "apps/v1", true, "t").unwrap();
        assert_eq!(forced["spec"]["replicas"], json!(1));
        assert_eq!(entries(&forced).len(), 1);
    }

    #[test]
    fn fields_no_longer_applied_are_removed() {
        let created = apply(&json!({}), &deploy(1, "a"), "berth", "apps/v1", false, "t").unwrap();
        let mut smaller = deploy(1, "a");
        smaller["metadata"]
            .as_object_mut()
            .unwrap()
            .remove("labels");
        let out = apply(&created, &smaller, "berth", "apps/v1", false, "t").unwrap();
        assert!(out["metadata"].get("labels").is_none(), "{out}");
    }
}
