//! sprig v3's template functions (Masterminds/sprig v3.3, the set Helm v4
//! installs: its `GenericFuncMap` without `env` and `expandenv`), with
//! Go's outputs, types and error texts. One file per topic; shared casts in
//! `conv`. JSON/YAML/TOML functions (`toJson`, `fromJson`, `toPrettyJson`,
//! `toRawJson`, their `must*` twins) and Helm's own functions (`include`,
//! `tpl`, `required`, `lookup`, `toYaml`...) are not here.
//!
//! Dependencies added for this module (crates.io):
//! - `regex`: RE2-family regular expressions for the `regex*` functions (the
//!   syntax differences from Go's `regexp` are listed in `regex`).
//! - `rand`: `shuffle` and the `rand*` string functions (OS-seeded CSPRNG).
//! - `num-bigint`, `num-traits`: exact decimals for `addf`/`subf`/`mulf`/`divf`,
//!   as shopspring/decimal computes them.
//! - `sha1`, `sha2`: `sha1sum`, `sha256sum`, `sha512sum` (RustCrypto).
//! - `hmac`, `scrypt`: `derivePassword` (Master Password algorithm, RustCrypto).
//! - `chrono`, `chrono-tz`: times and the IANA zone database for the date functions.
//! - `rcgen` (aws-lc-rs backend), `time`: certificates and key generation for
//!   `genCA`/`genSignedCert`/`genSelfSignedCert`/`genPrivateKey` (aws-lc-rs is
//!   already in the workspace's tree; ring cannot generate RSA keys).
//! - `aes`: `encryptAES`/`decryptAES` (AES-256-CBC as sprig does it).
//! - `bcrypt`: `bcrypt` and `htpasswd` (`$2a$` hashes, cost 10, as x/crypto makes).

mod certs;
mod conv;
mod crypto;
mod dates;
mod defaults;
mod dicts;
mod encoding;
mod lists;
mod math;
mod network;
mod paths;
mod reflection;
mod regex;
mod semver;
mod strings;
mod urls;
mod words;

use crate::func::{FuncError, FuncMap, Function, Param};
use crate::value::Value;

/// Every sprig function Helm v4 installs, by name.
pub fn functions() -> FuncMap {
    let mut m = FuncMap::new();
    strings::register(&mut m);
    lists::register(&mut m);
    dicts::register(&mut m);
    math::register(&mut m);
    defaults::register(&mut m);
    reflection::register(&mut m);
    regex::register(&mut m);
    encoding::register(&mut m);
    semver::register(&mut m);
    paths::register(&mut m);
    crypto::register(&mut m);
    certs::register(&mut m);
    dates::register(&mut m);
    urls::register(&mut m);
    network::register(&mut m);
    m
}

/// Add one function with Go signature `params` (and `...variadic`).
fn reg(
    m: &mut FuncMap,
    name: &str,
    params: &'static [Param],
    variadic: Option<Param>,
    body: impl Fn(Vec<Value>) -> Result<Value, FuncError> + 'static,
) {
    m.insert(name.to_string(), Function::pure(params, variadic, body));
}
