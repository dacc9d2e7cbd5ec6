//! `berth sops …` and berth run as `sops`: sops 3.11's command line (its
//! subcommands, legacy `-e/-d/-r/--set` forms, flags, messages and exit
//! codes) on top of [`crate::secrets`], the same code `berth secrets` uses.

mod args;
mod exec;

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::secrets::document::{self, KeyChanges, Opened};
use crate::secrets::{self, EncryptOptions, Format, RulesError, SecretsError};

use args::{Flags, Invocation};

/// sops' exit statuses (`cmd/sops/codes`).
pub mod codes {
    pub const ERROR_GENERIC: u8 = 1;
    pub const COULD_NOT_READ_INPUT_FILE: u8 = 2;
    pub const COULD_NOT_WRITE_OUTPUT_FILE: u8 = 3;
    pub const ERROR_DUMPING_TREE: u8 = 4;
    pub const ERROR_READING_CONFIG: u8 = 5;
    pub const ERROR_INVALID_SET_FORMAT: u8 = 7;
    pub const ERROR_CONFLICTING_PARAMETERS: u8 = 8;
    pub const ERROR_DECRYPTING_TREE: u8 = 25;
    pub const CANNOT_CHANGE_KEYS_FROM_NON_EXISTENT_FILE: u8 = 49;
    pub const MAC_MISMATCH: u8 = 51;
    pub const INVALID_TREE_PATH_FORMAT: u8 = 91;
    pub const NEED_AT_LEAST_ONE_DOCUMENT: u8 = 92;
    pub const NO_FILE_SPECIFIED: u8 = 100;
    pub const COULD_NOT_RETRIEVE_KEY: u8 = 128;
    pub const FILE_HAS_NOT_BEEN_MODIFIED: u8 = 200;
    pub const FILE_ALREADY_ENCRYPTED: u8 = 203;
}

/// A failure as sops reports it: the message for stderr and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: u8,
}

fn fail(code: u8, message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        code,
    }
}

/// Flags sops has and berth refuses rather than ignore (docs/sops-compat.md).
const UNSUPPORTED_FLAGS: &[&str] = &[
    "unencrypted-comment-regex",
    "encrypted-comment-regex",
    "keyservice",
    "user",
    "same-process",
    "background",
    "add-pgp",
    "rm-pgp",
    "add-gcp-kms",
    "rm-gcp-kms",
    "add-azure-kv",
    "rm-azure-kv",
    "add-hc-vault-transit",
    "rm-hc-vault-transit",
];

/// `berth sops --help`.
const USAGE: &str = "berth sops: sops 3.11's command line on berth's secrets code

USAGE:
   berth sops [global options] command [command options] [file]   (or a link named `sops`)

COMMANDS:
   encrypt, decrypt, edit, rotate, updatekeys, set, unset, filestatus, exec-env, exec-file
   legacy forms: sops -e|-d|-r|--set '[\"k\"] value' [-i] FILE, and `sops FILE` to edit

Stores: yaml, json, dotenv, ini, binary. Keys: age and AWS KMS.
Differences from sops: docs/sops-compat.md
";

/// sops' text for encrypting a file that has a `sops` entry.
const ALREADY_ENCRYPTED: &str =
    "The file you have provided contains a top-level entry called 'sops', or for
flat file formats top-level entries starting with 'sops_'. This is
generally due to the file already being encrypted. SOPS uses a top-level
entry called 'sops' to store the metadata required to decrypt the file. For
this reason, SOPS can not encrypt files that already contain such an entry.

If this is an unencrypted file, rename the 'sops' entry.

If this is an encrypted file and you want to edit it, use the editor mode,
for example: `sops my_file.yaml`";

