//! Chart archives (`.tgz`) as far as dependency handling needs them: the
//! `Chart.yaml` inside one (for `dependency list` and to check a download is
//! the chart it claims to be), and packing a `file://` chart directory into
//! `NAME-VERSION.tgz` as `helm dependency update` vendors it. Loading a
//! subchart for rendering is `chart::helm`'s business, not this module's.

use std::path::{Path, PathBuf};

use super::chartfile::ChartFile;
use super::RepoError;
use crate::chart::helm::archive::load_archive_files;
use crate::chart::helm::ignore::Rules;

/// The `Chart.yaml` of a chart archive (`TOP/Chart.yaml`), read with Helm's
/// archive loader ([`load_archive_files`]: its path checks and size limits);
/// `shown` names the archive in errors.
pub(crate) fn chart_file_of(bytes: &[u8], shown: &str) -> Result<ChartFile, RepoError> {
    let corrupt = |message: String| RepoError::Archive {
        path: shown.to_string(),
        message,
    };
    let files = load_archive_files(bytes).map_err(|e| corrupt(format!("corrupt archive: {e}")))?;
    let chart_yaml = files
        .iter()
        .find(|f| f.name == "Chart.yaml")
        .ok_or_else(|| corrupt("Chart.yaml file is missing".into()))?;
    ChartFile::parse(&chart_yaml.text(), &format!("{shown}: Chart.yaml"))
}

/// [`chart_file_of`] for a file on disk.
pub(crate) fn chart_file_of_path(path: &Path) -> Result<ChartFile, RepoError> {
    let bytes = std::fs::read(path).map_err(|source| RepoError::Read {
        path: path.display().to_string(),
        source,
    })?;
    chart_file_of(&bytes, &path.display().to_string())
}

/// Pack chart directory `dir` (whose `Chart.yaml` is `chart`) into
/// `DEST/NAME-VERSION.tgz`, entries under `NAME/`, in path order, with a
/// fixed time stamp so the same directory packs to the same bytes.
pub(crate) fn package_dir(
    dir: &Path,
    chart: &ChartFile,
    dest: &Path,
) -> Result<PathBuf, RepoError> {
    let out = dest.join(format!("{}-{}.tgz", chart.name, chart.version));
    let write_err = |source: std::io::Error| RepoError::Write {
        path: out.display().to_string(),
        source,
    };
    let mut files = Vec::new();
    collect_files(dir, dir, &mut files)?;
    files.sort();
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut builder = tar::Builder::new(gz);
    for rel in &files {
        let full = dir.join(rel);
        let data = std::fs::read(&full).map_err(|source| RepoError::Read {
            path: full.display().to_string(),
            source,
        })?;
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_entry_type(tar::EntryType::Regular);
        let name = Path::new(&chart.name).join(rel);
        builder
            .append_data(&mut header, name, data.as_slice())
            .map_err(write_err)?;
    }
    let gz = builder.into_inner().map_err(write_err)?;
    let bytes = gz.finish().map_err(write_err)?;
    std::fs::write(&out, bytes).map_err(write_err)?;
    Ok(out)
}

/// Every regular file under `dir` that the chart's `.helmignore` (Helm's
/// rules, via `chart::helm::ignore`) keeps, relative to `root`; the
/// charts' own `tmpcharts-*` staging directories skipped.
fn collect_files(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), RepoError> {
    let ignore_file = root.join(".helmignore");
    let rules = match std::fs::read_to_string(&ignore_file) {
        Ok(text) => Rules::parse(&text).map_err(|e| RepoError::Invalid {
            path: ignore_file.display().to_string(),
            message: e.to_string(),
        })?,
        Err(_) => Rules::defaults(),
    };
    walk(root, dir, &rules, out)
}

fn walk(root: &Path, dir: &Path, rules: &Rules, out: &mut Vec<PathBuf>) -> Result<(), RepoError> {
    let read_err = |source: std::io::Error| RepoError::Read {
        path: dir.display().to_string(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let entry = entry.map_err(read_err)?;
        let path = entry.path();
        let Ok(rel) = path.strip_prefix(root) else {
            continue;
        };
        let rel_text = rel.to_string_lossy().replace('\\', "/");
        if rel_text.starts_with("tmpcharts-") {
            continue;
        }
        let kind = std::fs::metadata(&path).map_err(read_err)?;
        if rules.ignore(&rel_text, kind.is_dir()) {
            continue;
        }
        if kind.is_dir() {
            walk(root, &path, rules, out)?;
        } else if kind.is_file() {
            out.push(rel.to_path_buf());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;

    #[test]
    fn a_packed_directory_reads_back_and_packs_to_the_same_bytes() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("c");
        std::fs::create_dir_all(dir.join("templates")).unwrap();
        std::fs::write(
            dir.join("Chart.yaml"),
            "apiVersion: v2\nname: c\nversion: 0.1.0\n",
        )
        .unwrap();
        std::fs::write(dir.join("templates/x.yaml"), "a: 1\n").unwrap();
        std::fs::write(dir.join(".helmignore"), "*.bak\n").unwrap();
        std::fs::write(dir.join("values.yaml.bak"), "old\n").unwrap();
        let chart = ChartFile::load_dir(&dir).unwrap();
        let out = tmp.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let first = std::fs::read(package_dir(&dir, &chart, &out).unwrap()).unwrap();
        let again = std::fs::read(package_dir(&dir, &chart, &out).unwrap()).unwrap();
        assert_eq!(first, again);
        let back = chart_file_of(&first, "c-0.1.0.tgz").unwrap();
        assert_eq!((back.name.as_str(), back.version.as_str()), ("c", "0.1.0"));
        let mut names = Vec::new();
        let mut tar = tar::Archive::new(GzDecoder::new(first.as_slice()));
        for e in tar.entries().unwrap() {
            names.push(e.unwrap().path().unwrap().display().to_string());
        }
        assert_eq!(
            names,
            ["c/.helmignore", "c/Chart.yaml", "c/templates/x.yaml"]
        );
    }

    #[test]
    fn bytes_that_are_no_archive_are_named() {
        let err = chart_file_of(b"not gzip", "charts/x-1.0.0.tgz")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("charts/x-1.0.0.tgz: "), "{err}");
    }
}
