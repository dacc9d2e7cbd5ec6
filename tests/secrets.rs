//! Integration tests: secrets. Interop with the real `sops` and `age-keygen`
//! both ways, a moto KMS for AWS KMS keys, and the failure modes (tampering,
//! MAC swap, not-SOPS, no key) checked for plaintext leaks.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::harness::{berth, clean_env, require_tool, tempdir};
use crate::support::kms::MotoKms;

const PLAIN: &str = "# top comment
db:
    # the password
    password: hunter2-SECRET
    port: 5432
    ratio: 1.5
    enabled: true
    off: false
    nothing: null
    empty: \"\"
    quoted_num: \"123\"
users:
    - name: alice-SECRET
      roles:
        - admin
        - dev
    # second user
    - name: bob-SECRET
      token: tok-SECRET # inline comment
motd: |
    multi-line SECRET
    ünïcödé ☃
api_unencrypted: visible-value
";

pub(crate) struct Keys {
    pub(crate) recipients: Vec<String>,
    pub(crate) files: Vec<PathBuf>,
}

pub(crate) fn age_keys(dir: &Path, n: usize) -> Keys {
    let keygen = require_tool("age-keygen");
    let mut keys = Keys {
        recipients: Vec::new(),
        files: Vec::new(),
    };
    for i in 0..n {
        let file = dir.join(format!("key{i}.txt"));
        let out = Command::new(&keygen)
            .arg("-o")
            .arg(&file)
            .output()
            .expect("age-keygen");
        assert!(out.status.success(), "age-keygen failed");
        let text = std::fs::read_to_string(&file).unwrap();
        let r = text
            .lines()
            .find_map(|l| l.strip_prefix("# public key: "))
            .expect("public key line")
            .to_string();
        keys.recipients.push(r);
        keys.files.push(file);
    }
    keys
}

