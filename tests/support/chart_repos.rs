//! Real chart sources on loopback for the dependency tests: a static HTTP
//! chart repository (Python's `http.server` over a temp dir, optionally
//! behind basic authentication), a real OCI registry (Debian's
//! `docker-registry` with a temp config and storage), and Helm v4's own SDK
//! (PyPI `helm-python-sdk` in `.venv`) to package, index, push and run
//! `dependency update|build|list` as the reference. Every tool is required:
//! a missing one fails the test (run `scripts/setup`).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::harness::{repo_root, require_tool};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("find a free port")
        .port()
}

fn wait_for(port: u16, what: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before it listened: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not listen within 30s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

const HTTP_SERVER: &str = r#"
import base64, functools, http.server, os, sys
port, root = int(sys.argv[1]), sys.argv[2]
auth = os.environ.get("REPO_AUTH")
want = "Basic " + base64.b64encode(auth.encode()).decode() if auth else None
class H(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if want and self.headers.get("Authorization") != want:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="charts"')
            self.end_headers()
            return
        super().do_GET()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(H, directory=root)).serve_forever()
"#;

/// A static HTTP chart repository serving `dir`.
pub struct HttpRepo {
    child: Child,
    /// The repository URL (`http://127.0.0.1:PORT`).
    pub url: String,
    /// The served directory (put `.tgz` files here, then [`HttpRepo::reindex`]).
    pub dir: PathBuf,
}

impl HttpRepo {
    /// Serve `dir`; with `auth = Some("user:password")` every request needs basic auth.
    pub fn start(dir: &Path, auth: Option<&str>) -> HttpRepo {
        let python = require_tool("python3");
        let port = free_port();
        let mut cmd = Command::new(python);
        cmd.args(["-c", HTTP_SERVER, &port.to_string()])
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(a) = auth {
            cmd.env("REPO_AUTH", a);
        }
        let mut child = cmd.spawn().expect("start the HTTP chart repository");
        wait_for(port, "the HTTP chart repository", &mut child);
        HttpRepo {
            child,
            url: format!("http://127.0.0.1:{port}"),
            dir: dir.to_path_buf(),
        }
    }

    /// `helm repo index` over the served directory.
    pub fn reindex(&self) {
        helm_sdk("repo_index", json!({"dir": self.dir})).expect("helm repo index");
    }
}

impl Drop for HttpRepo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A real OCI registry (`docker-registry`) on a free loopback port.
pub struct OciRegistry {
    child: Child,
    _storage: tempfile::TempDir,
    /// `127.0.0.1:PORT`.
    pub host: String,
}

impl OciRegistry {
    /// Start a registry with a temp storage directory and config.
    pub fn start() -> OciRegistry {
        OciRegistry::start_with_login(None)
    }

    /// [`OciRegistry::start`]; with `Some((user, password))` every request
    /// needs that login (htpasswd, bcrypt).
    pub fn start_with_login(login: Option<(&str, &str)>) -> OciRegistry {
        let bin = require_tool("docker-registry");
        let storage = tempfile::tempdir().expect("registry storage");
        let port = free_port();
        let config = storage.path().join("config.yml");
        let mut text = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            storage.path().join("data").display()
        );
        if let Some((user, password)) = login {
            let out = Command::new(require_tool("htpasswd"))
                .args(["-Bbn", user, password])
                .output()
                .expect("run htpasswd");
            assert!(out.status.success(), "htpasswd failed");
            let file = storage.path().join("htpasswd");
            std::fs::write(&file, &out.stdout).expect("write htpasswd");
            text.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: charts\n    path: {}\n",
                file.display()
            ));
        }
        std::fs::write(&config, text).expect("write the registry config");
        let mut child = Command::new(bin)
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start docker-registry");
        wait_for(port, "docker-registry", &mut child);
        OciRegistry {
            child,
            _storage: storage,
            host: format!("127.0.0.1:{port}"),
        }
    }

    /// `oci://HOST/PATH`.
    pub fn url(&self, path: &str) -> String {
        format!("oci://{}/{path}", self.host)
    }

    /// `helm registry login` with `user`/`password` (the login stored in
    /// `credentials`, Helm's registry `config.json`), then `helm push`.
    pub fn login_and_push(
        &self,
        credentials: &Path,
        user: &str,
        password: &str,
        archive: &Path,
        path: &str,
    ) {
        helm_sdk(
            "login_push",
            json!({"credentials": credentials, "host": self.host, "user": user,
                   "password": password, "archive": archive, "remote": self.url(path)}),
        )
        .expect("helm registry login + push");
    }

    /// `helm push ARCHIVE oci://HOST/PATH --plain-http`.
    pub fn push(&self, archive: &Path, path: &str) {
        helm_sdk(
            "push",
            json!({"archive": archive, "remote": self.url(path)}),
        )
        .expect("helm push");
    }
}

