//! Responses and response times of the simulated attempts, written as `attempts.csv` (or
//! `attempts.parquet`) while they are drawn (a million attempts never sit in memory), with the
//! planted security cases applied.

use std::path::Path;

use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use super::bank::{SimForm, SimItem};
use super::leak;
use super::people::{SimAttempt, SimCandidate};
use super::{SimConfig, SimulateError};
use crate::exam::dates::civil_from_days;
use crate::irt::{ItemModel, Logistic, ModelKind};
use crate::report::files::write_atomic;

/// Option letters of a bit mask, joined by |.
pub(super) fn letters(mask: u16) -> String {
    let mut s = String::new();
    for i in 0..15u8 {
        if mask & (1 << i) != 0 {
            if !s.is_empty() {
                s.push('|');
            }
            s.push((b'A' + i) as char);
        }
    }
    s
}

/// RFC 3339 instant of a simulated day (day 0 is 2026-01-05).
pub(super) fn timestamp(day: f64) -> String {
    // Day 0 is 2026-01-05 (20458 days after 1970-01-01).
    let whole = day.floor() as i64;
    let secs = ((day - day.floor()) * 86_400.0).round() as i64;
    let (y, m, d) = civil_from_days(20_458 + whole + secs / 86_400);
    let s = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// A random set of `size` options that is not `not`.
pub(super) fn sample_mask(rng: &mut ChaCha8Rng, options: u8, size: usize, not: u16) -> u16 {
    let mut all: Vec<u8> = (0..options).collect();
    loop {
        all.shuffle(rng);
        let mask = all[..size].iter().fold(0u16, |m, &o| m | 1 << o);
        if mask != not {
            return mask;
        }
    }
}

/// One response and its seconds: omitted with probability `omit_rate`, else right by the 3PL,
/// else a wrong set (multiple response) or a distractor chosen by its lure at this theta; log
/// seconds around the item's typical time, a little faster for abler candidates.
fn respond_one(
    rng: &mut ChaCha8Rng,
    it: &SimItem,
    theta: f64,
    b: f64,
    omit_rate: f64,
    theta_noise: &Normal<f64>,
) -> (u16, f64) {
    let p = Logistic::new(ModelKind::ThreePL, it.a, b, it.c, 1.0).expected_score(theta);
    let response = if rng.gen_bool(omit_rate) {
        0
    } else if rng.gen_bool(p.clamp(0.0, 1.0)) {
        it.key
    } else if it.multiple {
        let size = match rng.gen_range(0..10) {
            0 => 1,
            1 => 3,
            _ => 2,
        };
        sample_mask(rng, it.options, size, it.key)
    } else {
        // Distractors with a negative slope on theta lure weaker candidates more.
        let w: Vec<f64> = (0..it.options)
            .map(|o| {
                if it.key & (1 << o) != 0 {
                    0.0
                } else {
                    (it.lure[o as usize].0 + it.lure[o as usize].1 * theta).exp()
                }
            })
            .collect();
        let mut u = rng.gen::<f64>() * w.iter().sum::<f64>();
        let mut pick = 0u8;
        for (o, wo) in w.iter().enumerate() {
            if *wo > 0.0 {
                pick = o as u8;
                if u < *wo {
                    break;
                }
                u -= wo;
            }
        }
        1 << pick
    };
    let secs = (it.log_seconds - 0.1 * theta + 0.35 * theta_noise.sample(rng)).exp();
    (response, secs)
}

/// The columns of the attempt log, in order.
const COLUMNS: [&str; 7] = [
    "attempt_id",
    "candidate_id",
    "form_id",
    "item_id",
    "response",
    "seconds",
    "submitted_at",
];

/// How the attempt log is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AttemptsFormat {
    /// `attempts.csv`.
    #[default]
    Csv,
    /// `attempts.parquet`, every column as text (as `qbank convert` writes it), in row groups
    /// of [`PARQUET_ROWS`] rows: no CSV on the way (35 GB at 10 million attempts).
    Parquet,
}

impl AttemptsFormat {
    /// The log's file name.
    pub fn file_name(self) -> &'static str {
        match self {
            AttemptsFormat::Csv => "attempts.csv",
            AttemptsFormat::Parquet => "attempts.parquet",
        }
    }
}

/// Rows per Parquet row group of the simulated log.
pub const PARQUET_ROWS: usize = 1 << 18;

