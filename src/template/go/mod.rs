//! Helm charts rendered as Helm v4's engine renders them: the data each
//! template sees (`.Values`, `.Release`, `.Chart`, `.Capabilities`,
//! `.Files`, `.Subcharts`, per chart and subchart as Helm's `recAllTpls`
//! builds it) handed to the `gotemplate` crate's Helm render loop. Pure: the
//! cluster is reached only through a `lookup` function the caller supplies.

pub mod objects;

/// `toYaml` as Helm writes it (sigs.k8s.io/yaml), for the objects here.
pub(crate) fn to_yaml(value: &serde_json::Value) -> String {
    serde_yaml_ng::to_string(value).unwrap_or_default()
}