/// Map a secrets error to sops' message style and exit code.
fn from_secrets(e: SecretsError) -> Failure {
    use SecretsError as E;
    let code = match &e {
        E::Read { .. } => codes::COULD_NOT_READ_INPUT_FILE,
        E::Write { .. } => codes::COULD_NOT_WRITE_OUTPUT_FILE,
        E::Parse { .. } | E::UnsupportedFormat { .. } => codes::COULD_NOT_READ_INPUT_FILE,
        E::NoKey { .. } => codes::COULD_NOT_RETRIEVE_KEY,
        E::AlreadyEncrypted { .. } => codes::FILE_ALREADY_ENCRYPTED,
        E::MacMismatch { .. } | E::Mac { .. } => codes::MAC_MISMATCH,
        E::Value { .. } | E::Comment { .. } => codes::ERROR_DECRYPTING_TREE,
        E::Emit { .. } => codes::ERROR_DUMPING_TREE,
        E::Rules {
            source: RulesError::ConflictingSelection,
            ..
        } => codes::ERROR_CONFLICTING_PARAMETERS,
        _ => codes::ERROR_GENERIC,
    };
    let message = match &e {
        E::EmptyKeyGroup { .. }
        | E::Rules {
            source: RulesError::NoRecipients,
            ..
        } => "Could not generate data key: [empty key group provided]".to_string(),
        E::Rules {
            source: RulesError::NoConfig(_),
            ..
        } => "config file not found, or has no creation rules, and no keys provided through command line options".to_string(),
        E::Rules {
            source: RulesError::NoMatch { .. },
            ..
        } => "error loading config: no matching creation rules found".to_string(),
        E::NotSops { .. } => "sops metadata not found".to_string(),
        E::MacMismatch { path } => format!("MAC mismatch. {}: the file's contents do not match its MAC (use --ignore-mac to decrypt anyway)", path.display()),
        E::AlreadyEncrypted { .. } => ALREADY_ENCRYPTED.to_string(),
        other => {
            let mut s = other.to_string();
            let mut src = std::error::Error::source(other);
            while let Some(c) = src {
                s.push_str(": ");
                s.push_str(&c.to_string());
                src = c.source();
            }
            s
        }
    };
    fail(code, message)
}

impl From<SecretsError> for Failure {
    fn from(e: SecretsError) -> Self {
        from_secrets(e)
    }
}

/// Run sops' command line `args` (without the program name); the exit code.
/// Errors are printed to stderr as sops prints them.
pub fn main(args: &[OsString]) -> u8 {
    match run(args) {
        Ok(code) => code,
        Err(f) => {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "{}", f.message);
            f.code
        }
    }
}

fn run(raw: &[OsString]) -> Result<u8, Failure> {
    let inv = args::parse(raw)
        .map_err(|e| fail(codes::ERROR_GENERIC, format!("Incorrect Usage. {e}")))?;
    if inv.flags.on("help") || inv.command.as_deref() == Some("help") {
        print!("{USAGE}");
        return Ok(0);
    }
    if inv.flags.on("version") {
        println!("sops 3.11.0 (berth {})", env!("CARGO_PKG_VERSION"));
        return Ok(0);
    }
    for flag in UNSUPPORTED_FLAGS {
        if inv.flags.given(flag) {
            return Err(fail(
                codes::ERROR_GENERIC,
                format!("berth sops: --{flag} is not supported (see docs/sops-compat.md)"),
            ));
        }
    }
    match inv.command.as_deref() {
        Some("encrypt") => encrypt(&inv),
        Some("decrypt") => decrypt(&inv),
        Some("rotate") => rotate(&inv),
        Some("edit") => edit(&inv),
        Some("set") => set(&inv),
        Some("unset") => unset(&inv),
        Some("filestatus") => filestatus(&inv),
        Some("exec-env") => exec_env(&inv),
        Some("exec-file") => exec_file(&inv),
        Some("updatekeys") => updatekeys(&inv),
        Some(other) => Err(fail(
            codes::ERROR_GENERIC,
            format!(
                "berth sops: the `{other}` subcommand is not supported (see docs/sops-compat.md)"
            ),
        )),
        None => legacy(&inv),
    }
}

/// The legacy form: `sops [-e|-d|-r|--set …] [flags] FILE`, default edit.
fn legacy(inv: &Invocation) -> Result<u8, Failure> {
    let f = &inv.flags;
    if inv.args.is_empty() {
        return Err(fail(codes::NO_FILE_SPECIFIED, "Error: no file specified"));
    }
    if f.on("in-place") && f.value("output").is_some() {
        return Err(fail(
            codes::ERROR_CONFLICTING_PARAMETERS,
            "Error: cannot operate on both --output and --in-place",
        ));
    }
    if f.on("encrypt") {
        encrypt(inv)
    } else if f.on("decrypt") {
        decrypt(inv)
    } else if f.on("rotate") {
        rotate(inv)
    } else if let Some(set) = f.value("set") {
        let Some((path, value)) = split_set(set) else {
            return Err(fail(
                codes::ERROR_INVALID_SET_FORMAT,
                "Invalid --set format",
            ));
        };
        set_value(inv, &inv.args[0], &path, &value, false)
    } else {
        edit(inv)
    }
}