/// Concatenate identity files into one (to offer several identities).
fn key_file(dir: &Path, name: &str, files: &[&PathBuf]) -> PathBuf {
    let text: String = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

pub(crate) fn sops(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Output {
    let mut cmd = Command::new(require_tool("sops"));
    clean_env(&mut cmd, dir);
    cmd.current_dir(dir).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run sops")
}

pub(crate) fn sops_ok(dir: &Path, args: &[&str], env: &[(&str, String)]) -> String {
    let out = sops(dir, args, env);
    assert!(
        out.status.success(),
        "sops {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub(crate) fn keyenv(file: &Path) -> Vec<(&'static str, String)> {
    vec![("SOPS_AGE_KEY_FILE", file.display().to_string())]
}

pub(crate) fn berth_run(
    dir: &Path,
    args: &[&str],
    env: &[(&str, String)],
) -> crate::support::harness::RunOutput {
    let mut run = berth(dir).args(args);
    for (k, v) in env {
        run = run.env(k, v);
    }
    run.output()
}

fn secrets_in(s: &str) -> Vec<&str> {
    [
        "hunter2",
        "alice-SECRET",
        "bob-SECRET",
        "tok-SECRET",
        "multi-line SECRET",
    ]
    .into_iter()
    .filter(|n| s.contains(n))
    .collect()
}

#[test]
fn sops_encrypts_berth_decrypts_identically() {
    let t = tempdir();
    let d = t.path();
    let k = age_keys(d, 1);
    std::fs::write(d.join("s.yaml"), PLAIN).unwrap();
    let enc = sops_ok(d, &["encrypt", "--age", &k.recipients[0], "s.yaml"], &[]);
    assert!(secrets_in(&enc).is_empty(), "sops left plaintext");
    assert!(enc.contains("visible-value"));
    std::fs::write(d.join("e.yaml"), &enc).unwrap();
    let env = keyenv(&k.files[0]);
    let by_sops = sops_ok(d, &["decrypt", "e.yaml"], &env);
    let out = berth_run(d, &["secrets", "decrypt", "e.yaml"], &env);
    out.assert_code(0);
    assert_eq!(out.stdout(), by_sops, "berth and sops decrypt differently");
    assert!(out.stdout().contains("# the password"));
    assert!(out.stdout().contains("ünïcödé ☃"));
}

#[test]
fn berth_encrypts_sops_decrypts_identically() {
    let t = tempdir();
    let d = t.path();
    let k = age_keys(d, 1);
    std::fs::write(d.join("s.yaml"), PLAIN).unwrap();
    let env = keyenv(&k.files[0]);
    let out = berth_run(
        d,
        &["secrets", "encrypt", "--age", &k.recipients[0], "s.yaml"],
        &[],
    );
    out.assert_code(0);
    assert!(
        secrets_in(&out.stdout()).is_empty(),
        "berth left plaintext:\n{}",
        out.stdout()
    );
    assert!(
        out.stdout().contains("type:comment"),
        "comments are encrypted"
    );
    std::fs::write(d.join("b.yaml"), out.stdout()).unwrap();
    let enc_by_sops = sops_ok(d, &["encrypt", "--age", &k.recipients[0], "s.yaml"], &[]);
    std::fs::write(d.join("e.yaml"), enc_by_sops).unwrap();
    assert_eq!(
        sops_ok(d, &["decrypt", "b.yaml"], &env),
        sops_ok(d, &["decrypt", "e.yaml"], &env)
    );
    // In place: the file itself is replaced.
    berth_run(
        d,
        &[
            "secrets",
            "encrypt",
            "-i",
            "--age",
            &k.recipients[0],
            "s.yaml",
        ],
        &[],
    )
    .assert_code(0);
    assert!(sops_ok(d, &["decrypt", "s.yaml"], &env).contains("hunter2-SECRET"));
}

#[test]
fn encrypted_regex_and_unencrypted_suffix_interop() {
    let t = tempdir();
    let d = t.path();
    let k = age_keys(d, 1);
    let env = keyenv(&k.files[0]);
    let plain = "app:\n    password: p-SECRET\n    host: db.local\nlist:\n    - password: q-SECRET\n      user: bob\nkey_unencrypted: shown\n";
    std::fs::write(d.join("s.yaml"), plain).unwrap();
    // berth with encrypted_regex → sops
    let out = berth_run(
        d,
        &[
            "secrets",
            "encrypt",
            "--age",
            &k.recipients[0],
            "--encrypted-regex",
            "^password$",
            "s.yaml",
        ],
        &[],
    );
    out.assert_code(0);
    let enc = out.stdout();
    assert!(enc.contains("host: db.local") && enc.contains("user: bob"));
    assert!(!enc.contains("p-SECRET") && !enc.contains("q-SECRET"));
    assert!(enc.contains("encrypted_regex: ^password$"));
    std::fs::write(d.join("b.yaml"), &enc).unwrap();
    assert_eq!(sops_ok(d, &["decrypt", "b.yaml"], &env), plain);
    // berth with mac_only_encrypted → sops
    let out = berth_run(
        d,
        &[
            "secrets",
            "encrypt",
            "--age",
            &k.recipients[0],
            "--encrypted-regex",
            "^password$",
            "--mac-only-encrypted",
            "s.yaml",
        ],
        &[],
    );
    out.assert_code(0);
    assert!(out.stdout().contains("mac_only_encrypted: true"));
    std::fs::write(d.join("mo.yaml"), out.stdout()).unwrap();
    assert_eq!(sops_ok(d, &["decrypt", "mo.yaml"], &env), plain);
    // sops with encrypted_regex, unencrypted_suffix, mac_only_encrypted → berth
    for flags in [
        vec!["--encrypted-regex", "^password$"],
        vec!["--unencrypted-suffix", "_unencrypted"],
    ] {
        let mut args = vec!["encrypt", "--age", &k.recipients[0]];
        args.extend(flags.iter().copied());
        args.push("s.yaml");
        std::fs::write(d.join("e.yaml"), sops_ok(d, &args, &[])).unwrap();
        let out = berth_run(d, &["secrets", "decrypt", "e.yaml"], &env);
        out.assert_code(0);
        assert_eq!(out.stdout(), plain);
    }
    // sops with mac_only_encrypted (a .sops.yaml option only) → berth
    std::fs::write(
        d.join(".sops.yaml"),
        format!(
            "creation_rules:\n  - age: {}\n    encrypted_regex: ^password$\n    mac_only_encrypted: true\n",
            k.recipients[0]
        ),
    )
    .unwrap();
    let enc = sops_ok(d, &["encrypt", "s.yaml"], &[]);
    assert!(enc.contains("mac_only_encrypted: true"));
    std::fs::write(d.join("e.yaml"), enc).unwrap();
    let out = berth_run(d, &["secrets", "decrypt", "e.yaml"], &env);
    out.assert_code(0);
    assert_eq!(out.stdout(), plain);
}

#[test]
fn json_files_interop() {
    let t = tempdir();
    let d = t.path();
    let k = age_keys(d, 1);
    let env = keyenv(&k.files[0]);
    let plain = "{\n\t\"a\": 5,\n\t\"b\": 1.5,\n\t\"c\": \"x-SECRET\",\n\t\"d\": [\n\t\t1,\n\t\t{\n\t\t\t\"e\": true\n\t\t}\n\t],\n\t\"f\": null\n}\n";
    std::fs::write(d.join("s.json"), plain).unwrap();
    let out = berth_run(
        d,
        &["secrets", "encrypt", "--age", &k.recipients[0], "s.json"],
        &[],
    );
    out.assert_code(0);
    assert!(!out.stdout().contains("x-SECRET"));
    std::fs::write(d.join("b.json"), out.stdout()).unwrap();
    let by_sops = sops_ok(d, &["decrypt", "b.json"], &env);
    std::fs::write(
        d.join("e.json"),
        sops_ok(d, &["encrypt", "--age", &k.recipients[0], "s.json"], &[]),
    )
    .unwrap();
    let out = berth_run(d, &["secrets", "decrypt", "e.json"], &env);
    out.assert_code(0);
    assert_eq!(out.stdout().trim_end(), by_sops.trim_end());
    assert!(by_sops.contains("\"c\": \"x-SECRET\""));
}

fn shamir_config(d: &Path, k: &Keys) {
    let cfg = format!(
        "creation_rules:\n  - path_regex: .*\\.yaml$\n    shamir_threshold: 2\n    key_groups:\n      - age: [{}]\n      - age: [{}]\n      - age: [{}]\n",
        k.recipients[0], k.recipients[1], k.recipients[2]
    );
    std::fs::write(d.join(".sops.yaml"), cfg).unwrap();
}

#[test]
fn shamir_two_of_three_with_two_identities() {
    let t = tempdir();
    let d = t.path();
    let k = age_keys(d, 3);
    shamir_config(d, &k);
    std::fs::write(d.join("s.yaml"), "a: shamir-SECRET\nb: 2\n").unwrap();
    let two = key_file(d, "two.txt", &[&k.files[0], &k.files[2]]);
    let one = key_file(d, "one.txt", &[&k.files[1]]);
    // sops splits, berth combines with only two identities present.
    std::fs::write(d.join("e.yaml"), sops_ok(d, &["encrypt", "s.yaml"], &[])).unwrap();
    let out = berth_run(d, &["secrets", "decrypt", "e.yaml"], &keyenv(&two));
    out.assert_code(0);
    assert_eq!(out.stdout(), "a: shamir-SECRET\nb: 2\n");
    // One identity is not enough: refused, listing what was tried.
    let out = berth_run(d, &["secrets", "decrypt", "e.yaml"], &keyenv(&one));
    out.assert_code(1);
    out.assert_stderr_contains(&["no key could decrypt", "Shamir", &k.recipients[0]]);
    out.assert_never_printed(&["shamir-SECRET"]);
    // berth splits from .sops.yaml rules, sops combines with two identities.
    let out = berth_run(d, &["secrets", "encrypt", "s.yaml"], &[]);
    out.assert_code(0);
    assert!(out.stdout().contains("key_groups:") && out.stdout().contains("shamir_threshold: 2"));
    std::fs::write(d.join("b.yaml"), out.stdout()).unwrap();
    let two_b = key_file(d, "two_b.txt", &[&k.files[1], &k.files[2]]);
    assert_eq!(
        sops_ok(d, &["decrypt", "b.yaml"], &keyenv(&two_b)),
        "a: shamir-SECRET\nb: 2\n"
    );
}

#[test]
fn rotate_and_set_results_open_in_sops() {
    let t = tempdir();
    let d = t.path();
    let k = age_keys(d, 1);
    let env = keyenv(&k.files[0]);
    std::fs::write(d.join("s.yaml"), PLAIN).unwrap();
    std::fs::write(
        d.join("e.yaml"),
        sops_ok(d, &["encrypt", "--age", &k.recipients[0], "s.yaml"], &[]),
    )
    .unwrap();
    let before = std::fs::read_to_string(d.join("e.yaml")).unwrap();
    berth_run(d, &["secrets", "rotate", "-i", "e.yaml"], &env).assert_code(0);
    let after = std::fs::read_to_string(d.join("e.yaml")).unwrap();
    let enc_line = |s: &str| {
        s.lines()
            .find(|l| l.contains("password:"))
            .unwrap()
            .to_string()
    };
    assert_ne!(enc_line(&before), enc_line(&after), "values re-encrypted");
    let plain_sops = sops_ok(d, &["decrypt", "e.yaml"], &env);
    assert!(plain_sops.contains("password: hunter2-SECRET"));
    let out = berth_run(
        d,
        &["secrets", "set", "e.yaml", "db.password", "new-SECRET"],
        &env,
    );
    out.assert_code(0);
    out.assert_never_printed(&["new-SECRET"]);
    berth_run(
        d,
        &["secrets", "set", "e.yaml", "[\"users\"][1][\"token\"]", "7"],
        &env,
    )
    .assert_code(0);
    let plain_sops = sops_ok(d, &["decrypt", "e.yaml"], &env);
    assert!(plain_sops.contains("password: new-SECRET"), "{plain_sops}");
    assert!(plain_sops.contains("token: 7"), "{plain_sops}");
}

pub(crate) fn editor_script(d: &Path, name: &str, body: &str) -> String {
    let p = d.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    p.display().to_string()
}

pub(crate) fn leftover_temp(tmp: &Path) -> Vec<String> {
    std::fs::read_dir(tmp)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("berth-edit-"))
        .collect()
}

#[test]
fn edit_with_scripted_editor() {
    let t = tempdir();
    let d = t.path();
    let tmp = d.join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let k = age_keys(d, 1);
    let mut env = keyenv(&k.files[0]);
    env.push(("TMPDIR", tmp.display().to_string()));
    std::fs::write(d.join("s.yaml"), PLAIN).unwrap();
    std::fs::write(
        d.join("e.yaml"),
        sops_ok(d, &["encrypt", "--age", &k.recipients[0], "s.yaml"], &[]),
    )
    .unwrap();
    let original = std::fs::read(d.join("e.yaml")).unwrap();

    // Unchanged: nothing rewritten.
    let mut e = env.clone();
    e.push(("EDITOR", editor_script(d, "noop.sh", "exit 0")));
    let out = berth_run(d, &["secrets", "edit", "e.yaml"], &e);
    out.assert_code(0);
    assert_eq!(std::fs::read(d.join("e.yaml")).unwrap(), original);

    // Invalid YAML without a terminal: fails, original kept, never waits.
    let mut e = env.clone();
    e.push((
        "EDITOR",
        editor_script(d, "bad.sh", "printf 'a: [unclosed\\n' > \"$1\""),
    ));
    let out = berth_run(d, &["secrets", "edit", "e.yaml"], &e);
    out.assert_code(1);
    out.assert_stderr_contains(&["invalid", "line"]);
    assert_eq!(std::fs::read(d.join("e.yaml")).unwrap(), original);

    // Editor failure: original kept.
    let mut e = env.clone();
    e.push((
        "EDITOR",
        editor_script(d, "fail.sh", "echo 'x: y' > \"$1\"; exit 3"),
    ));
    berth_run(d, &["secrets", "edit", "e.yaml"], &e).assert_code(1);
    assert_eq!(std::fs::read(d.join("e.yaml")).unwrap(), original);

    // A real edit (VISUAL wins over EDITOR): sops opens the result.
    let mut e = env.clone();
    e.push(("EDITOR", editor_script(d, "fail2.sh", "exit 1")));
    e.push((
        "VISUAL",
        editor_script(
            d,
            "sed.sh",
            "sed -i 's/hunter2-SECRET/changed-SECRET/' \"$1\"",
        ),
    ));
    let out = berth_run(d, &["secrets", "edit", "e.yaml"], &e);
    out.assert_code(0);
    out.assert_never_printed(&["changed-SECRET", "hunter2"]);
    let plain = sops_ok(d, &["decrypt", "e.yaml"], &env);
    assert!(plain.contains("password: changed-SECRET"));
    assert!(plain.contains("# the password"), "comments survive an edit");
    assert!(
        leftover_temp(&tmp).is_empty(),
        "temp dir left behind: {:?}",
        leftover_temp(&tmp)
    );
}

#[test]
fn edit_creates_new_file_from_sops_yaml_rules() {
    let t = tempdir();
    let d = t.path();
    let tmp = d.join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let k = age_keys(d, 2);
    std::fs::write(
        d.join(".sops.yaml"),
        format!(
            "creation_rules:\n  - path_regex: other/.*\n    age: {}\n  - path_regex: secrets/.*\\.yaml$\n    age: {}\n    encrypted_regex: ^pw$\n",
            k.recipients[0], k.recipients[1]
        ),
    )
    .unwrap();
    std::fs::create_dir(d.join("secrets")).unwrap();
    let env = vec![
        ("TMPDIR", tmp.display().to_string()),
        (
            "EDITOR",
            editor_script(
                d,
                "w.sh",
                "printf 'pw: new-SECRET\\nname: plain\\n' > \"$1\"",
            ),
        ),
    ];
    let out = berth_run(d, &["secrets", "edit", "secrets/new.yaml"], &env);
    out.assert_code(0);
    let enc = std::fs::read_to_string(d.join("secrets/new.yaml")).unwrap();
    assert!(enc.contains(&k.recipients[1]) && !enc.contains(&k.recipients[0]));
    assert!(enc.contains("name: plain") && !enc.contains("new-SECRET"));
    let plain = sops_ok(d, &["decrypt", "secrets/new.yaml"], &keyenv(&k.files[1]));
    assert_eq!(plain, "pw: new-SECRET\nname: plain\n");
    assert!(leftover_temp(&tmp).is_empty());
}

#[test]
fn tampering_and_swapped_mac_are_refused_without_plaintext() {
    let t = tempdir();
    let d = t.path();
    let k = age_keys(d, 1);
    let env = keyenv(&k.files[0]);
    std::fs::write(d.join("s.yaml"), PLAIN).unwrap();
    let enc = sops_ok(d, &["encrypt", "--age", &k.recipients[0], "s.yaml"], &[]);
    let other = sops_ok(d, &["encrypt", "--age", &k.recipients[0], "s.yaml"], &[]);

    // Flip one character of an encrypted value's data.
    let line = enc.lines().find(|l| l.contains("password: ENC[")).unwrap();
    let data_at = line.find("data:").unwrap() + 5;
    let mut bytes = line.as_bytes().to_vec();
    bytes[data_at] = if bytes[data_at] == b'A' { b'B' } else { b'A' };
    let tampered = enc.replace(line, std::str::from_utf8(&bytes).unwrap());
    std::fs::write(d.join("t.yaml"), tampered).unwrap();
    let out = berth_run(d, &["secrets", "decrypt", "t.yaml"], &env);
    out.assert_code(1);
    out.assert_stderr_contains(&["t.yaml", "db.password", "authentication failed"]);
    out.assert_never_printed(&["hunter2", "alice-SECRET", "bob-SECRET", "tok-SECRET"]);

    // The MAC of another encryption of the same file.
    let mac = |s: &str| {
        s.lines()
            .find(|l| l.trim_start().starts_with("mac:"))
            .unwrap()
            .to_string()
    };
    let swapped = enc.replace(&mac(&enc), &mac(&other));
    std::fs::write(d.join("m.yaml"), swapped).unwrap();
    let out = berth_run(d, &["secrets", "decrypt", "m.yaml"], &env);
    out.assert_code(1);
    out.assert_stderr_contains(&["MAC mismatch"]);
    out.assert_never_printed(&["hunter2", "alice-SECRET", "bob-SECRET", "tok-SECRET"]);

    // A value moved to another key: its path (additional data) no longer matches.
    let pw = enc
        .lines()
        .find(|l| l.contains("password: ENC["))
        .unwrap()
        .trim()
        .trim_start_matches("password: ")
        .to_string();
    let moved = enc.replacen("port: ENC[", &format!("port: {pw} #"), 1);
    std::fs::write(d.join("mv.yaml"), &moved).unwrap();
    let out = berth_run(d, &["secrets", "decrypt", "mv.yaml"], &env);
    out.assert_code(1);
    out.assert_never_printed(&["hunter2"]);

    // Not a SOPS file.
    let out = berth_run(d, &["secrets", "decrypt", "s.yaml"], &env);
    out.assert_code(1);
    out.assert_stderr_contains(&["is not a SOPS-encrypted file"]);
    out.assert_never_printed(&["hunter2"]);
}

#[test]
fn no_key_lists_every_source_tried() {
    let t = tempdir();
    let d = t.path();
    let k = age_keys(d, 2);
    std::fs::write(d.join("s.yaml"), "a: x-SECRET\n").unwrap();
    std::fs::write(
        d.join("e.yaml"),
        sops_ok(d, &["encrypt", "--age", &k.recipients[0], "s.yaml"], &[]),
    )
    .unwrap();
    let out = berth_run(d, &["secrets", "decrypt", "e.yaml"], &keyenv(&k.files[1]));
    out.assert_code(1);
    out.assert_stderr_contains(&[
        "no key could decrypt",
        &format!("age recipient {}", k.recipients[0]),
        &format!("SOPS_AGE_KEY_FILE={}", k.files[1].display()),
        "sops/age/keys.txt",
    ]);
    out.assert_never_printed(&["x-SECRET"]);
    // SOPS_AGE_KEY and the default key path are read too.
    let key = std::fs::read_to_string(&k.files[0]).unwrap();
    let out = berth_run(
        d,
        &["secrets", "decrypt", "e.yaml"],
        &[("SOPS_AGE_KEY", key.clone())],
    );
    out.assert_code(0);
    let home_keys = d.join(".home/.config/sops/age");
    std::fs::create_dir_all(&home_keys).unwrap();
    std::fs::write(home_keys.join("keys.txt"), key).unwrap();
    berth_run(d, &["secrets", "decrypt", "e.yaml"], &[]).assert_code(0);
}

#[test]
fn updatekeys_rewraps_for_sops_yaml_recipients() {
    let t = tempdir();
    let d = t.path();
    let k = age_keys(d, 2);
    std::fs::write(d.join("s.yaml"), "a: x-SECRET\n").unwrap();
    std::fs::write(
        d.join("e.yaml"),
        sops_ok(d, &["encrypt", "--age", &k.recipients[0], "s.yaml"], &[]),
    )
    .unwrap();
    std::fs::write(
        d.join(".sops.yaml"),
        format!(
            "creation_rules:\n  - age: {},{}\n",
            k.recipients[0], k.recipients[1]
        ),
    )
    .unwrap();
    // Without a terminal and without -y: refused, naming --yes.
    let out = berth_run(
        d,
        &["secrets", "updatekeys", "e.yaml"],
        &keyenv(&k.files[0]),
    );
    out.assert_code(1);
    out.assert_stderr_contains(&["--yes"]);
    let out = berth_run(
        d,
        &["secrets", "updatekeys", "-y", "e.yaml"],
        &keyenv(&k.files[0]),
    );
    out.assert_code(0);
    out.assert_stderr_contains(&[&k.recipients[1]]);
    assert_eq!(
        sops_ok(d, &["decrypt", "e.yaml"], &keyenv(&k.files[1])),
        "a: x-SECRET\n"
    );
}

#[test]
fn kms_keys_interop_through_moto_with_and_without_context() {
    let kms = MotoKms::start();
    let arn = kms.create_key();
    let t = tempdir();
    let d = t.path();
    let env = kms.env();
    std::fs::write(d.join("s.yaml"), "a: kms-SECRET\nnum: 3\n").unwrap();
    for ctx in [None, Some("team:data,env:prod")] {
        // sops → berth
        let mut args = vec!["encrypt", "--kms", arn.as_str()];
        if let Some(c) = ctx {
            args.extend(["--encryption-context", c]);
        }
        args.push("s.yaml");
        let enc = sops_ok(d, &args, &env);
        if ctx.is_some() {
            assert!(enc.contains("team: data"), "{enc}");
        }
        std::fs::write(d.join("e.yaml"), enc).unwrap();
        let out = berth_run(d, &["secrets", "decrypt", "e.yaml"], &env);
        out.assert_code(0);
        assert_eq!(out.stdout(), "a: kms-SECRET\nnum: 3\n");
        // berth → sops
        let mut args = vec!["secrets", "encrypt", "--kms", arn.as_str()];
        if let Some(c) = ctx {
            args.extend(["--encryption-context", c]);
        }
        args.push("s.yaml");
        let out = berth_run(d, &args, &env);
        out.assert_code(0);
        std::fs::write(d.join("b.yaml"), out.stdout()).unwrap();
        assert_eq!(
            sops_ok(d, &["decrypt", "b.yaml"], &env),
            "a: kms-SECRET\nnum: 3\n"
        );
    }
    // A role to assume (STS at the same endpoint), both ways.
    let with_role = format!("{arn}+arn:aws:iam::123456789012:role/deploy");
    let enc = sops_ok(d, &["encrypt", "--kms", &with_role, "s.yaml"], &env);
    assert!(enc.contains("role: arn:aws:iam::123456789012:role/deploy"));
    std::fs::write(d.join("r.yaml"), enc).unwrap();
    let out = berth_run(d, &["secrets", "decrypt", "r.yaml"], &env);
    out.assert_code(0);
    assert_eq!(out.stdout(), "a: kms-SECRET\nnum: 3\n");
    let out = berth_run(
        d,
        &["secrets", "encrypt", "--kms", &with_role, "s.yaml"],
        &env,
    );
    out.assert_code(0);
    std::fs::write(d.join("rb.yaml"), out.stdout()).unwrap();
    assert_eq!(
        sops_ok(d, &["decrypt", "rb.yaml"], &env),
        "a: kms-SECRET\nnum: 3\n"
    );
    // A wrong encryption context is refused by KMS and reported per key.
    let enc = std::fs::read_to_string(d.join("b.yaml")).unwrap();
    std::fs::write(d.join("w.yaml"), enc.replace("team: data", "team: other")).unwrap();
    let out = berth_run(d, &["secrets", "decrypt", "w.yaml"], &env);
    out.assert_code(1);
    out.assert_stderr_contains(&["no key could decrypt", &format!("kms {arn}")]);
    out.assert_never_printed(&["kms-SECRET"]);
    // KMS failures read as messages, never as the SDK's Debug dumps: a
    // refused context, and an endpoint where nothing listens.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut dead_env = env.clone();
    dead_env.retain(|(k, _)| *k != "AWS_ENDPOINT_URL");
    dead_env.push(("AWS_ENDPOINT_URL", dead));
    let unreachable = berth_run(d, &["secrets", "decrypt", "b.yaml"], &dead_env);
    unreachable.assert_code(1);
    unreachable.assert_stderr_contains(&["no key could decrypt", "dispatch failure"]);
    for o in [&out, &unreachable] {
        o.assert_never_printed(&["kms-SECRET", "DispatchFailure", "ConnectorError", "{ "]);
    }
}

#[test]
fn demo_workspace_secrets_decrypt_byte_identical_to_sops() {
    // Regression: hex-looking strings starting with a digit were quoted.
    let t = tempdir();
    let d = t.path();
    let src = crate::support::harness::repo_root().join("secrets");
    let key = src.join("demo.agekey");
    for name in ["jupyter.yaml", "naas.yaml"] {
        std::fs::copy(src.join(name), d.join(name)).unwrap();
        let env = keyenv(&key);
        let by_sops = sops_ok(d, &["decrypt", name], &env);
        let out = berth_run(d, &["secrets", "decrypt", name], &env);
        out.assert_code(0);
        assert_eq!(out.stdout(), by_sops, "{name}");
    }
}

#[test]
fn edit_interrupted_by_ctrl_c_leaves_original_and_no_temp() {
    use std::os::unix::process::CommandExt;
    let t = tempdir();
    let d = t.path();
    let tmp = d.join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let k = age_keys(d, 1);
    std::fs::write(d.join("s.yaml"), PLAIN).unwrap();
    std::fs::write(
        d.join("e.yaml"),
        sops_ok(d, &["encrypt", "--age", &k.recipients[0], "s.yaml"], &[]),
    )
    .unwrap();
    let original = std::fs::read(d.join("e.yaml")).unwrap();
    // The "editor" changes the text, then Ctrl-C hits the whole process group
    // (as a terminal does) while it is still open.
    let editor = editor_script(
        d,
        "ctrlc.sh",
        "sed -i 's/hunter2-SECRET/changed-SECRET/' \"$1\"\nkill -INT -$(cut -d' ' -f5 /proc/$$/stat)\nsleep 1",
    );
    let mut run = berth(d)
        .args(["secrets", "edit", "e.yaml"])
        .env("SOPS_AGE_KEY_FILE", &k.files[0])
        .env("TMPDIR", &tmp)
        .env("EDITOR", editor);
    run.command().process_group(0);
    let out = run.output();
    out.assert_code(1);
    out.assert_stderr_contains(&["e.yaml"]);
    out.assert_never_printed(&["hunter2", "changed-SECRET"]);
    assert_eq!(std::fs::read(d.join("e.yaml")).unwrap(), original);
    assert!(
        leftover_temp(&tmp).is_empty(),
        "temp left: {:?}",
        leftover_temp(&tmp)
    );
}

#[test]
fn decrypt_values_works_inside_a_tokio_runtime_with_kms() {
    // The render path calls decrypt_values from async code; KMS needs its own runtime.
    let kms = MotoKms::start();
    let arn = kms.create_key();
    let t = tempdir();
    let d = t.path();
    std::fs::write(
        d.join("s.yaml"),
        "db:\n    password: kms-SECRET\n    port: 5432\n",
    )
    .unwrap();
    let env = kms.env();
    std::fs::write(
        d.join("e.yaml"),
        sops_ok(d, &["encrypt", "--kms", &arn, "s.yaml"], &env),
    )
    .unwrap();
    for (k, v) in &env {
        std::env::set_var(k, v);
    }
    let path = d.join("e.yaml");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let values = rt
        .block_on(async { berth::secrets::decrypt_values(&path) })
        .unwrap();
    assert_eq!(values["db"]["password"], "kms-SECRET");
    assert_eq!(values["db"]["port"], 5432);
    // And outside any runtime.
    let values = berth::secrets::decrypt_values(&path).unwrap();
    assert_eq!(values["db"]["password"], "kms-SECRET");
}

/// `secrets edit` on a terminal (a pseudo-terminal from util-linux `script`): invalid
/// YAML is reported with its position, the user is asked, and the editor reopens on
/// the user's own text; the fixed text is saved and the temp dir is gone.
#[test]
fn edit_on_a_terminal_reopens_the_editor_with_the_users_text() {
    use std::io::{Read, Write};
    use std::process::Stdio;

    let t = tempdir();
    let d = t.path();
    let tmp = d.join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let k = age_keys(d, 1);
    std::fs::write(d.join("s.yaml"), "a: 1\n").unwrap();
    std::fs::write(
        d.join("e.yaml"),
        sops_ok(d, &["encrypt", "--age", &k.recipients[0], "s.yaml"], &[]),
    )
    .unwrap();
    // First run: a typo. Second run: only if the typo is still there (the user's
    // text came back), fix it.
    let count = d.join("count");
    let editor = editor_script(
        d,
        "typo.sh",
        &format!(
            "n=$(cat {c} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {c}\n\
             if [ $n = 1 ]; then printf 'a: [2\\nb: 3\\n' > \"$1\"; \
             elif grep -q '^a: \\[2' \"$1\"; then printf 'a: 2\\nb: 3\\n' > \"$1\"; fi",
            c = count.display()
        ),
    );

    let berth = crate::support::harness::berth_bin();
    let mut cmd = Command::new(require_tool("script"));
    clean_env(&mut cmd, d);
    cmd.current_dir(d)
        .env("SOPS_AGE_KEY_FILE", &k.files[0])
        .env("EDITOR", &editor)
        .env("TMPDIR", &tmp)
        .args(["-q", "-e", "-c"])
        .arg(format!("{} secrets edit e.yaml", berth.display()))
        .arg("/dev/null")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn script");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = child.stdout.take().expect("stdout");
    // Answer the prompt once it shows; keep stdin open until the session ends.
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !String::from_utf8_lossy(&seen).contains("Reopen the editor") {
        assert!(
            std::time::Instant::now() < deadline,
            "no prompt: {}",
            String::from_utf8_lossy(&seen)
        );
        let n = stdout.read(&mut buf).expect("read pty output");
        assert!(
            n > 0,
            "session ended before the prompt: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..n]);
    }
    stdin.write_all(b"y\n").expect("answer");
    stdout.read_to_end(&mut seen).expect("rest of output");
    drop(stdin);
    let status = child.wait().expect("wait for script");
    let shown = String::from_utf8_lossy(&seen).into_owned();
    assert!(status.success(), "edit on a terminal failed: {shown}");
    assert!(
        shown.contains("line 2"),
        "the position of the error is named: {shown}"
    );
    assert_eq!(
        std::fs::read_to_string(&count).unwrap().trim(),
        "2",
        "{shown}"
    );
    let plain = sops_ok(d, &["decrypt", "e.yaml"], &keyenv(&k.files[0]));
    assert_eq!(plain, "a: 2\nb: 3\n");
    assert!(leftover_temp(&tmp).is_empty(), "temp dir left behind");
}
