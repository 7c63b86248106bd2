//! Person-fit cutoffs by parametric simulation (PerFit's `cutoff(ModelFit = "Parametric")`) and
//! their application to a report.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::{
    fit_one, summarise, validate, AttemptData, GridTables, ItemBank, NoValue, PersonFit,
    PersonFitOptions, PersonFitReport, SecurityError, ThetaOptions, U3Weights, Work,
};

/// Person-fit cutoffs from model-fitting simulated attempts.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FitCutoffs {
    pub alpha: f64,
    /// alpha quantile of simulated lz* (flag lz* <= this).
    pub lz_star: f64,
    /// (1 - alpha) quantile of simulated U3 (flag U3 >= this), when weights were given.
    pub u3: Option<f64>,
    /// Simulated attempts with a value (perfect simulated patterns are dropped, as PerFit).
    pub n_simulated: usize,
}

/// Cutoffs by parametric simulation (PerFit `cutoff(ModelFit = "Parametric")`): draw `n_reps`
/// scored attempts at random (seeded), simulate 3PL responses on that attempt's items at its
/// estimated theta, re-estimate theta with `opts.theta`, compute lz* (and U3 with the same
/// weights), and take the alpha quantile of lz* and the (1 - alpha) quantile of U3 (R type 7),
/// alpha = `opts.alpha`. Seeded, drawn in sequence and fitted in parallel: the same cutoffs for any thread count.
pub fn person_fit_cutoffs(
    bank: &ItemBank,
    data: &AttemptData,
    fits: &[Result<PersonFit, NoValue>],
    opts: &PersonFitOptions,
    u3_weights: Option<&U3Weights>,
    n_reps: usize,
    seed: u64,
) -> Result<FitCutoffs, SecurityError> {
    validate(opts)?;
    if fits.len() != data.len() {
        return Err(SecurityError::LengthMismatch {
            what: "person fits (one per attempt)",
            expected: data.len(),
            found: fits.len(),
        });
    }
    let scored: Vec<(usize, f64)> = fits
        .iter()
        .enumerate()
        .filter_map(|(k, f)| f.as_ref().ok().map(|f| (k, f.theta)))
        .collect();
    if scored.is_empty() || n_reps < 10 {
        return Err(SecurityError::BadOption {
            name: "n_reps / scored attempts",
            value: n_reps.min(scored.len()) as f64,
            expected: "at least 10 replications and one scored attempt",
        });
    }
    let grid = opts.theta.start_grid();
    let tables = GridTables::new(bank.items(), grid.clone(), false);
    let sim_opts = PersonFitOptions {
        lz_star_cutoff: None,
        u3_cutoff: None,
        ..*opts
    };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut lz = Vec::with_capacity(n_reps);
    let mut u3s = Vec::with_capacity(n_reps);
    let mut draws = 0usize;
    // The draws use the generator in the same order whatever their outcome, so each batch is
    // drawn in sequence, fitted in parallel and taken in order: the cutoffs of a sequential loop.
    while lz.len() < n_reps && draws < 20 * n_reps {
        let batch = (n_reps - lz.len()).min(20 * n_reps - draws);
        let sims: Vec<Vec<(u32, u8)>> = (0..batch)
            .map(|_| {
                let (k, theta) = scored[rng.gen_range(0..scored.len())];
                data.attempt(k)
                    .iter()
                    .map(|&(i, _)| (i, u8::from(rng.gen::<f64>() < bank.p(i as usize, theta))))
                    .collect()
            })
            .collect();
        let fits: Vec<Result<PersonFit, NoValue>> = sims
            .par_iter()
            .map_init(Work::default, |work, sim| {
                fit_one(bank, sim, &sim_opts, &grid, Some(&tables), u3_weights, work)
            })
            .collect();
        for f in fits {
            if lz.len() >= n_reps {
                break;
            }
            draws += 1;
            if let Ok(f) = f {
                lz.push(f.lz_star);
                if let Some(u) = f.u3 {
                    u3s.push(u);
                }
            }
        }
    }
    if lz.is_empty() {
        return Err(SecurityError::NoValue(NoValue::ZeroVariance));
    }
    lz.sort_unstable_by(f64::total_cmp);
    u3s.sort_unstable_by(f64::total_cmp);
    Ok(FitCutoffs {
        alpha: opts.alpha,
        lz_star: quantile_type7(&lz, opts.alpha),
        u3: (u3_weights.is_some() && !u3s.is_empty())
            .then(|| quantile_type7(&u3s, 1.0 - opts.alpha)),
        n_simulated: lz.len(),
    })
}

/// Sets `flagged_calibrated` and `flagged_u3` of every scored attempt from the cutoffs, and the
/// report's counts and note.
pub fn apply_cutoffs(report: &mut PersonFitReport, cutoffs: &FitCutoffs) {
    for f in report.fits.iter_mut().flatten() {
        f.flagged_calibrated = Some(f.lz_star <= cutoffs.lz_star);
        f.flagged_u3 = match (f.u3, cutoffs.u3) {
            (Some(u), Some(c)) => Some(u >= c),
            _ => None,
        };
    }
    let opts = PersonFitOptions {
        theta: ThetaOptions::default(),
        alpha: report.alpha,
        lz_star_cutoff: Some(cutoffs.lz_star),
        u3_cutoff: cutoffs.u3,
    };
    let fits = std::mem::take(&mut report.fits);
    *report = summarise(fits, &opts);
}

/// Quantile of sorted values, R's type 7 (linear interpolation between order statistics).
fn quantile_type7(sorted: &[f64], prob: f64) -> f64 {
    let n = sorted.len();
    if n == 1 {
        return sorted[0];
    }
    let h = (n - 1) as f64 * prob;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}
