//! Packaged Helm charts (`.tgz`) as Helm's archive loader reads them
//! (`pkg/chart/loader/archive`): a gzip stream (concatenated members
//! allowed) holding a tar whose first path component is stripped, with
//! Helm's path safety checks (absolute paths, `..`, drive letters,
//! `Chart.yaml` outside the base directory), its size limits (5 MiB a file,
//! 100 MiB in all) and its error texts. No file is written anywhere: the
//! archive is read into memory and handed to the chart loader.

use std::io::Read;

use super::ChartFile;

/// The largest total decompressed size Helm reads from one archive
/// (Helm's `MaxDecompressedChartSize`).
pub const MAX_CHART_BYTES: u64 = 100 * 1024 * 1024;

/// Why an archive was refused; the texts are Helm's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArchiveError {
    /// Not a gzip stream (Go's `gzip.ErrHeader`).
    #[error("gzip: invalid header")]
    GzipHeader,
    /// A gzip stream whose data or checksum is broken.
    #[error("gzip: invalid checksum")]
    GzipChecksum,
    /// The stream ended inside the tar.
    #[error("unexpected EOF")]
    UnexpectedEof,
    /// A tar header that does not parse.
    #[error("archive/tar: invalid tar header")]
    TarHeader,
    #[error("chart illegally contains absolute paths")]
    AbsolutePath,
    #[error("chart illegally contains content outside the base directory: {0:?}")]
    OutsideBase(String),
    #[error("chart illegally references parent directory")]
    ParentDirectory,
    #[error("chart contains illegally named files")]
    DrivePath,
    #[error("chart yaml not in base directory")]
    ChartYamlNotInBase,
    #[error("decompressed chart is larger than the maximum size {MAX_CHART_BYTES}")]
    ChartTooLarge,
    #[error("decompressed chart file {0:?} is larger than the maximum file size {max}", max = super::MAX_FILE_BYTES)]
    FileTooLarge(String),
    #[error("no files in chart archive")]
    Empty,
}

impl ArchiveError {
    /// Whether this is Go's `gzip.ErrHeader` (Helm words that case
    /// differently for a chart file given on the command line).
    pub fn is_gzip_header(&self) -> bool {
        matches!(self, ArchiveError::GzipHeader)
    }
}

fn io_error(e: std::io::Error) -> ArchiveError {
    match e.kind() {
        std::io::ErrorKind::UnexpectedEof => ArchiveError::UnexpectedEof,
        std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData => {
            let text = e.to_string();
            if text.contains("gzip header") || text.contains("invalid gzip") {
                ArchiveError::GzipHeader
            } else if text.contains("corrupt deflate")
                || text.contains("checksum")
                || text.contains("deflate")
            {
                ArchiveError::GzipChecksum
            } else {
                ArchiveError::TarHeader
            }
        }
        _ => ArchiveError::TarHeader,
    }
}

/// Helm's `LoadArchiveFiles`: every regular entry of the gzip'd tar in
/// `bytes`, in archive order, its name without the first path component
/// (`/`-separated, cleaned), a UTF-8 byte order mark removed.
pub fn load_archive_files(bytes: &[u8]) -> Result<Vec<ChartFile>, ArchiveError> {
    if bytes.len() < 10 || bytes[0] != 0x1f || bytes[1] != 0x8b || bytes[2] != 8 {
        return Err(if bytes.len() < 10 && bytes.starts_with(&[0x1f, 0x8b]) {
            ArchiveError::UnexpectedEof
        } else {
            ArchiveError::GzipHeader
        });
    }
    let gz = flate2::read::MultiGzDecoder::new(bytes);
    let mut tar = tar::Archive::new(gz);
    let mut files = Vec::new();
    let mut remaining = MAX_CHART_BYTES;
    for entry in tar.entries().map_err(io_error)? {
        let entry = entry.map_err(io_error)?;
        let header = entry.header();
        let kind = header.entry_type();
        let raw_name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let mode = header.mode().unwrap_or(0);
        if kind.is_dir() || mode & 0o170000 == 0o040000 || raw_name.ends_with('/') {
            continue;
        }
        if kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
            continue;
        }
        let name = chart_relative(&raw_name)?;
        let size = entry.size();
        if size > remaining {
            return Err(ArchiveError::ChartTooLarge);
        }
        if size > super::MAX_FILE_BYTES {
            return Err(ArchiveError::FileTooLarge(raw_name));
        }
        let mut data = Vec::with_capacity(size as usize);
        let written = entry
            .take(remaining)
            .read_to_end(&mut data)
            .map_err(io_error)? as u64;
        remaining -= written;
        if written < size || remaining == 0 {
            return Err(ArchiveError::ChartTooLarge);
        }
        if data.starts_with(&[0xEF, 0xBB, 0xBF]) {
            data.drain(..3);
        }
        files.push(ChartFile { name, data });
    }
    if files.is_empty() {
        return Err(ArchiveError::Empty);
    }
    Ok(files)
}

