//! Helm's two merges, and nothing else: `merge_maps` joins user-supplied
//! layers (Helm's `loader.MergeMaps`: maps merge deeply, anything else —
//! `null` included — replaces), and `coalesce` lays the merged user values
//! over a chart's `values.yaml` once (Helm v4's `CoalesceValues`: a user
//! `null` deletes the chart default's key, a `null` with no default stays,
//! nulls of the chart's own defaults are dropped, a type mismatch keeps the
//! user's value with a warning). Keys keep the chart's order, then the user's.
//! For charts with subcharts, `coalesce_chart` is Helm's full `coalesce`
//! (`coalesce_mode`, whose merge flag also gives Helm's `MergeValues` that
//! import-values uses): `coalesceDeps` and `coalesceGlobals`, each
//! subchart's values coalesced under its name with the parent's `global`
//! copied down first.

use serde_json::{Map, Value};

/// Merge `layer` into `base` as Helm's `MergeMaps` does: where both hold a map
/// the maps merge; otherwise the layer's value (even `null`) replaces.
pub fn merge_maps(base: &mut Map<String, Value>, layer: Map<String, Value>) {
    for (key, value) in layer {
        match (base.get_mut(&key), value) {
            (Some(Value::Object(existing)), Value::Object(inner)) => merge_maps(existing, inner),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// A type mismatch Helm warns about while coalescing. Names the key path,
/// never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoalesceWarning {
    /// A user map over a chart scalar or list at the top level: the chart's value is skipped.
    NotATable { key: String },
    /// A user scalar or list over a chart map: the chart's map is not merged in.
    TableOverwritten { key: String },
    /// A user map over a chart scalar or list below the top level.
    DestinationIsTable { key: String },
}

impl std::fmt::Display for CoalesceWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CoalesceWarning::NotATable { key } => {
                write!(f, "skipped value for {key}: Not a table.")
            }
            CoalesceWarning::TableOverwritten { key } => {
                write!(f, "cannot overwrite table with non table for {key}")
            }
            CoalesceWarning::DestinationIsTable { key } => {
                write!(
                    f,
                    "destination for {key} is a table. Ignoring non-table value"
                )
            }
        }
    }
}

/// Lay `user` (the merged user-supplied values) over `chart` (the chart's
/// `values.yaml`) as Helm v4's `CoalesceValues` does for a chart without
/// dependencies; `chart_name` prefixes the key paths of warnings.
pub fn coalesce(
    chart_name: &str,
    chart: &Map<String, Value>,
    mut user: Map<String, Value>,
) -> (Map<String, Value>, Vec<CoalesceWarning>) {
    let mut warnings = Vec::new();
    let mut out = Map::new();
    for (key, default) in chart {
        match user.shift_remove(key) {
            // A user null removes the key, whatever the chart had.
            Some(Value::Null) => {}
            Some(Value::Object(mine)) => match default {
                Value::Object(theirs) => {
                    let theirs = without_nulls(theirs);
                    let path = format!("{chart_name}.{key}");
                    let merged = coalesce_tables(&path, mine, theirs, &mut warnings);
                    out.insert(key.clone(), Value::Object(merged));
                }
                other => {
                    if !other.is_null() {
                        warnings.push(CoalesceWarning::NotATable {
                            key: format!("{chart_name}.{key}"),
                        });
                    }
                    out.insert(key.clone(), Value::Object(mine));
                }
            },
            // A user scalar or list wins over anything, silently at this level.
            Some(mine) => {
                out.insert(key.clone(), mine);
            }
            None => match default {
                Value::Null => {}
                Value::Object(theirs) => {
                    out.insert(key.clone(), Value::Object(without_nulls(theirs)));
                }
                other => {
                    out.insert(key.clone(), other.clone());
                }
            },
        }
    }
    // User keys the chart does not have, nulls included.
    out.extend(user);
    (out, warnings)
}

/// Helm's `coalesceTablesFullKey` with merge off: `mine` (user) over
/// `theirs` (chart defaults already without nulls).
fn coalesce_tables(
    path: &str,
    mut mine: Map<String, Value>,
    theirs: Map<String, Value>,
    warnings: &mut Vec<CoalesceWarning>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, default) in theirs {
        let full = format!("{path}.{key}");
        match mine.shift_remove(&key) {
            None => {
                out.insert(key, default);
            }
            // The user nullifies a chart default: the key goes.
            Some(Value::Null) => {}
            Some(Value::Object(inner)) => match default {
                Value::Object(defaults) => {
                    out.insert(
                        key,
                        Value::Object(coalesce_tables(&full, inner, defaults, warnings)),
                    );
                }
                _ => {
                    warnings.push(CoalesceWarning::DestinationIsTable { key: full });
                    out.insert(key, Value::Object(inner));
                }
            },
            Some(value) => {
                if default.is_object() {
                    warnings.push(CoalesceWarning::TableOverwritten { key: full });
                }
                out.insert(key, value);
            }
        }
    }
    // Keys only the user has, nulls kept (nothing to delete).
    out.extend(mine);
    out
}

