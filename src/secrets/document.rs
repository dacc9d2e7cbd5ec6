//! Whole documents in memory, for the sops front end (`berth sops`): text in
//! one store, decrypted and re-encrypted through the same cipher, MAC and key
//! code as `berth secrets`, written out in the same or another store.
//! Nothing here touches the disk except `.sops.yaml` lookups.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::tree::{Item, PlainTree, Value};
use super::{
    cipher, data_key, decrypt_tree_remembering, emit_encrypted, emit_plain, encrypt_tree,
    encrypted_from_tree, formats, load_encrypted, new_metadata_with, parse_plain, wrap_key,
    EncryptOptions, Encrypted, Format, KeyContext, RulesError, SecretsError,
};

/// One step of a sops tree path (`["a"][0]`).
#[derive(Debug, Clone, PartialEq)]
pub enum PathStep {
    /// A map key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// Why a sops tree path could not be parsed.
#[derive(Debug, thiserror::Error)]
pub enum TreePathError {
    #[error("component {0} doesn't end with ]")]
    NoClose(String),
    #[error("strconv.Atoi: parsing {0:?}: invalid syntax")]
    NotIndex(String),
}

/// Parse a path as sops' `parseTreePath` does: `["key"][0]['other']`.
pub fn parse_path(arg: &str) -> Result<Vec<PathStep>, TreePathError> {
    let mut out = Vec::new();
    for comp in arg.split('[') {
        if comp.is_empty() {
            continue;
        }
        let Some(inner) = comp.strip_suffix(']') else {
            return Err(TreePathError::NoClose(comp.to_string()));
        };
        if inner.starts_with(['"', '\'']) && inner.len() >= 2 {
            out.push(PathStep::Key(inner[1..inner.len() - 1].to_string()));
        } else {
            out.push(PathStep::Index(
                inner
                    .parse()
                    .map_err(|_| TreePathError::NotIndex(inner.to_string()))?,
            ));
        }
    }
    Ok(out)
}

/// What went wrong at a tree path (for `set`, `unset` and `--extract`).
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    #[error("component [{0}] not found")]
    NotFound(String),
    #[error("the value at [{0}] is not a map or a list")]
    NotABranch(String),
}

fn step_name(s: &PathStep) -> String {
    match s {
        PathStep::Key(k) => format!("{k:?}"),
        PathStep::Index(i) => i.to_string(),
    }
}

/// A decrypted document with its metadata and data key. A YAML stream of
/// several documents (sops' tree branches) is held as a top-level list of
/// maps: walked in order with the same key paths, it has sops' MAC and
/// additional data.
pub struct Opened {
    file: Encrypted,
    key: cipher::DataKey,
    plain: PlainTree,
    multi: bool,
}

/// The documents of a YAML stream with more than one (None: one document or
/// another store).
fn documents(name: &Path, format: Format, text: &str) -> Result<Option<Vec<Value>>, SecretsError> {
    if format != Format::Yaml {
        return Ok(None);
    }
    let docs = formats::yaml::load_documents(text).map_err(|source| SecretsError::Parse {
        path: name.to_path_buf(),
        source,
    })?;
    Ok((docs.len() > 1).then_some(docs))
}

fn remove_sops(doc: &mut Value) {
    if let Value::Map(items) = doc {
        items.retain(|i| !matches!(i, Item::Entry(k, _) if k == "sops"));
    }
}

/// Write each document of `tree` (a stream when `multi`) with `each`,
/// separated by `---` as go-yaml's encoder does.
fn emit_docs(
    tree: &Value,
    multi: bool,
    mut each: impl FnMut(&Value) -> Result<String, SecretsError>,
) -> Result<String, SecretsError> {
    match tree {
        Value::Seq(docs) if multi => {
            let mut out = String::new();
            for (i, d) in docs.iter().enumerate() {
                if i > 0 {
                    out.push_str("---\n");
                }
                out.push_str(&each(d)?);
            }
            Ok(out)
        }
        other => each(other),
    }
}

