//! `.sops.yaml` creation rules (found from the file's directory upward, then
//! from the working directory upward, as sops does) and the suffix/regex
//! decisions about which values get encrypted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;

use super::metadata::{AgeKey, KeyGroup, KmsKey, Selection};

/// Why `.sops.yaml` or the encryption options could not be used.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a valid .sops.yaml: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("no creation rule in {config} matches {file}")]
    NoMatch { config: PathBuf, file: String },
    #[error("no .sops.yaml found from {0} upward, and no --age/--kms recipients given")]
    NoConfig(PathBuf),
    #[error("invalid regex `{regex}`: {reason}")]
    BadRegex { regex: String, reason: String },
    #[error(
        "use only one of unencrypted_suffix, encrypted_suffix, unencrypted_regex, encrypted_regex"
    )]
    ConflictingSelection,
    #[error("invalid encryption context `{0}`: expected key:value")]
    BadContext(String),
    #[error("PGP keys are not supported by berth (rule in {0}); use age or KMS")]
    Pgp(PathBuf),
    #[error("no recipients: the rule names no age or KMS key")]
    NoRecipients,
}

#[derive(Debug, Deserialize, Default)]
#[serde(untagged)]
enum StringOrList {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl StringOrList {
    fn items(&self) -> Vec<String> {
        let raw: Vec<String> = match self {
            StringOrList::None => Vec::new(),
            StringOrList::One(s) => s.split(',').map(str::to_string).collect(),
            StringOrList::Many(v) => v
                .iter()
                .flat_map(|s| s.split(','))
                .map(str::to_string)
                .collect(),
        };
        raw.into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }
}

#[derive(Debug, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    creation_rules: Vec<CreationRule>,
}

#[derive(Debug, Deserialize, Default)]
struct KmsRule {
    arn: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    context: BTreeMap<String, String>,
    #[serde(default)]
    aws_profile: String,
}

#[derive(Debug, Deserialize, Default)]
struct GroupRule {
    #[serde(default)]
    kms: Vec<KmsRule>,
    #[serde(default)]
    age: StringOrList,
    #[serde(default)]
    pgp: StringOrList,
}

#[derive(Debug, Deserialize, Default)]
struct CreationRule {
    path_regex: Option<String>,
    #[serde(default)]
    age: StringOrList,
    #[serde(default)]
    kms: StringOrList,
    #[serde(default)]
    pgp: StringOrList,
    #[serde(default)]
    aws_profile: String,
    #[serde(default)]
    key_groups: Vec<GroupRule>,
    #[serde(default)]
    shamir_threshold: usize,
    unencrypted_suffix: Option<String>,
    encrypted_suffix: Option<String>,
    unencrypted_regex: Option<String>,
    encrypted_regex: Option<String>,
    #[serde(default)]
    mac_only_encrypted: bool,
}

/// Recipients and options for a new file.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub groups: Vec<KeyGroup>,
    pub shamir_threshold: usize,
    pub selection: Selection,
}

/// Find `.sops.yaml` from `file`'s directory upward, then from the working directory upward.
pub(crate) fn find_config(file: &Path) -> Option<PathBuf> {
    let abs = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
    let starts = [
        abs.parent().map(Path::to_path_buf),
        std::env::current_dir().ok(),
    ];
    for start in starts.into_iter().flatten() {
        for dir in start.ancestors() {
            for name in [".sops.yaml", ".sops.yml"] {
                let p = dir.join(name);
                if p.is_file() {
                    return Some(p);
                }
            }
        }
    }
    None
}

/// Parse a `kms` entry as sops spells it on the command line: `ARN[+ROLE_ARN]`.
pub(crate) fn kms_key(spec: &str, context: &BTreeMap<String, String>, profile: &str) -> KmsKey {
    let (arn, role) = spec.split_once('+').unwrap_or((spec, ""));
    KmsKey {
        arn: arn.trim().to_string(),
        role: role.trim().to_string(),
        context: context.clone(),
        created_at: String::new(),
        enc: String::new(),
        aws_profile: profile.to_string(),
    }
}

/// Parse `k:v,k2:v2` items (already split on commas).
pub(crate) fn parse_context(items: &[String]) -> Result<BTreeMap<String, String>, RulesError> {
    items
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.split_once(':')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .ok_or_else(|| RulesError::BadContext(s.clone()))
        })
        .collect()
}

