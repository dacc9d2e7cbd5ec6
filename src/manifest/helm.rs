//! Helm's handling of rendered files (`pkg/release/v1/util` and `helm
//! template`'s printing): split each file into documents on Helm's
//! separator, read each document's head, tell hooks (`helm.sh/hook`) from
//! resources, order both by Helm's install order, and assemble the text
//! `helm template` prints. Text in, text out: no rendering, no cluster.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value as Json;

/// A rendered document that Helm cannot read the head of.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("YAML parse error on {source_path}: {message}")]
pub struct HeadError {
    pub source_path: String,
    pub message: String,
}

/// A hook event (`helm.sh/hook` value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HookEvent {
    PreInstall,
    PostInstall,
    PreDelete,
    PostDelete,
    PreUpgrade,
    PostUpgrade,
    PreRollback,
    PostRollback,
    Test,
}

impl HookEvent {
    /// The event named by one `helm.sh/hook` entry, as Helm reads it.
    pub fn parse(s: &str) -> Option<HookEvent> {
        Some(match s {
            "pre-install" => HookEvent::PreInstall,
            "post-install" => HookEvent::PostInstall,
            "pre-delete" => HookEvent::PreDelete,
            "post-delete" => HookEvent::PostDelete,
            "pre-upgrade" => HookEvent::PreUpgrade,
            "post-upgrade" => HookEvent::PostUpgrade,
            "pre-rollback" => HookEvent::PreRollback,
            "post-rollback" => HookEvent::PostRollback,
            "test" | "test-success" => HookEvent::Test,
            _ => return None,
        })
    }
}

/// One resource document of the release.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The template file it came from (`chart/templates/x.yaml`).
    pub source: String,
    /// The document text, as rendered (left-trimmed).
    pub content: String,
    pub api_version: String,
    pub kind: String,
    pub name: String,
}

/// One hook document.
#[derive(Debug, Clone, PartialEq)]
pub struct Hook {
    pub source: String,
    pub content: String,
    pub kind: String,
    pub name: String,
    pub events: Vec<HookEvent>,
    /// `helm.sh/hook-weight` (0 when absent or not an integer).
    pub weight: i64,
    /// `helm.sh/hook-delete-policy` entries, lower-cased.
    pub delete_policies: Vec<String>,
}

fn separator() -> &'static Regex {
    static SEP: OnceLock<Regex> = OnceLock::new();
    // Go's `\s` is ASCII whitespace: [\t\n\f\r ].
    SEP.get_or_init(|| Regex::new(r"(?:^|[\t\n\x0C\r ]*\n)---[\t\n\x0C\r ]*").expect("valid regex"))
}

/// Helm's `SplitManifests`: the non-blank documents of one rendered file,
/// each with leading whitespace removed.
pub fn split_manifests(big: &str) -> Vec<String> {
    let trimmed = big.trim_start();
    separator()
        .split(trimmed)
        .filter(|d| !d.trim().is_empty())
        .map(|d| d.trim_start().to_string())
        .collect()
}

/// The head Helm reads from every document.
struct Head {
    api_version: String,
    kind: String,
    name: String,
    annotations: Option<BTreeMap<String, String>>,
}

