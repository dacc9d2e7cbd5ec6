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
//!
//! Signatures: each function declares Go's parameter types ([`Param`]);
//! where sprig takes a type [`Param`] cannot name, the function declares
//! `Param::Any` and checks itself: `time.Time` (`dateModify`, `unixEpoch`,
//! `date*` accept anything as Go's `interface{}` does), `sprig.certificate`
//! (`genSignedCert*`'s CA) and `uint32` (`derivePassword`'s counter, as
//! `Param::Int`). Go's executor rejects wrong types there before the call
//! (`can't handle "x" for arg of type time.Time`, `expected unsigned
//! integer; found -1`); these bodies return a similar error instead.
//!
//! Known differences from Go (the value model's, not fixable here):
//! - `split`/`splitn` return `map[string]string` in Go; here a
//!   `map[string]interface {}` (same printing, `index`, `range`; `typeOf` differs).
//! - `chunk` returns `[][]interface {}` in Go; here `[]interface {}` of lists.
//! - Strings cannot hold invalid UTF-8: `b64dec`/`b32dec` of binary data,
//!   and `trunc`/`substr`/`abbrev`/`wrap` cutting inside a character, give
//!   U+FFFD where Go keeps the raw bytes (`len` and `quote` then differ).
//! - `time.Time`'s `.Month`/`.Weekday` return the name as a `string`
//!   (Go: `time.Month`/`time.Weekday`, printing the same).
//! - `until`/`untilStep`/`seq` stop at 10,000,000 elements (Go has no limit)
//!   and at int64 overflow (Go loops forever); `repeat` refuses outputs over
//!   2 GiB (Go tries to allocate them).
//! - `genPrivateKey "dsa"` is unsupported; certificates carry a subject key
//!   identifier on leaves too; other certificate bytes are random in both.
//! - Regex: see `regex` for the RE2 translation; Unicode property names the
//!   regex crate knows but Go does not (e.g. `\p{Emoji}`) are accepted.

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
pub(crate) mod semver;
mod strings;
mod urls;
mod words;

use crate::func::{FuncError, FuncMap, Function, Param};
use crate::value::Value;

/// Every sprig function Helm v4 installs, by name.
pub fn functions() -> FuncMap {
    let mut m = FuncMap::default();
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

#[cfg(test)]
mod tests {
    /// Every name of sprig v3.3's `GenericFuncMap` that Helm v4 keeps (it
    /// deletes `env` and `expandenv`), less the JSON functions, which another
    /// module of the crate provides.
    const SPRIG_NAMES: &[&str] = &[
        "abbrev",
        "abbrevboth",
        "add",
        "add1",
        "add1f",
        "addf",
        "adler32sum",
        "ago",
        "all",
        "any",
        "append",
        "atoi",
        "b32dec",
        "b32enc",
        "b64dec",
        "b64enc",
        "base",
        "bcrypt",
        "biggest",
        "buildCustomCert",
        "camelcase",
        "cat",
        "ceil",
        "chunk",
        "clean",
        "coalesce",
        "compact",
        "concat",
        "contains",
        "date",
        "dateInZone",
        "dateModify",
        "date_in_zone",
        "date_modify",
        "decryptAES",
        "deepCopy",
        "deepEqual",
        "default",
        "derivePassword",
        "dict",
        "dig",
        "dir",
        "div",
        "divf",
        "duration",
        "durationRound",
        "empty",
        "encryptAES",
        "ext",
        "fail",
        "first",
        "float64",
        "floor",
        "genCA",
        "genCAWithKey",
        "genPrivateKey",
        "genSelfSignedCert",
        "genSelfSignedCertWithKey",
        "genSignedCert",
        "genSignedCertWithKey",
        "get",
        "getHostByName",
        "has",
        "hasKey",
        "hasPrefix",
        "hasSuffix",
        "hello",
        "htmlDate",
        "htmlDateInZone",
        "htpasswd",
        "indent",
        "initial",
        "initials",
        "int",
        "int64",
        "isAbs",
        "join",
        "kebabcase",
        "keys",
        "kindIs",
        "kindOf",
        "last",
        "list",
        "lower",
        "max",
        "maxf",
        "merge",
        "mergeOverwrite",
        "min",
        "minf",
        "mod",
        "mul",
        "mulf",
        "mustAppend",
        "mustChunk",
        "mustCompact",
        "mustDateModify",
        "mustDeepCopy",
        "mustFirst",
        "mustHas",
        "mustInitial",
        "mustLast",
        "mustMerge",
        "mustMergeOverwrite",
        "mustPrepend",
        "mustPush",
        "mustRegexFind",
        "mustRegexFindAll",
        "mustRegexMatch",
        "mustRegexReplaceAll",
        "mustRegexReplaceAllLiteral",
        "mustRegexSplit",
        "mustRest",
        "mustReverse",
        "mustSlice",
        "mustToDate",
        "mustUniq",
        "mustWithout",
        "must_date_modify",
        "nindent",
        "nospace",
        "now",
        "omit",
        "osBase",
        "osClean",
        "osDir",
        "osExt",
        "osIsAbs",
        "pick",
        "pluck",
        "plural",
        "prepend",
        "push",
        "quote",
        "randAlpha",
        "randAlphaNum",
        "randAscii",
        "randBytes",
        "randInt",
        "randNumeric",
        "regexFind",
        "regexFindAll",
        "regexMatch",
        "regexQuoteMeta",
        "regexReplaceAll",
        "regexReplaceAllLiteral",
        "regexSplit",
        "repeat",
        "replace",
        "rest",
        "reverse",
        "round",
        "semver",
        "semverCompare",
        "seq",
        "set",
        "sha1sum",
        "sha256sum",
        "sha512sum",
        "shuffle",
        "slice",
        "snakecase",
        "sortAlpha",
        "split",
        "splitList",
        "splitn",
        "squote",
        "sub",
        "subf",
        "substr",
        "swapcase",
        "ternary",
        "title",
        "toDate",
        "toDecimal",
        "toString",
        "toStrings",
        "trim",
        "trimAll",
        "trimPrefix",
        "trimSuffix",
        "trimall",
        "trunc",
        "tuple",
        "typeIs",
        "typeIsLike",
        "typeOf",
        "uniq",
        "unixEpoch",
        "unset",
        "until",
        "untilStep",
        "untitle",
        "upper",
        "urlJoin",
        "urlParse",
        "uuidv4",
        "values",
        "without",
        "wrap",
        "wrapWith",
    ];

    #[test]
    fn every_sprig_function_helm_keeps_is_here() {
        let m = super::functions();
        let missing: Vec<&str> = SPRIG_NAMES
            .iter()
            .copied()
            .filter(|n| !m.contains_key(*n))
            .collect();
        assert!(missing.is_empty(), "missing: {missing:?}");
        let mut extra: Vec<&String> = m
            .keys()
            .filter(|k| !SPRIG_NAMES.contains(&k.as_str()))
            .collect();
        extra.sort();
        assert!(extra.is_empty(), "not sprig's: {extra:?}");
        for removed in ["env", "expandenv"] {
            assert!(!m.contains_key(removed), "Helm removes {removed}");
        }
    }
}
