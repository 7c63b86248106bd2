//! `qbank convert`: an attempt log from CSV to Parquet with polars' streaming engine.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;

use crate::exam::attempts::{clean_polars_error, compressed, scan, LogFormat};

/// Why a conversion failed.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    #[error("{}: the file is {kind}-compressed; expected plain CSV text (decompress it first)", .path.display())]
    Compressed { path: PathBuf, kind: &'static str },
    #[error("{}: {message}", .path.display())]
    Read { path: PathBuf, message: String },
    #[error("{}: {source}", .path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Converts a CSV attempt log to Parquet with polars' streaming engine (constant memory), all
/// columns kept as text so that validation later sees exactly what the CSV held. The file appears
/// only when complete (temporary file, then rename).
pub fn csv_to_parquet(csv: &Path, parquet: &Path) -> Result<(), ConvertError> {
    if let Some(kind) = compressed(csv) {
        return Err(ConvertError::Compressed {
            path: csv.to_path_buf(),
            kind,
        });
    }
    let write_err = |source| ConvertError::Write {
        path: parquet.to_path_buf(),
        source,
    };
    let tmp = super::files::temp_beside(parquet).map_err(write_err)?;
    let target = PlRefPath::try_from_path(tmp.path()).map_err(|e| ConvertError::Read {
        path: parquet.to_path_buf(),
        message: e.to_string(),
    })?;
    scan(csv, LogFormat::Csv)
        .and_then(|lf| {
            lf.sink(
                SinkDestination::File {
                    target: SinkTarget::Path(target),
                },
                FileWriteFormat::Parquet(Arc::new(ParquetWriteOptions::default())),
                UnifiedSinkArgs::default(),
            )
        })
        .and_then(|lf| lf.collect_with_engine(Engine::Streaming))
        .map_err(|e| ConvertError::Read {
            path: csv.to_path_buf(),
            message: clean_polars_error(&e),
        })?;
    super::files::persist(tmp, parquet).map_err(write_err)?;
    Ok(())
}
