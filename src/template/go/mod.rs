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
    struct NoEnv;
    impl gotemplate::Env for NoEnv {
        fn execute_named(
            &mut self,
            name: &str,
            _: gotemplate::Value,
        ) -> Result<String, gotemplate::FuncError> {
            Err(gotemplate::FuncError::new(format!("no template {name:?}")))
        }
        fn execute_text(
            &mut self,
            _: &str,
            _: gotemplate::Value,
        ) -> Result<String, gotemplate::FuncError> {
            Err(gotemplate::FuncError::new("no templates here"))
        }
    }
    let funcs = gotemplate::sprig::functions();
    let f = funcs
        .get("semverCompare")
        .ok_or_else(|| "semverCompare is missing".to_string())?;
    let args = vec![
        gotemplate::Value::str(constraint),
        gotemplate::Value::str(version),
    ];
    match (f.call)(&mut NoEnv, args) {
        Ok(v) => Ok(v.truth()),
        Err(e) => Err(e.to_string()),
    }
}