/// sops' `extractSetArguments`: split `PATH VALUE` after the first `] `.
fn split_set(set: &str) -> Option<(String, String)> {
    let at = set.find("] ")?;
    Some((
        set[..at + 1].trim_end().to_string(),
        set[at + 2..].to_string(),
    ))
}

fn abs(p: &str) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| PathBuf::from(p))
}

fn format_for(path: &Path, explicit: Option<&str>) -> Result<Format, Failure> {
    Format::for_sops(path, explicit).ok_or_else(|| {
        fail(
            codes::ERROR_GENERIC,
            format!(
                "Invalid store type {:?}: use one of yaml, json, dotenv, ini, binary",
                explicit.unwrap_or_default()
            ),
        )
    })
}

/// Apply `--indent` as sops' stores do: JSON indents by N spaces instead of
/// a tab (safe on berth's output: JSON strings hold no raw tabs or
/// newlines); YAML keeps its default 4 (0 or 4), other widths are refused.
fn reindent(
    f: &Flags,
    format: Format,
    encrypted: bool,
    text: &str,
) -> Result<Zeroizing<String>, Failure> {
    let Some(raw) = f.value("indent") else {
        return Ok(Zeroizing::new(text.to_string()));
    };
    let n: i64 = raw.parse().map_err(|_| {
        fail(
            codes::ERROR_GENERIC,
            format!("invalid value {raw:?} for flag -indent: parse error"),
        )
    })?;
    let json = format == Format::Json || (format == Format::Binary && encrypted);
    if json {
        if n < -1 {
            return Err(fail(
                codes::ERROR_DUMPING_TREE,
                "JSON Indentation parameter smaller than -1 is not accepted",
            ));
        }
        if n == -1 {
            return Ok(Zeroizing::new(text.to_string()));
        }
        let pad = " ".repeat(n as usize);
        let mut out = Zeroizing::new(String::with_capacity(text.len()));
        for line in text.split_inclusive('\n') {
            let body = line.trim_start_matches('\t');
            for _ in 0..(line.len() - body.len()) {
                out.push_str(&pad);
            }
            out.push_str(body);
        }
        return Ok(out);
    }
    if format == Format::Yaml && n < 0 {
        return Err(fail(
            codes::ERROR_DUMPING_TREE,
            "YAML Negative indentation not accepted",
        ));
    }
    if format == Format::Yaml && n != 0 && n != 4 {
        return Err(fail(
            codes::ERROR_GENERIC,
            "berth sops: --indent other than 4 is not supported for YAML (see docs/sops-compat.md)",
        ));
    }
    Ok(Zeroizing::new(text.to_string()))
}

