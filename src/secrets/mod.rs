//! SOPS-compatible secrets: the ordered tree ([`tree`]), the per-value cipher
//! ([`cipher`]), the MAC (computed while walking and verified before any
//! plaintext leaves this module), the YAML/JSON stores ([`formats`]), age and
//! KMS master keys ([`keys`]), Shamir key groups ([`shamir`]), `.sops.yaml`
//! rules ([`rules`]) and the private temp file of `secrets edit` ([`edit`]).
//! Plaintext leaves this module only as a value the caller asked for. This
//! module never prints and never prompts.

mod cipher;
pub mod document;
pub mod edit;
pub mod formats;
mod keys;
mod metadata;
mod rules;
mod shamir;
pub mod taint;
mod tree;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256, Sha512};
use zeroize::Zeroizing;

pub use cipher::CipherError;
pub use formats::{Format, FormatError};
pub use keys::KeyError;
pub use rules::RulesError;
pub use shamir::ShamirError;

use cipher::Cipher;
use keys::{KeyContext, MasterKey};
use metadata::{KeyGroup, Metadata, OnDisk, Selection};
use tree::{walk, Item, Leaf, PlainTree, Value};

/// sops' MAC prefix for `mac_only_encrypted` files (sha256 of "sops").
const MAC_ONLY_ENCRYPTED_INIT: [u8; 32] = [
    0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
    0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
];

/// The sops format version berth writes.
const SOPS_VERSION: &str = "3.11.0";

/// Errors of the secrets module. No variant ever carries plaintext.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: unsupported file format (use a .yaml, .yml or .json file, or --input-type yaml|json)")]
    UnsupportedFormat { path: PathBuf },
    #[error("{path}: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: FormatError,
    },
    #[error("{path} is not a SOPS-encrypted file (it has no `sops` metadata block)")]
    NotSops { path: PathBuf },
    #[error("{path} is already encrypted (it has a `sops` metadata block); use `berth secrets edit` or `rotate`")]
    AlreadyEncrypted { path: PathBuf },
    #[error("{path}: the edited text has a top-level `sops` key, which SOPS reserves for its metadata; rename or remove that key")]
    ReservedKey { path: PathBuf },
    #[error("{path}: invalid `sops` metadata: {reason}")]
    BadMetadata { path: PathBuf, reason: String },
    #[error("{path}: cannot write it as {format:?}: {source}")]
    Emit {
        path: PathBuf,
        format: Format,
        #[source]
        source: FormatError,
    },
    #[error("{path}: could not generate data key: empty key group provided (no keys are named for this file)")]
    EmptyKeyGroup { path: PathBuf },
    #[error("{path}: MAC mismatch: the file's contents do not match its message authentication code; it was modified outside sops/berth or is corrupted, so berth refuses to use it")]
    MacMismatch { path: PathBuf },
    #[error("{path}: cannot decrypt the value at `{at}`")]
    Value {
        path: PathBuf,
        at: String,
        #[source]
        source: CipherError,
    },
    #[error("{path}: the encrypted comment {at} cannot be decrypted: it was modified or is corrupted, so berth refuses the file")]
    Comment {
        path: PathBuf,
        at: String,
        #[source]
        source: CipherError,
    },
    #[error("{path}: cannot decrypt the MAC")]
    Mac {
        path: PathBuf,
        #[source]
        source: CipherError,
    },
    #[error("{path}: no key could decrypt the data key:\n{}", .attempts.iter().map(|a| format!("  - {a}")).collect::<Vec<_>>().join("\n"))]
    NoKey {
        path: PathBuf,
        attempts: Vec<String>,
    },
    #[error("{path}: could not wrap the data key for {key}")]
    Wrap {
        path: PathBuf,
        key: String,
        #[source]
        source: KeyError,
    },
    #[error(
        "{path}: cannot wrap the data key for {key}: berth supports age and AWS KMS keys only"
    )]
    ForeignKey { path: PathBuf, key: String },
    #[error("{path}: Shamir secret sharing failed")]
    Shamir {
        path: PathBuf,
        #[source]
        source: ShamirError,
    },
    #[error("{path}: {source}")]
    Rules {
        path: PathBuf,
        #[source]
        source: RulesError,
    },
    #[error(
        "{path}: encrypted_comment_regex/unencrypted_comment_regex are not supported by berth"
    )]
    CommentRegex { path: PathBuf },
    #[error("invalid path `{0}`: use a.b[0].c or [\"a\"][\"b\"][0]")]
    BadTreePath(String),
    #[error("cannot set `{at}`: the value is not valid JSON: {source}")]
    SetValue {
        at: String,
        #[source]
        source: FormatError,
    },
    #[error("{path}: cannot set `{at}`: {reason}")]
    Set {
        path: PathBuf,
        at: String,
        reason: &'static str,
    },
}

fn read(path: &Path) -> Result<Zeroizing<String>, SecretsError> {
    std::fs::read_to_string(path)
        .map(Zeroizing::new)
        .map_err(|source| SecretsError::Read {
            path: path.to_path_buf(),
            source,
        })
}

fn format_of(path: &Path, input_type: Option<&str>) -> Result<Format, SecretsError> {
    Format::detect(path, input_type).ok_or_else(|| SecretsError::UnsupportedFormat {
        path: path.to_path_buf(),
    })
}

/// An encrypted file in memory: the encrypted tree and its metadata.
struct Encrypted {
    path: PathBuf,
    format: Format,
    tree: Value,
    meta: Metadata,
}

fn to_json_meta(v: &Value) -> serde_json::Value {
    formats::json::to_json(v)
}

