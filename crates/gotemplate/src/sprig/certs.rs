//! sprig's key and certificate functions: `genPrivateKey`, `genCA`,
//! `genCAWithKey`, `genSelfSignedCert`, `genSelfSignedCertWithKey`,
//! `genSignedCert`, `genSignedCertWithKey`, `buildCustomCert`, and the
//! AES-256-CBC pair `encryptAES`/`decryptAES`. Certificates are made with
//! `rcgen` (aws-lc-rs backend, which also generates the RSA keys) to Go's
//! template: random 128-bit serial, subject `CN` only, `NotBefore` now,
//! `NotAfter` now + days, key usage digitalSignature+keyEncipherment
//! (+certSign for a CA), ext. key usage serverAuth+clientAuth, basic
//! constraints, DNS then IP alternative names; keys are written as Go's
//! `pem.Encode` writes them: `RSA PRIVATE KEY` (PKCS#1), `EC PRIVATE KEY`
//! (SEC1 with the curve), `PRIVATE KEY` (PKCS#8 v1, ed25519).
//!
//! Differences from Go: `genPrivateKey "dsa"` is not supported (returns
//! sprig's failure text); leaf certificates also carry a subject key
//! identifier (Go adds one only to CAs).

use std::net::IpAddr;
use std::rc::Rc;

use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use base64::Engine as _;
use rand::Rng as _;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType, SerialNumber, SignatureAlgorithm,
};

use super::conv::{arg, iarg, sarg};
use super::reg;
use crate::func::{FuncError, FuncMap, Param};
use crate::value::{Object, Value};

use Param::{Any, Int, String as Str};

pub(super) fn register(m: &mut FuncMap) {
    reg(m, "genPrivateKey", &[Str], None, |a| {
        Ok(Value::from(gen_private_key(&sarg(&a, 0))))
    });
    reg(m, "genCA", &[Str, Int], None, |a| {
        let key = Key::generate_rsa(2048)?;
        ca(&sarg(&a, 0), iarg(&a, 1), key)
    });
    reg(m, "genCAWithKey", &[Str, Int, Str], None, |a| {
        let key = Key::from_pem(&sarg(&a, 2))
            .map_err(|e| FuncError::new(format!("parsing private key: {e}")))?;
        ca(&sarg(&a, 0), iarg(&a, 1), key)
    });
    reg(
        m,
        "genSelfSignedCert",
        &[Str, Param::Slice, Param::Slice, Int],
        None,
        |a| {
            let key = Key::generate_rsa(2048)?;
            self_signed(&a, key)
        },
    );
    reg(
        m,
        "genSelfSignedCertWithKey",
        &[Str, Param::Slice, Param::Slice, Int, Str],
        None,
        |a| {
            let key = Key::from_pem(&sarg(&a, 4))
                .map_err(|e| FuncError::new(format!("parsing private key: {e}")))?;
            self_signed(&a, key)
        },
    );
    reg(
        m,
        "genSignedCert",
        &[Str, Param::Slice, Param::Slice, Int, Any],
        None,
        |a| {
            let key = Key::generate_rsa(2048)?;
            signed(&a, key)
        },
    );
    reg(
        m,
        "genSignedCertWithKey",
        &[Str, Param::Slice, Param::Slice, Int, Any, Str],
        None,
        |a| {
            let key = Key::from_pem(&sarg(&a, 5))
                .map_err(|e| FuncError::new(format!("parsing private key: {e}")))?;
            signed(&a, key)
        },
    );
    reg(m, "buildCustomCert", &[Str, Str], None, |a| {
        build_custom(&sarg(&a, 0), &sarg(&a, 1))
    });
    reg(m, "encryptAES", &[Str, Str], None, |a| {
        encrypt_aes(&sarg(&a, 0), &sarg(&a, 1)).map(Value::from)
    });
    reg(m, "decryptAES", &[Str, Str], None, |a| {
        decrypt_aes(&sarg(&a, 0), &sarg(&a, 1)).map(Value::from)
    });
}