fn read_head(doc: &str, source: &str) -> Result<Head, HeadError> {
    let err = |message: String| HeadError {
        source_path: source.to_string(),
        message,
    };
    // sigs.k8s.io/yaml, as Helm reads the head: go-yaml v2's scalars and
    // its error texts (`error converting YAML to JSON: yaml: line 3: ...`).
    let value: Json = goenc::yaml::manifest_document(doc, &goenc::yaml::Limits::default())
        .map_err(|e| err(e.to_string()))?;
    let field_str = |v: Option<&Json>, path: &str| -> Result<String, HeadError> {
        match v {
            None | Some(Json::Null) => Ok(String::new()),
            Some(Json::String(s)) => Ok(s.clone()),
            // sigs.k8s.io/yaml turns scalars into the text a string field wants.
            Some(v @ (Json::Number(_) | Json::Bool(_))) => {
                Ok(crate::chart::helm::metadata::scalar_text(v).unwrap_or_default())
            }
            Some(other) => Err(err(format!(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go struct field {path} of type string",
                kind_word(other)
            ))),
        }
    };
    let obj = match &value {
        Json::Object(o) => o,
        Json::Null => {
            return Ok(Head {
                api_version: String::new(),
                kind: String::new(),
                name: String::new(),
                annotations: None,
            })
        }
        other => {
            return Err(err(format!(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type util.SimpleHead",
                kind_word(other)
            )))
        }
    };
    let api_version = field_str(obj.get("apiVersion"), "SimpleHead.apiVersion")?;
    let kind = field_str(obj.get("kind"), "SimpleHead.kind")?;
    let (name, annotations) = match obj.get("metadata") {
        Some(Json::Object(m)) => {
            let name = field_str(m.get("name"), "SimpleHead.metadata.name")?;
            let annotations = match m.get("annotations") {
                Some(Json::Object(a)) => {
                    let mut out = BTreeMap::new();
                    for (k, v) in a {
                        out.insert(
                            k.clone(),
                            field_str(Some(v), "SimpleHead.metadata.annotations")?,
                        );
                    }
                    Some(out)
                }
                None | Some(Json::Null) => None,
                Some(other) => {
                    return Err(err(format!(
                        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go struct field .metadata.annotations of type map[string]string",
                        kind_word(other)
                    )))
                }
            };
            (name, annotations)
        }
        None | Some(Json::Null) => (String::new(), None),
        Some(other) => {
            return Err(err(format!(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go struct field SimpleHead.metadata of type struct {{ Name string \"json:\\\"name\\\"\"; Annotations map[string]string \"json:\\\"annotations\\\"\" }}",
                kind_word(other)
            )))
        }
    };
    Ok(Head {
        api_version,
        kind,
        name,
        annotations,
    })
}

fn kind_word(v: &Json) -> &'static str {
    match v {
        Json::Array(_) => "array",
        Json::Object(_) => "object",
        Json::Number(_) => "number",
        Json::Bool(_) => "bool",
        Json::String(_) => "string",
        Json::Null => "null",
    }
}

fn kind_rank(kind: &str) -> Option<usize> {
    super::order::HELM_INSTALL_ORDER
        .iter()
        .position(|k| *k == kind)
}

/// Helm's `lessByKind` (used with a stable sort).
fn kind_order(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (kind_rank(a), kind_rank(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

/// Helm's `SortManifests`: files in path order (partials and blank files
/// skipped), documents in file order, hooks apart; both stably sorted by
/// install order of kind. Documents naming an unknown hook are dropped, as
/// Helm drops them.
pub fn sort_manifests(
    files: &BTreeMap<String, String>,
) -> Result<(Vec<Hook>, Vec<Manifest>), HeadError> {
    let mut hooks = Vec::new();
    let mut generic = Vec::new();
    for (path, content) in files {
        let base = path.rsplit('/').next().unwrap_or(path);
        if base.starts_with('_') || content.trim().is_empty() {
            continue;
        }
        for doc in split_manifests(content) {
            let head = read_head(&doc, path)?;
            let hook_types = head
                .annotations
                .as_ref()
                .filter(|a| !a.is_empty())
                .and_then(|a| a.get("helm.sh/hook"));
            let Some(hook_types) = hook_types else {
                generic.push(Manifest {
                    source: path.clone(),
                    content: doc,
                    api_version: head.api_version,
                    kind: head.kind,
                    name: head.name,
                });
                continue;
            };
            let annotations = head.annotations.as_ref().expect("checked above");
            let events: Option<Vec<HookEvent>> = hook_types
                .split(',')
                .map(|t| HookEvent::parse(&t.trim().to_lowercase()))
                .collect();
            let Some(events) = events else {
                continue;
            };
            let weight = annotations
                .get("helm.sh/hook-weight")
                .and_then(|w| go_atoi(w))
                .unwrap_or(0);
            let delete_policies = annotations
                .get("helm.sh/hook-delete-policy")
                .map(|p| p.split(',').map(|s| s.trim().to_lowercase()).collect())
                .unwrap_or_default();
            hooks.push(Hook {
                source: path.clone(),
                content: doc,
                kind: head.kind,
                name: head.name,
                events,
                weight,
                delete_policies,
            });
        }
    }
    hooks.sort_by(|a, b| kind_order(&a.kind, &b.kind));
    generic.sort_by(|a, b| kind_order(&a.kind, &b.kind));
    Ok((hooks, generic))
}

/// Go's `strconv.Atoi`: optional sign, decimal digits, nothing else.
fn go_atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// What `helm template` prints besides the rendered documents.
#[derive(Debug, Clone, Default)]
pub struct TemplateOutput<'a> {
    /// `--include-crds`: the chart's `crds/` files, printed first.
    pub crds: Vec<(String, &'a [u8])>,
    /// `--no-hooks`.
    pub no_hooks: bool,
    /// `--skip-tests`.
    pub skip_tests: bool,
}

/// The text `helm template` prints for sorted hooks and manifests: the
/// release manifest (CRDs, then resources, each as `---\n# Source: FILE\n`
/// and its text), trimmed, then every hook the same way.
pub fn template_text(hooks: &[Hook], manifests: &[Manifest], opts: &TemplateOutput) -> String {
    let mut manifest = String::new();
    for (name, data) in &opts.crds {
        manifest.push_str(&format!(
            "---\n# Source: {name}\n{}\n",
            String::from_utf8_lossy(data)
        ));
    }
    for m in manifests {
        manifest.push_str(&format!("---\n# Source: {}\n{}\n", m.source, m.content));
    }
    let mut out = String::new();
    out.push_str(manifest.trim());
    out.push('\n');
    if !opts.no_hooks {
        for h in hooks {
            if opts.skip_tests && h.events.contains(&HookEvent::Test) {
                continue;
            }
            out.push_str(&format!("---\n# Source: {}\n{}\n", h.source, h.content));
        }
    }
    out
}

/// `helm template --show-only`: keep the documents whose `# Source:` path
/// (without the chart name) matches one of `patterns` (Go's
/// `filepath.Match`), in pattern order. An unmatched pattern is an error
/// naming it, as Helm's.
pub fn show_only(text: &str, patterns: &[String]) -> Result<String, String> {
    static NAME: OnceLock<Regex> = OnceLock::new();
    let name_re = NAME.get_or_init(|| Regex::new(r"# Source: [^/]+/(.+)").expect("valid regex"));
    let docs = split_manifests(text);
    let mut out = String::new();
    for pattern in patterns {
        let mut missing = true;
        for doc in &docs {
            let Some(caps) = name_re.captures(doc) else {
                continue;
            };
            let path = caps.get(1).map(|m| m.as_str()).unwrap_or_default();
            if crate::chart::helm::ignore::go_match(pattern, path).unwrap_or(false) {
                out.push_str(&format!("---\n{doc}\n"));
                missing = false;
            }
        }
        if missing {
            return Err(format!("could not find template {pattern} in chart"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_on_helm_separator() {
        assert_eq!(split_manifests("a: 1\n---\nb: 2\n"), ["a: 1", "b: 2\n"]);
        // An indented `---` is not a separator (Go's regex needs it at a line start).
        assert_eq!(
            split_manifests("---\na: 1\n  ---  \n\n---\n"),
            ["a: 1\n  ---"]
        );
        assert_eq!(
            split_manifests("\n\n# only a comment\n"),
            ["# only a comment\n"]
        );
        // Helm's regex also splits `---apiVersion` glued by a template.
        assert_eq!(split_manifests("a: 1\n---b: 2"), ["a: 1", "b: 2"]);
    }

    #[test]
    fn hooks_apart_and_kinds_in_install_order() {
        let mut files = BTreeMap::new();
        files.insert(
            "c/templates/a.yaml".to_string(),
            "kind: Deployment\nmetadata:\n  name: d\n---\nkind: Service\nmetadata:\n  name: s\n"
                .to_string(),
        );
        files.insert(
            "c/templates/b.yaml".to_string(),
            "kind: Job\nmetadata:\n  name: j\n  annotations:\n    helm.sh/hook: pre-install,Post-Upgrade\n    helm.sh/hook-weight: \"-5\"\n---\nkind: Zeta\n---\nkind: Alpha\n"
                .to_string(),
        );
        files.insert("c/templates/_p.tpl".to_string(), "kind: X".to_string());
        let (hooks, manifests) = sort_manifests(&files).unwrap();
        let kinds: Vec<&str> = manifests.iter().map(|m| m.kind.as_str()).collect();
        assert_eq!(kinds, ["Service", "Deployment", "Alpha", "Zeta"]);
        assert_eq!(hooks.len(), 1);
        assert_eq!(
            hooks[0].events,
            [HookEvent::PreInstall, HookEvent::PostUpgrade]
        );
        assert_eq!(hooks[0].weight, -5);
    }

    #[test]
    fn unquoted_scalars_in_the_head_read_as_strings_and_maps_do_not() {
        let mut files = BTreeMap::new();
        files.insert(
            "c/templates/a.yaml".to_string(),
            "kind: Job\nmetadata:\n  name: 7\n  annotations:\n    helm.sh/hook: pre-install\n    helm.sh/hook-weight: 5\n".to_string(),
        );
        let (hooks, _) = sort_manifests(&files).unwrap();
        assert_eq!((hooks[0].name.as_str(), hooks[0].weight), ("7", 5));
        files.insert(
            "c/templates/b.yaml".to_string(),
            "kind: {a: 1}\n".to_string(),
        );
        let err = sort_manifests(&files).unwrap_err();
        assert!(err
            .to_string()
            .starts_with("YAML parse error on c/templates/b.yaml:"));
    }
}