fn load_encrypted(path: &Path, format: Format, text: &str) -> Result<Encrypted, SecretsError> {
    let tree = format
        .load_encrypted(text)
        .map_err(|source| SecretsError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
    encrypted_from_tree(path, format, tree)
}

/// An encrypted tree with its top-level `sops` entry taken out as metadata.
fn encrypted_from_tree(
    path: &Path,
    format: Format,
    mut tree: Value,
) -> Result<Encrypted, SecretsError> {
    let Value::Map(items) = &mut tree else {
        return Err(SecretsError::NotSops {
            path: path.to_path_buf(),
        });
    };
    let idx = items
        .iter()
        .position(|i| matches!(i, Item::Entry(k, _) if k == "sops"))
        .ok_or_else(|| SecretsError::NotSops {
            path: path.to_path_buf(),
        })?;
    let Item::Entry(_, meta) = items.remove(idx) else {
        unreachable!("position matched an entry")
    };
    let disk: OnDisk =
        serde_json::from_value(to_json_meta(&meta)).map_err(|e| SecretsError::BadMetadata {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    let meta = Metadata::from_disk(disk);
    if meta.comment_regexes {
        return Err(SecretsError::CommentRegex {
            path: path.to_path_buf(),
        });
    }
    Ok(Encrypted {
        path: path.to_path_buf(),
        format,
        tree,
        meta,
    })
}

/// sops computes the MAC's additional data from the parsed `lastmodified`,
/// re-formatted as Go's RFC 3339 (seconds, `Z` for UTC).
fn mac_aad(lastmodified: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(lastmodified) {
        Ok(t) if t.offset().local_minus_utc() == 0 => {
            t.naive_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string()
        }
        Ok(t) => t.format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        Err(_) => lastmodified.to_string(),
    }
}

fn selector(path: &Path, s: &Selection) -> Result<rules::Selector, SecretsError> {
    rules::Selector::new(s).map_err(|source| SecretsError::Rules {
        path: path.to_path_buf(),
        source,
    })
}

/// Whether a plain comment holds the remains of an encrypted value.
fn looks_encrypted(c: &str) -> bool {
    c.contains("ENC[")
        || c.contains("AES256_GCM")
        || (c.contains("data:") && c.contains("iv:") && c.contains("tag:"))
}

/// Where a comment sits, for error messages.
fn comment_place(path: &[String]) -> String {
    if path.is_empty() {
        "at the top level".into()
    } else {
        format!("under `{}`", path.join("."))
    }
}

fn aad(path: &[String]) -> String {
    let mut s = path.join(":");
    s.push(':');
    s
}

/// Recover the data key by trying every key, listing each failure.
fn data_key(file: &Encrypted, ctx: &KeyContext) -> Result<cipher::DataKey, SecretsError> {
    let mut attempts = Vec::new();
    let mut parts: Vec<Zeroizing<Vec<u8>>> = Vec::new();
    for group in &file.meta.groups {
        let mut keys: Vec<&dyn MasterKey> = Vec::new();
        keys.extend(group.age.iter().map(|k| k as &dyn MasterKey));
        keys.extend(group.kms.iter().map(|k| k as &dyn MasterKey));
        let mut got = None;
        for k in keys {
            match k.unwrap(ctx) {
                Ok(p) => {
                    got = Some(p);
                    break;
                }
                Err(e) => attempts.push(format!("{}: {e}", k.describe())),
            }
        }
        match got {
            Some(p) => parts.push(p),
            None => attempts.extend(
                group
                    .other_keys()
                    .into_iter()
                    .map(|k| format!("{k}: key type not supported by berth")),
            ),
        }
    }
    let key = if file.meta.groups.len() > 1 {
        let threshold = if file.meta.shamir_threshold == 0 {
            file.meta.groups.len()
        } else {
            file.meta.shamir_threshold
        };
        if parts.len() < threshold {
            attempts.push(format!(
                "Shamir: {} of the {threshold} key groups needed could be decrypted",
                parts.len()
            ));
            return Err(SecretsError::NoKey {
                path: file.path.clone(),
                attempts,
            });
        }
        parts.truncate(threshold);
        shamir::combine(&parts).map_err(|source| SecretsError::Shamir {
            path: file.path.clone(),
            source,
        })?
    } else {
        match parts.pop() {
            Some(p) => p,
            None => {
                if attempts.is_empty() {
                    attempts.push("the file names no keys".into());
                }
                return Err(SecretsError::NoKey {
                    path: file.path.clone(),
                    attempts,
                });
            }
        }
    };
    let arr: [u8; 32] = key
        .as_slice()
        .try_into()
        .map_err(|_| SecretsError::BadMetadata {
            path: file.path.clone(),
            reason: "the data key is not 32 bytes".into(),
        })?;
    Ok(Zeroizing::new(arr))
}

/// Decrypt the tree and verify the MAC before returning anything.
fn decrypt_tree(file: &Encrypted, key: &cipher::DataKey) -> Result<PlainTree, SecretsError> {
    decrypt_tree_remembering(file, key, false, false)
}

/// [`decrypt_tree`]; with `remember`, every decrypted value is also added to
/// the [`taint`] set (values that go on to be rendered).
fn decrypt_tree_remembering(
    file: &Encrypted,
    key: &cipher::DataKey,
    remember: bool,
    ignore_mac: bool,
) -> Result<PlainTree, SecretsError> {
    let cipher = Cipher::new(key);
    let sel = selector(&file.path, &file.meta.selection)?;
    let mac_only = file.meta.selection.mac_only_encrypted;
    let mut hasher = Sha512::new();
    if mac_only {
        hasher.update(MAC_ONLY_ENCRYPTED_INIT);
    }
    let mut plain = PlainTree(file.tree.clone());
    walk(&mut plain.0, &mut Vec::new(), &mut |leaf, path| {
        let encrypted = sel.encrypts(path);
        match leaf {
            Leaf::Comment(c) => {
                // Comments are outside the MAC: an `ENC[` comment that does not
                // decrypt to a comment is refused (sops only warns and shows
                // it), and so is a plain comment holding what looks like a
                // damaged one (`#ENx[AES256_GCM,data:…`). Other plain comments
                // (written by hand, or by an old sops) are kept.
                if encrypted && !c.starts_with("ENC[") && looks_encrypted(c) {
                    return Err(SecretsError::Comment {
                        path: file.path.clone(),
                        at: comment_place(path),
                        source: CipherError::NotEncrypted,
                    });
                }
                if encrypted && c.starts_with("ENC[") {
                    match cipher.decrypt(c, &aad(path)) {
                        Ok(Value::Comment(t)) => *c = t,
                        Ok(_) => {
                            return Err(SecretsError::Comment {
                                path: file.path.clone(),
                                at: comment_place(path),
                                source: CipherError::NotEncrypted,
                            })
                        }
                        Err(source) => {
                            return Err(SecretsError::Comment {
                                path: file.path.clone(),
                                at: comment_place(path),
                                source,
                            })
                        }
                    }
                }
            }
            Leaf::Value(v) => {
                if encrypted {
                    let dec = match v {
                        Value::Str(s) => cipher.decrypt(s, &aad(path)),
                        _ => Err(CipherError::NotEncrypted),
                    }
                    .map_err(|source| SecretsError::Value {
                        path: file.path.clone(),
                        at: path.join("."),
                        source,
                    })?;
                    if remember {
                        taint::remember(&dec);
                    }
                    *v = dec;
                }
                if !matches!(v, Value::Comment(_)) && (!mac_only || encrypted) {
                    hasher.update(Zeroizing::new(tree::scalar_bytes(v)));
                }
            }
        }
        Ok::<(), SecretsError>(())
    })?;
    let computed = hex::encode_upper(hasher.finalize());
    if ignore_mac {
        return Ok(plain);
    }
    if file.meta.mac.is_empty() {
        return Err(SecretsError::MacMismatch {
            path: file.path.clone(),
        });
    }
    let stored = cipher
        .decrypt(&file.meta.mac, &mac_aad(&file.meta.lastmodified))
        .map_err(|source| match source {
            CipherError::Authentication => SecretsError::MacMismatch {
                path: file.path.clone(),
            },
            source => SecretsError::Mac {
                path: file.path.clone(),
                source,
            },
        })?;
    if stored != Value::Str(computed) {
        return Err(SecretsError::MacMismatch {
            path: file.path.clone(),
        });
    }
    Ok(plain)
}

/// Encrypt a plaintext tree with `key`; sets lastmodified and the MAC.
fn encrypt_tree(
    path: &Path,
    plain: &PlainTree,
    meta: &mut Metadata,
    key: &cipher::DataKey,
) -> Result<Value, SecretsError> {
    let cipher = Cipher::new(key);
    let sel = selector(path, &meta.selection)?;
    let mac_only = meta.selection.mac_only_encrypted;
    let mut hasher = Sha512::new();
    if mac_only {
        hasher.update(MAC_ONLY_ENCRYPTED_INIT);
    }
    let mut tree = plain.0.clone();
    let err = |at: &[String], source| SecretsError::Value {
        path: path.to_path_buf(),
        at: at.join("."),
        source,
    };
    walk(&mut tree, &mut Vec::new(), &mut |leaf, p| {
        let encrypted = sel.encrypts(p);
        match leaf {
            Leaf::Comment(c) => {
                if encrypted {
                    let plain_c = Value::Comment(std::mem::take(c));
                    *c = cipher.encrypt(&plain_c, &aad(p)).map_err(|e| err(p, e))?;
                    drop(PlainTree(plain_c));
                }
            }
            Leaf::Value(v) => {
                if !mac_only || encrypted {
                    hasher.update(Zeroizing::new(tree::scalar_bytes(v)));
                }
                let empty = matches!(v, Value::Str(s) if s.is_empty());
                if encrypted && !empty {
                    let enc = cipher.encrypt(v, &aad(p)).map_err(|e| err(p, e))?;
                    let old = std::mem::replace(v, Value::Str(enc));
                    drop(PlainTree(old));
                }
            }
        }
        Ok::<(), SecretsError>(())
    })?;
    meta.lastmodified = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    meta.version = SOPS_VERSION.to_string();
    let mac = Value::Str(hex::encode_upper(hasher.finalize()));
    meta.mac = cipher
        .encrypt(&mac, &mac_aad(&meta.lastmodified))
        .map_err(|source| SecretsError::Mac {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(tree)
}

/// Wrap `key` for every master key (splitting it with Shamir for several groups).
fn wrap_key(
    path: &Path,
    meta: &mut Metadata,
    key: &cipher::DataKey,
    ctx: &KeyContext,
) -> Result<(), SecretsError> {
    let parts: Vec<Zeroizing<Vec<u8>>> = if meta.groups.len() > 1 {
        if meta.shamir_threshold == 0 {
            meta.shamir_threshold = meta.groups.len();
        }
        shamir::split(key.as_ref(), meta.groups.len(), meta.shamir_threshold).map_err(|source| {
            SecretsError::Shamir {
                path: path.to_path_buf(),
                source,
            }
        })?
    } else {
        vec![Zeroizing::new(key.to_vec())]
    };
    if meta.groups.is_empty() || meta.groups.iter().any(KeyGroup::is_empty) {
        return Err(SecretsError::EmptyKeyGroup {
            path: path.to_path_buf(),
        });
    }
    for (group, part) in meta.groups.iter_mut().zip(parts.iter()) {
        if let Some(k) = group.other_keys().into_iter().next() {
            return Err(SecretsError::ForeignKey {
                path: path.to_path_buf(),
                key: k,
            });
        }
        for k in group.age.iter_mut() {
            k.wrap(part, ctx).map_err(|source| SecretsError::Wrap {
                path: path.to_path_buf(),
                key: k.describe(),
                source,
            })?;
        }
        for k in group.kms.iter_mut() {
            k.wrap(part, ctx).map_err(|source| SecretsError::Wrap {
                path: path.to_path_buf(),
                key: k.describe(),
                source,
            })?;
        }
    }
    Ok(())
}

fn emit_encrypted(
    path: &Path,
    format: Format,
    tree: &Value,
    meta: &Metadata,
) -> Result<String, SecretsError> {
    let mut tree = tree.clone();
    let disk = serde_json::to_value(meta.to_disk()).unwrap_or(serde_json::Value::Null);
    let mut meta_tree = formats::json::from_json(disk);
    ints_back(&mut meta_tree);
    if let Value::Map(items) = &mut tree {
        items.push(Item::Entry("sops".into(), meta_tree));
    }
    format
        .emit(&tree, true)
        .map_err(|source| SecretsError::Emit {
            path: path.to_path_buf(),
            format,
            source,
        })
}

/// Write a plaintext tree in `format`.
fn emit_plain(
    path: &Path,
    format: Format,
    tree: &Value,
) -> Result<Zeroizing<String>, SecretsError> {
    format
        .emit(tree, false)
        .map(Zeroizing::new)
        .map_err(|source| SecretsError::Emit {
            path: path.to_path_buf(),
            format,
            source,
        })
}

/// JSON numbers in metadata (shamir_threshold) are integers.
fn ints_back(v: &mut Value) {
    match v {
        Value::Float(f) if f.fract() == 0.0 => *v = Value::Int(*f as i64),
        Value::Map(items) => items.iter_mut().for_each(|i| {
            if let Item::Entry(_, v) = i {
                ints_back(v)
            }
        }),
        Value::Seq(vals) => vals.iter_mut().for_each(ints_back),
        _ => {}
    }
}

fn open(path: &Path, input_type: Option<&str>) -> Result<Encrypted, SecretsError> {
    let format = format_of(path, input_type)?;
    let text = read(path)?;
    load_encrypted(path, format, &text)
}

/// Decrypt a SOPS-encrypted values file into a values tree, in memory only.
/// Used by the render path for profile/release `secrets:` files. Works whether
/// or not the caller runs inside a tokio runtime.
pub fn decrypt_values(path: &Path) -> Result<serde_json::Value, SecretsError> {
    let format = Format::detect(path, None).unwrap_or(Format::Yaml);
    let text = read(path)?;
    let file = load_encrypted(path, format, &text)?;
    let ctx = KeyContext::default();
    let key = data_key(&file, &ctx)?;
    let plain = decrypt_tree_remembering(&file, &key, true, false)?;
    Ok(formats::json::to_json(&plain.0))
}

/// Decrypt `paths` only so that their values are known as secret for
/// masking (see [`taint`]): for commands that print objects without rendering
/// them (`rollback` shows a diff of an old manifest). A file that cannot be
/// decrypted is skipped: masking then knows less, the command still works.
/// Returns how many files were read.
pub fn remember_secret_values<'p>(paths: impl IntoIterator<Item = &'p Path>) -> usize {
    paths
        .into_iter()
        .filter(|p| decrypt_values(p).is_ok())
        .count()
}

/// Decrypt a file; the plaintext document in the file's own format.
pub fn decrypt_file(
    path: &Path,
    input_type: Option<&str>,
) -> Result<Zeroizing<String>, SecretsError> {
    let file = open(path, input_type)?;
    let ctx = KeyContext::default();
    let key = data_key(&file, &ctx)?;
    let plain = decrypt_tree(&file, &key)?;
    emit_plain(path, file.format, &plain.0)
}

/// Recipients and options for `secrets encrypt` (empty recipients: `.sops.yaml` decides).
#[derive(Debug, Clone, Default)]
pub struct EncryptOptions {
    pub age: Vec<String>,
    pub kms: Vec<String>,
    pub encryption_context: Vec<String>,
    pub aws_profile: Option<String>,
    pub encrypted_regex: Option<String>,
    pub unencrypted_regex: Option<String>,
    pub encrypted_suffix: Option<String>,
    pub unencrypted_suffix: Option<String>,
    pub mac_only_encrypted: bool,
    pub shamir_threshold: Option<usize>,
}

fn rules_err(path: &Path) -> impl Fn(RulesError) -> SecretsError + '_ {
    move |source| SecretsError::Rules {
        path: path.to_path_buf(),
        source,
    }
}

/// The new-file metadata: from flags, else from `.sops.yaml`.
fn new_metadata(path: &Path, opts: &EncryptOptions) -> Result<Metadata, SecretsError> {
    new_metadata_with(path, opts, || rules::find_config(path))
}

/// [`new_metadata`] with the `.sops.yaml` found by `config` (sops looks from
/// the working directory, `berth secrets` from the file's).
fn new_metadata_with(
    path: &Path,
    opts: &EncryptOptions,
    config: impl FnOnce() -> Option<PathBuf>,
) -> Result<Metadata, SecretsError> {
    let context = rules::parse_context(&opts.encryption_context).map_err(rules_err(path))?;
    let flag_sel = Selection {
        unencrypted_suffix: opts.unencrypted_suffix.clone(),
        encrypted_suffix: opts.encrypted_suffix.clone(),
        unencrypted_regex: opts.unencrypted_regex.clone(),
        encrypted_regex: opts.encrypted_regex.clone(),
        mac_only_encrypted: opts.mac_only_encrypted,
    };
    let (groups, threshold, mut selection) = if !opts.age.is_empty() || !opts.kms.is_empty() {
        let profile = opts.aws_profile.clone().unwrap_or_default();
        let group = KeyGroup {
            kms: opts
                .kms
                .iter()
                .filter(|s| !s.trim().is_empty())
                .map(|s| rules::kms_key(s, &context, &profile))
                .collect(),
            age: rules::age_keys(&opts.age),
            other: Default::default(),
        };
        (vec![group], 0, flag_sel.clone())
    } else {
        let config = config().ok_or_else(|| SecretsError::Rules {
            path: path.to_path_buf(),
            source: RulesError::NoConfig(
                std::path::absolute(path)
                    .ok()
                    .and_then(|p| p.parent().map(Path::to_path_buf))
                    .unwrap_or_default(),
            ),
        })?;
        let plan = rules::plan_for(&config, path, &context).map_err(rules_err(path))?;
        let mut sel = plan.selection;
        // Flags override the rule's selection.
        if flag_sel != Selection::default() {
            sel = flag_sel.clone();
        }
        (plan.groups, plan.shamir_threshold, sel)
    };
    if let Some(t) = opts.shamir_threshold {
        let _ = t;
    }
    selection = rules::normalize_selection(selection).map_err(rules_err(path))?;
    Ok(Metadata {
        groups,
        shamir_threshold: opts.shamir_threshold.unwrap_or(threshold),
        lastmodified: String::new(),
        mac: String::new(),
        selection,
        version: SOPS_VERSION.into(),
        comment_regexes: false,
    })
}

fn parse_plain(path: &Path, format: Format, text: &str) -> Result<PlainTree, SecretsError> {
    let tree = PlainTree(format.load(text).map_err(|source| SecretsError::Parse {
        path: path.to_path_buf(),
        source,
    })?);
    if let Value::Map(items) = &tree.0 {
        if items
            .iter()
            .any(|i| matches!(i, Item::Entry(k, _) if k == "sops"))
        {
            return Err(SecretsError::AlreadyEncrypted {
                path: path.to_path_buf(),
            });
        }
    }
    Ok(tree)
}

/// Encrypt a plaintext file; returns the encrypted document.
pub fn encrypt_file(
    path: &Path,
    input_type: Option<&str>,
    opts: &EncryptOptions,
) -> Result<String, SecretsError> {
    let format = format_of(path, input_type)?;
    let text = read(path)?;
    let plain = parse_plain(path, format, &text)?;
    let mut meta = new_metadata(path, opts)?;
    let ctx = KeyContext::default();
    let key = cipher::new_data_key();
    wrap_key(path, &mut meta, &key, &ctx)?;
    let tree = encrypt_tree(path, &plain, &mut meta, &key)?;
    emit_encrypted(path, format, &tree, &meta)
}

/// Re-encrypt a file with a new data key, wrapped for the same keys.
pub fn rotate_file(path: &Path, input_type: Option<&str>) -> Result<String, SecretsError> {
    let mut file = open(path, input_type)?;
    let ctx = KeyContext::default();
    let old = data_key(&file, &ctx)?;
    let plain = decrypt_tree(&file, &old)?;
    let key = cipher::new_data_key();
    wrap_key(path, &mut file.meta, &key, &ctx)?;
    let tree = encrypt_tree(path, &plain, &mut file.meta, &key)?;
    emit_encrypted(path, file.format, &tree, &file.meta)
}

/// What `updatekeys` would change.
#[derive(Debug, Clone)]
pub struct KeyUpdate {
    /// Keys the rules add ("age recipient …", "kms …").
    pub added: Vec<String>,
    /// Keys the rules drop.
    pub removed: Vec<String>,
    /// The updated file, ready to write.
    pub output: String,
}

fn describe_all(groups: &[KeyGroup]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        let prefix = if groups.len() > 1 {
            format!("group {}: ", i + 1)
        } else {
            String::new()
        };
        out.extend(g.age.iter().map(|k| format!("{prefix}{}", k.describe())));
        out.extend(g.kms.iter().map(|k| format!("{prefix}{}", k.describe())));
        out.extend(g.other_keys().into_iter().map(|k| format!("{prefix}{k}")));
    }
    out
}

/// Re-wrap the data key for the keys `.sops.yaml` now names (the data key is kept).
pub fn update_keys(path: &Path, input_type: Option<&str>) -> Result<KeyUpdate, SecretsError> {
    let mut file = open(path, input_type)?;
    let config = rules::find_config(path).ok_or_else(|| SecretsError::Rules {
        path: path.to_path_buf(),
        source: RulesError::NoConfig(PathBuf::from(".")),
    })?;
    let plan = rules::plan_for(&config, path, &BTreeMap::new()).map_err(rules_err(path))?;
    let before = describe_all(&file.meta.groups);
    let after = describe_all(&plan.groups);
    let added: Vec<String> = after
        .iter()
        .filter(|k| !before.contains(k))
        .cloned()
        .collect();
    let removed: Vec<String> = before
        .iter()
        .filter(|k| !after.contains(k))
        .cloned()
        .collect();
    let ctx = KeyContext::default();
    let key = data_key(&file, &ctx)?;
    // Verify the file before re-wrapping its key.
    let _ = decrypt_tree(&file, &key)?;
    file.meta.groups = plan.groups;
    file.meta.shamir_threshold = plan.shamir_threshold;
    wrap_key(path, &mut file.meta, &key, &ctx)?;
    Ok(KeyUpdate {
        added,
        removed,
        output: emit_encrypted(path, file.format, &file.tree, &file.meta)?,
    })
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Step {
    Key(String),
    Index(usize),
}

fn parse_tree_path(p: &str) -> Result<Vec<Step>, SecretsError> {
    let bad = || SecretsError::BadTreePath(p.to_string());
    let mut steps = Vec::new();
    let s = p.trim();
    if s.starts_with('[') {
        let mut rest = s;
        while !rest.is_empty() {
            let inner_end = rest.find(']').ok_or_else(bad)?;
            let inner = rest[1..inner_end].trim();
            if let Some(q) = inner.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
                steps.push(Step::Key(q.to_string()));
            } else if let Some(q) = inner.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')) {
                steps.push(Step::Key(q.to_string()));
            } else {
                steps.push(Step::Index(inner.parse().map_err(|_| bad())?));
            }
            rest = rest[inner_end + 1..].trim_start();
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(bad());
            }
        }
    } else {
        for part in s.split('.') {
            let (name, mut idx) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            if name.is_empty() && idx.is_empty() {
                return Err(bad());
            }
            if !name.is_empty() {
                steps.push(Step::Key(name.to_string()));
            }
            while let Some(r) = idx.strip_prefix('[') {
                let end = r.find(']').ok_or_else(bad)?;
                steps.push(Step::Index(r[..end].parse().map_err(|_| bad())?));
                idx = &r[end + 1..];
            }
            if !idx.is_empty() {
                return Err(bad());
            }
        }
    }
    if steps.is_empty() {
        return Err(bad());
    }
    Ok(steps)
}

