//! `.helmignore` as Helm's `pkg/ignore` applies it while loading a chart
//! directory, and Go's `path/filepath.Match` that its patterns use. Pure
//! string matching: no file system access.

/// A `.helmignore` pattern that Helm refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IgnoreError {
    #[error("line {line}: double-star (**) syntax is not supported")]
    DoubleStar { line: usize },
    #[error("line {line}: syntax error in pattern")]
    BadPattern { line: usize },
}

#[derive(Debug, Clone)]
struct Pattern {
    /// The pattern text after `!`, `/` prefix and `/` suffix are removed.
    glob: String,
    negate: bool,
    must_dir: bool,
    /// Match against the base name only (a pattern without `/`).
    base_only: bool,
}

/// The rules of one chart: its `.helmignore` lines plus Helm's default
/// (`templates/.?*`: dot files inside `templates/`).
#[derive(Debug, Clone, Default)]
pub struct Rules {
    patterns: Vec<Pattern>,
}

impl Rules {
    /// Parse a `.helmignore` file's text and add Helm's default rule.
    pub fn parse(text: &str) -> Result<Rules, IgnoreError> {
        let mut rules = Rules::default();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (i, line) in text.lines().enumerate() {
            rules.add(line, i + 1)?;
        }
        rules.add_defaults();
        Ok(rules)
    }

    /// Only Helm's default rule.
    pub fn defaults() -> Rules {
        let mut rules = Rules::default();
        rules.add_defaults();
        rules
    }

    fn add_defaults(&mut self) {
        // A valid pattern by construction.
        let _ = self.add("templates/.?*", 0);
    }

    fn add(&mut self, rule: &str, line: usize) -> Result<(), IgnoreError> {
        let rule = rule.trim();
        if rule.is_empty() || rule.starts_with('#') {
            return Ok(());
        }
        if rule.contains("**") {
            return Err(IgnoreError::DoubleStar { line });
        }
        if go_match(rule, "abc").is_err() {
            return Err(IgnoreError::BadPattern { line });
        }
        let (negate, rule) = match rule.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, rule),
        };
        let (must_dir, rule) = match rule.strip_suffix('/') {
            Some(rest) => (true, rest),
            None => (false, rule),
        };
        let (glob, base_only) = match rule.strip_prefix('/') {
            Some(rest) => (rest.to_string(), false),
            None => (rule.to_string(), !rule.contains('/')),
        };
        self.patterns.push(Pattern {
            glob,
            negate,
            must_dir,
            base_only,
        });
        Ok(())
    }

    /// Whether the chart-relative, `/`-separated `path` is ignored. Helm's
    /// quirk is kept: a negated rule that does not match ignores the path.
    pub fn ignore(&self, path: &str, is_dir: bool) -> bool {
        if path.is_empty() || path == "." || path == "./" {
            return false;
        }
        for p in &self.patterns {
            let subject = if p.base_only {
                path.rsplit('/').next().unwrap_or(path)
            } else {
                path
            };
            let matched = go_match(&p.glob, subject).unwrap_or(false);
            if p.negate {
                if p.must_dir && !is_dir {
                    return true;
                }
                if !matched {
                    return true;
                }
                continue;
            }
            if p.must_dir && !is_dir {
                continue;
            }
            if matched {
                return true;
            }
        }
        false
    }
}

/// A malformed `filepath.Match` pattern (Go's `ErrBadPattern`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadPattern;

/// Go's `path/filepath.Match` on `/`-separated names: `*` (no `/`), `?`,
/// `[...]` classes with ranges and `^` negation, `\` escapes.
pub fn go_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    match_from(&p, &n)
}

fn match_from(p: &[char], n: &[char]) -> Result<bool, BadPattern> {
    let (mut pi, mut ni) = (0, 0);
    // Backtracking point for the last `*`: (pattern index after the star, name index).
    let mut star: Option<(usize, usize)> = None;
    loop {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    pi += 1;
                    star = Some((pi, ni));
                    continue;
                }
                _ if ni < n.len() => {
                    let (ok, next) = match_one(p, pi, n[ni])?;
                    if ok {
                        pi = next;
                        ni += 1;
                        continue;
                    }
                }
                _ => {
                    // Name exhausted: check the rest of the pattern is well formed.
                    check_rest(&p[pi..])?;
                }
            }
        } else if ni == n.len() {
            return Ok(true);
        }
        // Mismatch: let the last star swallow one more character (never a `/`).
        match star {
            Some((sp, sn)) if sn < n.len() && n[sn] != '/' => {
                pi = sp;
                ni = sn + 1;
                star = Some((sp, sn + 1));
            }
            _ => {
                check_rest(&p[pi.min(p.len())..])?;
                return Ok(false);
            }
        }
    }
}

