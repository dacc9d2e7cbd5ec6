//! One Helm chart (with its subcharts) rendered to files: the per-template
//! data as Helm's `recAllTpls` builds it, the function map (sprig, Helm's
//! encoding functions, `lookup`), and the `gotemplate` crate's Helm render
//! loop.

use std::collections::BTreeMap;
use std::rc::Rc;

use gotemplate::helm::{RenderFile, RenderOptions};
use gotemplate::{FuncError, FuncMap, Function, Param, Value};
use serde_json::Value as Json;

use super::objects::{Capabilities, Files, KubeVersion, VersionSet};
use crate::chart::helm::HelmChart;

/// `.Release` of a render.
#[derive(Debug, Clone)]
pub struct ReleaseInfo {
    pub name: String,
    pub namespace: String,
    pub revision: i64,
    pub is_install: bool,
    pub is_upgrade: bool,
}

impl ReleaseInfo {
    fn to_value(&self) -> Value {
        Value::map(
            [
                ("Name", Value::str(self.name.as_str())),
                ("Namespace", Value::str(self.namespace.as_str())),
                ("Revision", Value::Int(self.revision)),
                ("IsInstall", Value::Bool(self.is_install)),
                ("IsUpgrade", Value::Bool(self.is_upgrade)),
                ("Service", Value::str("Helm")),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        )
    }
}

/// What the cluster looks like to templates: `.Capabilities`.
#[derive(Debug, Clone)]
pub struct ClusterInfo {
    pub kube_version: KubeVersion,
    /// `--api-versions` added to Helm's default set.
    pub extra_api_versions: Vec<String>,
}

impl Default for ClusterInfo {
    fn default() -> ClusterInfo {
        ClusterInfo {
            kube_version: KubeVersion::helm_default(),
            extra_api_versions: Vec::new(),
        }
    }
}

/// Reads live objects for `lookup` (`apiVersion, kind, namespace, name`):
/// the object, or `{items: [...]}` for an empty name; an empty map when
/// there is none. `None` everywhere in `template`/`render`, as Helm's
/// client-only mode.
pub type Lookup = Rc<dyn Fn(&str, &str, &str, &str) -> Result<Json, String>>;

/// A render of one chart.
pub struct Render<'a> {
    pub chart: &'a HelmChart,
    /// The coalesced values (chart defaults included), as Helm's `.Values`.
    pub values: &'a Json,
    pub release: ReleaseInfo,
    pub cluster: ClusterInfo,
    pub lookup: Option<Lookup>,
    /// `missingkey=error` (for `lint --strict`).
    pub strict: bool,
}

/// The full function map: sprig's, Helm's encoding functions, `lookup`.
/// (`include`, `tpl`, `required`, `fail` are added by the render loop.)
fn functions(lookup: Option<Lookup>) -> FuncMap {
    let mut funcs = gotemplate::sprig::functions();
    funcs.extend(gotemplate::encoding::functions());
    // Helm removes these from sprig's map.
    funcs.remove("env");
    funcs.remove("expandenv");
    let lookup_fn = Function::pure(
        &[Param::String, Param::String, Param::String, Param::String],
        None,
        move |args| {
            let s = |i: usize| args[i].as_str().unwrap_or_default().to_string();
            match &lookup {
                None => Ok(Value::empty_map()),
                Some(f) => f(&s(0), &s(1), &s(2), &s(3))
                    .map(|j| Value::from_json(&j))
                    .map_err(FuncError::new),
            }
        },
    );
    funcs.insert("lookup".into(), lookup_fn);
    funcs
}

impl Render<'_> {
    /// Render every template of the chart and its subcharts: template path
    /// (`chart/templates/x.yaml`) → output, NOTES.txt and partials included
    /// as Helm returns them.
    pub fn run(&self) -> Result<BTreeMap<String, String>, gotemplate::helm::RenderError> {
        let capabilities = Value::Object(Rc::new(Capabilities {
            kube_version: self.cluster.kube_version.clone(),
            api_versions: VersionSet::helm_default(&self.cluster.extra_api_versions),
        }));
        let top = Value::map(
            [
                ("Values".to_string(), Value::from_json(self.values)),
                ("Release".to_string(), self.release.to_value()),
                ("Capabilities".to_string(), capabilities),
            ]
            .into_iter()
            .collect(),
        );
        let mut files = Vec::new();
        collect(self.chart, &top, None, &mut files);
        gotemplate::helm::render(
            &files,
            functions(self.lookup.clone()),
            &RenderOptions {
                strict: self.strict,
            },
        )
    }
}

fn get(map: &Value, key: &str) -> Value {
    match map {
        Value::Map(m) => m.borrow().get(key).cloned().unwrap_or(Value::Nil),
        _ => Value::Nil,
    }
}

/// Helm's `recAllTpls`: the data of `chart`'s templates (its `.Values`
/// scoped under its name below the root), pushed for every template, then
/// the same for each subchart; returns the chart's data map, which its
/// parent exposes as `.Subcharts.NAME`.
fn collect(
    chart: &HelmChart,
    parent: &Value,
    parent_path: Option<&str>,
    out: &mut Vec<RenderFile>,
) -> Value {
    let is_root = parent_path.is_none();
    let full_path = match parent_path {
        None => chart.metadata.name.clone(),
        Some(p) => format!("{p}/charts/{}", chart.metadata.name),
    };
    let values = if is_root {
        get(parent, "Values")
    } else {
        match get(&get(parent, "Values"), &chart.metadata.name) {
            v @ Value::Map(_) => v,
            _ => Value::empty_map(),
        }
    };
    let subcharts = Value::empty_map();
    let data = Value::map(
        [
            ("Chart".to_string(), chart.metadata.to_template(is_root)),
            (
                "Files".to_string(),
                Value::Object(Rc::new(Files::new(
                    chart.files.iter().map(|f| (f.name.clone(), f.data.clone())),
                ))),
            ),
            ("Release".to_string(), get(parent, "Release")),
            ("Capabilities".to_string(), get(parent, "Capabilities")),
            ("Values".to_string(), values),
            ("Subcharts".to_string(), subcharts.clone()),
        ]
        .into_iter()
        .collect(),
    );
    for dep in &chart.dependencies {
        let sub = collect(dep, &data, Some(&full_path), out);
        if let Value::Map(m) = &subcharts {
            m.borrow_mut().insert(dep.metadata.name.clone(), sub);
        }
    }
    for t in &chart.templates {
        let base = t.name.rsplit('/').next().unwrap_or(&t.name);
        if chart.metadata.is_library() && !base.starts_with('_') {
            continue;
        }
        out.push(RenderFile {
            name: format!("{full_path}/{}", t.name),
            text: t.text(),
            data: data.clone(),
            base_path: format!("{full_path}/templates"),
        });
    }
    data
}