/// sprig's `certificate` struct: `.Cert` and `.Key` PEM strings.
pub(crate) struct CertObject {
    cert: String,
    key: String,
}

impl Object for CertObject {
    fn type_name(&self) -> &str {
        "sprig.certificate"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Cert" => Some(Value::from(self.cert.clone())),
            "Key" => Some(Value::from(self.key.clone())),
            _ => None,
        }
    }
    fn display(&self) -> String {
        format!("{{{} {}}}", self.cert, self.key)
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"Cert": self.cert, "Key": self.key})
    }
}

fn cert_value(cert: String, key: String) -> Value {
    Value::Object(Rc::new(CertObject { cert, key }))
}

// ---- DER and PEM -------------------------------------------------------

/// One DER element: (tag, content, rest).
fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    let (len, hdr) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*b.get(2 + i)?);
        }
        (len, 2 + n)
    };
    let content = b.get(hdr..hdr + len)?;
    Some((tag, content, &b[hdr + len..]))
}

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

const OID_RSA: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
];
const OID_EC: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_P521: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23];
const OID_ED25519: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];

/// Go's `pem.EncodeToMemory`: 64-column base64, LF line ends.
fn pem_encode(kind: &str, body: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(body);
    let mut out = format!("-----BEGIN {kind}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {kind}-----\n"));
    out
}

/// Go's `pem.Decode` of the first block: (type, bytes).
fn pem_decode(text: &str) -> Option<(String, Vec<u8>)> {
    let start = text.find("-----BEGIN ")?;
    let rest = &text[start + 11..];
    let type_end = rest.find("-----")?;
    let kind = rest[..type_end].to_string();
    let body_start = &rest[type_end + 5..];
    let end_marker = format!("-----END {kind}-----");
    let body_end = body_start.find(&end_marker)?;
    let body: String = body_start[..body_end]
        .lines()
        .filter(|l| !l.contains(':'))
        .flat_map(|l| l.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body)
        .ok()?;
    Some((kind, bytes))
}

// ---- keys ---------------------------------------------------------------

/// A private key in the forms Go writes and the signer rcgen needs.
struct Key {
    pair: KeyPair,
    /// The PEM block Go's `pemBlockForKey` writes for this key.
    pem: String,
}

fn key_error(e: impl std::fmt::Display) -> FuncError {
    FuncError::new(format!("error generating rsa key: {e}"))
}

