//! The Go objects Helm hands to chart templates besides plain maps:
//! `.Files` (a `map[string][]byte` with `Get`, `GetBytes`, `Glob`, `Lines`,
//! `AsConfig`, `AsSecrets`) and `.Capabilities` (`KubeVersion`,
//! `APIVersions.Has`, `HelmVersion`), with Go's type names and printing.

use std::collections::BTreeMap;
use std::rc::Rc;

use base64::Engine as _;
use gotemplate::{Object, Value};

/// Helm's `engine.files`: the chart's non-template files by chart-relative name.
#[derive(Debug, Clone, Default)]
pub struct Files {
    files: BTreeMap<String, Rc<[u8]>>,
}

impl Files {
    /// The files of one chart.
    pub fn new(files: impl IntoIterator<Item = (String, Vec<u8>)>) -> Files {
        Files {
            files: files.into_iter().map(|(k, v)| (k, Rc::from(v))).collect(),
        }
    }

    fn get_bytes(&self, name: &str) -> Rc<[u8]> {
        self.files
            .get(name)
            .cloned()
            .unwrap_or_else(|| Rc::from(Vec::new()))
    }

    fn glob(&self, pattern: &str) -> Files {
        let matcher = gobwas_glob(pattern).unwrap_or_else(|| gobwas_glob("**").expect("valid"));
        Files {
            files: self
                .files
                .iter()
                .filter(|(name, _)| matcher.is_match(name))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    /// `map[basename]text` as Helm's `toYAML` (trailing newline removed).
    fn as_config(&self, encode: impl Fn(&[u8]) -> String) -> String {
        if self.files.is_empty() {
            // Helm's toYAML of an empty map is "{}".
            return "{}".into();
        }
        let mut map = serde_json::Map::new();
        for (name, data) in &self.files {
            let base = name.rsplit('/').next().unwrap_or(name);
            map.insert(base.to_string(), serde_json::Value::String(encode(data)));
        }
        super::to_yaml(&serde_json::Value::Object(map))
            .trim_end_matches('\n')
            .to_string()
    }
}

/// gobwas/glob with `/` as separator: `*` (within a segment), `**` (across),
/// `?`, `[abc]`, `[!abc]`, `[a-z]`, `{a,b}`, `\` escapes. `None` when the
/// pattern does not compile (Helm then matches everything).
fn gobwas_glob(pattern: &str) -> Option<regex::Regex> {
    let mut re = String::from("^");
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    let mut depth = 0usize;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '*' if chars.get(i + 1) == Some(&'*') => {
                re.push_str(".*");
                i += 2;
                continue;
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '[' => {
                let close = chars[i + 1..].iter().position(|&c| c == ']')? + i + 1;
                let mut class: String = chars[i + 1..close].iter().collect();
                if let Some(rest) = class.strip_prefix('!') {
                    class = format!("^{rest}");
                }
                re.push('[');
                re.push_str(&class.replace('\\', "\\\\").replace('[', "\\["));
                re.push(']');
                i = close + 1;
                continue;
            }
            '{' => {
                depth += 1;
                re.push_str("(?:");
            }
            '}' if depth > 0 => {
                depth -= 1;
                re.push(')');
            }
            ',' if depth > 0 => re.push('|'),
            '\\' => {
                let next = chars.get(i + 1)?;
                re.push_str(&regex::escape(&next.to_string()));
                i += 2;
                continue;
            }
            other => re.push_str(&regex::escape(&other.to_string())),
        }
        i += 1;
    }
    if depth > 0 {
        return None;
    }
    re.push('$');
    regex::Regex::new(&re).ok()
}

fn arg_str<'a>(args: &'a [Value], method: &str) -> Result<&'a str, String> {
    match args {
        [Value::String(s)] => Ok(s),
        [other] => Err(format!(
            "wrong type for value; expected string; got {}",
            other.type_name()
        )),
        _ => Err(format!(
            "wrong number of args for {method}: want 1 got {}",
            args.len()
        )),
    }
}

