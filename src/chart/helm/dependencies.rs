//! Helm's `ProcessDependencies` (`pkg/chart/v2/util/dependencies.go`), run
//! on a loaded chart with the user's values before they are coalesced and
//! the chart renders: which subcharts are enabled (`tags`, then `condition`:
//! the first comma-separated path that holds a bool wins), `alias` (a renamed
//! copy of the subchart, so one chart can be used twice), disabled subcharts
//! removed, then `import-values` (both the `child`/`parent` form and the
//! string form meaning `exports.NAME`) copied from each child into its
//! parent's defaults, the parent's own values winning. The loaded chart is
//! never changed: [`process`] returns a processed copy.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::rc::Rc;

use serde_json::{Map, Value as Json};

use super::{Dependency, HelmChart};
use crate::values::{coalesce_mode, coalesce_tables_mode, SubchartValuesError};

/// Why the dependencies of a chart could not be processed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DependencyError {
    /// Helm's `chart dependencies processing failed: ...` (values of a
    /// subchart that are not a map).
    #[error("chart dependencies processing failed: {0}")]
    Values(#[from] SubchartValuesError),
}

/// A chart after [`process`], with what Helm warns about on the way (values
/// are never named, only paths).
#[derive(Debug, Clone)]
pub struct Processed {
    pub chart: HelmChart,
    pub warnings: Vec<String>,
}

/// Helm's `ProcessDependencies(chart, user)`: enabled subcharts (aliases
/// applied) and imported values, on a copy of `chart`.
pub fn process(chart: &HelmChart, user: &Map<String, Json>) -> Result<Processed, DependencyError> {
    let mut chart = chart.clone();
    let mut warnings = Vec::new();
    process_enabled(&mut chart, user, "", &mut warnings)?;
    process_import_values(&mut chart, &mut warnings)?;
    Ok(Processed { chart, warnings })
}

/// Helm's `IsCompatibleRange`: whether `version` parses and meets `constraint`.
fn compatible(constraint: &str, version: &str) -> bool {
    crate::template::go::semver_matches(constraint, version).unwrap_or(false)
}

/// Helm's `processDependencyEnabled`: `v` is the values seen from the top
/// chart, `path` the dotted prefix of `chart` in them (`sub.` for a subchart).
fn process_enabled(
    chart: &mut HelmChart,
    v: &Map<String, Json>,
    path: &str,
    warnings: &mut Vec<String>,
) -> Result<(), DependencyError> {
    if chart.metadata.dependencies.is_empty() {
        return Ok(());
    }
    let matches = |req: &Dependency, sub: &HelmChart| {
        sub.metadata.name == req.name && compatible(&req.version, &sub.metadata.version)
    };
    // Subcharts no Chart.yaml entry names (at a compatible version) stay as they are.
    let mut subcharts: Vec<HelmChart> = chart
        .dependencies
        .iter()
        .filter(|sub| !chart.metadata.dependencies.iter().any(|r| matches(r, sub)))
        .cloned()
        .collect();
    for req in &mut chart.metadata.dependencies {
        if let Some(found) = chart.dependencies.iter().find(|sub| matches(req, sub)) {
            let mut copy = found.clone();
            if !req.alias.is_empty() {
                copy.metadata.name = req.alias.clone();
            }
            subcharts.push(copy);
        }
        if !req.alias.is_empty() {
            req.name = req.alias.clone();
        }
    }
    chart.dependencies = subcharts;
    for req in &mut chart.metadata.dependencies {
        req.enabled = true;
    }
    let cvals = coalesce_mode(&chart.defaults(), v.clone(), "", false, &mut Vec::new())?;
    apply_tags(&mut chart.metadata.dependencies, &cvals, warnings);
    apply_conditions(&mut chart.metadata.dependencies, &cvals, path, warnings);
    let disabled: HashSet<String> = chart
        .metadata
        .dependencies
        .iter()
        .filter(|r| !r.enabled)
        .map(|r| r.name.clone())
        .collect();
    chart
        .dependencies
        .retain(|sub| !disabled.contains(&sub.metadata.name));
    chart
        .metadata
        .dependencies
        .retain(|r| !disabled.contains(&r.name));
    for sub in &mut chart.dependencies {
        let subpath = format!("{path}{}.", sub.metadata.name);
        process_enabled(sub, &cvals, &subpath, warnings)?;
    }
    Ok(())
}