impl Key {
    fn generate_rsa(bits: usize) -> Result<Key, FuncError> {
        let size = if bits >= 4096 {
            rcgen::RsaKeySize::_4096
        } else {
            rcgen::RsaKeySize::_2048
        };
        let pair = KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, size).map_err(key_error)?;
        let pkcs1 = pkcs8_inner(pair.serialized_der()).ok_or_else(|| key_error("bad PKCS#8"))?;
        Ok(Key {
            pem: pem_encode("RSA PRIVATE KEY", &pkcs1),
            pair,
        })
    }

    fn generate_ecdsa() -> Result<Key, String> {
        let pair =
            KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| e.to_string())?;
        let inner = pkcs8_inner(pair.serialized_der()).ok_or("bad PKCS#8")?;
        let sec1 = go_sec1(&inner, OID_P256).ok_or("bad SEC1")?;
        Ok(Key {
            pem: pem_encode("EC PRIVATE KEY", &sec1),
            pair,
        })
    }

    fn generate_ed25519() -> Result<Key, String> {
        let pair = KeyPair::generate_for(&rcgen::PKCS_ED25519).map_err(|e| e.to_string())?;
        let inner = pkcs8_inner(pair.serialized_der()).ok_or("bad PKCS#8")?;
        let (_, seed, _) = tlv(&inner).ok_or("bad key")?;
        Ok(Key {
            pem: pem_encode("PRIVATE KEY", &ed25519_pkcs8_v1(seed)),
            pair,
        })
    }

    /// sprig's `parsePrivateKeyPEM`, with its error texts.
    fn from_pem(text: &str) -> Result<Key, String> {
        let (kind, bytes) = pem_decode(text).ok_or("no PEM data in input")?;
        if kind == "PRIVATE KEY" {
            return Key::from_pkcs8(&bytes).map_err(|e| format!("decoding PEM as PKCS#8: {e}"));
        }
        let Some(prefix) = kind.strip_suffix(" PRIVATE KEY") else {
            return Err(format!("no private key data in PEM block of type {kind}"));
        };
        match prefix {
            "RSA" => {
                let pkcs8 = rsa_pkcs8(&bytes);
                let pair = KeyPair::from_pem_and_sign_algo(
                    &pem_encode("PRIVATE KEY", &pkcs8),
                    &rcgen::PKCS_RSA_SHA256,
                )
                .map_err(|e| format!("parsing RSA private key from PEM: {e}"))?;
                Ok(Key {
                    pem: pem_encode("RSA PRIVATE KEY", &bytes),
                    pair,
                })
            }
            "EC" => {
                let (curve, alg) = sec1_curve(&bytes)
                    .ok_or("parsing EC private key from PEM: x509: unknown elliptic curve")?;
                let pkcs8 = der(
                    0x30,
                    &[
                        der(0x02, &[0]),
                        der(0x30, &[OID_EC, curve].concat()),
                        der(0x04, &bytes),
                    ]
                    .concat(),
                );
                let pair = KeyPair::from_pem_and_sign_algo(&pem_encode("PRIVATE KEY", &pkcs8), alg)
                    .map_err(|e| format!("parsing EC private key from PEM: {e}"))?;
                let go =
                    go_sec1(&bytes, curve).ok_or("parsing EC private key from PEM: bad key")?;
                Ok(Key {
                    pem: pem_encode("EC PRIVATE KEY", &go),
                    pair,
                })
            }
            "DSA" => Err("DSA private keys are not supported".into()),
            _ => Err(format!("invalid private key type {kind}")),
        }
    }

    fn from_pkcs8(bytes: &[u8]) -> Result<Key, String> {
        let (_, body, _) = tlv(bytes).ok_or("asn1: syntax error")?;
        let (_, _version, rest) = tlv(body).ok_or("asn1: syntax error")?;
        let (_, alg, rest) = tlv(rest).ok_or("asn1: syntax error")?;
        let (_, inner, _) = tlv(rest).ok_or("asn1: syntax error")?;
        if alg.starts_with(OID_RSA) {
            let pair = KeyPair::from_pem_and_sign_algo(
                &pem_encode("PRIVATE KEY", bytes),
                &rcgen::PKCS_RSA_SHA256,
            )
            .map_err(|e| e.to_string())?;
            return Ok(Key {
                pem: pem_encode("RSA PRIVATE KEY", inner),
                pair,
            });
        }
        if alg.starts_with(OID_EC) {
            let curve = &alg[OID_EC.len()..];
            let sig = curve_alg(curve).ok_or("x509: unknown elliptic curve")?;
            let pair = KeyPair::from_pem_and_sign_algo(&pem_encode("PRIVATE KEY", bytes), sig)
                .map_err(|e| e.to_string())?;
            let go = go_sec1(inner, curve).ok_or("bad EC key")?;
            return Ok(Key {
                pem: pem_encode("EC PRIVATE KEY", &go),
                pair,
            });
        }
        if alg.starts_with(OID_ED25519) {
            let (_, seed, _) = tlv(inner).ok_or("bad ed25519 key")?;
            let v1 = ed25519_pkcs8_v1(seed);
            let pair = KeyPair::from_pem_and_sign_algo(
                &pem_encode("PRIVATE KEY", &v1),
                &rcgen::PKCS_ED25519,
            )
            .map_err(|e| e.to_string())?;
            return Ok(Key {
                pem: pem_encode("PRIVATE KEY", &v1),
                pair,
            });
        }
        Err("x509: PKCS#8 wrapping contained private key with unknown algorithm".into())
    }
}

