//! Helm's two merges, and nothing else: `merge_maps` joins user-supplied
//! layers (Helm's `loader.MergeMaps`: maps merge deeply, anything else —
//! `null` included — replaces), and `coalesce` lays the merged user values
//! over a chart's `values.yaml` once (Helm v4's `CoalesceValues`: a user
//! `null` deletes the chart default's key, a `null` with no default stays,
//! nulls of the chart's own defaults are dropped, a type mismatch keeps the
//! user's value with a warning). Keys keep the chart's order, then the user's.
//! Subchart values and `global` (Helm's `coalesceDeps`/`coalesceGlobals`) are
//! not here yet: they belong beside `coalesce` when charts get dependencies.

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
}
