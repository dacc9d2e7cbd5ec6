//! The `sops:` metadata block as it sits on disk (field names and order as
//! sops writes them), kept apart from the internal key groups. Unknown key
//! types (pgp, gcp_kms, azure_kv, hc_vault, …) are carried through as-is.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

fn is_zero(n: &usize) -> bool {
    *n == 0
}
fn is_false(b: &bool) -> bool {
    !*b
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => s,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    })
}

/// One age entry: the recipient and the data key (or share) wrapped for it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct AgeKey {
    pub recipient: String,
    #[serde(default)]
    pub enc: String,
}

/// One AWS KMS entry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct KmsKey {
    pub arn: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub role: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub context: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub created_at: String,
    #[serde(default)]
    pub enc: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub aws_profile: String,
}

/// A key group: every key in it wraps the same data key (or Shamir share).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub(crate) struct KeyGroup {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kms: Vec<KmsKey>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub age: Vec<AgeKey>,
    /// Key types berth cannot use (pgp, gcp_kms, azure_kv, hc_vault …), kept as-is.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

impl KeyGroup {
    /// Whether the group names any key at all.
    pub fn is_empty(&self) -> bool {
        self.kms.is_empty() && self.age.is_empty() && self.other_keys().is_empty()
    }
    /// Names of foreign key entries ("pgp FINGERPRINT", …) for messages.
    pub fn other_keys(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (kind, v) in &self.other {
            if let serde_json::Value::Array(entries) = v {
                for e in entries {
                    let id = ["fp", "resource_id", "vault_address", "key_id", "name"]
                        .iter()
                        .find_map(|f| e.get(*f).and_then(|x| x.as_str()))
                        .unwrap_or("?");
                    out.push(format!("{kind} {id}"));
                }
            }
        }
        out
    }
}

/// The on-disk `sops:` block.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct OnDisk {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub shamir_threshold: usize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_groups: Vec<KeyGroup>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kms: Vec<KmsKey>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub age: Vec<AgeKey>,
    #[serde(deserialize_with = "lenient_string")]
    pub lastmodified: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub mac: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unencrypted_suffix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted_suffix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unencrypted_regex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted_regex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unencrypted_comment_regex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted_comment_regex: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub mac_only_encrypted: bool,
    #[serde(deserialize_with = "lenient_string")]
    pub version: String,
    /// Top-level foreign key types (pgp, gcp_kms, …), kept as-is.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// The rules deciding which values are encrypted.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Selection {
    pub unencrypted_suffix: Option<String>,
    pub encrypted_suffix: Option<String>,
    pub unencrypted_regex: Option<String>,
    pub encrypted_regex: Option<String>,
    pub mac_only_encrypted: bool,
}

/// Metadata as berth works with it.
#[derive(Debug, Clone)]
pub(crate) struct Metadata {
    pub groups: Vec<KeyGroup>,
    pub shamir_threshold: usize,
    pub lastmodified: String,
    pub mac: String,
    pub selection: Selection,
    pub version: String,
    pub comment_regexes: bool,
}

impl Metadata {
    /// From the on-disk block.
    pub fn from_disk(d: OnDisk) -> Metadata {
        let groups = if d.key_groups.is_empty() {
            vec![KeyGroup {
                kms: d.kms,
                age: d.age,
                other: d.other,
            }]
        } else {
            d.key_groups
        };
        Metadata {
            groups,
            shamir_threshold: d.shamir_threshold,
            lastmodified: d.lastmodified,
            mac: d.mac,
            selection: Selection {
                unencrypted_suffix: d.unencrypted_suffix,
                encrypted_suffix: d.encrypted_suffix,
                unencrypted_regex: d.unencrypted_regex,
                encrypted_regex: d.encrypted_regex,
                mac_only_encrypted: d.mac_only_encrypted,
            },
            version: d.version,
            comment_regexes: d.unencrypted_comment_regex.is_some()
                || d.encrypted_comment_regex.is_some(),
        }
    }

    /// To the on-disk block: one group is written flat, several as key_groups.
    pub fn to_disk(&self) -> OnDisk {
        let mut d = OnDisk {
            lastmodified: self.lastmodified.clone(),
            mac: self.mac.clone(),
            unencrypted_suffix: self.selection.unencrypted_suffix.clone(),
            encrypted_suffix: self.selection.encrypted_suffix.clone(),
            unencrypted_regex: self.selection.unencrypted_regex.clone(),
            encrypted_regex: self.selection.encrypted_regex.clone(),
            mac_only_encrypted: self.selection.mac_only_encrypted,
            version: self.version.clone(),
            ..OnDisk::default()
        };
        if self.groups.len() == 1 {
            let g = self.groups[0].clone();
            d.kms = g.kms;
            d.age = g.age;
            d.other = g.other;
        } else {
            d.key_groups = self.groups.clone();
            d.shamir_threshold = self.shamir_threshold;
        }
        d
    }
}
