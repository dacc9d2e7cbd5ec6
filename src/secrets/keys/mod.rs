//! Master keys: each wraps the data key (or a Shamir share) for one
//! recipient. `age` and `kms` implement [`MasterKey`]; [`KeyContext`] holds
//! what they need (age identities, KMS clients) and is built lazily so that a
//! file without KMS keys never builds an AWS config or a tokio runtime.

pub(crate) mod age;
pub(crate) mod kms;

use zeroize::Zeroizing;

/// Why one master key could not wrap or unwrap. Never carries key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no matching identity ({0})")]
    NoIdentity(String),
    #[error("invalid age recipient `{0}`")]
    BadRecipient(String),
    #[error("{0}")]
    Age(String),
    #[error("{0}")]
    Kms(String),
    #[error("{0}")]
    Identities(String),
}

/// One master key type: wrap and unwrap the data key.
pub(crate) trait MasterKey {
    /// "age recipient age1…", "kms arn:…" — for messages.
    fn describe(&self) -> String;
    /// Wrap `data` and store the result in the key's `enc`.
    fn wrap(&mut self, data: &[u8], ctx: &KeyContext) -> Result<(), KeyError>;
    /// Unwrap the stored `enc`.
    fn unwrap(&self, ctx: &KeyContext) -> Result<Zeroizing<Vec<u8>>, KeyError>;
}

/// Lazily prepared key material and clients, shared by every key of a file.
#[derive(Default)]
pub(crate) struct KeyContext {
    age: std::sync::OnceLock<Result<age::Identities, KeyError>>,
    pub(crate) kms: kms::KmsContext,
}

impl KeyContext {
    /// The age identities from the environment (loaded once).
    pub(crate) fn age_identities(&self) -> Result<&age::Identities, KeyError> {
        self.age
            .get_or_init(age::Identities::from_env)
            .as_ref()
            .map_err(|e| KeyError::Identities(e.to_string()))
    }
}
