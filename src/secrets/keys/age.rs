//! age master keys: X25519 recipients; identities from `SOPS_AGE_KEY_FILE`,
//! `SOPS_AGE_KEY` and sops' default key file (`$XDG_CONFIG_HOME/sops/age/keys.txt`,
//! else `~/.config/sops/age/keys.txt`), all of them, as sops does.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::str::FromStr;

use zeroize::Zeroizing;

use super::{KeyContext, KeyError, MasterKey};
use crate::secrets::metadata::AgeKey;

/// Identities found in the environment, and where berth looked.
pub(crate) struct Identities {
    pub(crate) identities: Vec<Box<dyn ::age::Identity + Send + Sync>>,
    pub(crate) looked: Vec<String>,
}

fn default_key_file() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(x).join("sops/age/keys.txt"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config/sops/age/keys.txt"))
}

fn parse(
    text: &str,
    source: &str,
) -> Result<Vec<Box<dyn ::age::Identity + Send + Sync>>, KeyError> {
    ::age::IdentityFile::from_buffer(text.as_bytes())
        .and_then(|f| {
            f.into_identities()
                .map_err(|e| std::io::Error::other(e.to_string()))
        })
        .map_err(|_| KeyError::Identities(format!("{source} does not hold valid age identities")))
}

impl Identities {
    /// Load every identity source sops reads.
    pub(crate) fn from_env() -> Result<Identities, KeyError> {
        let mut out = Identities {
            identities: Vec::new(),
            looked: Vec::new(),
        };
        if let Some(v) = std::env::var_os("SOPS_AGE_KEY").filter(|v| !v.is_empty()) {
            let text = Zeroizing::new(v.to_string_lossy().into_owned());
            out.identities.extend(parse(&text, "SOPS_AGE_KEY")?);
            out.looked.push("SOPS_AGE_KEY".into());
        }
        if let Some(p) = std::env::var_os("SOPS_AGE_KEY_FILE").filter(|v| !v.is_empty()) {
            let p = PathBuf::from(p);
            let source = format!("SOPS_AGE_KEY_FILE={}", p.display());
            let text = Zeroizing::new(
                std::fs::read_to_string(&p)
                    .map_err(|e| KeyError::Identities(format!("cannot read {source}: {e}")))?,
            );
            out.identities.extend(parse(&text, &source)?);
            out.looked.push(source);
        }
        if let Some(p) = default_key_file() {
            match std::fs::read_to_string(&p) {
                Ok(text) => {
                    let text = Zeroizing::new(text);
                    out.identities
                        .extend(parse(&text, &p.display().to_string())?);
                    out.looked.push(p.display().to_string());
                }
                Err(_) => out.looked.push(format!("{} (not found)", p.display())),
            }
        }
        Ok(out)
    }
}

impl MasterKey for AgeKey {
    fn describe(&self) -> String {
        format!("age recipient {}", self.recipient)
    }

    fn wrap(&mut self, data: &[u8], _ctx: &KeyContext) -> Result<(), KeyError> {
        let recipient = ::age::x25519::Recipient::from_str(self.recipient.trim())
            .map_err(|_| KeyError::BadRecipient(self.recipient.clone()))?;
        let age_err = |e: std::io::Error| KeyError::Age(format!("age encryption failed: {e}"));
        let encryptor =
            ::age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn ::age::Recipient))
                .map_err(|e| KeyError::Age(format!("age encryption failed: {e}")))?;
        let armor =
            ::age::armor::ArmoredWriter::wrap_output(Vec::new(), ::age::armor::Format::AsciiArmor)
                .map_err(age_err)?;
        let mut w = encryptor.wrap_output(armor).map_err(age_err)?;
        w.write_all(data).map_err(age_err)?;
        let armor = w.finish().map_err(age_err)?;
        let bytes = armor.finish().map_err(age_err)?;
        self.enc =
            String::from_utf8(bytes).map_err(|_| KeyError::Age("armor is not UTF-8".into()))?;
        Ok(())
    }

    fn unwrap(&self, ctx: &KeyContext) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let ids = ctx.age_identities()?;
        if ids.identities.is_empty() {
            return Err(KeyError::NoIdentity(format!(
                "no age identities found; looked in {}",
                ids.looked.join(", ")
            )));
        }
        let reader = ::age::armor::ArmoredReader::new(self.enc.as_bytes());
        let decryptor = ::age::Decryptor::new(reader)
            .map_err(|e| KeyError::Age(format!("malformed age data key: {e}")))?;
        let mut r = decryptor
            .decrypt(
                ids.identities
                    .iter()
                    .map(|i| i.as_ref() as &dyn ::age::Identity),
            )
            .map_err(|e| match e {
                ::age::DecryptError::NoMatchingKeys => {
                    KeyError::NoIdentity(format!("looked in {}", ids.looked.join(", ")))
                }
                other => KeyError::Age(format!("age: {other}")),
            })?;
        let mut out = Zeroizing::new(Vec::new());
        r.read_to_end(&mut out)
            .map_err(|e| KeyError::Age(format!("age: {e}")))?;
        Ok(out)
    }
}
