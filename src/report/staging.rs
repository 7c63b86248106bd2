//! An output folder that never mixes two runs: a run writes into a fresh staging folder beside
//! `--out` and swaps it in only when everything is written; a lock file beside `--out` makes a
//! second run on the same folder stop with a clear error while the first is running.
//!
//! The swap is two renames in the same parent folder (old output aside, staging in), then the old
//! output is removed; a run that fails leaves the previous output untouched.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The file every qbank output folder carries, so that a swap only ever replaces a folder qbank
/// wrote (never a user's folder given as `--out` by mistake).
pub const MARKER: &str = ".qbank-output";

/// Why an output folder cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StagingError {
    #[error("another qbank run is writing {} (lock file {}, process {pid}); wait for it, or remove the lock file if no run is active", .out.display(), .lock.display())]
    Locked {
        out: PathBuf,
        lock: PathBuf,
        pid: String,
    },
    #[error("--out {} exists and is not a qbank output folder (no {MARKER} in it); choose another folder or empty it", .0.display())]
    NotAnOutput(PathBuf),
    #[error("cannot prepare the output folder {}: {source}", .path.display())]
    Io { path: PathBuf, source: io::Error },
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> StagingError + '_ {
    move |source| StagingError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A staging folder for `out`, holding the lock on `out` until committed or dropped.
#[derive(Debug)]
pub struct Staging {
    out: PathBuf,
    staging: PathBuf,
    lock: PathBuf,
    committed: bool,
}

/// `parent/.NAME.SUFFIX`: a hidden sibling of `out`.
fn sibling(out: &Path, suffix: &str) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    parent_of(out).join(format!(".{name}.{suffix}"))
}

fn parent_of(out: &Path) -> PathBuf {
    match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Whether the process that wrote a lock file still runs (Linux: /proc/PID; elsewhere assumed).
fn alive(pid: &str) -> bool {
    let proc = Path::new("/proc");
    !proc.is_dir()
        || pid
            .trim()
            .parse::<u32>()
            .is_ok_and(|p| proc.join(p.to_string()).exists())
}

impl Staging {
    /// Takes the lock on `out` and creates an empty staging folder beside it. Fails if another
    /// run holds the lock, or if `out` exists, is not empty and is not a qbank output folder.
    pub fn begin(out: &Path) -> Result<Staging, StagingError> {
        let parent = parent_of(out);
        fs::create_dir_all(&parent).map_err(io_at(&parent))?;
        if out.is_dir() && !out.join(MARKER).exists() {
            let empty = fs::read_dir(out).map_err(io_at(out))?.next().is_none();
            if !empty {
                return Err(StagingError::NotAnOutput(out.to_path_buf()));
            }
        } else if out.exists() && !out.is_dir() {
            return Err(StagingError::NotAnOutput(out.to_path_buf()));
        }
        let lock = sibling(out, "qbank-lock");
        let pid = std::process::id().to_string();
        let mut tries = 0;
        loop {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&lock)
            {
                Ok(mut f) => {
                    f.write_all(pid.as_bytes()).map_err(io_at(&lock))?;
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && tries == 0 => {
                    let holder = fs::read_to_string(&lock).unwrap_or_default();
                    if alive(&holder) {
                        return Err(StagingError::Locked {
                            out: out.to_path_buf(),
                            lock,
                            pid: holder.trim().to_string(),
                        });
                    }
                    // A lock left by a run that died: take it over.
                    fs::remove_file(&lock).map_err(io_at(&lock))?;
                    tries += 1;
                }
                Err(e) => return Err(io_at(&lock)(e)),
            }
        }
        let staging = sibling(out, &format!("staging-{pid}"));
        let s = Staging {
            out: out.to_path_buf(),
            staging,
            lock,
            committed: false,
        };
        let _ = fs::remove_dir_all(&s.staging);
        fs::create_dir_all(&s.staging).map_err(io_at(&s.staging))?;
        fs::write(s.staging.join(MARKER), "written by qbank\n").map_err(io_at(&s.staging))?;
        Ok(s)
    }

    /// The folder to write into.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Swaps the complete staging folder in as `out` (the previous output is removed).
    pub fn commit(mut self) -> Result<(), StagingError> {
        let old = sibling(&self.out, &format!("old-{}", std::process::id()));
        if self.out.exists() {
            let _ = fs::remove_dir_all(&old);
            fs::rename(&self.out, &old).map_err(io_at(&self.out))?;
        }
        if let Err(e) = fs::rename(&self.staging, &self.out) {
            // Put the previous output back; the staging folder is removed on drop.
            let _ = fs::rename(&old, &self.out);
            return Err(io_at(&self.out)(e));
        }
        self.committed = true;
        let _ = fs::remove_dir_all(&old);
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
        let _ = fs::remove_file(&self.lock);
    }
}