pub(crate) fn set_at(v: &mut Value, steps: &[Step], new: Value) -> Result<(), &'static str> {
    let Some((first, rest)) = steps.split_first() else {
        *v = new;
        return Ok(());
    };
    match (first, v) {
        (Step::Key(k), Value::Map(items)) => {
            for item in items.iter_mut() {
                if let Item::Entry(key, val) = item {
                    if key == k {
                        return set_at(val, rest, new);
                    }
                }
            }
            let mut val = if matches!(rest.first(), Some(Step::Index(_))) {
                Value::Seq(Vec::new())
            } else {
                Value::Map(Vec::new())
            };
            set_at(&mut val, rest, new)?;
            items.push(Item::Entry(k.clone(), val));
            Ok(())
        }
        (Step::Index(i), Value::Seq(vals)) => {
            let real: Vec<usize> = vals
                .iter()
                .enumerate()
                .filter(|(_, v)| !matches!(v, Value::Comment(_)))
                .map(|(i, _)| i)
                .collect();
            if let Some(&at) = real.get(*i) {
                set_at(&mut vals[at], rest, new)
            } else if *i == real.len() {
                let mut val = if matches!(rest.first(), Some(Step::Index(_))) {
                    Value::Seq(Vec::new())
                } else {
                    Value::Map(Vec::new())
                };
                set_at(&mut val, rest, new)?;
                vals.push(val);
                Ok(())
            } else {
                Err("list index out of range")
            }
        }
        (Step::Key(_), _) => Err("the value there is not a map"),
        (Step::Index(_), _) => Err("the value there is not a list"),
    }
}

