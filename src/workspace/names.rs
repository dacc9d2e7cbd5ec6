//! Names that reach the cluster and the file system: release names (Helm's
//! rule: lowercase DNS-1123 labels joined by dots, at most
//! [`MAX_RELEASE_NAME_LEN`] characters) and namespace names (one DNS-1123
//! label, at most [`MAX_NAMESPACE_LEN`]), and the range of `leaseSeconds`.
//! Checked when the workspace files are read, so a bad name is refused naming
//! file, line and key before anything is rendered, written or applied. Owns
//! only these rules.

/// Helm's longest release name.
pub const MAX_RELEASE_NAME_LEN: usize = 53;
/// Kubernetes' longest namespace name (a DNS-1123 label).
pub const MAX_NAMESPACE_LEN: usize = 63;

/// One DNS-1123 label: lowercase letters, digits and `-`, starting and ending
/// with a letter or digit.
fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Why `name` is not a valid release name, if it is not.
pub fn release_name_problem(name: &str) -> Option<String> {
    if name.len() > MAX_RELEASE_NAME_LEN {
        return Some(format!(
            "release name `{name}` is {} characters long; the limit is {MAX_RELEASE_NAME_LEN}",
            name.len()
        ));
    }
    if !name.split('.').all(is_label) {
        return Some(format!(
            "invalid release name `{name}`: use lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit (as Helm requires)"
        ));
    }
    None
}

/// Why `ns` is not a valid namespace name, if it is not.
pub fn namespace_problem(ns: &str) -> Option<String> {
    if ns.len() > MAX_NAMESPACE_LEN {
        return Some(format!(
            "namespace `{ns}` is {} characters long; the limit is {MAX_NAMESPACE_LEN}",
            ns.len()
        ));
    }
    if !is_label(ns) {
        return Some(format!(
            "invalid namespace `{ns}`: use lowercase letters, digits and `-`, starting and ending with a letter or digit (a DNS-1123 label)"
        ));
    }
    None
}

/// The 1-based line of `key: value` in a YAML text (the first `key:` line when
/// no line holds that value), for messages.
pub(super) fn locate(text: &str, key: &str, value: &str) -> Option<usize> {
    let mut first = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        let t = t.strip_prefix("- ").map(str::trim_start).unwrap_or(t);
        let Some(rest) = t.strip_prefix(key).and_then(|r| r.strip_prefix(':')) else {
            continue;
        };
        first.get_or_insert(i + 1);
        let v = rest.split(" #").next().unwrap_or_default().trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(v);
        if v == value {
            return Some(i + 1);
        }
    }
    first
}

/// Most seconds a deploy lease may last (one day).
pub const MAX_LEASE_SECONDS: u64 = 86_400;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_names_follow_helm() {
        for ok in ["web", "web-1", "a.b", "x1", &"a".repeat(53)] {
            assert_eq!(release_name_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "Web_1",
            "../../escaped",
            "-web",
            "web-",
            "a..b",
            "a/b",
            "UPPER",
            &"a".repeat(54),
        ] {
            assert!(release_name_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn locate_finds_the_line_of_a_key_and_value() {
        let text = "namespace: a\nreleases:\n  - name: x\n  - name: 'Bad NS'\n";
        assert_eq!(locate(text, "name", "Bad NS"), Some(4));
        assert_eq!(locate(text, "name", "x"), Some(3));
        assert_eq!(locate(text, "namespace", "zz"), Some(1));
        assert_eq!(locate(text, "other", "x"), None);
    }

    #[test]
    fn namespaces_are_dns_labels() {
        assert_eq!(namespace_problem("kube-system"), None);
        for bad in ["Bad NS!", "a.b", "", "-x", &"n".repeat(64)] {
            assert!(namespace_problem(bad).is_some(), "{bad}");
        }
        assert_eq!(namespace_problem(&"n".repeat(63)), None);
    }
}