fn config(f: &Flags) -> Option<PathBuf> {
    let explicit = f.value("config").map(PathBuf::from).or_else(|| {
        std::env::var_os("SOPS_CONFIG")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    document::find_config(explicit.as_deref())
}

fn read_input(file: Option<&str>) -> Result<Zeroizing<String>, Failure> {
    let mut buf = Zeroizing::new(String::new());
    match file {
        None => {
            std::io::stdin().read_to_string(&mut buf).map_err(|e| {
                fail(
                    codes::COULD_NOT_READ_INPUT_FILE,
                    format!("Error reading from stdin: {e}"),
                )
            })?;
        }
        Some(f) => {
            let bytes = std::fs::read(f).map_err(|e| {
                fail(
                    codes::COULD_NOT_READ_INPUT_FILE,
                    format!("Error reading file: {e}"),
                )
            })?;
            *buf = String::from_utf8(bytes).map_err(|_| {
                fail(
                    codes::COULD_NOT_READ_INPUT_FILE,
                    format!("Error reading file: {f} is not valid UTF-8 (berth's stores hold text only)"),
                )
            })?;
        }
    }
    Ok(buf)
}

/// Write the result: in place, to `--output`, or to stdout.
fn write_out(f: &Flags, file: Option<&str>, bytes: &[u8]) -> Result<u8, Failure> {
    let target = if f.on("in-place") {
        file.map(PathBuf::from)
    } else {
        f.value("output").map(PathBuf::from)
    };
    match target {
        Some(p) => {
            secrets::write_atomic(&p, bytes).map_err(|e| {
                let what = if f.on("in-place") {
                    "in-place"
                } else {
                    "output"
                };
                fail(
                    codes::COULD_NOT_WRITE_OUTPUT_FILE,
                    format!("Could not open {what} file for writing: {e}"),
                )
            })?;
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)
                .and_then(|()| out.flush())
                .map_err(|e| {
                    fail(
                        codes::COULD_NOT_WRITE_OUTPUT_FILE,
                        format!("Error writing to stdout: {e}"),
                    )
                })?;
        }
    }
    Ok(0)
}

/// The file argument of encrypt/decrypt (None: stdin), with sops' checks.
fn io_file(inv: &Invocation) -> Result<Option<String>, Failure> {
    let f = &inv.flags;
    if f.on("in-place") && f.value("output").is_some() {
        return Err(fail(
            codes::ERROR_CONFLICTING_PARAMETERS,
            "Error: cannot operate on both --output and --in-place",
        ));
    }
    match inv.args.first() {
        None => {
            if f.on("in-place") {
                return Err(fail(
                    codes::ERROR_CONFLICTING_PARAMETERS,
                    "Error: cannot use --in-place when reading from stdin",
                ));
            }
            Ok(None)
        }
        Some(file) => {
            if !Path::new(file).exists() {
                return Err(fail(
                    codes::NO_FILE_SPECIFIED,
                    format!(
                        "Error: cannot operate on non-existent file {:?}",
                        abs(file).display().to_string()
                    ),
                ));
            }
            Ok(Some(file.clone()))
        }
    }
}

fn encrypt_options(f: &Flags) -> Result<EncryptOptions, Failure> {
    let split = |name: &str| -> Vec<String> {
        f.comma_values(name)
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    for foreign in ["pgp", "gcp-kms", "azure-kv", "hc-vault-transit"] {
        if !split(foreign).is_empty() {
            return Err(fail(
                codes::ERROR_GENERIC,
                format!("berth sops: --{foreign} keys are not supported (age and AWS KMS are); see docs/sops-compat.md"),
            ));
        }
    }
    let threshold = match f.value("shamir-secret-sharing-threshold") {
        Some(t) => Some(t.parse::<usize>().map_err(|_| {
            fail(
                codes::ERROR_GENERIC,
                format!(
                    "invalid value {t:?} for flag -shamir-secret-sharing-threshold: parse error"
                ),
            )
        })?)
        .filter(|t| *t > 0),
        None => None,
    };
    Ok(EncryptOptions {
        age: split("age"),
        kms: split("kms"),
        encryption_context: split("encryption-context"),
        aws_profile: f.value("aws-profile").map(str::to_string),
        encrypted_regex: f.value("encrypted-regex").map(str::to_string),
        unencrypted_regex: f.value("unencrypted-regex").map(str::to_string),
        encrypted_suffix: f.value("encrypted-suffix").map(str::to_string),
        unencrypted_suffix: f.value("unencrypted-suffix").map(str::to_string),
        mac_only_encrypted: f.on("mac-only-encrypted"),
        shamir_threshold: threshold,
    })
}

/// A parse error as sops words it: go-yaml's `yaml: …` prefixes for YAML.
fn parse_message(format: Format, source: &secrets::FormatError) -> String {
    use secrets::FormatError as F;
    match (format, source) {
        (Format::Yaml, F::DuplicateKey { .. }) => format!("yaml: unmarshal errors:\n  {source}"),
        (Format::Yaml, F::Syntax { line, reason, .. }) => format!("yaml: line {line}: {reason}"),
        _ => source.to_string(),
    }
}

fn encrypt(inv: &Invocation) -> Result<u8, Failure> {
    let f = &inv.flags;
    let file = io_file(inv)?;
    let name = match (f.value("filename-override"), &file) {
        (Some(o), _) => abs(o),
        (None, Some(file)) => abs(file),
        (None, None) => {
            return Err(fail(
                codes::ERROR_CONFLICTING_PARAMETERS,
                "Error: must specify --filename-override when reading from stdin",
            ))
        }
    };
    let input = format_for(&name, f.value("input-type"))?;
    let output = format_for(&name, f.value("output-type"))?;
    let text = read_input(file.as_deref())?;
    if text.trim().is_empty() && matches!(input, Format::Yaml) {
        return Err(fail(
            codes::NEED_AT_LEAST_ONE_DOCUMENT,
            "File cannot be completely empty, it must contain at least one document",
        ));
    }
    let opts = encrypt_options(f)?;
    let out = document::encrypt(
        &name,
        &name,
        config(f).as_deref(),
        input,
        output,
        &text,
        &opts,
    )
    .map_err(|e| match e {
        SecretsError::Parse { source, .. } => fail(
            codes::COULD_NOT_READ_INPUT_FILE,
            format!(
                "Error unmarshalling file: {}",
                parse_message(input, &source)
            ),
        ),
        e => from_secrets(e),
    })?;
    let out = reindent(f, output, true, &out)?;
    write_out(f, file.as_deref(), out.as_bytes())
}

fn open_file(f: &Flags, file: Option<&str>, name: &Path) -> Result<Opened, Failure> {
    let input = format_for(name, f.value("input-type"))?;
    let text = read_input(file)?;
    document::open(name, input, &text, f.on("ignore-mac")).map_err(|e| match e {
        SecretsError::Parse { source, .. } => {
            let store = if input == Format::Yaml { " yaml" } else { "" };
            fail(
                codes::COULD_NOT_READ_INPUT_FILE,
                format!(
                    "Error unmarshalling input{store}: {}",
                    parse_message(input, &source)
                ),
            )
        }
        e => from_secrets(e),
    })
}

fn decrypt(inv: &Invocation) -> Result<u8, Failure> {
    let f = &inv.flags;
    let file = io_file(inv)?;
    let name = match (f.value("filename-override"), &file) {
        (Some(o), _) => abs(o),
        (None, Some(file)) => abs(file),
        (None, None) => PathBuf::from("stdin"),
    };
    let opened = open_file(f, file.as_deref(), &name)?;
    let output = format_for(&name, f.value("output-type"))?;
    let out = match f.value("extract") {
        Some(x) => {
            let steps = document::parse_path(x).map_err(|e| {
                fail(
                    codes::INVALID_TREE_PATH_FORMAT,
                    format!("error parsing --extract path: {e}"),
                )
            })?;
            opened
                .extract(&steps, output)
                .map_err(|e| fail(codes::ERROR_GENERIC, e.to_string()))?
        }
        None => {
            let text = opened.plaintext(output).map_err(|e| match e {
                SecretsError::Emit { source, .. } => fail(
                    codes::ERROR_DUMPING_TREE,
                    format!("Error dumping file: {source}"),
                ),
                e => from_secrets(e),
            })?;
            reindent(f, output, false, &text)?
        }
    };
    write_out(f, file.as_deref(), out.as_bytes())
}

fn rotate(inv: &Invocation) -> Result<u8, Failure> {
    let f = &inv.flags;
    let Some(file) = inv.args.first() else {
        return Err(fail(codes::NO_FILE_SPECIFIED, "Error: no file specified"));
    };
    if f.on("in-place") && f.value("output").is_some() {
        return Err(fail(
            codes::ERROR_CONFLICTING_PARAMETERS,
            "Error: cannot operate on both --output and --in-place",
        ));
    }
    let changes = KeyChanges {
        add_age: f.comma_values("add-age"),
        rm_age: f.comma_values("rm-age"),
        add_kms: f.comma_values("add-kms"),
        rm_kms: f.comma_values("rm-kms"),
    };
    if !Path::new(file).exists() {
        let code =
            if f.given("add-age") || f.given("rm-age") || f.given("add-kms") || f.given("rm-kms") {
                codes::CANNOT_CHANGE_KEYS_FROM_NON_EXISTENT_FILE
            } else {
                codes::NO_FILE_SPECIFIED
            };
        return Err(fail(
            code,
            format!(
                "Error: cannot operate on non-existent file {:?}",
                abs(file).display().to_string()
            ),
        ));
    }
    let name = abs(f.value("filename-override").unwrap_or(file));
    let mut opened = open_file(f, Some(file), &name)?;
    let output = format_for(&name, f.value("output-type"))?;
    let out = opened.rotate(output, &changes)?;
    let out = reindent(f, output, true, &out)?;
    write_out(f, Some(file), out.as_bytes())
}

fn set(inv: &Invocation) -> Result<u8, Failure> {
    let f = &inv.flags;
    if f.on("value-file") && f.on("value-stdin") {
        return Err(fail(
            codes::ERROR_GENERIC,
            "Error: cannot use both --value-file and --value-stdin",
        ));
    }
    let (file, path, value) = if f.on("value-stdin") {
        if inv.args.len() != 2 {
            return Err(fail(codes::NO_FILE_SPECIFIED, "Error: file specified, or index and value are missing. Need precisely 2 positional arguments since --value-stdin is used."));
        }
        let mut v = Zeroizing::new(String::new());
        std::io::stdin().read_to_string(&mut v).map_err(|e| {
            fail(
                codes::COULD_NOT_READ_INPUT_FILE,
                format!("Error reading from stdin: {e}"),
            )
        })?;
        (&inv.args[0], &inv.args[1], v)
    } else {
        if inv.args.len() != 3 {
            return Err(fail(codes::NO_FILE_SPECIFIED, "Error: no file specified, or index and value are missing. Need precisely 3 positional arguments."));
        }
        let v = if f.on("value-file") {
            read_input(Some(&inv.args[2]))?
        } else {
            Zeroizing::new(inv.args[2].clone())
        };
        (&inv.args[0], &inv.args[1], v)
    };
    set_value(inv, file, path, &value, f.on("idempotent"))
}

fn set_value(
    inv: &Invocation,
    file: &str,
    path: &str,
    value: &str,
    idempotent: bool,
) -> Result<u8, Failure> {
    let f = &inv.flags;
    let steps = document::parse_path(path)
        .map_err(|_| fail(codes::ERROR_INVALID_SET_FORMAT, "Invalid set index format"))?;
    let name = abs(file);
    let mut opened = open_file(f, Some(file), &name)?;
    let output = format_for(&name, f.value("output-type"))?;
    let changed = opened.set(&steps, value).map_err(|e| match e {
        document::SetError::NotJson => fail(codes::ERROR_INVALID_SET_FORMAT, e.to_string()),
        e => fail(codes::ERROR_GENERIC, e.to_string()),
    })?;
    if !changed && idempotent {
        return Ok(0);
    }
    let out = opened.reencrypt(output)?;
    let out = reindent(f, output, true, &out)?;
    secrets::write_atomic(Path::new(file), out.as_bytes()).map_err(|e| {
        fail(
            codes::COULD_NOT_WRITE_OUTPUT_FILE,
            format!("Could not open in-place file for writing: {e}"),
        )
    })?;
    Ok(0)
}

fn unset(inv: &Invocation) -> Result<u8, Failure> {
    let f = &inv.flags;
    if inv.args.len() != 2 {
        return Err(fail(
            codes::NO_FILE_SPECIFIED,
            "Error: no file specified, or index is missing",
        ));
    }
    let (file, path) = (&inv.args[0], &inv.args[1]);
    let steps = document::parse_path(path).map_err(|_| {
        fail(
            codes::ERROR_INVALID_SET_FORMAT,
            "Invalid unset index format",
        )
    })?;
    let name = abs(file);
    let mut opened = open_file(f, Some(file), &name)?;
    let output = format_for(&name, f.value("output-type"))?;
    match opened.unset(&steps) {
        Ok(()) => {}
        Err(document::PathError::NotFound(_)) if f.on("idempotent") => return Ok(0),
        Err(e) => return Err(fail(codes::ERROR_GENERIC, e.to_string())),
    }
    let out = opened.reencrypt(output)?;
    let out = reindent(f, output, true, &out)?;
    secrets::write_atomic(Path::new(file), out.as_bytes()).map_err(|e| {
        fail(
            codes::COULD_NOT_WRITE_OUTPUT_FILE,
            format!("Could not open in-place file for writing: {e}"),
        )
    })?;
    Ok(0)
}

fn filestatus(inv: &Invocation) -> Result<u8, Failure> {
    let f = &inv.flags;
    let Some(file) = inv.args.first() else {
        return Err(fail(codes::NO_FILE_SPECIFIED, "Error: no file specified"));
    };
    let name = abs(file);
    let input = format_for(&name, f.value("input-type"))?;
    let text = read_input(Some(file))?;
    let encrypted = document::is_encrypted(&name, input, &text);
    println!("{{\"encrypted\":{encrypted}}}");
    Ok(0)
}

fn exec_args(inv: &Invocation) -> Result<(&str, &str), Failure> {
    if inv.args.len() != 2 {
        return Err(fail(codes::ERROR_GENERIC, "error: missing file to decrypt"));
    }
    Ok((&inv.args[0], &inv.args[1]))
}

fn child_code(status: std::process::ExitStatus) -> u8 {
    status
        .code()
        .map(|c| c as u8)
        .unwrap_or(codes::ERROR_GENERIC)
}

fn exec_env(inv: &Invocation) -> Result<u8, Failure> {
    let (file, command) = exec_args(inv)?;
    let name = abs(file);
    let opened = open_file(&inv.flags, Some(file), &name)?;
    let env = opened
        .env()
        .map_err(|e| fail(codes::ERROR_GENERIC, e.to_string()))?;
    drop(opened);
    let status = exec::with_env(command, &env, inv.flags.on("pristine"))
        .map_err(|e| fail(codes::ERROR_GENERIC, e.to_string()))?;
    Ok(child_code(status))
}

fn exec_file(inv: &Invocation) -> Result<u8, Failure> {
    let f = &inv.flags;
    let (file, command) = exec_args(inv)?;
    let name = abs(file);
    let opened = open_file(f, Some(file), &name)?;
    let output = format_for(&name, f.value("output-type"))?;
    let text = reindent(f, output, false, &opened.plaintext(output)?)?;
    drop(opened);
    let bytes = Zeroizing::new(text.as_bytes().to_vec());
    drop(text);
    let status = exec::with_file(command, bytes, f.on("no-fifo"), f.value("filename"))
        .map_err(|e| fail(codes::ERROR_GENERIC, e.to_string()))?;
    Ok(child_code(status))
}

fn edit(inv: &Invocation) -> Result<u8, Failure> {
    let Some(file) = inv.args.first() else {
        return Err(fail(codes::NO_FILE_SPECIFIED, "Error: no file specified"));
    };
    let before = std::fs::read(file).ok();
    crate::action::secrets::edit_file(Path::new(file))
        .map_err(|e| fail(codes::ERROR_GENERIC, format!("{e:#}")))?;
    if before.is_some() && before == std::fs::read(file).ok() {
        return Err(fail(
            codes::FILE_HAS_NOT_BEEN_MODIFIED,
            "File has not changed, exiting.",
        ));
    }
    Ok(0)
}

fn updatekeys(inv: &Invocation) -> Result<u8, Failure> {
    let Some(file) = inv.args.first() else {
        return Err(fail(codes::NO_FILE_SPECIFIED, "Error: no file specified"));
    };
    let update = secrets::update_keys(Path::new(file), inv.flags.value("input-type"))?;
    if update.added.is_empty() && update.removed.is_empty() {
        eprintln!("File {file} already up to date");
        return Ok(0);
    }
    eprintln!("The following changes will be made to the file's groups:");
    for k in &update.added {
        eprintln!("+++ {k}");
    }
    for k in &update.removed {
        eprintln!("--- {k}");
    }
    if !inv.flags.on("yes") {
        eprint!("Is this okay? (y/n):");
        let mut answer = String::new();
        let _ = std::io::stdin().read_line(&mut answer);
        if answer.trim() != "y" {
            return Err(fail(codes::ERROR_GENERIC, "Exiting. User responded no"));
        }
    }
    secrets::write_atomic(Path::new(file), update.output.as_bytes())?;
    eprintln!("File {file} synced with new keys");
    Ok(0)
}
