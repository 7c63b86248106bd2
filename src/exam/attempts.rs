//! The attempt log (`attempts.csv` or `attempts.parquet`), read with polars' streaming engine in
//! batches and folded straight into the compact [`ResponseMatrix`]: string columns never stay in
//! memory beyond one batch.
//!
//! Line numbers in messages are CSV lines (header = line 1), assuming no field holds a line break;
//! for Parquet they are 1-based row numbers.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use polars::prelude::*;

use super::log_slices::{expected_rows, read_parquet_slices};
use rustc_hash::FxHashMap;

use super::config::ColumnsConfig;
use super::diagnostics::{Diagnostics, Location};
use super::forms::Form;
use super::items::{Item, ItemType, OptionSet};
use super::timestamps::{native_time, NativeTime, Submitted};
use crate::matrix::{encode, ResponseMatrix, StringArena};

pub(crate) const REQUIRED: [&str; 5] = [
    "attempt_id",
    "candidate_id",
    "form_id",
    "item_id",
    "response",
];
pub(crate) const OPTIONAL: [&str; 2] = ["seconds", "submitted_at"];
const ROW_INDEX: &str = "__qbank_row";
const NO_FORM: u16 = u16::MAX;

/// Which kind of attempt file, by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Csv,
    Parquet,
}

impl LogFormat {
    pub fn of(path: &Path) -> LogFormat {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("pq") => {
                LogFormat::Parquet
            }
            _ => LogFormat::Csv,
        }
    }
}

/// What the exam tells the reader about items and forms.
pub struct ExamIndex<'a> {
    pub items: &'a [Item],
    pub item_index: &'a HashMap<String, usize>,
    pub forms: &'a [Form],
    /// Zone of `submitted_at` values written without one.
    pub zone: super::timestamps::Zone,
}

/// Reads the attempt log at `path` into a response matrix, reporting every problem in `diags`.
/// Rows with errors are left out of the matrix. Returns `None` only when the file cannot be read.
pub fn read_attempts(
    path: &Path,
    file: &str,
    exam: &ExamIndex<'_>,
    mapping: &ColumnsConfig,
    diags: &mut Diagnostics,
) -> Option<ResponseMatrix> {
    let format = LogFormat::of(path);
    if format == LogFormat::Csv {
        if let Some(kind) = compressed(path) {
            diags.error(
                Location::file(file).line(1),
                format!(
                    "the file is {kind}-compressed; expected plain CSV text (decompress it first)"
                ),
            );
            return None;
        }
    }
    // polars reports bad input as errors; should it panic on some input, that is reported too.
    let guarded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_with_polars(path, file, format, exam, mapping, diags)
    }));
    match guarded {
        Ok(m) => m,
        Err(_) => {
            diags.error(
                Location::file(file),
                "the reader failed on this file (an internal error of the CSV/Parquet reader); check that it is a plain CSV or Parquet attempt log",
            );
            None
        }
    }
}

/// The compression a file's first bytes announce (gzip, zlib, zstd, bzip2, xz), if any.
pub(crate) fn compressed(path: &Path) -> Option<&'static str> {
    use std::io::Read;
    let mut head = [0u8; 6];
    let n = std::fs::File::open(path).ok()?.read(&mut head).ok()?;
    let h = &head[..n];
    match h {
        [0x1f, 0x8b, ..] => Some("gzip"),
        [0x78, 0x01 | 0x5e | 0x9c | 0xda, ..] => Some("zlib"),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Some("zstd"),
        [b'B', b'Z', b'h', ..] => Some("bzip2"),
        [0xfd, b'7', b'z', b'X', b'Z', 0x00] => Some("xz"),
        _ => None,
    }
}

