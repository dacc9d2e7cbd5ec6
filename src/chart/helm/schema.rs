//! Every chart's `values.schema.json` checked against the values that chart
//! renders with, as Helm's `ValidateAgainstSchema` walks them: the top
//! chart's schema against all values, each subchart's against the values
//! under its name (skipped when absent or null), recursively.

use std::path::Path;

use serde_json::Value as Json;

use super::HelmChart;

/// The values of one or more charts break their schema; each problem names
/// its schema file.
#[derive(Debug, thiserror::Error)]
#[error("values don't meet the specifications of the schema(s) in the following chart(s):\n{}", .0.join("\n"))]
pub struct SchemaErrors(pub Vec<String>);

/// A subchart's values that are not a map (Helm's message).
#[derive(Debug, thiserror::Error)]
#[error("{chart}:\ninvalid type for values: expected object (map), got {kind}")]
pub struct NotAMap {
    chart: String,
    kind: &'static str,
}

/// Check `values` against `chart`'s schema and each subchart's.
pub fn validate(chart: &HelmChart, values: &Json) -> Result<(), SchemaErrors> {
    let mut problems = Vec::new();
    walk(chart, values, &mut problems);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(SchemaErrors(problems))
    }
}

fn walk(chart: &HelmChart, values: &Json, problems: &mut Vec<String>) {
    if let Some(schema) = &chart.schema {
        let shown = format!("{}/values.schema.json", chart.display);
        if let Err(e) = crate::values::validate_schema(Path::new(&shown), schema, values) {
            problems.push(e.to_string());
        }
    }
    for sub in &chart.dependencies {
        match values.get(&sub.metadata.name) {
            None | Some(Json::Null) => {}
            Some(v @ Json::Object(_)) => walk(sub, v, problems),
            Some(other) => problems.push(
                NotAMap {
                    chart: sub.metadata.name.clone(),
                    kind: go_type(other),
                }
                .to_string(),
            ),
        }
    }
}

fn go_type(v: &Json) -> &'static str {
    match v {
        Json::Bool(_) => "bool",
        Json::Number(_) => "float64",
        Json::String(_) => "string",
        Json::Array(_) => "[]interface {}",
        _ => "map[string]interface {}",
    }
}