/// Helm's `processDependencyTags`: a dependency with a `tags` entry set to
/// `true` is enabled; one whose tags are only `false` is disabled.
fn apply_tags(reqs: &mut [Dependency], cvals: &Map<String, Json>, warnings: &mut Vec<String>) {
    let Some(Json::Object(tags)) = cvals.get("tags") else {
        return;
    };
    for r in reqs {
        let (mut has_true, mut has_false) = (false, false);
        for k in &r.tags {
            match tags.get(k) {
                None => {}
                Some(Json::Bool(true)) => has_true = true,
                Some(Json::Bool(false)) => has_false = true,
                Some(_) => warnings.push(format!(
                    "tag {k:?} of dependency {:?} is not a bool; ignored",
                    r.name
                )),
            }
        }
        // Disabled only when some tag is false and none is true.
        r.enabled = has_true || !has_false;
    }
}

/// Helm's `processDependencyConditions`: the first comma-separated path of
/// `condition` (below `path`) that holds a bool decides.
fn apply_conditions(
    reqs: &mut [Dependency],
    cvals: &Map<String, Json>,
    path: &str,
    warnings: &mut Vec<String>,
) {
    for r in reqs {
        let condition = r.condition.trim().to_string();
        for c in condition.split(',') {
            if c.is_empty() {
                continue;
            }
            match path_value(cvals, &format!("{path}{c}")) {
                Some(Json::Bool(b)) => {
                    r.enabled = *b;
                    break;
                }
                Some(_) => warnings.push(format!(
                    "condition path {c:?} of dependency {:?} is not a bool; ignored",
                    r.name
                )),
                None => {}
            }
        }
    }
}

/// Helm's `Values.PathValue`: the non-map value at a dotted path.
fn path_value<'a>(v: &'a Map<String, Json>, path: &str) -> Option<&'a Json> {
    let parts: Vec<&str> = path.split('.').collect();
    let (key, tables) = parts.split_last()?;
    let mut table = v;
    for t in tables {
        match table.get(*t) {
            Some(Json::Object(m)) => table = m,
            _ => return None,
        }
    }
    table.get(*key).filter(|x| !x.is_object())
}

/// Helm's `processDependencyImportValues` with merging: children first, then
/// the chart itself.
fn process_import_values(
    chart: &mut HelmChart,
    warnings: &mut Vec<String>,
) -> Result<(), DependencyError> {
    for sub in &mut chart.dependencies {
        process_import_values(sub, warnings)?;
    }
    if chart.metadata.dependencies.is_empty() {
        return Ok(());
    }
    let merged = coalesce_mode(&chart.defaults(), Map::new(), "", true, &mut Vec::new())?;
    // Helm's imports share tables with these values (Go maps are
    // references); a shared tree keeps what that does when two imports land
    // on the same parent key.
    let cvals = Node::from_json_map(&merged);
    let imported: Table = Rc::new(RefCell::new(BTreeMap::new()));
    for r in &mut chart.metadata.dependencies {
        let mut normalised = Vec::new();
        for riv in &r.import_values {
            let (child, parent) = match riv {
                Json::Object(iv) => (go_text(iv.get("child")), go_text(iv.get("parent"))),
                Json::String(s) => (format!("exports.{s}"), ".".to_string()),
                _ => continue,
            };
            normalised.push(serde_json::json!({"child": child, "parent": parent}));
            let Some(table) = table(&cvals, &format!("{}.{child}", r.name)) else {
                warnings.push(format!(
                    "import-values of dependency {:?}: no table {child:?} in its values; skipped",
                    r.name
                ));
                continue;
            };
            let source = if parent == "." {
                table
            } else {
                path_to_map(&parent, table)
            };
            merge_shared(&imported, &source);
        }
        r.import_values = normalised;
    }
    let mut values = Node::to_json_map(&cvals);
    let imported = Node::to_json_map(&imported);
    coalesce_tables_mode(&mut values, imported, "", true, &mut Vec::new());
    chart.values = Json::Object(values);
    Ok(())
}

/// Go's `fmt.Sprintf("%v", x)` for an `import-values` field.
fn go_text(v: Option<&Json>) -> String {
    match v {
        None | Some(Json::Null) => "<nil>".into(),
        Some(Json::String(s)) => s.clone(),
        Some(other) => super::metadata::scalar_text(other).unwrap_or_else(|| other.to_string()),
    }
}