impl Object for Files {
    fn type_name(&self) -> &str {
        "engine.files"
    }
    fn kind_name(&self) -> &str {
        "map"
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn has_method(&self, name: &str) -> bool {
        matches!(
            name,
            "Get" | "GetBytes" | "Glob" | "Lines" | "AsConfig" | "AsSecrets"
        )
    }
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        let no_args = |v: Value| {
            if args.is_empty() {
                Ok(v)
            } else {
                Err(format!(
                    "wrong number of args for {name}: want 0 got {}",
                    args.len()
                ))
            }
        };
        match name {
            "Get" => {
                let data = self.get_bytes(arg_str(args, name)?);
                Ok(Value::str(String::from_utf8_lossy(&data).as_ref()))
            }
            "GetBytes" => Ok(Value::Bytes(self.get_bytes(arg_str(args, name)?))),
            "Glob" => Ok(Value::Object(Rc::new(self.glob(arg_str(args, name)?)))),
            "Lines" => {
                let path = arg_str(args, name)?;
                let Some(data) = self.files.get(path) else {
                    return Ok(Value::List(
                        gotemplate::SliceType::String,
                        Rc::new(Vec::new()),
                    ));
                };
                let text = String::from_utf8_lossy(data);
                let text = text.strip_suffix('\n').unwrap_or(&text);
                Ok(Value::string_list(text.split('\n').map(str::to_string)))
            }
            "AsConfig" => no_args(Value::str(
                self.as_config(|d| String::from_utf8_lossy(d).into_owned()),
            )),
            "AsSecrets" => {
                no_args(Value::str(self.as_config(|d| {
                    base64::engine::general_purpose::STANDARD.encode(d)
                })))
            }
            _ => Err(format!("can't call method/function {name:?}")),
        }
    }
    fn display(&self) -> String {
        let inner: Vec<String> = self
            .files
            .iter()
            .map(|(k, v)| format!("{k}:{}", gotemplate::fmt::display(&Value::Bytes(v.clone()))))
            .collect();
        format!("map[{}]", inner.join(" "))
    }
    fn to_json(&self) -> serde_json::Value {
        Value::Map(Rc::new(std::cell::RefCell::new(self.entries_map()))).to_json()
    }
    fn truth(&self) -> bool {
        !self.files.is_empty()
    }
    fn entries(&self) -> Option<Vec<(String, Value)>> {
        Some(self.entries_map().into_iter().collect())
    }
}

impl Files {
    fn entries_map(&self) -> BTreeMap<String, Value> {
        self.files
            .iter()
            .map(|(k, v)| (k.clone(), Value::Bytes(v.clone())))
            .collect()
    }
}

/// The Kubernetes version templates see (`.Capabilities.KubeVersion`).
#[derive(Debug, Clone)]
pub struct KubeVersion {
    /// As given (`v1.33.4-gke.1245000`).
    pub version: String,
    /// Normalised (`v1.33.4`), what `String()` prints.
    pub normalized: String,
    pub major: String,
    pub minor: String,
}

impl KubeVersion {
    /// Helm's default when no cluster is asked: the version of the
    /// client-go Helm v4.2.3 is built with (v0.36 → v1.36.0).
    pub fn helm_default() -> KubeVersion {
        KubeVersion {
            version: "v1.36.0".into(),
            normalized: "v1.36.0".into(),
            major: "1".into(),
            minor: "36".into(),
        }
    }

    /// Helm's `ParseKubeVersion` (`--kube-version`): `1.30`, `v1.30.2`,
    /// `v1.33.4-gke.1245000`. `None` when it is not a version.
    pub fn parse(text: &str) -> Option<KubeVersion> {
        let v = text.strip_prefix('v').unwrap_or(text);
        let core_end = v
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(v.len());
        let core = &v[..core_end];
        let parts: Vec<&str> = core.split('.').collect();
        if parts.len() < 2 || parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
            return None;
        }
        let nums: Vec<u64> = parts
            .iter()
            .map(|p| p.parse().ok())
            .collect::<Option<_>>()?;
        let patch = nums.get(2).copied().unwrap_or(0);
        Some(KubeVersion {
            version: format!("v{v}"),
            normalized: format!("v{}.{}.{patch}", nums[0], nums[1]),
            major: nums[0].to_string(),
            minor: nums[1].to_string(),
        })
    }
}

impl Object for KubeVersion {
    fn type_name(&self) -> &str {
        "common.KubeVersion"
    }
    fn field(&self, name: &str) -> Option<Value> {
        Some(match name {
            "Version" => Value::str(self.version.as_str()),
            "Major" => Value::str(self.major.as_str()),
            "Minor" => Value::str(self.minor.as_str()),
            _ => return None,
        })
    }
    fn has_method(&self, name: &str) -> bool {
        matches!(name, "String" | "GitVersion")
    }
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        if !args.is_empty() {
            return Err(format!(
                "wrong number of args for {name}: want 0 got {}",
                args.len()
            ));
        }
        match name {
            "String" => Ok(Value::str(self.normalized.as_str())),
            "GitVersion" => Ok(Value::str(self.version.as_str())),
            _ => Err(format!("can't call method/function {name:?}")),
        }
    }
    fn display(&self) -> String {
        // `String()` has a pointer receiver: a copy prints as the struct
        // {Version normalizedVersion Major Minor}.
        format!(
            "{{{} {} {} {}}}",
            self.version, self.normalized, self.major, self.minor
        )
    }
    fn template_display(&self) -> String {
        self.normalized.clone()
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"Version": self.version, "Major": self.major, "Minor": self.minor})
    }
}

/// `common.VersionSet`: the API versions a chart may test with `Has`.
#[derive(Debug, Clone)]
pub struct VersionSet(pub Vec<String>);

impl VersionSet {
    /// Helm v4.2.3's default set (Kubernetes' built-in group versions), plus `extra`.
    pub fn helm_default(extra: &[String]) -> VersionSet {
        let mut set: Vec<String> = include_str!("api_versions.txt")
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        set.extend(extra.iter().cloned());
        VersionSet(set)
    }
}