/// Set one value (parsed as YAML/JSON; a bare word is a string) and re-encrypt
/// with the file's data key. Returns the updated document.
pub fn set_value(
    path: &Path,
    input_type: Option<&str>,
    tree_path: &str,
    value: &str,
) -> Result<String, SecretsError> {
    let steps = parse_tree_path(tree_path)?;
    let mut file = open(path, input_type)?;
    let ctx = KeyContext::default();
    let key = data_key(&file, &ctx)?;
    let mut plain = decrypt_tree(&file, &key)?;
    let new = parse_set_value(value).map_err(|source| SecretsError::SetValue {
        at: tree_path.to_string(),
        source,
    })?;
    set_at(&mut plain.0, &steps, new.0.clone()).map_err(|reason| SecretsError::Set {
        path: path.to_path_buf(),
        at: tree_path.to_string(),
        reason,
    })?;
    let tree = encrypt_tree(path, &plain, &mut file.meta, &key)?;
    emit_encrypted(path, file.format, &tree, &file.meta)
}

/// Parse the value of `secrets set`. A value that starts like a JSON string,
/// list or object (`"`, `[`, `{`) must be valid JSON, as sops requires:
/// `'"unterminated'` is refused, never stored as text. Otherwise a YAML scalar
/// (`7`, `true`, `'quoted'`), else the text itself. Errors name the position,
/// never the value.
fn parse_set_value(value: &str) -> Result<PlainTree, FormatError> {
    let json_like = value.trim_start().starts_with(['"', '[', '{']);
    if json_like {
        return formats::json::load_value(value).map(PlainTree);
    }
    let doc = Zeroizing::new(format!("v: {value}\n"));
    match formats::yaml::load(&doc) {
        Ok(Value::Map(mut items)) => {
            let entries: Vec<usize> = items
                .iter()
                .enumerate()
                .filter(|(_, i)| matches!(i, Item::Entry(..)))
                .map(|(n, _)| n)
                .collect();
            if entries.len() == 1 {
                if let Item::Entry(_, v) = items.swap_remove(entries[0]) {
                    return Ok(PlainTree(v));
                }
            }
        }
        // A broken single-quoted YAML string is refused too.
        Err(e) if value.trim_start().starts_with('\'') => return Err(e),
        _ => {}
    }
    Ok(PlainTree(Value::Str(value.to_string())))
}