type Table = Rc<RefCell<BTreeMap<String, Node>>>;

/// A values tree whose maps are shared references, as Go's maps are.
#[derive(Clone)]
enum Node {
    Map(Table),
    Leaf(Json),
}

impl Node {
    fn from_json(v: &Json) -> Node {
        match v {
            Json::Object(m) => Node::Map(Node::from_json_map(m)),
            other => Node::Leaf(other.clone()),
        }
    }

    fn from_json_map(m: &Map<String, Json>) -> Table {
        Rc::new(RefCell::new(
            m.iter()
                .map(|(k, v)| (k.clone(), Node::from_json(v)))
                .collect(),
        ))
    }

    fn to_json(&self) -> Json {
        match self {
            Node::Map(t) => Json::Object(Node::to_json_map(t)),
            Node::Leaf(v) => v.clone(),
        }
    }

    fn to_json_map(t: &Table) -> Map<String, Json> {
        t.borrow()
            .iter()
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect()
    }
}

/// Helm's `Values.Table`: the map at a dotted path (shared, not copied).
fn table(root: &Table, path: &str) -> Option<Table> {
    let mut cur = root.clone();
    for part in path.split('.') {
        let next = match cur.borrow().get(part) {
            Some(Node::Map(t)) => t.clone(),
            _ => return None,
        };
        cur = next;
    }
    Some(cur)
}

/// Helm's `pathToMap`: `data` nested under the dotted `path`.
fn path_to_map(path: &str, data: Table) -> Table {
    let mut cur = Node::Map(data);
    for part in path.split('.').rev() {
        let mut m = BTreeMap::new();
        m.insert(part.to_string(), cur);
        cur = Node::Map(Rc::new(RefCell::new(m)));
    }
    match cur {
        Node::Map(t) => t,
        Node::Leaf(_) => Rc::new(RefCell::new(BTreeMap::new())),
    }
}

/// Helm's `MergeTables(dst, src)` on shared tables: keys `dst` lacks are
/// taken from `src` (the table itself, not a copy); maps on both sides merge.
fn merge_shared(dst: &Table, src: &Table) {
    if Rc::ptr_eq(dst, src) {
        return;
    }
    let nulls: Vec<String> = dst
        .borrow()
        .iter()
        .filter(|(_, v)| matches!(v, Node::Leaf(Json::Null)))
        .map(|(k, _)| k.clone())
        .collect();
    for k in nulls {
        src.borrow_mut().insert(k, Node::Leaf(Json::Null));
    }
    let entries: Vec<(String, Node)> = src
        .borrow()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (key, val) in entries {
        let existing = dst.borrow().get(&key).cloned();
        match (existing, val) {
            (None, val) => {
                dst.borrow_mut().insert(key, val);
            }
            (Some(Node::Map(d)), Node::Map(s)) => merge_shared(&d, &s),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn path_values_and_tables() {
        let v = json!({"a": {"b": true, "m": {}}, "t": 1});
        let m = v.as_object().unwrap();
        assert_eq!(path_value(m, "a.b"), Some(&json!(true)));
        assert_eq!(path_value(m, "a.m"), None);
        assert_eq!(path_value(m, "t"), Some(&json!(1)));
        assert_eq!(path_value(m, "x.y"), None);
        let root = Node::from_json_map(m);
        assert!(table(&root, "a.m").is_some());
        assert!(table(&root, "a.b").is_none());
    }

    #[test]
    fn two_imports_onto_one_parent_key_share_the_first_table() {
        let root = Node::from_json_map(
            json!({"sub": {"a": {"x": 1}, "b": {"y": 2}}})
                .as_object()
                .unwrap(),
        );
        let b: Table = Rc::new(RefCell::new(BTreeMap::new()));
        merge_shared(&b, &path_to_map("p", table(&root, "sub.a").unwrap()));
        merge_shared(&b, &path_to_map("p", table(&root, "sub.b").unwrap()));
        assert_eq!(
            Json::Object(Node::to_json_map(&b)),
            json!({"p": {"x": 1, "y": 2}})
        );
        // As in Helm, the first imported table itself received the second's keys.
        assert_eq!(
            Json::Object(Node::to_json_map(&root)),
            json!({"sub": {"a": {"x": 1, "y": 2}, "b": {"y": 2}}})
        );
    }
}