/// The creation rule for `file` from `config`.
pub(crate) fn plan_for(
    config: &Path,
    file: &Path,
    context: &BTreeMap<String, String>,
) -> Result<Plan, RulesError> {
    let text = std::fs::read_to_string(config).map_err(|source| RulesError::Read {
        path: config.to_path_buf(),
        source,
    })?;
    let conf: ConfigFile = serde_yaml_ng::from_str(&text).map_err(|e| RulesError::Invalid {
        path: config.to_path_buf(),
        reason: e.to_string(),
    })?;
    let dir = std::path::absolute(config.parent().unwrap_or(Path::new(".")))
        .unwrap_or_else(|_| PathBuf::from("."));
    let abs = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
    let rel = abs
        .strip_prefix(&dir)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| file.to_path_buf());
    let rel = rel.to_string_lossy().into_owned();
    let mut chosen = None;
    for rule in &conf.creation_rules {
        match &rule.path_regex {
            None => {
                chosen = Some(rule);
                break;
            }
            Some(re) => {
                let re = Regex::new(re).map_err(|e| RulesError::BadRegex {
                    regex: re.clone(),
                    reason: e.to_string(),
                })?;
                if re.is_match(&rel) {
                    chosen = Some(rule);
                    break;
                }
            }
        }
    }
    let rule = chosen.ok_or_else(|| RulesError::NoMatch {
        config: config.to_path_buf(),
        file: rel.clone(),
    })?;
    let mut groups = Vec::new();
    if rule.key_groups.is_empty() {
        if !rule.pgp.items().is_empty() {
            return Err(RulesError::Pgp(config.to_path_buf()));
        }
        groups.push(KeyGroup {
            kms: rule
                .kms
                .items()
                .iter()
                .map(|s| kms_key(s, context, &rule.aws_profile))
                .collect(),
            age: age_keys(&rule.age.items()),
            other: Default::default(),
        });
    } else {
        for g in &rule.key_groups {
            if !g.pgp.items().is_empty() {
                return Err(RulesError::Pgp(config.to_path_buf()));
            }
            groups.push(KeyGroup {
                kms: g
                    .kms
                    .iter()
                    .map(|k| KmsKey {
                        arn: k.arn.clone(),
                        role: k.role.clone(),
                        context: k.context.clone(),
                        created_at: String::new(),
                        enc: String::new(),
                        aws_profile: k.aws_profile.clone(),
                    })
                    .collect(),
                age: age_keys(&g.age.items()),
                other: Default::default(),
            });
        }
    }
    if groups.iter().all(KeyGroup::is_empty) {
        return Err(RulesError::NoRecipients);
    }
    Ok(Plan {
        groups,
        shamir_threshold: rule.shamir_threshold,
        selection: Selection {
            unencrypted_suffix: rule.unencrypted_suffix.clone(),
            encrypted_suffix: rule.encrypted_suffix.clone(),
            unencrypted_regex: rule.unencrypted_regex.clone(),
            encrypted_regex: rule.encrypted_regex.clone(),
            mac_only_encrypted: rule.mac_only_encrypted,
        },
    })
}

/// age entries (without wrapped keys yet) for recipients.
pub(crate) fn age_keys(recipients: &[String]) -> Vec<AgeKey> {
    recipients
        .iter()
        .map(|r| AgeKey {
            recipient: r.trim().to_string(),
            enc: String::new(),
        })
        .collect()
}

/// Check that at most one selection option is set; default to sops'
/// `unencrypted_suffix: _unencrypted` when none is.
pub(crate) fn normalize_selection(mut s: Selection) -> Result<Selection, RulesError> {
    let set = [
        s.unencrypted_suffix.is_some(),
        s.encrypted_suffix.is_some(),
        s.unencrypted_regex.is_some(),
        s.encrypted_regex.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if set > 1 {
        return Err(RulesError::ConflictingSelection);
    }
    if set == 0 {
        s.unencrypted_suffix = Some("_unencrypted".into());
    }
    Ok(s)
}

/// The compiled decision "is the value at this path encrypted?" (sops' `shouldBeEncrypted`).
pub(crate) struct Selector {
    unencrypted_suffix: Option<String>,
    encrypted_suffix: Option<String>,
    unencrypted_regex: Option<Regex>,
    encrypted_regex: Option<Regex>,
}

impl Selector {
    /// Compile the selection's regexes.
    pub(crate) fn new(s: &Selection) -> Result<Selector, RulesError> {
        let compile = |r: &Option<String>| {
            r.as_ref()
                .filter(|r| !r.is_empty())
                .map(|r| {
                    Regex::new(r).map_err(|e| RulesError::BadRegex {
                        regex: r.clone(),
                        reason: e.to_string(),
                    })
                })
                .transpose()
        };
        Ok(Selector {
            unencrypted_suffix: s.unencrypted_suffix.clone().filter(|x| !x.is_empty()),
            encrypted_suffix: s.encrypted_suffix.clone().filter(|x| !x.is_empty()),
            unencrypted_regex: compile(&s.unencrypted_regex)?,
            encrypted_regex: compile(&s.encrypted_regex)?,
        })
    }

    /// Whether a value at `path` is (to be) encrypted.
    pub(crate) fn encrypts(&self, path: &[String]) -> bool {
        let mut encrypted = true;
        if let Some(sfx) = &self.unencrypted_suffix {
            if path.iter().any(|p| p.ends_with(sfx.as_str())) {
                encrypted = false;
            }
        }
        if let Some(sfx) = &self.encrypted_suffix {
            encrypted = path.iter().any(|p| p.ends_with(sfx.as_str()));
        }
        if let Some(re) = &self.unencrypted_regex {
            if path.iter().any(|p| re.is_match(p)) {
                encrypted = false;
            }
        }
        if let Some(re) = &self.encrypted_regex {
            encrypted = path.iter().any(|p| re.is_match(p));
        }
        encrypted
    }
}