/// A chart default map without null entries, at every map depth (Helm's
/// `cleanNilValues`; lists are left alone).
fn without_nulls(map: &Map<String, Value>) -> Map<String, Value> {
    map.iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| {
            let v = match v {
                Value::Object(inner) => Value::Object(without_nulls(inner)),
                other => other.clone(),
            };
            (k.clone(), v)
        })
        .collect()
}

/// A chart's defaults and its subcharts', as [`coalesce_chart`] walks them.
#[derive(Debug, Clone)]
pub struct ChartDefaults<'a> {
    /// The chart's name (its values sit under this key in its parent's).
    pub name: &'a str,
    /// The chart's own `values.yaml`.
    pub values: &'a Map<String, Value>,
    /// Its subcharts.
    pub dependencies: Vec<ChartDefaults<'a>>,
}

/// A subchart's key holds something other than a map (Helm refuses it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("type mismatch on {name}: the values of subchart {name} must be a map")]
pub struct SubchartValuesError {
    pub name: String,
}

/// Helm v4's `CoalesceValues` for a chart with subcharts: [`coalesce_mode`]
/// with merging off.
pub fn coalesce_chart(
    chart: &ChartDefaults,
    user: Map<String, Value>,
) -> Result<(Map<String, Value>, Vec<CoalesceWarning>), SubchartValuesError> {
    let mut warnings = Vec::new();
    let out = coalesce_mode(chart, user, "", false, &mut warnings)?;
    Ok((out, warnings))
}

/// Helm v4's `coalesce` over a chart tree: `CoalesceValues` when `merge` is
/// false (user nulls delete chart defaults, nulls of defaults are dropped),
/// `MergeValues` when true (nulls kept). The chart's own defaults are laid
/// under `dest` (a map for a key that names a subchart always merges, as
/// Helm's `childChartMergeTrue`), then for each subchart in order the
/// parent's `global` is copied into the subchart's values and the subchart
/// is coalesced under its name. `prefix` starts the key paths of warnings.
pub fn coalesce_mode(
    chart: &ChartDefaults,
    mut dest: Map<String, Value>,
    prefix: &str,
    merge: bool,
    warnings: &mut Vec<CoalesceWarning>,
) -> Result<Map<String, Value>, SubchartValuesError> {
    coalesce_own(chart, &mut dest, prefix, merge, warnings);
    let sub_prefix = concat_prefix(prefix, chart.name);
    for dep in &chart.dependencies {
        match dest.get(dep.name) {
            None => {
                dest.insert(dep.name.to_string(), Value::Object(Map::new()));
            }
            Some(Value::Object(_)) => {}
            Some(_) => {
                return Err(SubchartValuesError {
                    name: dep.name.to_string(),
                })
            }
        }
        let parent_global = Map::from_iter(
            dest.get("global")
                .map(|g| ("global".to_string(), g.clone())),
        );
        let Some(Value::Object(slot)) = dest.get_mut(dep.name) else {
            continue;
        };
        let mut sub = std::mem::take(slot);
        coalesce_globals(&mut sub, &parent_global);
        *slot = coalesce_mode(dep, sub, &sub_prefix, merge, warnings)?;
    }
    Ok(dest)
}

fn concat_prefix(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}.{b}")
    }
}

/// Helm's `coalesceValues`: the chart's own defaults laid under `v`.
fn coalesce_own(
    chart: &ChartDefaults,
    v: &mut Map<String, Value>,
    prefix: &str,
    merge: bool,
    warnings: &mut Vec<CoalesceWarning>,
) {
    let sub_prefix = concat_prefix(prefix, chart.name);
    for (key, val) in chart.values {
        match v.get_mut(key) {
            Some(Value::Null) if !merge => {
                v.shift_remove(key);
            }
            Some(Value::Object(dest)) => match val {
                Value::Object(src) => {
                    let merge = merge || chart.dependencies.iter().any(|d| d.name == key);
                    let src = if merge {
                        src.clone()
                    } else {
                        without_nulls(src)
                    };
                    coalesce_tables_mode(
                        dest,
                        src,
                        &concat_prefix(&sub_prefix, key),
                        merge,
                        warnings,
                    );
                }
                Value::Null => {}
                _ => warnings.push(CoalesceWarning::NotATable {
                    key: format!("{sub_prefix}.{key}"),
                }),
            },
            Some(_) => {}
            None => {
                let val = match val {
                    Value::Null if !merge => continue,
                    Value::Object(m) if !merge => Value::Object(without_nulls(m)),
                    other => other.clone(),
                };
                v.insert(key.clone(), val);
            }
        }
    }
}