fn read_with_polars(
    path: &Path,
    file: &str,
    format: LogFormat,
    exam: &ExamIndex<'_>,
    mapping: &ColumnsConfig,
    diags: &mut Diagnostics,
) -> Option<ResponseMatrix> {
    let lf = match scan(path, format) {
        Ok(lf) => lf,
        Err(e) => {
            diags.error(Location::file(file), format!("cannot read: {e}"));
            return None;
        }
    };
    let mut lf = lf;
    let schema = match lf.collect_schema() {
        Ok(s) => s,
        Err(e) => {
            diags.error(Location::file(file), format!("cannot read the header: {e}"));
            return None;
        }
    };
    let names: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
    let mut select = Vec::new();
    // (column in the file, qbank's name)
    let mut pairs: Vec<(String, &str)> = Vec::new();
    let mut missing = false;
    for canonical in REQUIRED.iter().chain(OPTIONAL.iter()) {
        let mut source = mapping.source_name(canonical);
        if !names.iter().any(|n| n == source) && names.iter().any(|n| n == canonical) {
            source = canonical;
        }
        if names.iter().any(|n| n == source) {
            select.push(col(source).alias(*canonical));
            pairs.push((source.to_string(), *canonical));
        } else if REQUIRED.contains(canonical) {
            diags.error(
                Location::file(file).line(1).column(source),
                format!(
                    "missing column '{source}'; the header has: {}",
                    names.join(", ")
                ),
            );
            missing = true;
        }
    }
    let known: Vec<&str> = REQUIRED
        .iter()
        .chain(OPTIONAL.iter())
        .flat_map(|c| [mapping.source_name(c), *c])
        .collect();
    for n in &names {
        if !known.contains(&n.as_str()) && !mapping.ignore.contains(n) {
            diags.error(
                Location::file(file).line(1).column(n.as_str()),
                format!(
                    "unexpected column '{n}'; map it with [columns] or list it in [columns] ignore"
                ),
            );
        }
    }
    if missing {
        return None;
    }
    select.push(col(ROW_INDEX));
    let mut b = Builder::new(exam, file, format, diags.limit());
    b.reserve(expected_rows(path, format == LogFormat::Parquet));
    let builder = Arc::new(Mutex::new(b));
    let run = match format {
        LogFormat::Parquet => {
            let mut b = builder
                .lock()
                .map_err(|_| polars_err!(ComputeError: "poisoned"));
            b.as_mut()
                .map_err(|e| polars_err!(ComputeError: "{e}"))
                .and_then(|b| read_parquet_slices(path, &pairs, ROW_INDEX, |df| b.batch(df)))
        }
        LogFormat::Csv => {
            let sink = Arc::clone(&builder);
            let plan = lf
                .with_row_index(ROW_INDEX, None)
                .select(select)
                .sink_batches(
                    PlanCallback::new(move |df: DataFrame| {
                        let mut b = sink
                            .lock()
                            .map_err(|_| polars_err!(ComputeError: "poisoned"))?;
                        b.batch(&df)?;
                        Ok(false)
                    }),
                    true,
                    None,
                );
            plan.and_then(|p| p.collect_with_engine(Engine::Streaming))
                .map(|_| ())
        }
    };
    let builder = match Arc::try_unwrap(builder) {
        Ok(m) => m.into_inner().ok()?,
        Err(_) => {
            diags.error(Location::file(file), "internal error: reader still running");
            return None;
        }
    };
    diags.merge(&builder.diags);
    if let Err(e) = run {
        // polars does not say where; find the first malformed line ourselves.
        let loc = match (format, locate_csv_problem(path)) {
            (LogFormat::Csv, Some((line, what))) => {
                diags.error(Location::file(file).line(line), what);
                return None;
            }
            _ => Location::file(file),
        };
        diags.error(loc, format!("cannot parse: {}", clean_polars_error(&e)));
        return None;
    }
    let had_errors = diags.has_errors();
    let m = builder.finish(exam, diags);
    if m.n_attempts() == 0 && !had_errors {
        diags.error(
            Location::file(file).line(2),
            "the attempt log has no attempts (a header and no rows): there is nothing to analyse",
        );
    }
    Some(m)
}

/// The first line of a CSV file that does not parse as a record of the header's width (or is
/// not UTF-8), with what is wrong with it.
fn locate_csv_problem(path: &Path) -> Option<(u64, String)> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .delimiter(super::table::sniff_delimiter(path))
        .from_path(path)
        .ok()?;
    let width = r.headers().ok()?.len();
    let mut rec = csv::StringRecord::new();
    loop {
        match r.read_record(&mut rec) {
            Ok(false) => return None,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                let what = match e.kind() {
                    csv::ErrorKind::UnequalLengths { len, .. } => {
                        format!("expected {width} fields as in the header, found {len}")
                    }
                    csv::ErrorKind::Utf8 { .. } => super::table::NOT_UTF8.to_string(),
                    _ => format!("cannot parse: {e}"),
                };
                return Some((line, what));
            }
        }
    }
}

pub(crate) fn clean_polars_error(e: &PolarsError) -> String {
    e.to_string().lines().next().unwrap_or("").to_string()
}

