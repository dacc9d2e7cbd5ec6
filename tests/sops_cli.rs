//! Integration tests: `berth sops`, sops 3.11's command line. Every store and
//! flag is checked against the real `sops` both ways (berth writes, sops
//! reads; sops writes, berth reads), encrypted layouts are compared byte for
//! byte with the random parts (ciphertexts, wrapped keys, timestamps) masked,
//! and exit codes and messages are compared with sops' own.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::secrets::{age_keys, Keys};
use crate::support::harness::{berth_bin, clean_env, require_tool, tempdir};

/// Which implementation runs.
#[derive(Clone, Copy, Debug)]
enum Impl {
    Sops,
    Berth,
}

const BOTH: [Impl; 2] = [Impl::Sops, Impl::Berth];

struct Env {
    _t: tempfile::TempDir,
    dir: PathBuf,
    keys: Keys,
}

impl Env {
    fn new() -> Env {
        let t = tempdir();
        let dir = t.path().to_path_buf();
        let keys = age_keys(&dir, 2);
        Env { _t: t, dir, keys }
    }

    fn recipient(&self) -> &str {
        &self.keys.recipients[0]
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).unwrap()
    }

    fn cmd(&self, which: Impl, args: &[&str]) -> Command {
        let mut cmd = match which {
            Impl::Sops => Command::new(require_tool("sops")),
            Impl::Berth => {
                let mut c = Command::new(berth_bin());
                c.arg("sops");
                c
            }
        };
        clean_env(&mut cmd, &self.dir);
        cmd.current_dir(&self.dir)
            .args(args)
            .env("SOPS_AGE_KEY_FILE", &self.keys.files[0]);
        cmd
    }

    fn run(&self, which: Impl, args: &[&str]) -> Output {
        self.cmd(which, args).output().expect("run")
    }

    fn run_stdin(&self, which: Impl, args: &[&str], input: &str) -> Output {
        let mut child = self
            .cmd(which, args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    fn ok(&self, which: Impl, args: &[&str]) -> String {
        let out = self.run(which, args);
        assert!(
            out.status.success(),
            "{which:?} sops {args:?} failed ({:?}): {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

/// Mask what is random in an encrypted file: ciphertexts, wrapped data keys,
/// the timestamp.
fn mask(text: &str) -> String {
    let enc = regex::Regex::new(r"ENC\[AES256_GCM,data:[^\]]*\]").unwrap();
    let age = regex::Regex::new(
        r"(?s)-----BEGIN AGE ENCRYPTED FILE-----.*?-----END AGE ENCRYPTED FILE-----",
    )
    .unwrap();
    let time = regex::Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").unwrap();
    let s = enc.replace_all(text, "ENC[…]");
    let s = age.replace_all(&s, "AGE");
    time.replace_all(&s, "TIME").into_owned()
}

const STORES: &[(&str, &str)] = &[
    (
        "s.yaml",
        "# top\ndb:\n    password: hunter2\n    port: 5432\n    list:\n        - a\n        - 1.5\nmotd: |\n    two\n    lines\nflag: true\n",
    ),
    (
        "s.json",
        "{\n\t\"password\": \"hunter2\",\n\t\"n\": 12,\n\t\"nested\": {\n\t\t\"a\": [1, \"x\", true]\n\t}\n}\n",
    ),
    ("s.env", "# comment\nPASSWORD=hunter2\nMULTI=a\\nb\nEMPTY=\nURL=https://x?a=b\n"),
    ("s.ini", "[db]\npassword = hunter2\nport = 5432\n\n[other]\nkey = value\n"),
    ("s.bin", "\"\"{}this_is_binary_data\nline two\n"),
];

/// Every store: what berth encrypts sops decrypts, what sops encrypts berth
/// decrypts, both give the same plaintext, and the encrypted layouts are the
/// same byte for byte once the random parts are masked.
#[test]
fn every_store_interoperates_both_ways() {
    let e = Env::new();
    for (name, plain) in STORES {
        e.write(name, plain);
        let by_sops = e.ok(Impl::Sops, &["encrypt", "--age", e.recipient(), name]);
        let by_berth = e.ok(Impl::Berth, &["encrypt", "--age", e.recipient(), name]);
        assert!(!by_berth.contains("hunter2"), "{name}: plaintext left");
        if name.ends_with(".ini") {
            // sops writes the [sops] section in Go map order (random); compare the data part.
            let data = |s: &str| s.split("[sops]").next().unwrap_or_default().to_string();
            assert_eq!(mask(&data(&by_berth)), mask(&data(&by_sops)), "{name}");
        } else {
            assert_eq!(mask(&by_berth), mask(&by_sops), "{name}: encrypted layout");
        }
        let enc_sops = format!("sops-{name}");
        let enc_berth = format!("berth-{name}");
        e.write(&enc_sops, &by_sops);
        e.write(&enc_berth, &by_berth);
        let mut outs = Vec::new();
        for which in BOTH {
            for f in [&enc_sops, &enc_berth] {
                outs.push(e.ok(which, &["decrypt", f]));
            }
        }
        for o in &outs {
            assert_eq!(o, &outs[0], "{name}: plaintexts differ");
        }
    }
}

/// `--input-type`/`--output-type` convert between stores exactly as sops does.
#[test]
fn conversions_between_stores_match_sops() {
    let e = Env::new();
    e.write(
        "c.yaml",
        "the_section:\n  int: 123\n  float: 1.23\n  bool: true\n  date: 2025-01-02\n  string: this is a string\n",
    );
    for which in BOTH {
        e.ok(
            which,
            &[
                "encrypt",
                "--age",
                e.recipient(),
                "--output",
                &format!("{which:?}.yaml"),
                "c.yaml",
            ],
        );
    }
    for out in ["json", "ini", "dotenv", "yaml"] {
        let args = |f: &str| {
            vec![
                "decrypt".to_string(),
                "--output-type".into(),
                out.into(),
                f.into(),
            ]
        };
        let results: Vec<String> = BOTH
            .iter()
            .flat_map(|w| {
                ["Sops.yaml", "Berth.yaml"].map(|f| {
                    let a = args(f);
                    let a: Vec<&str> = a.iter().map(String::as_str).collect();
                    e.run(*w, &a)
                })
            })
            .map(|o| {
                format!(
                    "{:?}|{}|{}",
                    o.status.code(),
                    String::from_utf8_lossy(&o.stdout),
                    o.status.success()
                )
            })
            .collect();
        for r in &results {
            assert_eq!(r, &results[0], "--output-type {out}");
        }
    }
    // Encrypting YAML into JSON: the other tool decrypts it back to the same YAML.
    let by_berth = e.ok(
        Impl::Berth,
        &[
            "encrypt",
            "--age",
            e.recipient(),
            "--output-type",
            "json",
            "c.yaml",
        ],
    );
    e.write("conv.json", &by_berth);
    let back = e.ok(
        Impl::Sops,
        &["decrypt", "--output-type", "yaml", "conv.json"],
    );
    let direct = e.ok(Impl::Sops, &["decrypt", "Sops.yaml"]);
    assert_eq!(back, direct);
}

/// stdin with `--filename-override`, `--extract`, `--in-place`, `--output`,
/// `--ignore-mac`: same results and exit codes as sops.
#[test]
fn io_flags_match_sops() {
    let e = Env::new();
    let plain = "a: 1\nmultiline: |\n  multi\n  line\nnested:\n  k: v\n";
    for which in BOTH {
        let out = e.run_stdin(
            which,
            &[
                "encrypt",
                "--age",
                e.recipient(),
                "--filename-override",
                "x.yaml",
                "--output-type",
                "json",
            ],
            plain,
        );
        assert!(
            out.status.success(),
            "{which:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        e.write(
            &format!("{which:?}.json"),
            &String::from_utf8(out.stdout).unwrap(),
        );
    }
    for extract in [
        r#"["multiline"]"#,
        r#"["a"]"#,
        r#"["nested"]"#,
        r#"["missing"]"#,
    ] {
        let got: Vec<(Option<i32>, Vec<u8>)> = BOTH
            .iter()
            .flat_map(|w| {
                ["Sops.json", "Berth.json"].map(|f| {
                    let o = e.run(*w, &["decrypt", "--extract", extract, f]);
                    (o.status.code(), o.stdout)
                })
            })
            .collect();
        for g in &got {
            assert_eq!(g, &got[0], "--extract {extract}");
        }
    }
    // --in-place and --output write files; stdout stays empty.
    for which in BOTH {
        let f = format!("{which:?}.json");
        let out = e.run(which, &["decrypt", "--output", "out.json", &f]);
        assert!(out.status.success() && out.stdout.is_empty());
        assert!(e
            .read("out.json")
            .contains("\"multiline\": \"multi\\nline\\n\""));
        let copy = format!("{which:?}-copy.json");
        e.write(&copy, &e.read(&f));
        e.ok(which, &["decrypt", "-i", &copy]);
        assert!(e.read(&copy).contains("\"a\": 1"));
        let both = e.run(which, &["decrypt", "-i", "--output", "o", &f]);
        assert_eq!(
            both.status.code(),
            Some(8),
            "{which:?}: --in-place with --output"
        );
    }
    // A file without a MAC: refused (51), readable with --ignore-mac.
    let yaml = e.ok(
        Impl::Sops,
        &["decrypt", "--output-type", "yaml", "Sops.json"],
    );
    e.write("p.yaml", &yaml);
    let enc = e.ok(Impl::Berth, &["encrypt", "--age", e.recipient(), "p.yaml"]);
    let no_mac: String = enc
        .lines()
        .filter(|l| !l.trim_start().starts_with("mac:"))
        .map(|l| format!("{l}\n"))
        .collect();
    e.write("nomac.yaml", &no_mac);
    e.write(
        "emptymac.yaml",
        &enc.replace(
            &enc.lines()
                .find(|l| l.trim_start().starts_with("mac:"))
                .unwrap()
                .to_string(),
            "    mac: \"\"",
        ),
    );
    for f in ["nomac.yaml", "emptymac.yaml"] {
        for which in BOTH {
            assert_eq!(
                e.run(which, &["decrypt", f]).status.code(),
                Some(51),
                "{which:?} {f}"
            );
            assert_eq!(
                e.ok(which, &["decrypt", "--ignore-mac", f]),
                yaml,
                "{which:?} {f}"
            );
        }
    }
}

/// `set` (value, `--value-file`, `--value-stdin`, `--idempotent`), `unset`
/// and the legacy `--set`: files each tool writes, the other reads the same.
#[test]
fn set_and_unset_match_sops() {
    let e = Env::new();
    let plain = "{\"a\": 2, \"b\": \"ba\", \"c\": [1, 2]}";
    e.write("value.json", "{\"cc\": \"ccc\"}");
    for which in BOTH {
        let f = format!("{which:?}.json");
        e.write(&f, plain);
        e.ok(which, &["encrypt", "-i", "--age", e.recipient(), &f]);
        e.ok(which, &["set", &f, r#"["a"]"#, r#"{"aa": "aaa"}"#]);
        e.ok(
            which,
            &["set", "--value-file", &f, r#"["d"]"#, "value.json"],
        );
        let out = e.run_stdin(
            which,
            &["set", "--value-stdin", &f, r#"["e"]"#],
            "\"stdin\"",
        );
        assert!(out.status.success());
        let before = e.read(&f);
        e.ok(which, &["set", "--idempotent", &f, r#"["b"]"#, r#""ba""#]);
        assert_eq!(
            before,
            e.read(&f),
            "{which:?}: --idempotent wrote an unchanged file"
        );
        e.ok(which, &["unset", &f, r#"["c"][0]"#]);
        let before = e.read(&f);
        e.ok(which, &["unset", "--idempotent", &f, r#"["zz"]"#]);
        assert_eq!(before, e.read(&f));
        assert_ne!(
            e.run(which, &["unset", &f, r#"["zz"]"#]).status.code(),
            Some(0)
        );
        let bad = e.run(which, &["set", &f, r#"["a"]"#, "not json"]);
        assert_eq!(bad.status.code(), Some(7), "{which:?}: invalid JSON value");
    }
    let s = e.ok(Impl::Sops, &["decrypt", "Berth.json"]);
    let b = e.ok(Impl::Berth, &["decrypt", "Sops.json"]);
    assert_eq!(s, b);
    assert!(s.contains("\"aa\": \"aaa\"") && s.contains("\"stdin\""));
    // Legacy forms: sops -e -i, --set, -d.
    for which in BOTH {
        let f = format!("{which:?}.yaml");
        e.write(&f, "a: 2\nb: ba\n");
        e.ok(which, &["-e", "-i", "--age", e.recipient(), &f]);
        e.ok(which, &["--set", r#"["a"] "aaa""#, "-i", &f]);
        assert_eq!(e.ok(which, &["-d", &f]), "a: aaa\nb: ba\n");
    }
    assert_eq!(
        e.ok(Impl::Sops, &["-d", "Berth.yaml"]),
        e.ok(Impl::Berth, &["-d", "Sops.yaml"])
    );
}

/// Exit codes and messages for bad input are sops' own.
#[test]
fn errors_have_sops_codes_and_messages() {
    let e = Env::new();
    e.write("plain.yaml", "a: 1\n");
    e.write("empty.yaml", "");
    e.write("plain.json", "{\"a\": 1}");
    e.write(
        ".sops.yaml",
        "creation_rules:\n  - path_regex: nokeys\\.yaml$\n  - path_regex: emptygroup\\.yaml$\n    key_groups:\n      - {}\n  - path_regex: \\.yaml$\n    age: AGE\n".replace("AGE", e.recipient()).as_str(),
    );
    e.write("nokeys.yaml", "a: 1\n");
    e.write("emptygroup.yaml", "a: 1\n");
    let enc = e.ok(
        Impl::Sops,
        &["encrypt", "--age", e.recipient(), "plain.yaml"],
    );
    e.write("enc.yaml", &enc);
    e.write(
        "tampered.yaml",
        &enc.replace("a: ENC[AES256_GCM,data:", "a: ENC[AES256_GCM,data:AA"),
    );
    let cases: &[(&[&str], bool)] = &[
        (&["decrypt", "plain.yaml"], true),
        (&["decrypt", "missing.yaml"], false),
        (&["encrypt", "--age", e.recipient(), "enc.yaml"], true),
        (&["encrypt", "nokeys.yaml"], true),
        (&["encrypt", "emptygroup.yaml"], true),
        (&["encrypt", "--age", e.recipient(), "empty.yaml"], true),
        (&["decrypt", "--extract", "[\"a\"", "enc.yaml"], false),
        (&[], true),
        (&["encrypt", "--age", e.recipient(), "plain.json"], true),
        (&["set", "enc.yaml", "[\"a\"]"], true),
        (&["exec-env", "enc.yaml"], true),
    ];
    for (args, same_text) in cases {
        let s = e.run(Impl::Sops, args);
        let b = e.run(Impl::Berth, args);
        assert_eq!(
            s.status.code(),
            b.status.code(),
            "exit code of {args:?}: sops said {}",
            String::from_utf8_lossy(&s.stderr)
        );
        if *same_text {
            assert_eq!(
                String::from_utf8_lossy(&b.stderr).trim_end(),
                String::from_utf8_lossy(&s.stderr)
                    .lines()
                    .filter(|l| !l.starts_with("[") && !l.contains("level="))
                    .collect::<Vec<_>>()
                    .join("\n")
                    .trim_end(),
                "message of {args:?}"
            );
        }
    }
    let tampered = e.run(Impl::Berth, &["decrypt", "tampered.yaml"]);
    assert_ne!(tampered.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&tampered.stdout).contains('1'));
}

/// berth behaves as sops when run through a link named `sops`.
#[test]
fn a_link_named_sops_is_sops() {
    let e = Env::new();
    let link = e.dir.join("bin").join("sops");
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(berth_bin(), &link).unwrap();
    e.write("l.yaml", "token: abc\n");
    let mut cmd = Command::new(&link);
    clean_env(&mut cmd, &e.dir);
    let out = cmd
        .current_dir(&e.dir)
        .env("SOPS_AGE_KEY_FILE", &e.keys.files[0])
        .args(["encrypt", "--age", e.recipient(), "l.yaml"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    e.write("l.enc.yaml", &String::from_utf8(out.stdout).unwrap());
    assert_eq!(e.ok(Impl::Sops, &["decrypt", "l.enc.yaml"]), "token: abc\n");
    let mut cmd = Command::new(&link);
    clean_env(&mut cmd, &e.dir);
    // No key offered: sops' "could not retrieve key" (128), as the real sops says.
    let out = cmd
        .current_dir(&e.dir)
        .args(["decrypt", "l.enc.yaml"])
        .output()
        .unwrap();
    let mut real = Command::new(require_tool("sops"));
    clean_env(&mut real, &e.dir);
    let want = real
        .current_dir(&e.dir)
        .args(["decrypt", "l.enc.yaml"])
        .output()
        .unwrap();
    assert_eq!(want.status.code(), Some(128));
    assert_eq!(
        out.status.code(),
        want.status.code(),
        "the link speaks sops' exit codes"
    );
}

/// exec-env puts values in the child's environment; exec-file hands the child
/// a 0600 file (or FIFO) in a 0700 directory that is gone afterwards.
#[test]
fn exec_env_and_exec_file_keep_plaintext_private() {
    let e = Env::new();
    e.write("x.yaml", "foo: bar\nbar: |-\n  baz\n  bam\n");
    e.ok(
        Impl::Sops,
        &["encrypt", "-i", "--age", e.recipient(), "x.yaml"],
    );
    for which in BOTH {
        let out = e.ok(which, &["exec-env", "x.yaml", "echo \"$foo/$bar\""]);
        assert_eq!(out, "bar/baz\nbam\n", "{which:?}");
        let out = e.ok(
            which,
            &["exec-file", "--output-type", "json", "x.yaml", "cat {}"],
        );
        assert_eq!(
            out, "{\n\t\"foo\": \"bar\",\n\t\"bar\": \"baz\\nbam\"\n}\n",
            "{which:?}"
        );
        let code = e
            .run(which, &["exec-env", "x.yaml", "exit 7"])
            .status
            .code();
        assert_eq!(code, Some(7), "{which:?}: the child's exit code");
    }
    let out = e.ok(
        Impl::Berth,
        &[
            "exec-file",
            "--no-fifo",
            "--filename",
            "f.yaml",
            "x.yaml",
            "stat -c '%a %n' {} $(dirname {}); echo {}",
        ],
    );
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("600 "), "{out}");
    assert!(lines[1].starts_with("700 "), "{out}");
    let path = Path::new(lines[2]);
    assert!(path.ends_with("f.yaml"));
    assert!(
        !path.parent().unwrap().exists(),
        "the private directory was left behind"
    );
    let out = e.ok(
        Impl::Berth,
        &["exec-file", "x.yaml", "test -p {} && cat {} && echo {}"],
    );
    let fifo = out.lines().last().unwrap();
    assert!(out.contains("foo: bar"));
    assert!(!Path::new(fifo).parent().unwrap().exists());
    // A command that never reads the FIFO still ends, and the directory goes.
    let out = e.ok(Impl::Berth, &["exec-file", "x.yaml", "echo {}"]);
    assert!(!Path::new(out.trim()).parent().unwrap().exists());
}

/// `filestatus` and `rotate` (with `--add-age`/`--rm-age`) as sops.
#[test]
fn filestatus_and_rotate_match_sops() {
    let e = Env::new();
    e.write("p.yaml", "a: 1\n");
    let enc = e.ok(Impl::Sops, &["encrypt", "--age", e.recipient(), "p.yaml"]);
    e.write("e.yaml", &enc);
    for which in BOTH {
        assert_eq!(
            e.ok(which, &["filestatus", "p.yaml"]),
            "{\"encrypted\":false}\n"
        );
        assert_eq!(
            e.ok(which, &["filestatus", "e.yaml"]),
            "{\"encrypted\":true}\n"
        );
    }
    let second = e.keys.recipients[1].clone();
    e.ok(
        Impl::Berth,
        &["rotate", "-i", "--add-age", &second, "e.yaml"],
    );
    let rotated = e.read("e.yaml");
    assert!(rotated.contains(&second));
    // The second key alone now opens it, with the real sops.
    let mut cmd = e.cmd(Impl::Sops, &["decrypt", "e.yaml"]);
    cmd.env("SOPS_AGE_KEY_FILE", &e.keys.files[1]);
    let out = cmd.output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "a: 1\n");
    e.ok(
        Impl::Berth,
        &["rotate", "-i", "--rm-age", &second, "e.yaml"],
    );
    assert!(!e.read("e.yaml").contains(&second));
    assert_eq!(e.ok(Impl::Sops, &["decrypt", "e.yaml"]), "a: 1\n");
}

/// The edge cases of issue 14, each compared with the real sops: an empty
/// mapping, big JSON numbers, strings starting with `-`, quoting styles,
/// block scalars at the end of a file; duplicate YAML keys are refused alike.
#[test]
fn edge_cases_decrypt_as_sops_writes_them() {
    let e = Env::new();
    let cases: &[(&str, &str)] = &[
        ("empty.yaml", "{}\n"),
        ("empty.json", "{}"),
        (
            "big.json",
            "{\"n\": 12345678901234567890, \"m\": 1e16, \"f\": 1.5e300, \"s\": 1e-7, \"neg\": -1e22}",
        ),
        (
            "dash.yaml",
            "a: --foo\nb: \"--\"\nc: -x\nd: \"-\"\ne: \"- x\"\nf: \"---x\"\ng: \"?x\"\n",
        ),
        (
            "quotes.yaml",
            "i: \"a: b\"\nj: \"123\"\nk: \"true\"\nl: \"\"\nm: \" lead\"\no: \"it's: x\"\np: \"#x\"\nq: \"yes\"\nr: \"1:20\"\n\"k: y\": 1\n",
        ),
        ("eof.yaml", "multiline: |\n  multi\n  line"),
        ("list.yaml", "l:\n  - |\n    a\n    b\n"),
    ];
    for (name, plain) in cases {
        e.write(name, plain);
        let mut outs = Vec::new();
        for writer in BOTH {
            let enc = e.ok(writer, &["encrypt", "--age", e.recipient(), name]);
            let f = format!("{writer:?}-{name}");
            e.write(&f, &enc);
            for reader in BOTH {
                outs.push(e.ok(reader, &["decrypt", &f]));
            }
        }
        for o in &outs {
            assert_eq!(o, &outs[0], "{name}");
        }
    }
    e.write("dup.yaml", "a: 1\na: 2\n");
    for which in BOTH {
        let out = e.run(which, &["encrypt", "--age", e.recipient(), "dup.yaml"]);
        assert_eq!(out.status.code(), Some(2), "{which:?}: duplicate keys");
        assert!(String::from_utf8_lossy(&out.stderr)
            .contains("mapping key \"a\" already defined at line 1"));
    }
    let msgs: Vec<String> = BOTH
        .iter()
        .map(|w| {
            let out = e.run(*w, &["encrypt", "--age", e.recipient(), "dup.yaml"]);
            String::from_utf8_lossy(&out.stderr).into_owned()
        })
        .collect();
    assert_eq!(msgs[0], msgs[1], "duplicate key message");
}

/// sops flags berth does not implement are refused by name, never ignored.
#[test]
fn unimplemented_flags_are_refused_not_ignored() {
    let e = Env::new();
    e.write("p.yaml", "a: 1\n");
    for args in [
        &["--indent", "2", "-e", "--age", e.recipient(), "p.yaml"][..],
        &[
            "encrypt",
            "--pgp",
            "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4",
            "p.yaml",
        ][..],
        &["publish", "p.yaml"][..],
    ] {
        let out = e.run(Impl::Berth, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("not supported"), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
}

/// Multi-document YAML: one MAC over every document, metadata in each, the
/// same plaintext and layout from both tools; `set` works on the first
/// document and a JSON output holds the first, as in sops.
#[test]
fn multi_document_yaml_matches_sops() {
    let e = Env::new();
    e.write("m.yaml", "# c1\na: 1\nb: x\n---\n# c2\nc: [1, 2]\nd: y\n");
    let mut files = Vec::new();
    for which in BOTH {
        let enc = e.ok(which, &["encrypt", "--age", e.recipient(), "m.yaml"]);
        let f = format!("{which:?}-m.yaml");
        e.write(&f, &enc);
        files.push((f, enc));
    }
    assert_eq!(mask(&files[0].1), mask(&files[1].1), "encrypted layout");
    assert_eq!(files[1].1.matches("\nsops:\n").count(), 2);
    let mut outs = Vec::new();
    for reader in BOTH {
        for (f, _) in &files {
            outs.push(e.ok(reader, &["decrypt", f]));
            outs.push(e.ok(reader, &["decrypt", "--output-type", "json", f]));
        }
    }
    for pair in outs.chunks(2) {
        assert_eq!(pair[0], outs[0]);
        assert_eq!(pair[1], outs[1]);
    }
    assert!(outs[0].contains("---\n# c2\n"));
    e.ok(Impl::Berth, &["set", "Sops-m.yaml", "[\"a\"]", "5"]);
    let after = e.ok(Impl::Sops, &["decrypt", "Sops-m.yaml"]);
    assert!(after.starts_with("# c1\na: 5\n") && after.contains("d: \"y\""));
}

/// `sops FILE` and `sops edit FILE` run $EDITOR on the plaintext and
/// re-encrypt; an unchanged file exits 200 with sops' message, as sops.
#[test]
fn edit_matches_sops() {
    let e = Env::new();
    for (name, plain, edit, want) in [
        ("ed.yaml", "a: 1\n", "sed -i s/1/2/", "a: 2\n"),
        ("ed.env", "K=v1\n", "sed -i s/v1/v2/", "K=v2\n"),
    ] {
        e.write(name, plain);
        e.ok(Impl::Sops, &["encrypt", "-i", "--age", e.recipient(), name]);
        let mut cmd = e.cmd(Impl::Berth, &[name]);
        let out = cmd.env("EDITOR", edit).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stderr.is_empty(), "sops is quiet on success");
        assert_eq!(e.ok(Impl::Sops, &["decrypt", name]), want);
        for which in BOTH {
            let out = e
                .cmd(which, &["edit", name])
                .env("EDITOR", "true")
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(200), "{which:?}");
            assert_eq!(
                String::from_utf8_lossy(&out.stderr).trim_end(),
                "File has not changed, exiting."
            );
        }
    }
}

/// `--indent` as sops 3.11 has it: honoured in the legacy form for JSON,
/// ignored before a subcommand, unknown after one.
#[test]
fn indent_flag_matches_sops() {
    let e = Env::new();
    e.write("i.json", "{\"a\": {\"b\": [1, \"x\\ty\"]}}");
    let enc = e.ok(Impl::Sops, &["encrypt", "--age", e.recipient(), "i.json"]);
    e.write("e.json", &enc);
    for args in [
        &["--indent", "2", "-d", "e.json"][..],
        &["--indent", "0", "-d", "e.json"][..],
        &["--indent", "2", "decrypt", "e.json"][..],
    ] {
        assert_eq!(e.ok(Impl::Berth, args), e.ok(Impl::Sops, args), "{args:?}");
    }
    let masked: Vec<String> = BOTH
        .iter()
        .map(|w| {
            mask(&e.ok(
                *w,
                &["--indent", "2", "-e", "--age", e.recipient(), "i.json"],
            ))
        })
        .collect();
    assert_eq!(masked[0], masked[1]);
    for which in BOTH {
        let out = e.run(which, &["decrypt", "--indent", "2", "e.json"]);
        assert_ne!(out.status.code(), Some(0), "{which:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("flag provided but not defined: -indent")
        );
    }
}

/// `berth sops --help` lists what the front end supports and exits 0.
#[test]
fn help_lists_the_supported_commands() {
    let e = Env::new();
    for args in [&["--help"][..], &["-h"][..], &["help"][..]] {
        let out = e.ok(Impl::Berth, args);
        assert!(
            out.contains("exec-file") && out.contains("docs/sops-compat.md"),
            "{args:?}"
        );
    }
}
