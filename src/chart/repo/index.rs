//! A Helm chart repository's `index.yaml` (Helm's `repo.IndexFile`): entries
//! per chart, newest version first, and the version choice Helm's resolver
//! makes: the first (highest) entry whose version satisfies the constraint
//! and that has a download URL.

use std::collections::BTreeMap;

use gotemplate::semver::{Constraints, Version};
use serde_json::Value;

use super::RepoError;

/// One chart version of an index entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartVersion {
    /// The version as written in the index.
    pub version: String,
    /// Download URLs, absolute or relative to the repository URL.
    pub urls: Vec<String>,
    /// `sha256:`-less hex digest of the archive, when the index carries one.
    pub digest: String,
}

/// A parsed repository index.
#[derive(Debug, Clone, Default)]
pub struct Index {
    entries: BTreeMap<String, Vec<ChartVersion>>,
}

impl Index {
    /// Parse an index (YAML or JSON) fetched from `url` (named in errors).
    pub fn parse(text: &str, url: &str) -> Result<Index, RepoError> {
        let invalid = |message: &str| RepoError::Index {
            url: url.to_string(),
            message: message.to_string(),
        };
        if text.trim().is_empty() {
            return Err(invalid("empty index.yaml file"));
        }
        let doc = goenc::yaml::from_str(text).map_err(|e| invalid(&e.to_string()))?;
        let Value::Object(top) = doc else {
            return Err(invalid("not a YAML mapping"));
        };
        match top.get("apiVersion") {
            Some(Value::String(s)) if !s.is_empty() => {}
            _ => return Err(invalid("no API version specified")),
        }
        let mut entries = BTreeMap::new();
        if let Some(Value::Object(map)) = top.get("entries") {
            for (name, list) in map {
                let Value::Array(items) = list else { continue };
                let mut versions: Vec<ChartVersion> =
                    items.iter().filter_map(chart_version).collect();
                sort_newest_first(&mut versions);
                entries.insert(name.clone(), versions);
            }
        }
        Ok(Index { entries })
    }

    /// The versions of chart `name`, newest first; `None` when the index has no such entry.
    pub fn versions(&self, name: &str) -> Option<&[ChartVersion]> {
        self.entries.get(name).map(Vec::as_slice)
    }
}

/// An entry Helm keeps: a mapping with a string `version` (entries Helm
/// skips as invalid are left out).
fn chart_version(item: &Value) -> Option<ChartVersion> {
    let version = item.get("version")?.as_str()?.to_string();
    Version::parse(&version).ok()?;
    let urls = match item.get("urls") {
        Some(Value::Array(u)) => u
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    };
    let digest = item
        .get("digest")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    Some(ChartVersion {
        version,
        urls,
        digest,
    })
}

/// Helm's `SortEntries`: by semantic version, highest first.
fn sort_newest_first(versions: &mut [ChartVersion]) {
    versions.sort_by(
        |a, b| match (Version::parse(&a.version), Version::parse(&b.version)) {
            (Ok(x), Ok(y)) => y.compare(&x),
            _ => std::cmp::Ordering::Equal,
        },
    );
}

/// The resolver's choice: the first version (newest first) that parses,
/// has a URL (`need_urls`, false for OCI tags) and satisfies `constraint`.
/// Returns the version as written.
pub fn highest_match<'a>(
    versions: impl IntoIterator<Item = (&'a str, bool)>,
    constraint: &Constraints,
) -> Option<&'a str> {
    versions.into_iter().find_map(|(v, has_url)| {
        let parsed = Version::parse(v).ok()?;
        (has_url && constraint.check(&parsed)).then_some(v)
    })
}

/// Helm's `findVersionedEntry`: the first entry with a URL whose version
/// equals `version` semantically (textually when `version` is no semver).
pub fn find_exact<'a>(versions: &'a [ChartVersion], version: &str) -> Option<&'a ChartVersion> {
    versions.iter().filter(|v| !v.urls.is_empty()).find(|v| {
        version.is_empty()
            || match (Version::parse(version), Version::parse(&v.version)) {
                (Ok(a), Ok(b)) => a.compare(&b) == std::cmp::Ordering::Equal,
                (Err(_), _) => version == v.version,
                (Ok(_), Err(_)) => false,
            }
    })
}

/// Helm's `repo.ResolveReferenceURL`: `reference` as is when absolute,
/// otherwise resolved against `base` taken as a directory (its query kept).
pub fn resolve_reference_url(base: &str, reference: &str) -> Result<String, RepoError> {
    if reqwest::Url::parse(reference).is_ok() {
        return Ok(reference.to_string());
    }
    let mut parsed = reqwest::Url::parse(base).map_err(|e| RepoError::Index {
        url: super::display_url(base),
        message: format!("failed to parse the repository URL: {e}"),
    })?;
    let query = parsed.query().map(String::from);
    let path = format!("{}/", parsed.path().trim_end_matches('/'));
    parsed.set_path(&path);
    let mut joined = parsed.join(reference).map_err(|e| RepoError::Index {
        url: super::display_url(base),
        message: format!("failed to parse {reference} as URL: {e}"),
    })?;
    joined.set_query(query.as_deref());
    Ok(joined.to_string())
}

/// The URL of a repository's index: `URL/index.yaml`.
pub fn index_url(repository: &str) -> String {
    format!("{}/index.yaml", repository.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: &str = "apiVersion: v1\nentries:\n  a:\n  - version: 1.2.0\n    urls: [a-1.2.0.tgz]\n  - version: 1.10.0\n    urls: [a-1.10.0.tgz]\n  - version: 2.0.0-rc.1\n    urls: [a-2.0.0-rc.1.tgz]\n  - version: 1.11.0\n    urls: []\n";

    fn pick(c: &str) -> Option<String> {
        let index = Index::parse(INDEX, "http://x.test").unwrap();
        let vs = index.versions("a").unwrap();
        let c = Constraints::parse(c).unwrap();
        highest_match(
            vs.iter().map(|v| (v.version.as_str(), !v.urls.is_empty())),
            &c,
        )
        .map(String::from)
    }

    #[test]
    fn highest_match_skips_prereleases_unless_asked_and_entries_without_urls() {
        assert_eq!(pick("^1.0.0").as_deref(), Some("1.10.0"));
        assert_eq!(pick(">=1.0.0").as_deref(), Some("1.10.0"));
        assert_eq!(pick(">=2.0.0-0").as_deref(), Some("2.0.0-rc.1"));
        assert_eq!(pick("~1.2").as_deref(), Some("1.2.0"));
        assert_eq!(pick("3.x"), None);
    }

    #[test]
    fn relative_urls_resolve_against_the_repository_as_a_directory() {
        assert_eq!(
            resolve_reference_url("http://h:1/charts?x=1", "a-1.0.0.tgz").unwrap(),
            "http://h:1/charts/a-1.0.0.tgz?x=1"
        );
        assert_eq!(
            resolve_reference_url("http://h/charts/", "https://o/a.tgz").unwrap(),
            "https://o/a.tgz"
        );
    }

    #[test]
    fn an_index_without_api_version_is_refused() {
        let err = Index::parse("entries: {}\n", "http://x.test/index.yaml").unwrap_err();
        assert!(
            err.to_string().contains("no API version specified"),
            "{err}"
        );
    }
}
