//! AWS KMS master keys via aws-sdk-kms: the ARN (its region), an optional role
//! to assume, an encryption context and an AWS profile; credentials and the
//! endpoint (`AWS_ENDPOINT_URL`) come from the standard AWS environment. The
//! tokio runtime and AWS config are built only when a KMS key is used, and
//! every call runs on its own thread so callers inside a runtime are fine.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use aws_sdk_kms::primitives::Blob;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use zeroize::Zeroizing;

use super::{KeyContext, KeyError, MasterKey};
use crate::secrets::metadata::KmsKey;

/// The runtime and clients shared by all KMS keys of one operation.
#[derive(Default)]
pub(crate) struct KmsContext {
    runtime: OnceLock<Result<tokio::runtime::Runtime, String>>,
    clients: Mutex<HashMap<(String, String, String), aws_sdk_kms::Client>>,
}

impl KmsContext {
    fn run<T: Send>(
        &self,
        f: impl std::future::Future<Output = Result<T, KeyError>> + Send,
    ) -> Result<T, KeyError> {
        let rt = self
            .runtime
            .get_or_init(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| KeyError::Kms(format!("cannot start the KMS client runtime: {e}")))?;
        std::thread::scope(|s| {
            s.spawn(|| rt.block_on(f))
                .join()
                .unwrap_or_else(|_| Err(KeyError::Kms("KMS client thread panicked".into())))
        })
    }

    async fn client(&self, key: &KmsKey) -> Result<aws_sdk_kms::Client, KeyError> {
        let region = region_of(&key.arn)?;
        let id = (region.clone(), key.aws_profile.clone(), key.role.clone());
        if let Some(c) = self.clients.lock().ok().and_then(|m| m.get(&id).cloned()) {
            return Ok(c);
        }
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.clone()));
        if !key.aws_profile.is_empty() {
            loader = loader.profile_name(&key.aws_profile);
        }
        let mut conf = loader.load().await;
        if !key.role.is_empty() {
            let provider = aws_config::sts::AssumeRoleProvider::builder(&key.role)
                .session_name("berth-sops")
                .configure(&conf)
                .build()
                .await;
            conf = conf
                .into_builder()
                .credentials_provider(aws_sdk_kms::config::SharedCredentialsProvider::new(
                    provider,
                ))
                .build();
        }
        let client = aws_sdk_kms::Client::new(&conf);
        if let Ok(mut m) = self.clients.lock() {
            m.insert(id, client.clone());
        }
        Ok(client)
    }
}

impl Drop for KmsContext {
    /// Callers may be inside their own async runtime, where dropping a runtime
    /// (which blocks) would panic: shut ours down without blocking.
    fn drop(&mut self) {
        if let Some(Ok(rt)) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

fn region_of(arn: &str) -> Result<String, KeyError> {
    arn.split(':')
        .nth(3)
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .ok_or_else(|| KeyError::Kms(format!("`{arn}` is not a KMS key ARN (no region)")))
}

fn context(key: &KmsKey) -> Option<HashMap<String, String>> {
    (!key.context.is_empty()).then(|| key.context.clone().into_iter().collect())
}

/// An AWS SDK error as its message and causes (`dispatch failure: io error:
/// ... Connection refused`), not the SDK's `Debug` dump of its types.
fn sdk_err<E: std::error::Error>(e: E) -> KeyError {
    KeyError::Kms(crate::ui::one_line(&e))
}

impl MasterKey for KmsKey {
    fn describe(&self) -> String {
        if self.role.is_empty() {
            format!("kms {}", self.arn)
        } else {
            format!("kms {} (role {})", self.arn, self.role)
        }
    }

    fn wrap(&mut self, data: &[u8], ctx: &KeyContext) -> Result<(), KeyError> {
        let kms = &ctx.kms;
        let this = &*self;
        let blob = kms.run(async move {
            let client = kms.client(this).await?;
            let out = client
                .encrypt()
                .key_id(&this.arn)
                .plaintext(Blob::new(data.to_vec()))
                .set_encryption_context(context(this))
                .send()
                .await
                .map_err(sdk_err)?;
            out.ciphertext_blob
                .map(|b| b.into_inner())
                .ok_or_else(|| KeyError::Kms("KMS returned no ciphertext".into()))
        })?;
        self.enc = B64.encode(blob);
        self.created_at = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        Ok(())
    }

    fn unwrap(&self, ctx: &KeyContext) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let blob = B64
            .decode(self.enc.trim())
            .map_err(|_| KeyError::Kms("the wrapped data key is not base64".into()))?;
        let kms = &ctx.kms;
        kms.run(async move {
            let client = kms.client(self).await?;
            let out = client
                .decrypt()
                .key_id(&self.arn)
                .ciphertext_blob(Blob::new(blob))
                .set_encryption_context(context(self))
                .send()
                .await
                .map_err(sdk_err)?;
            out.plaintext
                .map(|b| Zeroizing::new(b.into_inner()))
                .ok_or_else(|| KeyError::Kms("KMS returned no plaintext".into()))
        })
    }
}