/// Parse `text` as an encrypted document in `format` and decrypt it; the MAC
/// is checked unless `ignore_mac`. `name` is only for messages.
pub fn open(
    name: &Path,
    format: Format,
    text: &str,
    ignore_mac: bool,
) -> Result<Opened, SecretsError> {
    let (file, multi) = match documents(name, format, text)? {
        Some(mut docs) => {
            let first = docs.remove(0);
            let mut file = encrypted_from_tree(name, format, first)?;
            for d in docs.iter_mut() {
                remove_sops(d);
            }
            docs.insert(0, std::mem::replace(&mut file.tree, Value::Null));
            file.tree = Value::Seq(docs);
            (file, true)
        }
        None => (load_encrypted(name, format, text)?, false),
    };
    let key = data_key(&file, &KeyContext::default())?;
    let plain = decrypt_tree_remembering(&file, &key, false, ignore_mac)?;
    Ok(Opened {
        file,
        key,
        plain,
        multi,
    })
}

/// Encrypt a plaintext document (`text` in `input`) for the keys of `opts`,
/// else of the creation rule of `config` matching `rule_path`; written in `output`.
pub fn encrypt(
    name: &Path,
    rule_path: &Path,
    config: Option<&Path>,
    input: Format,
    output: Format,
    text: &str,
    opts: &EncryptOptions,
) -> Result<String, SecretsError> {
    let (plain, multi) = match documents(name, input, text)? {
        Some(docs) => {
            let has_sops = docs.iter().any(|d| {
                matches!(d, Value::Map(items) if items.iter().any(|i| matches!(i, Item::Entry(k, _) if k == "sops")))
            });
            let plain = PlainTree(Value::Seq(docs));
            if has_sops {
                return Err(SecretsError::AlreadyEncrypted {
                    path: name.to_path_buf(),
                });
            }
            (plain, output == Format::Yaml)
        }
        None => (parse_plain(name, input, text)?, false),
    };
    // sops loads the creation rule even when flags name the keys: a config
    // without a rule for the file is an error either way.
    if let Some(c) = config {
        if !opts.age.is_empty() || !opts.kms.is_empty() {
            if let Err(source @ RulesError::NoMatch { .. }) =
                super::rules::plan_for(c, rule_path, &Default::default())
            {
                return Err(SecretsError::Rules {
                    path: name.to_path_buf(),
                    source,
                });
            }
        }
    }
    let config = config.map(Path::to_path_buf);
    let mut meta = new_metadata_with(rule_path, opts, || config)?;
    if input == Format::Binary {
        // One value that is always encrypted: sops records no selection.
        meta.selection = Default::default();
    }
    let key = cipher::new_data_key();
    wrap_key(name, &mut meta, &key, &KeyContext::default())?;
    let tree = encrypt_tree(name, &plain, &mut meta, &key)?;
    let tree = first_unless(tree, multi);
    emit_docs(&tree, multi, |d| emit_encrypted(name, output, d, &meta))
}

/// A stream written to a store without documents keeps its first (as sops).
fn first_unless(tree: Value, multi: bool) -> Value {
    match tree {
        Value::Seq(mut docs)
            if !multi && docs.iter().all(|d| matches!(d, Value::Map(_))) && !docs.is_empty() =>
        {
            docs.swap_remove(0)
        }
        other => other,
    }
}

fn lookup<'v>(v: &'v Value, steps: &[PathStep]) -> Result<&'v Value, PathError> {
    let mut cur = v;
    for s in steps {
        cur = match (s, cur) {
            (PathStep::Key(k), Value::Map(items)) => items
                .iter()
                .find_map(|i| match i {
                    Item::Entry(key, v) if key == k => Some(v),
                    _ => None,
                })
                .ok_or_else(|| PathError::NotFound(step_name(s)))?,
            (PathStep::Index(i), Value::Seq(vals)) => vals
                .iter()
                .filter(|v| !matches!(v, Value::Comment(_)))
                .nth(*i)
                .ok_or_else(|| PathError::NotFound(step_name(s)))?,
            _ => return Err(PathError::NotABranch(step_name(s))),
        };
    }
    Ok(cur)
}

impl Opened {
    /// The name the document was opened under.
    pub fn path(&self) -> &Path {
        &self.file.path
    }

