//! Writing outputs atomically: every file is written to a temporary file in its target folder and
//! renamed into place only when complete, so a failed run never leaves a half-written file.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Why an output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot write {}: {source}", .path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("figure {name}: {message}")]
    Figure { name: String, message: String },
}

impl WriteError {
    /// Wraps an I/O error with the path it concerns.
    pub fn at(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
        move |source| WriteError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Writes `path` through `fill`; the file appears only if `fill` succeeds.
pub fn write_atomic<F>(path: &Path, fill: F) -> io::Result<()>
where
    F: FnOnce(&mut dyn Write) -> io::Result<()>,
{
    let tmp = temp_beside(path)?;
    {
        let mut w = BufWriter::new(tmp.as_file());
        fill(&mut w)?;
        w.flush()?;
    }
    persist(tmp, path)
}

/// A temporary file in the folder of `path` (created if needed), for [`persist`] to rename.
pub fn temp_beside(path: &Path) -> io::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    tempfile::Builder::new()
        .prefix(".qbank-")
        .suffix(".tmp")
        .tempfile_in(dir)
}

/// Syncs a complete temporary file, gives it ordinary permissions and renames it to `path`.
pub fn persist(tmp: tempfile::NamedTempFile, path: &Path) -> io::Result<()> {
    tmp.as_file().sync_all()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Writes a CSV file atomically from a header and rows of already formatted fields.
pub fn write_csv<I, R, S>(path: &Path, header: &[&str], rows: I) -> io::Result<()>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = S>,
    S: AsRef<[u8]>,
{
    write_atomic(path, |w| {
        let mut csv = csv::Writer::from_writer(w);
        csv.write_record(header)?;
        for row in rows {
            csv.write_record(row)?;
        }
        csv.flush()?;
        Ok(())
    })
}

/// Formats a float for CSV output with a fixed number of decimals; NaN and infinities as empty.
pub fn fmt_f(x: f64, decimals: usize) -> String {
    if x.is_finite() {
        format!("{x:.decimals$}")
    } else {
        String::new()
    }
}

/// [`fmt_f`] of an optional value (empty when None).
pub fn fmt_opt(x: Option<f64>, decimals: usize) -> String {
    x.map(|v| fmt_f(v, decimals)).unwrap_or_default()
}

/// A file name made from an id: letters, digits, '-', '_' and '.' are kept, everything else
/// (path separators, spaces, quotes, Unicode) becomes '_'; a leading '.' too, so an id can never
/// name a hidden file or leave its folder.
pub fn safe_file_name(id: &str) -> String {
    let mut s: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with('.') {
        s.insert(0, '_');
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_become_safe_file_names() {
        use super::safe_file_name as s;
        assert_eq!(s("C000123"), "C000123");
        assert_eq!(s("../../etc/passwd"), "_.._.._etc_passwd");
        assert_eq!(s(".hidden"), "_.hidden");
        assert_eq!(s("a b,\"c\"/é"), "a_b__c___");
        assert_eq!(s(""), "_");
    }
}