/// The private-key OCTET STRING inside a PKCS#8 `PrivateKeyInfo`.
fn pkcs8_inner(pkcs8: &[u8]) -> Option<Vec<u8>> {
    let (_, body, _) = tlv(pkcs8)?;
    let (_, _, rest) = tlv(body)?;
    let (_, _, rest) = tlv(rest)?;
    let (_, inner, _) = tlv(rest)?;
    Some(inner.to_vec())
}

fn rsa_pkcs8(pkcs1: &[u8]) -> Vec<u8> {
    let alg = der(0x30, &[OID_RSA, &[0x05, 0x00]].concat());
    der(0x30, &[der(0x02, &[0]), alg, der(0x04, pkcs1)].concat())
}

fn ed25519_pkcs8_v1(seed: &[u8]) -> Vec<u8> {
    der(
        0x30,
        &[
            der(0x02, &[0]),
            der(0x30, OID_ED25519),
            der(0x04, &der(0x04, seed)),
        ]
        .concat(),
    )
}

fn curve_alg(curve_oid: &[u8]) -> Option<&'static SignatureAlgorithm> {
    match curve_oid {
        c if c == OID_P256 => Some(&rcgen::PKCS_ECDSA_P256_SHA256),
        c if c == OID_P384 => Some(&rcgen::PKCS_ECDSA_P384_SHA384),
        c if c == OID_P521 => Some(&rcgen::PKCS_ECDSA_P521_SHA512),
        _ => None,
    }
}

/// The curve named in a SEC1 key's `[0]` parameters.
fn sec1_curve(sec1: &[u8]) -> Option<(&'static [u8], &'static SignatureAlgorithm)> {
    let (_, body, _) = tlv(sec1)?;
    let (_, _, mut rest) = tlv(body)?;
    let (_, _, r) = tlv(rest)?;
    rest = r;
    while !rest.is_empty() {
        let (tag, content, r) = tlv(rest)?;
        if tag == 0xa0 {
            for c in [OID_P256, OID_P384, OID_P521] {
                if content == c {
                    return Some((c, curve_alg(c)?));
                }
            }
        }
        rest = r;
    }
    None
}

/// Go's `x509.MarshalECPrivateKey`: version 1, the private scalar, the
/// named curve `[0]` and the public point `[1]`.
fn go_sec1(sec1: &[u8], curve: &[u8]) -> Option<Vec<u8>> {
    let (_, body, _) = tlv(sec1)?;
    let (_, _, rest) = tlv(body)?;
    let (_, private, mut rest) = tlv(rest)?;
    let mut public = None;
    while !rest.is_empty() {
        let (tag, content, r) = tlv(rest)?;
        if tag == 0xa1 {
            public = Some(content.to_vec());
        }
        rest = r;
    }
    let mut parts = vec![der(0x02, &[1]), der(0x04, private), der(0xa0, curve)];
    if let Some(p) = public {
        parts.push(der(0xa1, &p));
    }
    Some(der(0x30, &parts.concat()))
}

fn gen_private_key(kind: &str) -> String {
    let key = match kind {
        "" | "rsa" => Key::generate_rsa(4096).map_err(|e| e.0),
        "dsa" => return "failed to generate dsa params: DSA keys are not supported".into(),
        "ecdsa" => Key::generate_ecdsa(),
        "ed25519" => Key::generate_ed25519(),
        other => return format!("Unknown type {other}"),
    };
    match key {
        Ok(k) => k.pem,
        Err(e) => format!("failed to generate private key: {e}"),
    }
}

// ---- certificates -------------------------------------------------------