/// An opened file for `secrets edit`: the plaintext to edit and how to
/// encrypt the result (the existing data key is kept, as sops does).
pub struct EditSession {
    path: PathBuf,
    format: Format,
    meta: Metadata,
    key: cipher::DataKey,
    original: Zeroizing<String>,
    is_new: bool,
    /// SHA-256 of the file's bytes when it was opened (None: it did not exist).
    disk: Option<[u8; 32]>,
}

fn digest(path: &Path) -> Option<[u8; 32]> {
    std::fs::read(path).ok().map(|b| Sha256::digest(&b).into())
}

impl EditSession {
    /// Open `path` for editing, or prepare a new file from `.sops.yaml` rules.
    pub fn open(path: &Path, input_type: Option<&str>) -> Result<EditSession, SecretsError> {
        let format = format_of(path, input_type)?;
        if !path.exists() {
            let mut meta = new_metadata(path, &EncryptOptions::default())?;
            let key = cipher::new_data_key();
            wrap_key(path, &mut meta, &key, &KeyContext::default())?;
            let original = Zeroizing::new(match format {
                Format::Json => "{\n}\n".to_string(),
                Format::Dotenv | Format::Ini | Format::Binary => String::new(),
                Format::Yaml => "# New secrets file: add your values below.\n".to_string(),
            });
            return Ok(EditSession {
                path: path.to_path_buf(),
                format,
                meta,
                key,
                original,
                is_new: true,
                disk: None,
            });
        }
        let format = format_of(path, input_type)?;
        let text = read(path)?;
        let disk = Some(Sha256::digest(text.as_bytes()).into());
        let file = load_encrypted(path, format, &text)?;
        let ctx = KeyContext::default();
        let key = data_key(&file, &ctx)?;
        let plain = decrypt_tree(&file, &key)?;
        let original = emit_plain(path, format, &plain.0)?;
        Ok(EditSession {
            path: file.path,
            format,
            meta: file.meta,
            key,
            original,
            is_new: false,
            disk,
        })
    }

