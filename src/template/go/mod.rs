//! Helm charts rendered as Helm v4's engine renders them: the data each
//! template sees (`.Values`, `.Release`, `.Chart`, `.Capabilities`,
//! `.Files`, `.Subcharts`, per chart and subchart as Helm's `recAllTpls`
//! builds it) handed to the `gotemplate` crate's Helm render loop. Pure: the
//! cluster is reached only through a `lookup` function the caller supplies.

pub mod objects;
pub mod render;

/// `toYaml` as Helm writes it (sigs.k8s.io/yaml).
pub(crate) fn to_yaml(value: &serde_json::Value) -> String {
    goenc::yaml::to_string(value).unwrap_or_default()
}

/// Masterminds/semver's constraint check, as Helm applies a chart's
/// `kubeVersion` (and sprig's `semverCompare`): `Err` when either does not parse.
pub fn semver_matches(constraint: &str, version: &str) -> Result<bool, String> {
    use gotemplate::semver::{Constraints, Version};
    let c = Constraints::parse(constraint)?;
    let v = Version::parse(version)?;
    Ok(c.check(&v))
}