/// sprig's `getBaseCertTemplate`.
fn base_params(
    cn: &str,
    ips: &Value,
    dns: &Value,
    days: i64,
) -> Result<CertificateParams, FuncError> {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    if !cn.is_empty() {
        dn.push(DnType::CommonName, cn);
    }
    params.distinguished_name = dn;
    let mut serial = [0u8; 16];
    rand::thread_rng().fill(&mut serial);
    let trimmed: Vec<u8> = serial.iter().copied().skip_while(|b| *b == 0).collect();
    params.serial_number = Some(SerialNumber::from_slice(if trimmed.is_empty() {
        &[0]
    } else {
        &trimmed
    }));
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now;
    params.not_after = days
        .checked_mul(86_400)
        .and_then(|s| now.checked_add(time::Duration::seconds(s)))
        .ok_or_else(|| {
            FuncError::new("error creating certificate: x509: validity period out of range")
        })?;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params.is_ca = IsCa::ExplicitNoCa;
    let mut sans = Vec::new();
    for d in list_items(dns) {
        match d {
            Value::String(s) => sans.push(SanType::DnsName(s.to_string().try_into().map_err(
                |_| {
                    FuncError::new(format!(
                        "error creating certificate: x509: {} cannot be encoded as an IA5String",
                        crate::fmt::quote(&s)
                    ))
                },
            )?)),
            other => {
                return Err(FuncError::new(format!(
                    "error processing alternate dns name: {} is not a string",
                    crate::fmt::display(&other)
                )))
            }
        }
    }
    for ip in list_items(ips) {
        match ip {
            Value::String(s) => match s.parse::<IpAddr>() {
                Ok(addr) => sans.push(SanType::IpAddress(addr)),
                Err(_) => return Err(FuncError::new(format!("error parsing ip: {s}"))),
            },
            other => {
                return Err(FuncError::new(format!(
                    "error parsing ip: {} is not a string",
                    crate::fmt::display(&other)
                )))
            }
        }
    }
    params.subject_alt_names = sans;
    Ok(params)
}

fn list_items(v: &Value) -> Vec<Value> {
    match v {
        Value::List(_, items) => items.to_vec(),
        _ => Vec::new(),
    }
}

fn create_error(e: rcgen::Error) -> FuncError {
    FuncError::new(format!("error creating certificate: {e}"))
}

fn ca(cn: &str, days: i64, key: Key) -> Result<Value, FuncError> {
    let mut params = base_params(cn, &Value::Nil, &Value::Nil, days)?;
    params.key_usages.push(KeyUsagePurpose::KeyCertSign);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key.pair).map_err(create_error)?;
    Ok(cert_value(cert.pem(), key.pem))
}

fn self_signed(a: &[Value], key: Key) -> Result<Value, FuncError> {
    let params = base_params(&sarg(a, 0), &arg(a, 1), &arg(a, 2), iarg(a, 3))?;
    let cert = params.self_signed(&key.pair).map_err(create_error)?;
    Ok(cert_value(cert.pem(), key.pem))
}

fn signed(a: &[Value], key: Key) -> Result<Value, FuncError> {
    let (ca_cert, ca_key) = match a.get(4) {
        Some(Value::Object(o)) if o.type_name() == "sprig.certificate" => (
            o.field("Cert")
                .map(|v| super::conv::strval(&v))
                .unwrap_or_default(),
            o.field("Key")
                .map(|v| super::conv::strval(&v))
                .unwrap_or_default(),
        ),
        Some(other) => {
            return Err(FuncError::new(format!(
                "wrong type for value; expected sprig.certificate; got {}",
                other.type_name()
            )))
        }
        None => return Err(FuncError::new("missing CA")),
    };
    if pem_decode(&ca_cert).is_none() {
        return Err(FuncError::new("unable to decode certificate"));
    }
    let ca_params = CertificateParams::from_ca_cert_pem(&ca_cert).map_err(|e| {
        FuncError::new(format!(
            "error parsing certificate: decodedSignerCert.Bytes: {e}"
        ))
    })?;
    let signer = Key::from_pem(&ca_key)
        .map_err(|e| FuncError::new(format!("error parsing private key: {e}")))?;
    let issuer = ca_params.self_signed(&signer.pair).map_err(create_error)?;
    let mut params = base_params(&sarg(a, 0), &arg(a, 1), &arg(a, 2), iarg(a, 3))?;
    params.use_authority_key_identifier_extension = true;
    let cert = params
        .signed_by(&key.pair, &issuer, &signer.pair)
        .map_err(create_error)?;
    Ok(cert_value(cert.pem(), key.pem))
}