    /// The plaintext to put in the editor.
    pub fn plaintext(&self) -> &str {
        &self.original
    }
    /// Whether the file does not exist yet.
    pub fn is_new(&self) -> bool {
        self.is_new
    }
    /// The file format (to name the temp file).
    pub fn format(&self) -> Format {
        self.format
    }

    /// Whether the file on disk is no longer what was opened (a `secrets set`
    /// or another edit wrote it while the editor was open, or it appeared).
    pub fn changed_on_disk(&self) -> bool {
        digest(&self.path) != self.disk
    }

    /// Check edited text; the error names line and column, never content.
    pub fn check(&self, text: &str) -> Result<(), FormatError> {
        let tree = PlainTree(self.format.load(text)?);
        drop(tree);
        Ok(())
    }

    /// Encrypt edited text into the document to write.
    pub fn encrypt(&self, text: &str) -> Result<String, SecretsError> {
        let plain = parse_plain(&self.path, self.format, text).map_err(|e| match e {
            // The user is already in `secrets edit`: not the hint for plaintext files.
            SecretsError::AlreadyEncrypted { path } => SecretsError::ReservedKey { path },
            e => e,
        })?;
        let mut meta = self.meta.clone();
        let tree = encrypt_tree(&self.path, &plain, &mut meta, &self.key)?;
        emit_encrypted(&self.path, self.format, &tree, &meta)
    }
}