impl Object for VersionSet {
    fn type_name(&self) -> &str {
        "common.VersionSet"
    }
    fn kind_name(&self) -> &str {
        "slice"
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn has_method(&self, name: &str) -> bool {
        name == "Has"
    }
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        let wanted = arg_str(args, name)?;
        Ok(Value::Bool(self.0.iter().any(|v| v == wanted)))
    }
    fn display(&self) -> String {
        format!("[{}]", self.0.join(" "))
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!(self.0)
    }
    fn truth(&self) -> bool {
        !self.0.is_empty()
    }
    fn items(&self) -> Option<Vec<Value>> {
        Some(self.0.iter().map(|s| Value::str(s.as_str())).collect())
    }
}

/// Helm's `version.BuildInfo` (`.Capabilities.HelmVersion`), as the
/// official Helm v4.2.3 build reports it.
#[derive(Debug, Clone)]
pub struct HelmVersion;

impl HelmVersion {
    const VERSION: &'static str = "v4.2.3";
    const GIT_COMMIT: &'static str = "43e8b7feece8beb0fcba47059ec9b522fd929a64";
    const GIT_TREE_STATE: &'static str = "clean";
    const GO_VERSION: &'static str = "go1.26.6";
    const KUBE_CLIENT_VERSION: &'static str = "v1.36";
}

impl Object for HelmVersion {
    fn type_name(&self) -> &str {
        "version.BuildInfo"
    }
    fn field(&self, name: &str) -> Option<Value> {
        Some(Value::str(match name {
            "Version" => Self::VERSION,
            "GitCommit" => Self::GIT_COMMIT,
            "GitTreeState" => Self::GIT_TREE_STATE,
            "GoVersion" => Self::GO_VERSION,
            "KubeClientVersion" => Self::KUBE_CLIENT_VERSION,
            _ => return None,
        }))
    }
    fn display(&self) -> String {
        format!(
            "{{{} {} {} {} {}}}",
            Self::VERSION,
            Self::GIT_COMMIT,
            Self::GIT_TREE_STATE,
            Self::GO_VERSION,
            Self::KUBE_CLIENT_VERSION
        )
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "version": Self::VERSION,
            "git_commit": Self::GIT_COMMIT,
            "git_tree_state": Self::GIT_TREE_STATE,
            "go_version": Self::GO_VERSION,
            "kube_client_version": Self::KUBE_CLIENT_VERSION,
        })
    }
}

/// `*common.Capabilities`.
#[derive(Debug, Clone)]
pub struct Capabilities {
    pub kube_version: KubeVersion,
    pub api_versions: VersionSet,
}

impl Object for Capabilities {
    fn type_name(&self) -> &str {
        "*common.Capabilities"
    }
    fn kind_name(&self) -> &str {
        "ptr"
    }
    fn field(&self, name: &str) -> Option<Value> {
        Some(match name {
            "KubeVersion" => Value::Object(Rc::new(self.kube_version.clone())),
            "APIVersions" => Value::Object(Rc::new(self.api_versions.clone())),
            "HelmVersion" => Value::Object(Rc::new(HelmVersion)),
            _ => return None,
        })
    }
    fn display(&self) -> String {
        format!(
            "&{{{} {} {}}}",
            self.kube_version.display(),
            self.api_versions.display(),
            HelmVersion.display()
        )
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "KubeVersion": self.kube_version.to_json(),
            "APIVersions": self.api_versions.to_json(),
            "HelmVersion": HelmVersion.to_json(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_as_gobwas_with_slash_separator() {
        let g = |p: &str, n: &str| gobwas_glob(p).unwrap().is_match(n);
        assert!(g("files/*.json", "files/a.json"));
        assert!(!g("files/*.json", "files/x/a.json"));
        assert!(g("files/**.json", "files/x/a.json"));
        assert!(g("files/{a,b}.txt", "files/b.txt"));
        assert!(g("files/[!x]*", "files/abc"));
        assert!(!g("files/?", "files/ab"));
        assert!(gobwas_glob("files/{a").is_none());
    }

    #[test]
    fn files_methods() {
        let files = Files::new([
            ("conf/a.ini".to_string(), b"x=1\ny=2\n".to_vec()),
            ("conf/b.ini".to_string(), b"z".to_vec()),
        ]);
        let lines = files
            .call_method("Lines", &[Value::str("conf/a.ini")])
            .unwrap();
        assert_eq!(gotemplate::fmt::display(&lines), "[x=1 y=2]");
        let got = files.call_method("Get", &[Value::str("missing")]).unwrap();
        assert_eq!(got.as_str(), Some(""));
        let Value::Object(globbed) = files.call_method("Glob", &[Value::str("conf/b*")]).unwrap()
        else {
            panic!("Glob returns files");
        };
        assert_eq!(globbed.entries().unwrap().len(), 1);
    }

    #[test]
    fn kube_version_parse() {
        let v = KubeVersion::parse("v1.33.4-gke.1245000").unwrap();
        assert_eq!(
            (v.normalized.as_str(), v.major.as_str(), v.minor.as_str()),
            ("v1.33.4", "1", "33")
        );
        assert_eq!(KubeVersion::parse("1.30").unwrap().version, "v1.30");
        assert!(KubeVersion::parse("x").is_none());
    }
}
