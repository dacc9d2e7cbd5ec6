//! The per-value cipher: AES-256-GCM with a 32-byte IV, the tree path as
//! additional data, and sops' `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`
//! encoding. Sees one scalar, a key and a path; nothing of YAML, JSON or keys.

use aes_gcm::aead::consts::U32;
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::aes::Aes256;
use aes_gcm::AesGcm;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::RngCore;
use zeroize::Zeroizing;

use super::tree::{scalar_bytes, Value};

type Gcm = AesGcm<Aes256, U32>;
const TAG_LEN: usize = 16;

/// Why one value could not be decrypted or encrypted. Never carries plaintext.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CipherError {
    #[error("value is not in sops' ENC[AES256_GCM,…] form")]
    NotEncrypted,
    #[error("malformed encrypted value: {0}")]
    Malformed(&'static str),
    #[error("authentication failed (the value was tampered with, moved, or encrypted with another data key)")]
    Authentication,
    #[error("unknown value type `{0}`")]
    UnknownType(String),
    #[error("decrypted value is not a valid `{0}`")]
    BadPlaintext(&'static str),
    #[error("a {0} value cannot be encrypted")]
    Unsupported(&'static str),
}

/// The 32-byte data key, wiped on drop.
pub(crate) type DataKey = Zeroizing<[u8; 32]>;

/// A fresh random data key.
pub(crate) fn new_data_key() -> DataKey {
    let mut key = Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng.fill_bytes(key.as_mut());
    key
}

fn type_name(value: &Value) -> Result<&'static str, CipherError> {
    Ok(match value {
        Value::Str(_) => "str",
        Value::Int(_) => "int",
        Value::Float(_) => "float",
        Value::Bool(_) => "bool",
        Value::Time(_) => "time",
        Value::Bytes(_) => "bytes",
        Value::Comment(_) => "comment",
        Value::Null => return Err(CipherError::Unsupported("null")),
        Value::Map(_) | Value::Seq(_) => return Err(CipherError::Unsupported("map or list")),
    })
}

/// AES-256-GCM keyed with one data key, prepared once per file.
pub(crate) struct Cipher(Gcm);

impl Cipher {
    /// Prepare the cipher for a data key.
    pub(crate) fn new(key: &[u8; 32]) -> Cipher {
        Cipher(Gcm::new(GenericArray::from_slice(key)))
    }

    /// Encrypt one scalar (or comment), binding it to `aad` (the path).
    pub(crate) fn encrypt(&self, value: &Value, aad: &str) -> Result<String, CipherError> {
        let ty = type_name(value)?;
        let plain = Zeroizing::new(scalar_bytes(value));
        let mut iv = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut iv);
        encrypt_with_iv(&self.0, &plain, ty, &iv, aad)
    }

    /// Decrypt one `ENC[…]` value bound to `aad`, restoring its type.
    pub(crate) fn decrypt(&self, s: &str, aad: &str) -> Result<Value, CipherError> {
        decrypt_with(&self.0, s, aad)
    }
}

fn encrypt_with_iv(
    gcm: &Gcm,
    plain: &[u8],
    ty: &str,
    iv: &[u8; 32],
    aad: &str,
) -> Result<String, CipherError> {
    let out = gcm
        .encrypt(
            GenericArray::from_slice(iv),
            Payload {
                msg: plain,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| CipherError::Malformed("encryption failed"))?;
    let (data, tag) = out.split_at(out.len() - TAG_LEN);
    Ok(format!(
        "ENC[AES256_GCM,data:{},iv:{},tag:{},type:{ty}]",
        B64.encode(data),
        B64.encode(iv),
        B64.encode(tag)
    ))
}

/// Whether a string looks like a sops-encrypted value.
#[cfg(test)]
fn is_encrypted(s: &str) -> bool {
    s.starts_with("ENC[AES256_GCM,") && s.ends_with(']')
}

struct Parts<'a> {
    data: &'a str,
    iv: &'a str,
    tag: &'a str,
    ty: &'a str,
}