/// Replace `path` atomically: write beside it, fsync, rename, fsync the
/// directory. A symlink is written through: the file it points to is
/// replaced (atomically, beside the target) and the link stays.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), SecretsError> {
    use std::io::Write;
    let shown = path;
    let err = |source| SecretsError::Write {
        path: shown.to_path_buf(),
        source,
    };
    let resolved;
    let path = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            resolved = std::fs::canonicalize(path).map_err(err)?;
            resolved.as_path()
        }
        _ => path,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".berth-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(err)?;
    tmp.write_all(contents).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o644);
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(mode)).map_err(err)?;
    }
    tmp.persist(path).map_err(|e| err(e.error))?;
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_paths_parse() {
        assert_eq!(
            parse_tree_path("a.b[0].c").unwrap(),
            vec![
                Step::Key("a".into()),
                Step::Key("b".into()),
                Step::Index(0),
                Step::Key("c".into())
            ]
        );
        assert_eq!(
            parse_tree_path("[\"a\"][\"b\"][1]").unwrap(),
            vec![Step::Key("a".into()), Step::Key("b".into()), Step::Index(1)]
        );
        assert!(parse_tree_path("a..b").is_err());
    }

    #[test]
    fn mac_aad_is_go_rfc3339() {
        assert_eq!(mac_aad("2026-11-21T23:34:56Z"), "2026-11-21T23:34:56Z");
        assert_eq!(mac_aad("2026-11-21T23:34:56.123Z"), "2026-11-21T23:34:56Z");
    }
}

/// Entry points for the fuzz targets (`fuzz/`) and the property tests only
/// (not a stable API). Each returns what it found instead of printing.
#[doc(hidden)]
pub mod fuzz_support {
    use super::*;