/// Writes the attempt log (`attempts.csv` or `attempts.parquet`): every attempt's responses in
/// form order, the same rows and random stream either way. Returns the number of responses.
#[allow(clippy::too_many_arguments)]
pub(super) fn write_attempts(
    path: &Path,
    format: AttemptsFormat,
    cfg: &SimConfig,
    rng: &mut ChaCha8Rng,
    items: &[SimItem],
    forms: &[SimForm],
    candidates: &[SimCandidate],
    attempts: &[SimAttempt],
    plan: Option<&mut leak::Plan>,
) -> Result<usize, SimulateError> {
    let mut n_responses = 0usize;
    let draws = Draws {
        cfg,
        items,
        forms,
        candidates,
        attempts,
    };
    write_atomic(path, |w| match format {
        AttemptsFormat::Csv => {
            let mut csv = csv::Writer::from_writer(w);
            csv.write_record(COLUMNS)?;
            n_responses = draws.each_row(rng, plan, |row| Ok(csv.write_record(row)?))?;
            csv.flush()
        }
        AttemptsFormat::Parquet => {
            let mut sink = ParquetRows::new(w)?;
            n_responses = draws.each_row(rng, plan, |row| sink.push(row))?;
            sink.finish()
        }
    })
    .map_err(|source| SimulateError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(n_responses)
}

/// Text columns gathered row by row and written a row group at a time.
struct ParquetRows<'w> {
    writer: polars::io::parquet::write::BatchedWriter<&'w mut dyn std::io::Write>,
    columns: Vec<polars::prelude::StringChunkedBuilder>,
    rows: usize,
}

fn polars_io(e: polars::prelude::PolarsError) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

impl<'w> ParquetRows<'w> {
    fn new(w: &'w mut dyn std::io::Write) -> std::io::Result<Self> {
        use polars::prelude::*;
        let schema = Schema::from_iter(
            COLUMNS
                .iter()
                .map(|c| Field::new((*c).into(), DataType::String)),
        );
        let writer = ParquetWriter::new(w).batched(&schema).map_err(polars_io)?;
        Ok(ParquetRows {
            writer,
            columns: Self::builders(),
            rows: 0,
        })
    }

    fn builders() -> Vec<polars::prelude::StringChunkedBuilder> {
        COLUMNS
            .iter()
            .map(|c| polars::prelude::StringChunkedBuilder::new((*c).into(), PARQUET_ROWS))
            .collect()
    }

    fn push(&mut self, row: [&str; 7]) -> std::io::Result<()> {
        for (b, v) in self.columns.iter_mut().zip(row) {
            b.append_value(v);
        }
        self.rows += 1;
        if self.rows == PARQUET_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        use polars::prelude::*;
        let columns: Vec<Column> = std::mem::replace(&mut self.columns, Self::builders())
            .into_iter()
            .map(|b| b.finish().into_column())
            .collect();
        let df = DataFrame::new(self.rows, columns).map_err(polars_io)?;
        self.rows = 0;
        self.writer.write_batch(&df).map_err(polars_io)
    }

    fn finish(mut self) -> std::io::Result<()> {
        if self.rows > 0 {
            self.flush()?;
        }
        self.writer.finish().map_err(polars_io)?;
        Ok(())
    }
}

/// What the rows are drawn from.
struct Draws<'a> {
    cfg: &'a SimConfig,
    items: &'a [SimItem],
    forms: &'a [SimForm],
    candidates: &'a [SimCandidate],
    attempts: &'a [SimAttempt],
}

impl Draws<'_> {
    /// Draws every response in order and hands each row to `emit`; returns the number of rows.
    fn each_row(
        &self,
        rng: &mut ChaCha8Rng,
        mut plan: Option<&mut leak::Plan>,
        mut emit: impl FnMut([&str; 7]) -> std::io::Result<()>,
    ) -> std::io::Result<usize> {
        let Draws {
            cfg,
            items,
            forms,
            candidates,
            attempts,
        } = *self;
        let theta_noise = Normal::new(0.0, 1.0).expect("unit normal");
        let mut n_responses = 0usize;
        for (k, at) in attempts.iter().enumerate() {
            let c = &candidates[at.candidate];
            let aid = super::attempt_id(k);
            let cid = super::candidate_id(at.candidate);
            let when = timestamp(at.day);
            let form = &forms[at.form];
            for (i, _) in &form.items {
                let it = &items[*i];
                let theta = at.theta
                    - if it.domain == c.weak_domain {
                        cfg.weak_domain_shift
                    } else {
                        0.0
                    };
                let b = it.b + if c.focal { it.dif } else { 0.0 };
                let (mut response, mut secs) =
                    respond_one(rng, it, theta, b, cfg.omit_rate, &theta_noise);
                if let Some(plan) = plan.as_mut() {
                    match plan.response(k, *i, at.day) {
                        leak::Planted::Known => {
                            if plan.known_right() {
                                response = it.key;
                            }
                            secs *= (-leak::FAST_SD * leak::LOG_TIME_SD).exp();
                        }
                        leak::Planted::Guess => {
                            let (o, s) = plan.guess(it.options);
                            response = 1 << o;
                            secs = s;
                        }
                        leak::Planted::None => {}
                    }
                }
                emit([
                    aid.as_str(),
                    cid.as_str(),
                    form.id.as_str(),
                    it.id.as_str(),
                    letters(response).as_str(),
                    format!("{secs:.1}").as_str(),
                    when.as_str(),
                ])?;
                n_responses += 1;
            }
        }
        Ok(n_responses)
    }
}