    /// The plaintext document in `format`.
    pub fn plaintext(&self, format: Format) -> Result<Zeroizing<String>, SecretsError> {
        let multi = self.multi && format == Format::Yaml;
        let text = emit_docs(self.tree(multi), multi, |d| {
            emit_plain(&self.file.path, format, d).map(|t| t.to_string())
        })?;
        Ok(Zeroizing::new(text))
    }

    /// The whole tree when writing a stream, else the first document.
    fn tree(&self, whole: bool) -> &Value {
        match &self.plain.0 {
            Value::Seq(docs) if self.multi && !whole => docs.first().unwrap_or(&Value::Null),
            other => other,
        }
    }

    /// The first document (what `set`, `unset`, `--extract` and `exec-env`
    /// work on, as sops' `Branches[0]`).
    fn first_mut(&mut self) -> &mut Value {
        let multi = self.multi && matches!(&self.plain.0, Value::Seq(d) if !d.is_empty());
        if !multi {
            return &mut self.plain.0;
        }
        match &mut self.plain.0 {
            Value::Seq(docs) => &mut docs[0],
            other => other,
        }
    }

    /// The value at `steps`: a string as its bytes, a map as a document in
    /// `format`, any other value as JSON (sops' `--extract`).
    pub fn extract(
        &self,
        steps: &[PathStep],
        format: Format,
    ) -> Result<Zeroizing<String>, ExtractError> {
        let v = lookup(self.tree(false), steps)?;
        Ok(match v {
            Value::Str(s) => Zeroizing::new(s.clone()),
            Value::Map(_) => emit_plain(&self.file.path, format, v)?,
            other => {
                let j = formats::json::to_json(other);
                Zeroizing::new(j.to_string())
            }
        })
    }

    /// Set `steps` to `value` (JSON, as sops' `set` takes it); whether the
    /// document changed.
    pub fn set(&mut self, steps: &[PathStep], value: &str) -> Result<bool, SetError> {
        let new = formats::json::load_value(value).map_err(|_| SetError::NotJson)?;
        let new = PlainTree(new);
        if lookup(self.tree(false), steps).is_ok_and(|old| *old == new.0) {
            return Ok(false);
        }
        set_at(self.first_mut(), steps, new.0.clone())?;
        Ok(true)
    }