fn build_custom(b64cert: &str, b64key: &str) -> Result<Value, FuncError> {
    let std = base64::engine::general_purpose::STANDARD;
    let cert = std
        .decode(b64cert)
        .map_err(|_| FuncError::new("unable to decode base64 certificate"))?;
    let key = std
        .decode(b64key)
        .map_err(|_| FuncError::new("unable to decode base64 private key"))?;
    let cert = String::from_utf8_lossy(&cert).into_owned();
    let key = String::from_utf8_lossy(&key).into_owned();
    let Some((_, der_bytes)) = pem_decode(&cert) else {
        return Err(FuncError::new("unable to decode certificate"));
    };
    CertificateParams::from_ca_cert_der(&der_bytes.into()).map_err(|e| {
        FuncError::new(format!("error parsing certificate: decodedCert.Bytes: {e}"))
    })?;
    Key::from_pem(&key).map_err(|e| FuncError::new(format!("error parsing private key: {e}")))?;
    Ok(cert_value(cert, key))
}

// ---- AES ----------------------------------------------------------------

fn aes_key(password: &str) -> aes::Aes256 {
    let mut key = [0u8; 32];
    let p = password.as_bytes();
    let n = p.len().min(32);
    key[..n].copy_from_slice(&p[..n]);
    aes::Aes256::new(&key.into())
}

/// sprig's `encryptAES`: AES-256-CBC, PKCS#7 padding, random IV first, base64.
fn encrypt_aes(password: &str, plaintext: &str) -> Result<String, FuncError> {
    if plaintext.is_empty() {
        return Ok(String::new());
    }
    let cipher = aes_key(password);
    let mut content = plaintext.as_bytes().to_vec();
    let pad = 16 - content.len() % 16;
    content.extend(std::iter::repeat_n(pad as u8, pad));
    let mut iv = [0u8; 16];
    rand::thread_rng().fill(&mut iv);
    let mut out = iv.to_vec();
    let mut prev = iv;
    for chunk in content.chunks(16) {
        let mut block = [0u8; 16];
        for i in 0..16 {
            block[i] = chunk[i] ^ prev[i];
        }
        let mut b = block.into();
        cipher.encrypt_block(&mut b);
        prev = b.into();
        out.extend_from_slice(&prev);
    }
    Ok(base64::engine::general_purpose::STANDARD.encode(out))
}