/// An entry's name inside the chart: the first component dropped, `\`
/// delimiters (archives made on Windows) normalised, then Helm's checks.
fn chart_relative(raw: &str) -> Result<String, ArchiveError> {
    let delimiter = if raw.contains('\\') { '\\' } else { '/' };
    let parts: Vec<&str> = raw.split(delimiter).collect();
    let rest = parts[1..].join("/");
    if rest.starts_with('/') {
        return Err(ArchiveError::AbsolutePath);
    }
    let clean = clean_path(&rest);
    if clean == "." {
        return Err(ArchiveError::OutsideBase(raw.to_string()));
    }
    if clean.starts_with("..") {
        return Err(ArchiveError::ParentDirectory);
    }
    let b = clean.as_bytes();
    if b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'/' {
        return Err(ArchiveError::DrivePath);
    }
    if parts[0] == "Chart.yaml" {
        return Err(ArchiveError::ChartYamlNotInBase);
    }
    Ok(clean)
}

/// Go's `path.Clean` for a relative path: empty and `.` parts dropped, `..`
/// folded into its parent where there is one; `.` for nothing left.
fn clean_path(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    if out.is_empty() {
        ".".into()
    } else {
        out.join("/")
    }
}

/// Go's `http.DetectContentType` for the cases a chart argument meets:
/// what `helm template` names when the file is not a gzip stream.
pub fn content_type(head: &[u8]) -> &'static str {
    // Helm sniffs a 512-byte buffer whatever the file's length: a shorter
    // file leaves zero bytes in it, which read as binary.
    let mut buffer = [0u8; 512];
    let n = head.len().min(512);
    buffer[..n].copy_from_slice(&head[..n]);
    let head = &buffer[..];
    if head.starts_with(b"PK\x03\x04") {
        return "application/zip";
    }
    if head.starts_with(b"%PDF-") {
        return "application/pdf";
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return "image/png";
    }
    if head.starts_with(b"BZh") {
        return "application/octet-stream";
    }
    let binary = head.iter().any(|&b| {
        b <= 0x08 || b == 0x0B || (0x0E..=0x1A).contains(&b) || (0x1C..=0x1F).contains(&b)
    });
    if binary {
        "application/octet-stream"
    } else {
        "text/plain; charset=utf-8"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            {
                let raw = header.as_old_mut();
                raw.name[..name.len()].copy_from_slice(name.as_bytes());
            }
            header.set_cksum();
            builder.append(&header, *data).unwrap();
        }
        let tar = builder.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, &tar).unwrap();
        gz.finish().unwrap()
    }

    #[test]
    fn strips_the_top_directory_and_checks_paths() {
        let files = load_archive_files(&pack(&[
            ("c/Chart.yaml", b"name: c\n"),
            ("c/templates/./a.yaml", b"\xEF\xBB\xBFa: 1\n"),
        ]))
        .unwrap();
        assert_eq!(files[0].name, "Chart.yaml");
        assert_eq!(files[1].name, "templates/a.yaml");
        assert_eq!(files[1].data, b"a: 1\n");
        let err = |entries: &[(&str, &[u8])]| load_archive_files(&pack(entries)).unwrap_err();
        assert_eq!(err(&[("c/../../x", b"")]), ArchiveError::ParentDirectory);
        assert_eq!(err(&[("c//etc/x", b"")]), ArchiveError::AbsolutePath);
        assert_eq!(
            err(&[("Chart.yaml", b"")]),
            ArchiveError::OutsideBase("Chart.yaml".into())
        );
        assert_eq!(err(&[("c/c:/x", b"")]), ArchiveError::DrivePath);
        assert_eq!(
            load_archive_files(b"not gzip at all"),
            Err(ArchiveError::GzipHeader)
        );
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type(b"a: 1\n"), "application/octet-stream");
        assert_eq!(content_type(&[b'a'; 600]), "text/plain; charset=utf-8");
        assert_eq!(content_type(b"\x00\x01"), "application/octet-stream");
    }
}