    /// Remove the value at `steps`.
    pub fn unset(&mut self, steps: &[PathStep]) -> Result<(), PathError> {
        let Some((last, parent)) = steps.split_last() else {
            return Err(PathError::NotFound(String::new()));
        };
        let mut cur = self.first_mut();
        for s in parent {
            cur = match (s, cur) {
                (PathStep::Key(k), Value::Map(items)) => items
                    .iter_mut()
                    .find_map(|i| match i {
                        Item::Entry(key, v) if key == k => Some(v),
                        _ => None,
                    })
                    .ok_or_else(|| PathError::NotFound(step_name(s)))?,
                (PathStep::Index(i), Value::Seq(vals)) => vals
                    .iter_mut()
                    .filter(|v| !matches!(v, Value::Comment(_)))
                    .nth(*i)
                    .ok_or_else(|| PathError::NotFound(step_name(s)))?,
                _ => return Err(PathError::NotABranch(step_name(s))),
            };
        }
        match (last, cur) {
            (PathStep::Key(k), Value::Map(items)) => {
                let at = items
                    .iter()
                    .position(|i| matches!(i, Item::Entry(key, _) if key == k))
                    .ok_or_else(|| PathError::NotFound(step_name(last)))?;
                drop(PlainTree(match items.remove(at) {
                    Item::Entry(_, v) => v,
                    Item::Comment(_) => Value::Null,
                }));
                Ok(())
            }
            (PathStep::Index(i), Value::Seq(vals)) => {
                let at = vals
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| !matches!(v, Value::Comment(_)))
                    .nth(*i)
                    .map(|(n, _)| n)
                    .ok_or_else(|| PathError::NotFound(step_name(last)))?;
                drop(PlainTree(vals.remove(at)));
                Ok(())
            }
            _ => Err(PathError::NotABranch(step_name(last))),
        }
    }

    /// Encrypt the (changed) document again with its own data key, in `format`.
    pub fn reencrypt(&mut self, format: Format) -> Result<String, SecretsError> {
        let tree = encrypt_tree(&self.file.path, &self.plain, &mut self.file.meta, &self.key)?;
        let multi = self.multi && format == Format::Yaml;
        let tree = first_unless(tree, multi);
        let (path, meta) = (&self.file.path, &self.file.meta);
        emit_docs(&tree, multi, |d| emit_encrypted(path, format, d, meta))
    }

    /// Encrypt with a new data key for the same keys plus `add_age`/`add_kms`,
    /// minus `rm_age`/`rm_kms` (sops' `rotate`), in `format`.
    pub fn rotate(&mut self, format: Format, keys: &KeyChanges) -> Result<String, SecretsError> {
        for group in self.file.meta.groups.iter_mut() {
            group.age.retain(|k| !keys.rm_age.contains(&k.recipient));
            group.kms.retain(|k| !keys.rm_kms.contains(&k.arn));
        }
        if let Some(first) = self.file.meta.groups.first_mut() {
            first.age.extend(super::rules::age_keys(&keys.add_age));
            first.kms.extend(
                keys.add_kms
                    .iter()
                    .map(|s| super::rules::kms_key(s, &Default::default(), "")),
            );
        }
        let key = cipher::new_data_key();
        wrap_key(
            &self.file.path,
            &mut self.file.meta,
            &key,
            &KeyContext::default(),
        )?;
        self.key = key;
        self.reencrypt(format)
    }

    /// Top-level entries as `(key, value)` for `exec-env`: strings as they
    /// are, other scalars as sops' `ValToString` writes them.
    pub fn env(&self) -> Result<Vec<(String, Zeroizing<String>)>, EnvError> {
        let Value::Map(items) = self.tree(false) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for item in items {
            let Item::Entry(k, v) = item else { continue };
            if matches!(v, Value::Map(_) | Value::Seq(_)) {
                return Err(EnvError::Complex(k.clone()));
            }
            if k.contains('=') {
                return Err(EnvError::Equals(k.clone()));
            }
            let s = formats::dotenv::scalar_string(v);
            out.push((
                k.clone(),
                Zeroizing::new(String::from_utf8_lossy(&s).into_owned()),
            ));
        }
        Ok(out)
    }
}

/// Keys `rotate` adds and removes.
#[derive(Debug, Clone, Default)]
pub struct KeyChanges {
    pub add_age: Vec<String>,
    pub rm_age: Vec<String>,
    pub add_kms: Vec<String>,
    pub rm_kms: Vec<String>,
}

/// Why `--extract` failed.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("error truncating tree: {0}")]
    Path(#[from] PathError),
    #[error(transparent)]
    Emit(#[from] SecretsError),
}

/// Why `set` failed.
#[derive(Debug, thiserror::Error)]
pub enum SetError {
    #[error("Value for --set is not valid JSON")]
    NotJson,
    #[error("{0}")]
    Path(&'static str),
}

impl From<&'static str> for SetError {
    fn from(s: &'static str) -> Self {
        SetError::Path(s)
    }
}

/// Why the environment for `exec-env` could not be built.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    #[error("cannot use complex value in environment; offending key {0}")]
    Complex(String),
    #[error("cannot use keys with '=' in environment: {0}")]
    Equals(String),
}

fn set_at(v: &mut Value, steps: &[PathStep], new: Value) -> Result<(), &'static str> {
    let converted: Vec<super::Step> = steps
        .iter()
        .map(|s| match s {
            PathStep::Key(k) => super::Step::Key(k.clone()),
            PathStep::Index(i) => super::Step::Index(*i),
        })
        .collect();
    super::set_at(v, &converted, new)
}

/// The `.sops.yaml` sops would use: `explicit`, else the first found from
/// the working directory upwards.
pub fn find_config(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let cwd = std::env::current_dir().ok()?;
    cwd.ancestors()
        .flat_map(|d| [d.join(".sops.yaml"), d.join(".sops.yml")])
        .find(|p| p.is_file())
}

/// Whether `text` is a sops-encrypted document in `format` (sops' `filestatus`).
pub fn is_encrypted(name: &Path, format: Format, text: &str) -> bool {
    load_encrypted(name, format, text).is_ok_and(|f| !f.meta.mac.is_empty())
}