pub(crate) fn scan(path: &Path, format: LogFormat) -> PolarsResult<LazyFrame> {
    let p = PlRefPath::try_from_path(path)?;
    match format {
        LogFormat::Csv => LazyCsvReader::new(p)
            .with_has_header(true)
            .with_separator(super::table::sniff_delimiter(path))
            .with_infer_schema_length(Some(0))
            .finish(),
        LogFormat::Parquet => LazyFrame::scan_parquet(p, ScanArgsParquet::default()),
    }
}

/// Per-attempt facts gathered while reading.
struct AttemptInfo {
    candidate: u32,
    form: u16,
    first_line: u64,
}

/// Accumulates rows batch by batch.
struct Builder {
    file: String,
    format: LogFormat,
    diags: Diagnostics,
    form_index: HashMap<String, u16>,
    form_ids: Vec<String>,
    /// Per form, per item: 0 absent, 1 pretest, 2 scored.
    form_role: Vec<Vec<u8>>,
    keys: Vec<(OptionSet, u8, ItemType)>,
    attempt_index: FxHashMap<Box<str>, u32>,
    attempts: Vec<AttemptInfo>,
    attempt_ids: StringArena,
    submitted_at: StringArena,
    zone: super::timestamps::Zone,
    candidate_index: FxHashMap<Box<str>, u32>,
    candidate_ids: Vec<String>,
    // per response, in file order
    row_attempt: Vec<u32>,
    items: Vec<u16>,
    codes: Vec<u16>,
    seconds: Vec<f32>,
    /// Rows of one attempt are contiguous so far (then no sort is needed).
    grouped: bool,
    last_attempt: Option<u32>,
    /// `stamp[item]` = 1 + the attempt that last presented it (duplicate check in grouped logs).
    stamp: Vec<u32>,
    item_index: FxHashMap<String, usize>,
}

impl Builder {
    fn new(exam: &ExamIndex<'_>, file: &str, format: LogFormat, limit: usize) -> Builder {
        let n_items = exam.items.len();
        let mut form_index = HashMap::new();
        let mut form_role = Vec::new();
        for (f, form) in exam.forms.iter().enumerate() {
            form_index.insert(form.id.clone(), f as u16);
            let mut role = vec![0u8; n_items];
            for fi in &form.items {
                role[fi.item] = if fi.scored { 2 } else { 1 };
            }
            form_role.push(role);
        }
        Builder {
            file: file.to_string(),
            format,
            diags: Diagnostics::with_limit(limit),
            form_index,
            form_ids: exam.forms.iter().map(|f| f.id.clone()).collect(),
            form_role,
            keys: exam
                .items
                .iter()
                .map(|it| (it.key, it.options, it.item_type))
                .collect(),
            attempt_index: FxHashMap::default(),
            attempts: Vec::new(),
            attempt_ids: StringArena::default(),
            submitted_at: StringArena::default(),
            zone: exam.zone,
            candidate_index: FxHashMap::default(),
            candidate_ids: Vec::new(),
            row_attempt: Vec::new(),
            items: Vec::new(),
            codes: Vec::new(),
            seconds: Vec::new(),
            grouped: true,
            last_attempt: None,
            stamp: vec![0; n_items],
            item_index: exam
                .item_index
                .iter()
                .map(|(k, v)| (k.clone(), *v))
                .collect(),
        }
    }

    /// Room for `rows` responses in the per-response arrays.
    fn reserve(&mut self, rows: usize) {
        self.row_attempt.reserve_exact(rows);
        self.items.reserve_exact(rows);
        self.codes.reserve_exact(rows);
        self.seconds.reserve_exact(rows);
    }

    fn line_of(&self, row: u64) -> u64 {
        match self.format {
            LogFormat::Csv => row + 2,
            LogFormat::Parquet => row + 1,
        }
    }

    fn loc(&self, row: u64, column: &str) -> Location {
        Location::file(&self.file)
            .line(self.line_of(row))
            .column(column)
    }