/// Helm's `coalesceTablesFullKey`: `src` laid under `dst` (`dst` wins). With
/// merging off, a null in `dst` deletes the key where `src` had a value.
pub fn coalesce_tables_mode(
    dst: &mut Map<String, Value>,
    mut src: Map<String, Value>,
    prefix: &str,
    merge: bool,
    warnings: &mut Vec<CoalesceWarning>,
) {
    let src_non_null: std::collections::HashSet<String> = src
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, _)| k.clone())
        .collect();
    for (key, val) in dst.iter() {
        if val.is_null() {
            src.insert(key.clone(), Value::Null);
        }
    }
    for (key, val) in src {
        let full = concat_prefix(prefix, &key);
        match dst.get_mut(&key) {
            Some(Value::Null) if !merge && src_non_null.contains(&key) => {
                dst.shift_remove(&key);
            }
            None => {
                dst.insert(key, val);
            }
            Some(dv) => match val {
                Value::Object(vm) => match dv {
                    Value::Object(dm) => coalesce_tables_mode(dm, vm, &full, merge, warnings),
                    _ => warnings.push(CoalesceWarning::TableOverwritten { key: full }),
                },
                Value::Null => {}
                _ => {
                    if dv.is_object() {
                        warnings.push(CoalesceWarning::DestinationIsTable { key: full });
                    }
                }
            },
        }
    }
}

/// Helm's `coalesceGlobals`: the parent's `global` table laid into the
/// subchart's (`dest`): scalars and lists of the parent replace, maps of the
/// parent win key by key with the subchart's filling what they lack. A
/// `global` that is not a map on either side is left alone.
fn coalesce_globals(dest: &mut Map<String, Value>, parent: &Map<String, Value>) {
    let mut dg = match dest.get("global") {
        None => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return,
    };
    let sg = match parent.get("global") {
        None => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return,
    };
    for (key, val) in sg {
        match val {
            Value::Object(mut vv) => match dg.get(&key) {
                None => {
                    dg.insert(key, Value::Object(vv));
                }
                Some(Value::Object(existing)) => {
                    fill_missing(&mut vv, existing);
                    dg.insert(key, Value::Object(vv));
                }
                // A map cannot be merged onto a non-map: skipped, as Helm does.
                Some(_) => {}
            },
            other => {
                if !dg.get(&key).is_some_and(Value::is_object) {
                    dg.insert(key, other);
                }
            }
        }
    }
    dest.insert("global".to_string(), Value::Object(dg));
}

/// Keys of `src` that `dst` lacks are copied in; maps on both sides recurse
/// (Helm's `coalesceTablesFullKey` in merge mode).
fn fill_missing(dst: &mut Map<String, Value>, src: &Map<String, Value>) {
    for (key, val) in src {
        match (dst.get_mut(key), val) {
            (None, _) => {
                dst.insert(key.clone(), val.clone());
            }
            (Some(Value::Object(d)), Value::Object(s)) => fill_missing(d, s),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn merge_maps_replaces_with_null_and_merges_maps() {
        let mut base = map(json!({"m": {"a": 1, "b": 2}, "l": [1], "s": 1}));
        merge_maps(
            &mut base,
            map(json!({"m": {"a": null, "c": 3}, "l": [2], "s": null})),
        );
        assert_eq!(
            Value::Object(base),
            json!({"m": {"a": null, "b": 2, "c": 3}, "l": [2], "s": null})
        );
    }

    #[test]
    fn coalesce_keeps_chart_order_then_user_keys_and_warns_without_values() {
        let chart = map(json!({"z": 1, "m": {"k": "chart-secret"}, "a": {"x": 1}, "s": 5}));
        let user = map(json!({"new": 1, "a": {"x": {"deep": 1}}, "s": {"t": 1}, "m": null}));
        let (out, warnings) = coalesce("c", &chart, user);
        let keys: Vec<&str> = out.keys().map(String::as_str).collect();
        assert_eq!(keys, ["z", "a", "s", "new"]);
        let shown: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "destination for c.a.x is a table. Ignoring non-table value",
                "skipped value for c.s: Not a table.",
            ]
        );
        assert!(shown.iter().all(|w| !w.contains("chart-secret")));
    }

    #[test]
    fn subcharts_get_their_defaults_and_the_parents_globals() {
        let parent = map(
            json!({"global": {"domain": "example.com", "reg": "mine", "m": {"a": 1}}, "sub": {"replicas": 2}}),
        );
        let sub = map(
            json!({"replicas": 1, "port": 9000, "global": {"reg": "docker.io", "only": "x", "m": {"a": 9, "b": 2}}}),
        );
        let tree = ChartDefaults {
            name: "top",
            values: &parent,
            dependencies: vec![ChartDefaults {
                name: "sub",
                values: &sub,
                dependencies: vec![],
            }],
        };
        let (out, _) = coalesce_chart(&tree, Map::new()).unwrap();
        assert_eq!(
            Value::Object(out["sub"].as_object().unwrap().clone()),
            json!({"replicas": 2, "global": {"domain": "example.com", "reg": "mine", "m": {"a": 1, "b": 2}, "only": "x"}, "port": 9000})
        );
        let err = coalesce_chart(&tree, map(json!({"sub": "scalar"}))).unwrap_err();
        assert_eq!(err.name, "sub");
    }
}
