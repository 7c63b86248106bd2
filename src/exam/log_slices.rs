//! Reading an attempt log with bounded memory: a Parquet log a slice of rows at a time, and the
//! expected number of rows (to size the per-response arrays once).

use std::path::Path;

use polars::prelude::*;

/// Rows of a Parquet log decoded at a time.
const PARQUET_SLICE_ROWS: usize = 1 << 18;

/// Reads a Parquet log a slice of rows at a time, in file order, handing each slice to `batch`
/// with the columns `pairs` (file name, qbank's name) and the row numbers (column `row_index`).
/// Polars' streaming engine decoded row groups ahead of the (single-threaded) consumer and held
/// them: at 1,000,000 attempts it peaked at 2 GB for a 0.6 GB matrix; slice by slice the decoded
/// text is one slice's.
pub(super) fn read_parquet_slices(
    path: &Path,
    pairs: &[(String, &str)],
    row_index: &str,
    mut batch: impl FnMut(&DataFrame) -> PolarsResult<()>,
) -> PolarsResult<()> {
    let open = || std::fs::File::open(path).map_err(|e| polars_err!(ComputeError: "{e}"));
    let mut first = ParquetReader::new(open()?);
    let total = first.num_rows()?;
    let metadata = first.get_metadata()?.clone();
    let mut columns: Vec<String> = pairs.iter().map(|p| p.0.clone()).collect();
    columns.dedup();
    let mut offset = 0;
    while offset < total {
        let mut reader = ParquetReader::new(open()?)
            .with_columns(Some(columns.clone()))
            .with_slice(Some((offset, PARQUET_SLICE_ROWS)));
        reader.set_metadata(metadata.clone());
        let df = reader.finish()?;
        let n = df.height();
        if n == 0 {
            break;
        }
        let mut cols = Vec::with_capacity(pairs.len() + 1);
        for (source, canonical) in pairs {
            let mut c = df.column(source)?.clone();
            c.rename((*canonical).into());
            cols.push(c);
        }
        let rows: Vec<u64> = (offset as u64..(offset + n) as u64).collect();
        cols.push(Column::new(row_index.into(), rows));
        batch(&DataFrame::new(n, cols)?)?;
        offset += n;
    }
    Ok(())
}

/// About how many rows the log has, to size the per-response arrays once (growing them by
/// doubling held up to three times their size at the end: most of the ingest's peak memory).
/// Parquet: the row count in the file's metadata. CSV: the file's size over the mean length of
/// its first lines, plus 2 % (the arrays are trimmed at the end).
pub(super) fn expected_rows(path: &Path, parquet: bool) -> usize {
    if parquet {
        return std::fs::File::open(path)
            .ok()
            .and_then(|f| ParquetReader::new(f).num_rows().ok())
            .unwrap_or(0);
    }
    use std::io::Read;
    let Ok(mut f) = std::fs::File::open(path) else {
        return 0;
    };
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    let mut head = vec![0u8; 1 << 16];
    let n = f.read(&mut head).unwrap_or(0);
    // whole lines after the header
    let lines = head[..n].iter().filter(|&&b| b == b'\n').count();
    let first = head[..n].iter().position(|&b| b == b'\n').unwrap_or(n);
    let last = head[..n].iter().rposition(|&b| b == b'\n').unwrap_or(n);
    if lines < 2 || last <= first {
        return 0;
    }
    let per_line = (last - first) as f64 / (lines - 1) as f64;
    (size as f64 / per_line * 1.02) as usize
}