    fn batch(&mut self, df: &DataFrame) -> PolarsResult<()> {
        let n = df.height();
        let as_str = |name: &str| -> PolarsResult<Option<StringChunked>> {
            match df.column(name) {
                Ok(c) => Ok(Some(c.cast(&DataType::String)?.str()?.clone())),
                Err(_) => Ok(None),
            }
        };
        let attempt = as_str("attempt_id")?.expect("selected");
        let candidate = as_str("candidate_id")?.expect("selected");
        let form = as_str("form_id")?.expect("selected");
        let item = as_str("item_id")?.expect("selected");
        let response = as_str("response")?.expect("selected");
        // A native Parquet timestamp or date column is read as numbers, anything else as text.
        let native = df
            .column("submitted_at")
            .ok()
            .and_then(|c| native_time(c.dtype()).map(|kind| (c, kind)));
        let submitted = match native {
            Some(_) => None,
            None => as_str("submitted_at")?,
        };
        let native: Option<(NativeTime, Vec<Option<i64>>)> = match native {
            Some((c, kind)) => Some((kind, c.cast(&DataType::Int64)?.i64()?.iter().collect())),
            None => None,
        };
        // Slices of the batch's fields, read once through the arrays' iterators.
        fn fields(ca: &StringChunked) -> Vec<&str> {
            ca.iter().map(|o| o.unwrap_or("").trim()).collect()
        }
        let (attempt, candidate, form, item) = (
            fields(&attempt),
            fields(&candidate),
            fields(&form),
            fields(&item),
        );
        let response: Vec<&str> = response.iter().map(|o| o.unwrap_or("")).collect();
        let submitted = submitted
            .as_ref()
            .map(fields)
            .unwrap_or_else(|| vec![""; n]);
        let seconds_col = df.column("seconds").ok();
        // Seconds as numbers where the file typed them, else parsed here (to name bad cells).
        let seconds: Vec<Result<Option<f64>, String>> = match seconds_col {
            Some(c) if c.dtype().is_primitive_numeric() => {
                c.cast(&DataType::Float64)?.f64()?.iter().map(Ok).collect()
            }
            Some(c) => {
                let c = c.cast(&DataType::String)?;
                c.str()?
                    .iter()
                    .map(|o| {
                        let t = o.unwrap_or("").trim();
                        if t.is_empty() {
                            Ok(None)
                        } else {
                            t.parse::<f64>().map(Some).map_err(|_| {
                                if t.replacen(',', ".", 1).parse::<f64>().is_ok() {
                                    format!("'{t}' is not a number: it has a decimal comma; write a decimal point ({})", t.replacen(',', ".", 1))
                                } else {
                                    format!("'{t}' is not a number")
                                }
                            })
                        }
                    })
                    .collect()
            }
            None => vec![Ok(None); n],
        };
        let rows = df.column(ROW_INDEX)?.cast(&DataType::UInt64)?;
        let rows: Vec<u64> = rows.u64()?.iter().map(|o| o.unwrap_or(0)).collect();
        for i in 0..n {
            let row = rows[i];
            let (attempt_id, candidate_id, form_id, item_id) =
                (attempt[i], candidate[i], form[i], item[i]);
            let response_text = response[i];
            let sub = match &native {
                Some((kind, values)) => values[i]
                    .map(|v| Submitted::Native(*kind, v))
                    .unwrap_or(Submitted::Text("")),
                None => Submitted::Text(submitted[i]),
            };
            let secs = match &seconds[i] {
                Ok(v) => *v,
                Err(t) => {
                    self.diags
                        .error(self.loc(row, "seconds"), format!("seconds {t}"));
                    continue;
                }
            };
            if [
                attempt_id,
                candidate_id,
                form_id,
                item_id,
                response_text.trim(),
            ]
            .iter()
            .all(|f| f.is_empty())
                && secs.is_none()
                && sub.is_empty()
            {
                // A blank line (spreadsheets often leave some at the end): nothing to read.
                continue;
            }
            self.row(
                row,
                attempt_id,
                candidate_id,
                form_id,
                item_id,
                response_text,
                secs,
                sub,
            );
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn row(
        &mut self,
        row: u64,
        attempt_id: &str,
        candidate_id: &str,
        form_id: &str,
        item_id: &str,
        response_text: &str,
        secs: Option<f64>,
        submitted: Submitted<'_>,
    ) {
        if attempt_id.is_empty() {
            self.diags
                .error(self.loc(row, "attempt_id"), "empty attempt_id");
            return;
        }
        if candidate_id.is_empty() {
            self.diags
                .error(self.loc(row, "candidate_id"), "empty candidate_id");
            return;
        }
        if let Some(s) = secs {
            if !(s.is_finite() && s >= 0.0) {
                self.diags.error(
                    self.loc(row, "seconds"),
                    format!("seconds {s} is negative or not finite; expected a time >= 0"),
                );
                return;
            }
        }
        let Some(attempt) = self.attempt(row, attempt_id, candidate_id, form_id, submitted) else {
            return;
        };
        let form = self.attempts[attempt as usize].form;
        if form == NO_FORM {
            return; // reported once for the attempt
        }
        let Some(&item) = self.item_index.get(item_id) else {
            self.diags.error(
                self.loc(row, "item_id").item(item_id),
                format!("unknown item '{item_id}': not in the item bank"),
            );
            return;
        };
        if self.form_role[form as usize][item] == 0 {
            self.diags.error(
                self.loc(row, "item_id").item(item_id),
                format!("item '{item_id}' is not on form '{form_id}' of attempt '{attempt_id}'"),
            );
            return;
        }
        let (key, options, item_type) = self.keys[item];
        let chosen = match OptionSet::parse(response_text, options) {
            Ok(c) => c,
            Err(msg) => {
                self.diags.error(
                    self.loc(row, "response").item(item_id),
                    format!("response is not one of the item's options: {msg}"),
                );
                return;
            }
        };
        if item_type == ItemType::Single && chosen.len() > 1 {
            self.diags.error(
                self.loc(row, "response").item(item_id),
                format!(
                    "response '{}' chooses {} options; item '{item_id}' is single-response (one option allowed)",
                    response_text.trim(),
                    chosen.len()
                ),
            );
            return;
        }
        // Duplicate check while the attempt's rows are contiguous; otherwise after sorting.
        if self.last_attempt == Some(attempt) && self.stamp[item] == attempt + 1 {
            self.diags.error(
                self.loc(row, "item_id").item(item_id),
                format!("attempt '{attempt_id}' has item '{item_id}' more than once"),
            );
            return;
        }
        if self.last_attempt != Some(attempt) {
            if self.last_attempt.is_some() && (attempt as usize) < self.attempts.len() - 1 {
                self.grouped = false;
            }
            self.last_attempt = Some(attempt);
        }
        self.stamp[item] = attempt + 1;
        let right = !chosen.is_empty() && chosen == key;
        self.row_attempt.push(attempt);
        self.items.push(item as u16);
        self.codes.push(encode(chosen, right));
        self.seconds
            .push(secs.map(|s| s as f32).unwrap_or(f32::NAN));
    }

    /// Finds or registers the attempt of a row, checking it keeps one candidate and one form.
    fn attempt(
        &mut self,
        row: u64,
        attempt_id: &str,
        candidate_id: &str,
        form_id: &str,
        submitted: Submitted<'_>,
    ) -> Option<u32> {
        // Rows of one attempt usually come together: try the previous row's attempt first.
        let known = match self.last_attempt {
            Some(a) if self.attempt_ids.get(a as usize) == attempt_id => Some(a),
            _ => self.attempt_index.get(attempt_id).copied(),
        };
        if let Some(a) = known {
            let info = &self.attempts[a as usize];
            let cand = &self.candidate_ids[info.candidate as usize];
            if cand != candidate_id {
                self.diags.error(
                    self.loc(row, "candidate_id"),
                    format!(
                        "attempt '{attempt_id}' belongs to candidate '{cand}' (line {}), not '{candidate_id}'",
                        info.first_line
                    ),
                );
                return None;
            }
            if info.form != NO_FORM && self.form_ids[info.form as usize] != form_id {
                self.diags.error(
                    self.loc(row, "form_id"),
                    format!(
                        "attempt '{attempt_id}' was on another form (line {}), not '{form_id}'",
                        info.first_line
                    ),
                );
                return None;
            }
            return Some(a);
        }
        let form = match self.form_index.get(form_id) {
            Some(&f) => f,
            None => {
                let mut known: Vec<&str> = self.form_index.keys().map(String::as_str).collect();
                known.sort_unstable();
                self.diags.error(
                    self.loc(row, "form_id"),
                    format!(
                        "attempt '{attempt_id}' of candidate '{candidate_id}' is on unknown form '{form_id}'; forms.csv defines: {}",
                        known.join(", ")
                    ),
                );
                NO_FORM
            }
        };
        let candidate = match self.candidate_index.get(candidate_id) {
            Some(&c) => c,
            None => {
                let c = self.candidate_ids.len() as u32;
                self.candidate_index.insert(candidate_id.into(), c);
                self.candidate_ids.push(candidate_id.to_string());
                c
            }
        };
        let a = self.attempts.len() as u32;
        self.attempt_index.insert(attempt_id.into(), a);
        self.attempt_ids.push(attempt_id);
        let instant = match submitted {
            Submitted::Text("") => None,
            Submitted::Text(t) => Some(super::timestamps::parse_instant(t, self.zone)),
            Submitted::Native(kind, v) => Some(kind.instant(v, self.zone)),
        };
        let submitted = match instant {
            None => String::new(),
            Some(instant) => match instant {
                Ok(t) => super::timestamps::format_utc(t),
                Err(e) => {
                    self.diags
                        .error(self.loc(row, "submitted_at"), format!("submitted_at {e}"));
                    String::new()
                }
            },
        };
        self.submitted_at.push(&submitted);
        self.attempts.push(AttemptInfo {
            candidate,
            form,
            first_line: self.line_of(row),
        });
        Some(a)
    }

    /// Groups responses by attempt (stable counting sort if the log was not grouped), drops
    /// attempts on unknown forms, checks duplicates and builds the matrix.
    fn finish(self, exam: &ExamIndex<'_>, diags: &mut Diagnostics) -> ResponseMatrix {
        let Builder {
            file,
            attempts,
            attempt_ids,
            submitted_at,
            candidate_ids,
            mut row_attempt,
            mut items,
            mut codes,
            mut seconds,
            grouped,
            form_role,
            ..
        } = self;
        let n_att = attempts.len();
        if !grouped {
            let mut counts = vec![0u64; n_att + 1];
            for &a in &row_attempt {
                counts[a as usize + 1] += 1;
            }
            for k in 0..n_att {
                counts[k + 1] += counts[k];
            }
            let mut dest = vec![0u32; row_attempt.len()];
            for (r, &a) in row_attempt.iter().enumerate() {
                dest[r] = counts[a as usize] as u32;
                counts[a as usize] += 1;
            }
            fn scatter<T: Copy + Default>(v: &mut Vec<T>, dest: &[u32]) {
                let mut out = vec![T::default(); v.len()];
                for (r, &d) in dest.iter().enumerate() {
                    out[d as usize] = v[r];
                }
                *v = out;
            }
            scatter(&mut row_attempt, &dest);
            scatter(&mut items, &dest);
            scatter(&mut codes, &dest);
            scatter(&mut seconds, &dest);
        }
        // Keep attempts with a known form and at least one valid response, in first-seen order.
        // Compacted in place (the write position never passes the read position): no second copy.
        let mut offsets = vec![0u64];
        let mut keep_order: Vec<u32> = Vec::new();
        let mut stamp = vec![u32::MAX; exam.items.len()];
        let (mut r, mut w) = (0usize, 0usize);
        for (a, info) in attempts.iter().enumerate() {
            let start = r;
            while r < row_attempt.len() && row_attempt[r] as usize == a {
                r += 1;
            }
            if info.form == NO_FORM || start == r {
                continue;
            }
            let new_a = keep_order.len() as u32;
            for k in start..r {
                let item = items[k] as usize;
                if stamp[item] == new_a {
                    diags.error(
                        Location::file(&file)
                            .column("item_id")
                            .item(exam.items[item].id.as_str()),
                        format!(
                            "attempt '{}' has item '{}' more than once",
                            attempt_ids.get(a),
                            exam.items[item].id
                        ),
                    );
                    continue;
                }
                stamp[item] = new_a;
                items[w] = items[k];
                codes[w] = codes[k];
                seconds[w] = seconds[k];
                w += 1;
            }
            keep_order.push(a as u32);
            offsets.push(w as u64);
        }
        drop(row_attempt);
        items.truncate(w);
        codes.truncate(w);
        seconds.truncate(w);
        let attempt_candidate = keep_order
            .iter()
            .map(|&a| attempts[a as usize].candidate)
            .collect();
        let attempt_form = keep_order
            .iter()
            .map(|&a| attempts[a as usize].form)
            .collect();
        let mut m = ResponseMatrix {
            attempt_ids: attempt_ids.permuted(&keep_order),
            submitted_at: submitted_at.permuted(&keep_order),
            attempt_candidate,
            attempt_form,
            offsets,
            items,
            codes,
            seconds,
            candidate_ids,
            form_role,
            item_domain: exam.items.iter().map(|it| it.domain as u16).collect(),
        };
        m.items.shrink_to_fit();
        m.codes.shrink_to_fit();
        m.seconds.shrink_to_fit();
        m
    }
}