/// Match one pattern element at `p[pi]` against `c`; returns whether it
/// matched and the index after the element.
fn match_one(p: &[char], pi: usize, c: char) -> Result<(bool, usize), BadPattern> {
    match p[pi] {
        '?' => Ok((c != '/', pi + 1)),
        '\\' => {
            let e = *p.get(pi + 1).ok_or(BadPattern)?;
            Ok((e == c, pi + 2))
        }
        '[' => {
            let mut i = pi + 1;
            let negated = p.get(i) == Some(&'^');
            if negated {
                i += 1;
            }
            let mut matched = false;
            let mut first = true;
            loop {
                let ch = *p.get(i).ok_or(BadPattern)?;
                if ch == ']' && !first {
                    i += 1;
                    break;
                }
                first = false;
                let (lo, next) = class_char(p, i)?;
                i = next;
                let hi = if p.get(i) == Some(&'-') && p.get(i + 1) != Some(&']') {
                    let (hi, next) = class_char(p, i + 1)?;
                    i = next;
                    hi
                } else {
                    lo
                };
                if lo > hi {
                    return Err(BadPattern);
                }
                if lo <= c && c <= hi {
                    matched = true;
                }
            }
            Ok((matched != negated && c != '/', i))
        }
        other => Ok((other == c, pi + 1)),
    }
}

fn class_char(p: &[char], i: usize) -> Result<(char, usize), BadPattern> {
    match p.get(i) {
        Some('\\') => p.get(i + 1).map(|c| (*c, i + 2)).ok_or(BadPattern),
        Some('-') | Some(']') | None => Err(BadPattern),
        Some(c) => Ok((*c, i + 1)),
    }
}

/// Go reports a malformed pattern even when the name already failed.
fn check_rest(p: &[char]) -> Result<(), BadPattern> {
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '*' => i += 1,
            _ => {
                let (_, next) = match_one(p, i, '\u{0}')?;
                i = next;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filepath_match_cases() {
        for (pat, name, want) in [
            ("abc", "abc", true),
            ("*", "abc", true),
            ("*c", "abc", true),
            ("a*", "a", true),
            ("a*", "ab/c", false),
            ("a*/b", "abc/b", true),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", true),
            ("a*b?c*x", "abxbbxdbxebxczzx", true),
            ("a*b?c*x", "abxbbxdbxebxczzy", false),
            ("ab[c]", "abc", true),
            ("ab[b-d]", "abc", true),
            ("ab[e-g]", "abc", false),
            ("ab[^c]", "abc", false),
            ("ab[^e-g]", "abc", true),
            ("a\\*b", "a*b", true),
            ("a\\*b", "ab", false),
            ("a?b", "a/b", false),
            ("*.yaml", "x.yaml", true),
            ("templates/.?*", "templates/.hidden", true),
            ("templates/.?*", "templates/.", false),
        ] {
            assert_eq!(go_match(pat, name), Ok(want), "{pat} ~ {name}");
        }
        assert_eq!(go_match("[", "a"), Err(BadPattern));
        assert_eq!(go_match("a[", "x"), Err(BadPattern));
        assert_eq!(go_match("[a-]", "a"), Err(BadPattern));
    }

    #[test]
    fn helmignore_rules() {
        let rules = Rules::parse("# comment\n*.tmp\n/secret.txt\ndocs/\nsub/*.md\n").unwrap();
        assert!(rules.ignore("a.tmp", false));
        assert!(rules.ignore("x/b.tmp", false));
        assert!(rules.ignore("secret.txt", false));
        assert!(!rules.ignore("x/secret.txt", false));
        assert!(rules.ignore("docs", true));
        assert!(!rules.ignore("docs", false));
        assert!(rules.ignore("sub/a.md", false));
        assert!(!rules.ignore("a.md", false));
        assert!(rules.ignore("templates/.swp", false));
        assert!(!rules.ignore("templates/x.yaml", false));
        assert_eq!(
            Rules::parse("a/**/b").unwrap_err(),
            IgnoreError::DoubleStar { line: 1 }
        );
    }

    #[test]
    fn negated_rule_ignores_what_it_does_not_match() {
        let rules = Rules::parse("!keep.txt\n").unwrap();
        assert!(!rules.ignore("keep.txt", false));
        assert!(rules.ignore("other.txt", false));
    }
}