    /// Parse `text` with the store of `format`; when it parses, write it out
    /// and parse that again (which must succeed: berth reads what it writes).
    pub fn store_round_trip(format: Format, text: &str) -> Result<(), String> {
        let Ok(tree) = format.load(text) else {
            return Ok(());
        };
        let out = format.emit(&tree, false).map_err(|e| e.to_string())?;
        format
            .load(&out)
            .map(drop)
            .map_err(|e| format!("berth cannot read back what it wrote: {e}\n{out}"))
    }

    /// Encrypt `text` (a plaintext document) with the data key `key`; the
    /// encrypted document, or None when `text` is not a document berth encrypts.
    pub fn encrypt_with_key(format: Format, text: &str, key: [u8; 32]) -> Option<String> {
        let path = Path::new("fuzz");
        let plain = parse_plain(path, format, text).ok()?;
        let mut meta = Metadata {
            groups: Vec::new(),
            shamir_threshold: 0,
            lastmodified: String::new(),
            mac: String::new(),
            selection: Selection::default(),
            version: SOPS_VERSION.into(),
            comment_regexes: false,
        };
        meta.selection.unencrypted_suffix = Some("_unencrypted".into());
        let key = Zeroizing::new(key);
        let tree = encrypt_tree(path, &plain, &mut meta, &key).ok()?;
        emit_encrypted(path, format, &tree, &meta).ok()
    }

    /// What sops binds in a file: every scalar and comment with its key path
    /// (list indices are not part of sops' path) in document order, as
    /// `value path: text` and `comment path: text` lines. Two plaintexts with the same leaves cannot be
    /// told apart by the cipher's additional data and the MAC.
    pub fn leaves(format: Format, text: &str) -> Result<Vec<String>, String> {
        let mut tree = format.load(text).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        walk(&mut tree, &mut Vec::new(), &mut |leaf, path| {
            out.push(match leaf {
                Leaf::Comment(c) => format!("comment {}: {c}", path.join(":")),
                Leaf::Value(v) => format!(
                    "value {}: {}",
                    path.join(":"),
                    String::from_utf8_lossy(&tree::scalar_bytes(v))
                ),
            });
            Ok::<(), SecretsError>(())
        })
        .map_err(|e| e.to_string())?;
        Ok(out)
    }

    /// Whether plaintext `got` holds the same values as `want` at the same
    /// key paths in the same order, and every comment of `want` in order
    /// (it may hold more comments: plain ones are kept, as sops keeps them).
    pub fn same_values(format: Format, got: &str, want: &str) -> bool {
        let (Ok(got), Ok(want)) = (leaves(format, got), leaves(format, want)) else {
            return false;
        };
        let split = |l: Vec<String>| -> (Vec<String>, Vec<String>) {
            l.into_iter().partition(|x| x.starts_with("comment "))
        };
        let ((got_c, got_v), (want_c, want_v)) = (split(got), split(want));
        let mut rest = got_c.iter();
        got_v == want_v && want_c.iter().all(|c| rest.any(|g| g == c))
    }

    /// Load an encrypted document and decrypt it with the data key `key`
    /// (master keys are not used), verifying the MAC: the plaintext document,
    /// or the error text.
    pub fn decrypt_with_key(format: Format, text: &str, key: [u8; 32]) -> Result<String, String> {
        let path = Path::new("fuzz");
        let file = load_encrypted(path, format, text).map_err(|e| e.to_string())?;
        let key = Zeroizing::new(key);
        let plain = decrypt_tree(&file, &key).map_err(|e| e.to_string())?;
        format.emit(&plain.0, false).map_err(|e| e.to_string())
    }
}

/// Entry points for `benches/secrets.rs` only (not a stable API).
#[doc(hidden)]
pub mod bench_support {
    use super::*;

    /// Load a YAML document into the tree.
    pub fn load_yaml(text: &str) -> usize {
        match formats::yaml::load(text) {
            Ok(Value::Map(items)) => items.len(),
            _ => 0,
        }
    }

    /// A cipher with a random data key.
    pub struct Bench(Cipher);
    impl Bench {
        /// Prepare.
        pub fn new() -> Bench {
            Bench(Cipher::new(&cipher::new_data_key()))
        }
        /// Encrypt and decrypt one string value.
        pub fn round_trip(&self, v: &str) -> bool {
            let enc = self
                .0
                .encrypt(&Value::Str(v.into()), "a:b:")
                .unwrap_or_default();
            self.0.decrypt(&enc, "a:b:").is_ok()
        }
    }
    impl Default for Bench {
        fn default() -> Self {
            Self::new()
        }
    }

    /// sops' MAC over string values.
    pub fn mac(values: &[String]) -> String {
        let mut h = Sha512::new();
        for v in values {
            h.update(v.as_bytes());
        }
        hex::encode_upper(h.finalize())
    }

    /// Write an age key and `doc` encrypted for it under `dir`; returns (file, key file).
    pub fn encrypted_file(dir: &Path, doc: &str) -> (PathBuf, PathBuf) {
        let id = ::age::x25519::Identity::generate();
        let key_file = dir.join("key.txt");
        use secrecy::ExposeSecret;
        std::fs::write(&key_file, format!("{}\n", id.to_string().expose_secret())).unwrap_or(());
        let plain = dir.join("plain.yaml");
        std::fs::write(&plain, doc).unwrap_or(());
        let opts = EncryptOptions {
            age: vec![id.to_public().to_string()],
            ..EncryptOptions::default()
        };
        let out = encrypt_file(&plain, None, &opts).unwrap_or_default();
        let file = dir.join("secrets.yaml");
        std::fs::write(&file, out).unwrap_or(());
        (file, key_file)
    }
}
