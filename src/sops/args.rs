//! sops' command line as urfave/cli v1 parses it: Go-style flags (`-x`,
//! `--name`, `--name=value`), flags only before the first positional
//! argument, global flags before the subcommand, `--` ends flags.

use std::collections::BTreeMap;
use std::ffi::OsString;

/// The subcommands sops 3.11 knows.
pub const SUBCOMMANDS: &[&str] = &[
    "encrypt",
    "decrypt",
    "edit",
    "rotate",
    "updatekeys",
    "set",
    "unset",
    "filestatus",
    "exec-env",
    "exec-file",
    "groups",
    "publish",
    "keyservice",
    "completion",
    "help",
];

/// Flags that take a value (canonical names; aliases map onto them).
const VALUE_FLAGS: &[&str] = &[
    "kms",
    "aws-profile",
    "gcp-kms",
    "azure-kv",
    "hc-vault-transit",
    "pgp",
    "age",
    "extract",
    "input-type",
    "output-type",
    "add-gcp-kms",
    "rm-gcp-kms",
    "add-azure-kv",
    "rm-azure-kv",
    "add-kms",
    "rm-kms",
    "add-hc-vault-transit",
    "rm-hc-vault-transit",
    "add-age",
    "rm-age",
    "add-pgp",
    "rm-pgp",
    "unencrypted-suffix",
    "encrypted-suffix",
    "unencrypted-regex",
    "encrypted-regex",
    "unencrypted-comment-regex",
    "encrypted-comment-regex",
    "config",
    "encryption-context",
    "set",
    "shamir-secret-sharing-threshold",
    "indent",
    "output",
    "filename-override",
    "decryption-order",
    "keyservice",
    "user",
    "filename",
    "file",
    "network",
    "address",
];

const BOOL_FLAGS: &[&str] = &[
    "decrypt",
    "encrypt",
    "rotate",
    "disable-version-check",
    "check-for-updates",
    "in-place",
    "show-master-keys",
    "ignore-mac",
    "mac-only-encrypted",
    "verbose",
    "enable-local-keyservice",
    "background",
    "pristine",
    "same-process",
    "no-fifo",
    "yes",
    "idempotent",
    "omit-extensions",
    "recursive",
    "prompt",
    "value-file",
    "value-stdin",
    "help",
    "version",
];

fn canonical(name: &str) -> &str {
    match name {
        "d" => "decrypt",
        "e" => "encrypt",
        "r" => "rotate",
        "k" => "kms",
        "p" => "pgp",
        "a" => "age",
        "i" => "in-place",
        "s" => "show-master-keys",
        "y" => "yes",
        "f" => "file",
        "h" => "help",
        "v" => "version",
        "net" => "network",
        "addr" => "address",
        other => other,
    }
}

/// A usage error, printed as urfave/cli does ("Incorrect Usage. …").
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("flag provided but not defined: -{0}")]
    Unknown(String),
    #[error("flag needs an argument: -{0}")]
    NoValue(String),
    #[error("invalid boolean value {1:?} for -{0}")]
    BadBool(String, String),
    #[error("arguments must be valid UTF-8")]
    NotUtf8,
}

/// Parsed flags of one level (global or subcommand) and what followed them.
#[derive(Debug, Default, Clone)]
pub struct Flags {
    values: BTreeMap<String, Vec<String>>,
    bools: BTreeMap<String, bool>,
}

impl Flags {
    /// The last value of a value flag.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .and_then(|v| v.last())
            .map(String::as_str)
    }
    /// Every value of a repeated flag.
    pub fn values(&self, name: &str) -> &[String] {
        self.values.get(name).map(Vec::as_slice).unwrap_or(&[])
    }
    /// Every comma-separated item of a repeated flag (`--add-age a,b --add-age c`).
    pub fn comma_values(&self, name: &str) -> Vec<String> {
        self.values(name)
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::to_string)
            .collect()
    }
    /// Whether a bool flag is set.
    pub fn on(&self, name: &str) -> bool {
        self.bools.get(name).copied().unwrap_or(false)
    }
    /// Whether a flag was given at all.
    pub fn given(&self, name: &str) -> bool {
        self.values.contains_key(name) || self.bools.contains_key(name)
    }
    fn merge_from(&mut self, other: &Flags) {
        for (k, v) in &other.values {
            self.values.entry(k.clone()).or_insert_with(|| v.clone());
        }
        for (k, v) in &other.bools {
            self.bools.entry(k.clone()).or_insert(*v);
        }
    }
}