impl Drop for OciRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const SDK: &str = r#"
import json, sys
import helm_python as helm
op, a = sys.argv[1], json.loads(sys.argv[2])
try:
    if op == "package":
        out = helm.package(a["dir"], destination=a["dest"])
    elif op == "repo_index":
        out = helm.repo_index_generate(a["dir"])
    elif op == "push":
        out = helm.push(a["archive"], a["remote"], plain_http=True)
    elif op == "login_push":
        c = helm.RegistryClient(plain_http=True, credentials_file=a["credentials"])
        c.login(a["host"], a["user"], a["password"], plain_http=True)
        out = c.push(a["archive"], a["remote"], plain_http=True)
    elif op == "update":
        out = helm.dependency_update(a["chart"], plain_http=True)
    elif op == "build":
        out = helm.dependency_build(a["chart"], plain_http=True)
    elif op == "list":
        out = helm.dependency_list(a["chart"])
    else:
        raise SystemExit("unknown op " + op)
    print(json.dumps({"ok": out}))
except helm.HelmError as e:
    print(json.dumps({"error": str(e)}))
"#;

/// Run one Helm SDK operation (`package`, `repo_index`, `push`, `update`,
/// `build`, `list`); `Err` is Helm's error message. Helm's caches go to a
/// private HOME so nothing of the machine's Helm configuration is read.
pub fn helm_sdk(op: &str, args: Value) -> Result<Value, String> {
    let python = repo_root().join(".venv/bin/python");
    assert!(
        python.is_file(),
        "the Helm SDK needs {} (run scripts/setup)",
        python.display()
    );
    let home = tempfile::tempdir().expect("a HOME for the Helm SDK");
    let out = Command::new(&python)
        .args(["-c", SDK, op, &args.to_string()])
        .env("HOME", home.path())
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_CACHE_HOME")
        .env_remove("XDG_DATA_HOME")
        .env_remove("HELM_REPOSITORY_CONFIG")
        .env_remove("HELM_REGISTRY_CONFIG")
        .output()
        .expect("run the Helm SDK");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let answer: Value = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| {
            panic!(
                "the Helm SDK ({op}) answered no JSON: status {}\nstdout: {stdout}\nstderr: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
        });
    match answer.get("error") {
        Some(e) => Err(e.as_str().unwrap_or_default().to_string()),
        None => Ok(answer["ok"].clone()),
    }
}

/// Write a small chart `name` `version` into `dir` (Chart.yaml `extra`
/// lines appended), with a values file and one template.
pub fn write_chart(dir: &Path, name: &str, version: &str, extra: &str) {
    std::fs::create_dir_all(dir.join("templates")).expect("chart dir");
    std::fs::write(
        dir.join("Chart.yaml"),
        format!("apiVersion: v2\nname: {name}\nversion: {version}\n{extra}"),
    )
    .expect("Chart.yaml");
    std::fs::write(
        dir.join("values.yaml"),
        format!("greeting: hello from {name}\n"),
    )
    .expect("values.yaml");
    std::fs::write(
        dir.join("templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Chart.Name }}\ndata:\n  greeting: {{ .Values.greeting | quote }}\n",
    )
    .expect("template");
}

/// Write chart `name` `version` under `work` and package it with Helm into `dest`;
/// returns the archive's path.
pub fn package_chart(work: &Path, dest: &Path, name: &str, version: &str) -> PathBuf {
    let dir = work.join(format!("{name}-{version}")).join(name);
    write_chart(&dir, name, version, "");
    std::fs::create_dir_all(dest).expect("package destination");
    let out = helm_sdk("package", json!({"dir": dir, "dest": dest})).expect("helm package");
    PathBuf::from(out.as_str().expect("helm package returns the archive path"))
}