fn parse(s: &str) -> Result<Parts<'_>, CipherError> {
    let inner = s
        .strip_prefix("ENC[AES256_GCM,")
        .and_then(|r| r.strip_suffix(']'))
        .ok_or(CipherError::NotEncrypted)?;
    let mut fields = inner.split(',');
    let mut take = |name: &'static str| {
        fields
            .next()
            .and_then(|f| f.strip_prefix(name))
            .ok_or(CipherError::Malformed(name))
    };
    let data = take("data:")?;
    let iv = take("iv:")?;
    let tag = take("tag:")?;
    let ty = take("type:")?;
    Ok(Parts { data, iv, tag, ty })
}

/// An empty string is returned as an empty string, as sops does.
fn decrypt_with(gcm: &Gcm, s: &str, aad: &str) -> Result<Value, CipherError> {
    if s.is_empty() {
        return Ok(Value::Str(String::new()));
    }
    let parts = parse(s)?;
    let mut data = B64
        .decode(parts.data)
        .map_err(|_| CipherError::Malformed("data is not base64"))?;
    let iv = B64
        .decode(parts.iv)
        .map_err(|_| CipherError::Malformed("iv is not base64"))?;
    let tag = B64
        .decode(parts.tag)
        .map_err(|_| CipherError::Malformed("tag is not base64"))?;
    if iv.len() != 32 {
        return Err(CipherError::Malformed("iv is not 32 bytes"));
    }
    if tag.len() != TAG_LEN {
        return Err(CipherError::Malformed("tag is not 16 bytes"));
    }
    data.extend_from_slice(&tag);
    let plain = Zeroizing::new(
        gcm.decrypt(
            GenericArray::from_slice(&iv),
            Payload {
                msg: &data,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| CipherError::Authentication)?,
    );
    let text = || -> Result<String, CipherError> {
        String::from_utf8(plain.to_vec()).map_err(|e| {
            let mut bytes = e.into_bytes();
            zeroize::Zeroize::zeroize(&mut bytes);
            CipherError::BadPlaintext("UTF-8 string")
        })
    };
    Ok(match parts.ty {
        "str" => Value::Str(text()?),
        "comment" => Value::Comment(text()?),
        "time" => Value::Time(text()?),
        "bytes" => Value::Bytes(plain.to_vec()),
        "int" => Value::Int(
            std::str::from_utf8(&plain)
                .ok()
                .and_then(|t| t.parse().ok())
                .ok_or(CipherError::BadPlaintext("int"))?,
        ),
        "float" => Value::Float(
            std::str::from_utf8(&plain)
                .ok()
                .and_then(|t| t.parse().ok())
                .ok_or(CipherError::BadPlaintext("float"))?,
        ),
        "bool" => Value::Bool(
            match std::str::from_utf8(&plain).map_err(|_| CipherError::BadPlaintext("bool"))? {
                "1" | "t" | "T" | "TRUE" | "true" | "True" => true,
                "0" | "f" | "F" | "FALSE" | "false" | "False" => false,
                _ => return Err(CipherError::BadPlaintext("bool")),
            },
        ),
        other => return Err(CipherError::UnknownType(other.to_string())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_type() {
        let key = Cipher::new(&new_data_key());
        for v in [
            Value::Str("héllo\nwörld".into()),
            Value::Int(-42),
            Value::Float(1.5),
            Value::Bool(true),
            Value::Bool(false),
            Value::Time("2024-01-01T00:00:00Z".into()),
            Value::Comment(" a comment".into()),
        ] {
            let enc = key.encrypt(&v, "a:b:").unwrap();
            assert!(is_encrypted(&enc));
            assert_eq!(key.decrypt(&enc, "a:b:").unwrap(), v);
            assert_eq!(key.decrypt(&enc, "a:c:"), Err(CipherError::Authentication));
        }
    }

    #[test]
    fn known_vector_layout() {
        let key = Cipher::new(&[7u8; 32]);
        let enc = encrypt_with_iv(&key.0, b"x", "str", &[9u8; 32], "k:").unwrap();
        assert!(enc.starts_with("ENC[AES256_GCM,data:"));
        assert!(enc.ends_with(",type:str]"));
        assert_eq!(key.decrypt(&enc, "k:").unwrap(), Value::Str("x".into()));
    }
}