/// Parse flags from `args` until the first positional argument; returns the
/// flags and the rest (positional arguments, untouched).
pub fn parse_flags(args: &[String]) -> Result<(Flags, Vec<String>), UsageError> {
    let mut flags = Flags::default();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            i += 1;
            break;
        }
        if !a.starts_with('-') || a == "-" {
            break;
        }
        let body = a.trim_start_matches('-');
        if a.starts_with("---") || body.is_empty() {
            return Err(UsageError::Unknown(body.to_string()));
        }
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        let name = canonical(name).to_string();
        if VALUE_FLAGS.contains(&name.as_str()) {
            let v = match inline {
                Some(v) => v,
                None => {
                    i += 1;
                    args.get(i)
                        .cloned()
                        .ok_or(UsageError::NoValue(name.clone()))?
                }
            };
            flags.values.entry(name).or_default().push(v);
        } else if BOOL_FLAGS.contains(&name.as_str()) {
            let on = match inline.as_deref() {
                None | Some("true") | Some("1") | Some("t") | Some("T") | Some("TRUE") => true,
                Some("false") | Some("0") | Some("f") | Some("F") | Some("FALSE") => false,
                Some(other) => return Err(UsageError::BadBool(name, other.to_string())),
            };
            flags.bools.insert(name, on);
        } else {
            return Err(UsageError::Unknown(body.to_string()));
        }
        i += 1;
    }
    Ok((flags, args[i..].to_vec()))
}

/// A parsed sops command line.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The subcommand, or None for the legacy form (`sops -d FILE`, `sops FILE`).
    pub command: Option<String>,
    /// Global flags merged with the subcommand's (the subcommand's win).
    pub flags: Flags,
    /// Positional arguments.
    pub args: Vec<String>,
}

/// Parse sops' whole command line (without the program name).
pub fn parse(raw: &[OsString]) -> Result<Invocation, UsageError> {
    let args: Vec<String> = raw
        .iter()
        .map(|a| a.to_str().map(str::to_string).ok_or(UsageError::NotUtf8))
        .collect::<Result<_, _>>()?;
    let (global, rest) = parse_flags(&args)?;
    match rest.first() {
        Some(cmd) if SUBCOMMANDS.contains(&cmd.as_str()) => {
            let (mut flags, positional) = parse_flags(&rest[1..])?;
            // `--indent` is a flag of the legacy form only: sops' subcommands
            // do not define it and ignore it given globally.
            if flags.given("indent") {
                return Err(UsageError::Unknown("indent".into()));
            }
            let mut global = global;
            global.values.remove("indent");
            flags.merge_from(&global);
            Ok(Invocation {
                command: Some(cmd.clone()),
                flags,
                args: positional,
            })
        }
        _ => Ok(Invocation {
            command: None,
            flags: global,
            args: rest,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn legacy_and_subcommands_parse() {
        let inv = parse(&os(&["-d", "-i", "f.yaml"])).unwrap();
        assert!(inv.command.is_none());
        assert!(inv.flags.on("decrypt") && inv.flags.on("in-place"));
        assert_eq!(inv.args, vec!["f.yaml"]);
        let inv = parse(&os(&[
            "--config",
            "c",
            "decrypt",
            "--extract=[\"a\"]",
            "f",
            "-x",
        ]))
        .unwrap();
        assert_eq!(inv.command.as_deref(), Some("decrypt"));
        assert_eq!(inv.flags.value("config"), Some("c"));
        assert_eq!(inv.flags.value("extract"), Some("[\"a\"]"));
        assert_eq!(inv.args, vec!["f", "-x"]);
        assert!(parse(&os(&["--nope", "f"])).is_err());
    }
}
