//! A local AWS KMS for tests: the real `moto_server` (moto[server]) started on
//! a free loopback port, waited for until it answers, keys created through the
//! KMS API (boto3 from the project venv), stopped when dropped. Both sops and
//! berth reach it through `AWS_ENDPOINT_URL` with fake credentials.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::harness::{repo_root, require_tool};

/// A running moto KMS server.
pub struct MotoKms {
    child: Child,
    port: u16,
}

impl MotoKms {
    /// Start `moto_server` on a free port and wait until it answers HTTP.
    pub fn start() -> MotoKms {
        let bin = require_tool("moto_server");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("find a free port")
            .port();
        let child = Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let kms = MotoKms { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "moto_server did not start within 30s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        kms
    }

    /// The endpoint URL for `AWS_ENDPOINT_URL`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The environment both sops and berth need to use this KMS.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.url()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_DEFAULT_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }

    /// Create a symmetric key through the KMS API; returns its ARN.
    pub fn create_key(&self) -> String {
        let python = repo_root().join(".venv/bin/python");
        assert!(
            python.is_file(),
            "project venv python missing: run scripts/setup"
        );
        let script = "import boto3,sys\n\
c=boto3.client('kms',endpoint_url=sys.argv[1],region_name='us-east-1',aws_access_key_id='testing',aws_secret_access_key='testing')\n\
print(c.create_key(Description='berth test')['KeyMetadata']['Arn'])\n";
        let out = Command::new(python)
            .args(["-c", script, &self.url()])
            .output()
            .expect("run boto3");
        assert!(
            out.status.success(),
            "create_key failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("utf8")
            .trim()
            .to_string()
    }
}

impl Drop for MotoKms {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