/// sprig's `decryptAES`, with Go's panics for short or ragged input.
fn decrypt_aes(password: &str, crypt64: &str) -> Result<String, FuncError> {
    if crypt64.is_empty() {
        return Ok(String::new());
    }
    let crypt = super::encoding::decode_b64(crypt64.as_bytes())
        .map_err(|at| FuncError::new(format!("illegal base64 data at input byte {at}")))?;
    if crypt.len() < 16 {
        // Go slices the decode buffer, whose capacity is DecodedLen(len(input)).
        let capacity = crypt64.len() / 4 * 3;
        return Err(FuncError::new(format!(
            "runtime error: slice bounds out of range [:16] with capacity {capacity}"
        )));
    }
    let (iv, body) = crypt.split_at(16);
    if body.len() % 16 != 0 {
        return Err(FuncError::new("crypto/cipher: input not full blocks"));
    }
    if body.is_empty() {
        return Err(FuncError::new("runtime error: index out of range [-1]"));
    }
    let cipher = aes_key(password);
    let mut prev: [u8; 16] = iv.try_into().unwrap_or([0; 16]);
    let mut plain = Vec::with_capacity(body.len());
    for chunk in body.chunks(16) {
        let mut b: aes::Block = <[u8; 16]>::try_from(chunk).unwrap_or([0; 16]).into();
        cipher.decrypt_block(&mut b);
        for i in 0..16 {
            plain.push(b[i] ^ prev[i]);
        }
        prev = chunk.try_into().unwrap_or([0; 16]);
    }
    let pad = usize::from(plain[plain.len() - 1]);
    if pad > plain.len() {
        return Err(FuncError::new(format!(
            "runtime error: slice bounds out of range [:{}]",
            plain.len() as i64 - pad as i64
        )));
    }
    Ok(String::from_utf8_lossy(&plain[..plain.len() - pad]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(v: &Value, name: &str) -> String {
        match v {
            Value::Object(o) => o
                .field(name)
                .map(|f| crate::fmt::display(&f))
                .unwrap_or_default(),
            _ => String::new(),
        }
    }

    #[test]
    fn ca_and_signed_cert_have_go_shapes() {
        let ca_v = ca("my-ca", 365, Key::generate_rsa(2048).expect("key")).expect("ca");
        let cert = field(&ca_v, "Cert");
        let key = field(&ca_v, "Key");
        assert!(
            cert.starts_with("-----BEGIN CERTIFICATE-----\n")
                && cert.ends_with("-----END CERTIFICATE-----\n")
        );
        assert!(key.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
        let parsed = CertificateParams::from_ca_cert_pem(&cert).expect("parse");
        assert!(matches!(parsed.is_ca, IsCa::Ca(_)));
        assert!(parsed.key_usages.contains(&KeyUsagePurpose::KeyCertSign));
        assert!(format!("{:?}", parsed.distinguished_name).contains("my-ca"));
        // The key round-trips through sprig's parser (as genSignedCert reads it back).
        assert_eq!(Key::from_pem(&key).expect("key").pem, key);

        let ips = Value::list(vec![Value::from("10.0.0.1"), Value::from("::1")]);
        let dns = Value::list(vec![Value::from("a.example")]);
        let leaf = signed(
            &[Value::from("leaf"), ips, dns, Value::Int(30), ca_v],
            Key::generate_rsa(2048).expect("key"),
        )
        .expect("signed");
        let leaf_params =
            CertificateParams::from_ca_cert_pem(&field(&leaf, "Cert")).expect("parse leaf");
        assert!(matches!(leaf_params.is_ca, IsCa::ExplicitNoCa | IsCa::NoCa));
        let sans = format!("{:?}", leaf_params.subject_alt_names);
        assert!(
            sans.contains("a.example") && sans.contains("10.0.0.1"),
            "{sans}"
        );
    }

    #[test]
    fn bad_inputs_give_sprigs_errors() {
        let e = base_params(
            "x",
            &Value::list(vec![Value::from("300.1.1.1")]),
            &Value::Nil,
            1,
        )
        .err();
        assert_eq!(
            e.map(|e| e.0).as_deref(),
            Some("error parsing ip: 300.1.1.1")
        );
        let e = base_params("x", &Value::list(vec![Value::Int(5)]), &Value::Nil, 1).err();
        assert_eq!(
            e.map(|e| e.0).as_deref(),
            Some("error parsing ip: 5 is not a string")
        );
        assert_eq!(
            Key::from_pem("nothing").err().as_deref(),
            Some("no PEM data in input")
        );
        assert_eq!(
            Key::from_pem("-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n")
                .err()
                .as_deref(),
            Some("no private key data in PEM block of type FOO")
        );
    }

    #[test]
    fn private_keys_in_go_pem_forms() {
        assert!(gen_private_key("ecdsa").starts_with("-----BEGIN EC PRIVATE KEY-----\n"));
        let ed = gen_private_key("ed25519");
        assert!(ed.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert_eq!(ed.lines().nth(1).map(str::len), Some(64), "{ed}");
        assert_eq!(gen_private_key("nope"), "Unknown type nope");
        let ec = gen_private_key("ecdsa");
        assert_eq!(Key::from_pem(&ec).expect("ec").pem, ec);
        assert_eq!(Key::from_pem(&ed).expect("ed").pem, ed);
    }

    #[test]
    fn aes_round_trip() {
        let c = encrypt_aes("secretkey", "plaintext value").expect("enc");
        assert_eq!(
            decrypt_aes("secretkey", &c).expect("dec"),
            "plaintext value"
        );
        assert_eq!(encrypt_aes("k", "").expect("empty"), "");
    }
}
