//! Estimation of the lognormal model: marginal ML by EM and expected-information SEs.

use rayon::prelude::*;

use super::set_moments::{set_moments, SetMoments};
use super::*;

/// The usable ln-times (NaN marks a skipped response: internal only).
pub(super) struct Prepared {
    pub log_t: Vec<f32>,
    n_item: Vec<usize>,
    skipped_item: Vec<usize>,
    included: Vec<bool>,
    n_skipped: usize,
    n_on_excluded: usize,
}

pub(super) fn prepare(data: &TimeData, n_items: usize, min_n: usize) -> Result<Prepared, RtError> {
    data.validate(n_items)?;
    let mut log_t: Vec<f32> = data
        .seconds
        .par_iter()
        .map(|&s| log_time(s).map_or(f32::NAN, |l| l as f32))
        .collect();
    let mut n_item = vec![0usize; n_items];
    let mut skipped_item = vec![0usize; n_items];
    for (&i, l) in data.item.iter().zip(&log_t) {
        if l.is_nan() {
            skipped_item[i as usize] += 1;
        } else {
            n_item[i as usize] += 1;
        }
    }
    let n_skipped: usize = skipped_item.iter().sum();
    let included: Vec<bool> = n_item.iter().map(|&n| n > 0 && n >= min_n).collect();
    let mut n_on_excluded = 0;
    if included.iter().zip(&n_item).any(|(&inc, &n)| !inc && n > 0) {
        for (l, &i) in log_t.iter_mut().zip(&data.item) {
            if !l.is_nan() && !included[i as usize] {
                *l = f32::NAN;
                n_on_excluded += 1;
            }
        }
    }
    Ok(Prepared {
        log_t,
        n_item,
        skipped_item,
        included,
        n_skipped,
        n_on_excluded,
    })
}

/// Per-attempt sums under the current parameters.
struct AttemptSums {
    n: usize,
    /// sum of w_i = alpha_i^2
    w_sum: f64,
    /// sum of w_i (beta_i - y_ij)
    s: f64,
    /// sum of w_i (y_ij - beta_i)^2
    wrr: f64,
    /// sum of ln w_i
    log_w: f64,
}

/// (beta_i, w_i = alpha_i^2, ln w_i) of every item, packed for the hot loops.
fn pack(beta: &[f64], w: &[f64]) -> Vec<[f64; 3]> {
    beta.iter()
        .zip(w)
        .map(|(&b, &w)| [b, w, if w > 0.0 { w.ln() } else { 0.0 }])
        .collect()
}

#[inline]
fn attempt_sums(items: &[u32], log_t: &[f32], par: &[[f64; 3]]) -> AttemptSums {
    let mut a = AttemptSums {
        n: 0,
        w_sum: 0.0,
        s: 0.0,
        wrr: 0.0,
        log_w: 0.0,
    };
    for (&i, &y) in items.iter().zip(log_t) {
        if y.is_nan() {
            continue;
        }
        let [b, w, ln_w] = par[i as usize];
        let d = b - y as f64;
        a.n += 1;
        a.w_sum += w;
        a.s += w * d;
        a.wrr += w * d * d;
        a.log_w += ln_w;
    }
    a
}

/// Sufficient statistics of one EM pass.
pub(super) struct EmPass {
    /// per item: sum of u, sum of u^2, sum of posterior variances, with u = y + E(tau | data)
    pub su: Vec<f64>,
    pub su2: Vec<f64>,
    pub sv: Vec<f64>,
    /// sum over attempts of E(tau^2 | data) and of E(tau | data)
    pub tau2: f64,
    pub tau1: f64,
    pub n_persons: f64,
    pub log_likelihood: f64,
}

/// One EM pass: from the item sets' moments when the attempts fall into few sets (see
/// [`super::set_moments`]), else by a sweep of the responses.
fn e_step(
    data: &TimeData,
    prep: &Prepared,
    sets: Option<&[SetMoments]>,
    beta: &[f64],
    w: &[f64],
    s: f64,
) -> EmPass {
    match sets {
        Some(sets) => super::set_moments::em_pass(sets, beta, w, s),
        None => em_pass(data, prep, beta, w, s),
    }
}

/// E-step (closed form: the posterior of tau_j is normal with precision 1/s + sum w_i and mean
/// sum w_i (beta_i - y_ij) / precision) and the sums the M-step needs; also the marginal
/// log-likelihood, y_j ~ N(beta - 0, D + s 11') with D = diag(1 / w_i) (Sherman-Morrison).
pub(super) fn em_pass(data: &TimeData, prep: &Prepared, beta: &[f64], w: &[f64], s: f64) -> EmPass {
    let n_items = beta.len();
    let ln_2pi = (2.0 * std::f64::consts::PI).ln();
    let par = pack(beta, w);
    let parts: Vec<(Vec<[f64; 3]>, [f64; 4])> = blocks(data.n_attempts())
        .into_par_iter()
        .map(|range| {
            // per item: sum u, sum u^2, sum V; scalars: sum E tau^2, persons, loglik, sum E tau
            let mut acc = vec![[0.0f64; 3]; n_items];
            let mut sc = [0.0f64; 4];
            for j in range {
                let rr = data.attempt(j);
                let items = &data.item[rr.clone()];
                let ys = &prep.log_t[rr];
                let a = attempt_sums(items, ys, &par);
                if a.n == 0 {
                    continue;
                }
                let precision = 1.0 / s + a.w_sum;
                let m = a.s / precision;
                let v = 1.0 / precision;
                let c = s / (1.0 + s * a.w_sum);
                let quad = a.wrr - c * a.s * a.s;
                let log_det = -a.log_w + (1.0 + s * a.w_sum).ln();
                sc[0] += m * m + v;
                sc[1] += 1.0;
                sc[2] += -0.5 * (a.n as f64 * ln_2pi + log_det + quad);
                sc[3] += m;
                for (&i, &y) in items.iter().zip(ys) {
                    if y.is_nan() {
                        continue;
                    }
                    let u = y as f64 + m;
                    let cell = &mut acc[i as usize];
                    cell[0] += u;
                    cell[1] += u * u;
                    cell[2] += v;
                }
            }
            (acc, sc)
        })
        .collect();
    let mut total = vec![[0.0f64; 3]; n_items];
    let mut sc = [0.0f64; 4];
    for (acc, s4) in parts {
        for (t, a) in total.iter_mut().zip(acc) {
            t[0] += a[0];
            t[1] += a[1];
            t[2] += a[2];
        }
        for (t, a) in sc.iter_mut().zip(s4) {
            *t += a;
        }
    }
    EmPass {
        su: total.iter().map(|t| t[0]).collect(),
        su2: total.iter().map(|t| t[1]).collect(),
        sv: total.iter().map(|t| t[2]).collect(),
        tau2: sc[0],
        n_persons: sc[1],
        log_likelihood: sc[2],
        tau1: sc[3],
    }
}

/// Fits van der Linden's (2006) lognormal response-time model,
/// ln T_ij = beta_i - tau_j + e_ij, e_ij ~ N(0, 1 / alpha_i^2),
/// by marginal maximum likelihood with tau_j ~ N(0, sigma_tau^2), using EM: the E-step is the
/// normal posterior of tau_j, the M-step is closed form,
/// beta_i = mean_j (ln t_ij + E tau_j), 1 / alpha_i^2 = mean_j [(ln t_ij - beta_i + E tau_j)^2 +
/// Var tau_j], sigma_tau^2 = mean_j E(tau_j^2).
/// Standard errors come from the expected information of the marginal normal model,
/// I_ab = m_a' S^-1 m_b + tr(S^-1 S_a S^-1 S_b) / 2 summed over attempts (beta is orthogonal to the
/// variances), inverted densely; alpha's SE by the delta method from the residual variance's.
/// Persons: ML speed (the alpha^2-weighted mean of beta_i - ln t_ij) with SE 1 / sqrt(sum alpha^2),
/// and the EAP with its posterior SD.
pub fn fit_lognormal_rt(
    data: &TimeData,
    n_items: usize,
    opts: &RtOptions,
) -> Result<RtFit, RtError> {
    if !(opts.tolerance > 0.0 && opts.tolerance.is_finite()) {
        return Err(RtError::InvalidOption {
            name: "tolerance",
            value: opts.tolerance,
            expected: "a positive number",
        });
    }
    let prep = prepare(data, n_items, opts.min_responses_per_item.max(1))?;
    let mut warnings = Vec::new();
    for i in 0..n_items {
        if !prep.included[i] && prep.n_item[i] > 0 {
            warnings.push(RtWarning::ItemExcluded {
                item: i,
                n: prep.n_item[i],
                min: opts.min_responses_per_item,
            });
        }
    }
    let n_used: usize = (0..n_items)
        .filter(|&i| prep.included[i])
        .map(|i| prep.n_item[i])
        .sum();
    if n_used == 0 {
        return Err(RtError::NoUsableTimes {
            skipped: prep.n_skipped + prep.n_on_excluded,
        });
    }
    let identified = (0..data.n_attempts()).into_par_iter().any(|j| {
        data.attempt(j)
            .filter(|&r| !prep.log_t[r].is_nan())
            .nth(1)
            .is_some()
    });
    if !identified {
        return Err(RtError::NotIdentified);
    }

    // Start: beta = item mean of ln t, the variance of ln t split evenly between the residual and
    // the speed variance (one E-pass with w = 1 and s -> 0 gives the item moments).
    let ones = vec![1.0; n_items];
    let zeros = vec![0.0; n_items];
    let sets = set_moments(data, &prep.log_t);
    let sets = sets.as_deref();
    let moments = e_step(data, &prep, sets, &zeros, &ones, 1e-300);
    let mut beta = vec![0.0; n_items];
    let mut w = vec![0.0; n_items];
    let mut var_sum = 0.0;
    let mut var_n = 0.0;
    for i in 0..n_items {
        if !prep.included[i] {
            continue;
        }
        let n = prep.n_item[i] as f64;
        beta[i] = moments.su[i] / n;
        let var = (moments.su2[i] / n - beta[i] * beta[i]).max(1e-6);
        w[i] = 2.0 / var;
        var_sum += var;
        var_n += 1.0;
    }
    let mut s = (0.5 * var_sum / var_n).max(1e-6);

    let mut iterations = 0;
    let mut converged = false;
    let mut max_change = f64::INFINITY;
    let mut log_likelihood = f64::NAN;
    while iterations < opts.max_iterations {
        iterations += 1;
        let pass = e_step(data, &prep, sets, &beta, &w, s);
        log_likelihood = pass.log_likelihood;
        max_change = 0.0f64;
        // PX-EM (Liu, Rubin & Wu 1998): the M-step also fits a speed mean mu, then the model is
        // mapped back to E(tau) = 0 by beta_i - mu. This removes the slow EM mode of a common
        // shift of all beta_i (rate 1 - 1 / (1 + sigma^2 sum alpha^2), 0.96 for 65 items).
        let mu = pass.tau1 / pass.n_persons;
        for i in 0..n_items {
            if !prep.included[i] {
                continue;
            }
            let n = prep.n_item[i] as f64;
            let b_px = pass.su[i] / n;
            let v = ((pass.su2[i] / n - b_px * b_px) + pass.sv[i] / n).max(1e-12);
            let b = b_px - mu;
            max_change = max_change
                .max((b - beta[i]).abs())
                .max(0.5 * (w[i] * v).ln().abs());
            beta[i] = b;
            w[i] = 1.0 / v;
        }
        let s_new = (pass.tau2 / pass.n_persons - mu * mu).max(1e-12);
        max_change = max_change.max(0.5 * (s_new / s).ln().abs());
        s = s_new;
        if max_change < opts.tolerance {
            converged = true;
            break;
        }
    }
    if converged {
        // the log-likelihood at the final parameters
        log_likelihood = e_step(data, &prep, sets, &beta, &w, s).log_likelihood;
    } else {
        warnings.push(RtWarning::NotConverged {
            iterations,
            max_change,
        });
    }
    let sigma_tau = s.sqrt();
    if sigma_tau < 1e-4 {
        warnings.push(RtWarning::TinySpeedVariance { sigma_tau });
    }
    for (i, (&inc, &wi)) in prep.included.iter().zip(&w).enumerate() {
        if inc && wi.sqrt() > 20.0 {
            warnings.push(RtWarning::ExtremeAlpha {
                item: i,
                alpha: wi.sqrt(),
            });
        }
    }

    // Standard errors.
    let n_est = prep.included.iter().filter(|&&b| b).count();
    let mut se_beta = vec![None; n_items];
    let mut se_alpha = vec![None; n_items];
    let mut se_sigma_tau = None;
    if opts.standard_errors {
        if n_est > opts.max_items_for_se {
            warnings.push(RtWarning::StandardErrorsSkipped {
                n_items: n_est,
                max_items: opts.max_items_for_se,
            });
        } else {
            match standard_errors(data, &prep, &beta, &w, s) {
                Some((sb, sv, ss)) => {
                    for i in 0..n_items {
                        if prep.included[i] {
                            se_beta[i] = sb[i];
                            // alpha = v^(-1/2): |d alpha / d v| = alpha^3 / 2
                            se_alpha[i] = sv[i].map(|e| 0.5 * w[i].powf(1.5) * e);
                        }
                    }
                    se_sigma_tau = ss.map(|e| e / (2.0 * sigma_tau));
                }
                None => warnings.push(RtWarning::InformationSingular),
            }
        }
    }

    let items = (0..n_items)
        .map(|i| {
            let inc = prep.included[i];
            RtItem {
                beta: inc.then_some(beta[i]),
                alpha: inc.then(|| w[i].sqrt()),
                se_beta: se_beta[i],
                se_alpha: se_alpha[i],
                n: if inc { prep.n_item[i] } else { 0 },
                n_skipped: prep.skipped_item[i],
            }
        })
        .collect();
    let par = pack(&beta, &w);
    let persons = (0..data.n_attempts())
        .into_par_iter()
        .map(|j| {
            let rr = data.attempt(j);
            let a = attempt_sums(&data.item[rr.clone()], &prep.log_t[rr], &par);
            let n_skipped = data.attempt(j).len() - a.n;
            if a.n == 0 {
                return RtPerson {
                    tau: None,
                    se_tau: None,
                    tau_eap: None,
                    psd_tau: None,
                    n: 0,
                    n_skipped,
                };
            }
            let precision = 1.0 / s + a.w_sum;
            RtPerson {
                tau: Some(a.s / a.w_sum),
                se_tau: Some(1.0 / a.w_sum.sqrt()),
                tau_eap: Some(a.s / precision),
                psd_tau: Some(1.0 / precision.sqrt()),
                n: a.n,
                n_skipped,
            }
        })
        .collect();
    Ok(RtFit {
        items,
        persons,
        sigma_tau,
        se_sigma_tau,
        log_likelihood,
        iterations,
        converged,
        n_skipped: prep.n_skipped,
        n_on_excluded_items: prep.n_on_excluded,
        warnings,
    })
}

/// The marginal log-likelihood of the usable ln-times under given parameters: attempt j's
/// ln-times are N(beta - 0, diag(1 / alpha^2) + sigma_tau^2 11') (van der Linden 2006's model with
/// tau integrated out). `items` holds (beta_i, alpha_i) for every item; all items are used.
pub fn marginal_log_likelihood(
    data: &TimeData,
    items: &[(f64, f64)],
    sigma_tau: f64,
) -> Result<f64, RtError> {
    if let Some((item, &(beta, alpha))) = items
        .iter()
        .enumerate()
        .find(|(_, (b, a))| !(a.is_finite() && *a > 0.0 && b.is_finite()))
    {
        return Err(RtError::InvalidItemParameter { item, beta, alpha });
    }
    if !(sigma_tau.is_finite() && sigma_tau > 0.0) {
        return Err(RtError::InvalidOption {
            name: "sigma_tau",
            value: sigma_tau,
            expected: "a positive number",
        });
    }
    let prep = prepare(data, items.len(), 1)?;
    let beta: Vec<f64> = items.iter().map(|x| x.0).collect();
    let w: Vec<f64> = items.iter().map(|x| x.1 * x.1).collect();
    Ok(em_pass(data, &prep, &beta, &w, sigma_tau * sigma_tau).log_likelihood)
}

type SeTriple = (Vec<Option<f64>>, Vec<Option<f64>>, Option<f64>);

/// Expected information of the marginal model, per attempt j with item set S_j, W_j = sum w_i,
/// c_j = s / (1 + s W_j) and S^-1 = diag(w) - c_j w w' (Sherman-Morrison):
/// - beta:   I_ik = sum_j [S^-1]_ik = delta_ik n_i w_i - w_i w_k sum_{j: i,k in S_j} c_j
/// - v_i = 1 / w_i (residual variances) and s: I_ab = sum_j tr(S^-1 S_a S^-1 S_b) / 2, i.e.
///   I_{v_i v_k} = sum_j ([S^-1]_ik)^2 / 2, I_{v_i s} = sum_j (w_i / (1 + s W_j))^2 / 2,
///   I_ss = sum_j (W_j / (1 + s W_j))^2 / 2.
///
/// Returns the SEs of beta, of v and of s.
fn standard_errors(
    data: &TimeData,
    prep: &Prepared,
    beta: &[f64],
    w: &[f64],
    s: f64,
) -> Option<SeTriple> {
    let n_items = beta.len();
    let mut compact = vec![u32::MAX; n_items];
    let mut back = Vec::new();
    for (i, (c, &inc)) in compact.iter_mut().zip(&prep.included).enumerate() {
        if inc {
            *c = back.len() as u32;
            back.push(i);
        }
    }
    let k = back.len();
    // Pair sums sum_j c_j and sum_j c_j^2 over attempts holding both items (upper triangle,
    // interleaved), per item sum_j (1 + s W_j)^-2, and the s-s term, accumulated over a fixed
    // number of attempt blocks (fixed by the data's size only) and summed in block order.
    let n_att = data.n_attempts();
    let bytes_per_block = 16.0 * (k * k) as f64;
    let max_blocks = ((256.0 * 1024.0 * 1024.0) / bytes_per_block)
        .floor()
        .max(1.0) as usize;
    let n_blocks = max_blocks.min(32).min(n_att.div_ceil(CHUNK)).max(1);
    let per_block = n_att.div_ceil(n_blocks);
    let input = super::pair_sums::PairInput {
        data,
        log_t: &prep.log_t,
        w,
        s,
        compact: &compact,
        k,
    };
    let len = super::pair_sums::len(k);
    let parts: Vec<Vec<f64>> = (0..n_blocks)
        .into_par_iter()
        .map(|b| {
            super::pair_sums::block_sums(&input, b * per_block..((b + 1) * per_block).min(n_att))
        })
        .collect();
    let total = sum_in_order(parts, len);
    let m1 = |a: usize, b: usize| {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        total[2 * (lo * k + hi)]
    };
    let m2 = |a: usize, b: usize| {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        total[2 * (lo * k + hi) + 1]
    };
    let g = &total[2 * k * k..2 * k * k + k];
    let i_ss = total[2 * k * k + k];

    let mut info_b = nalgebra::DMatrix::<f64>::zeros(k, k);
    let mut info_v = nalgebra::DMatrix::<f64>::zeros(k + 1, k + 1);
    for a in 0..k {
        let wa = w[back[a]];
        let na = prep.n_item[back[a]] as f64;
        for b in a..k {
            let wb = w[back[b]];
            if a == b {
                info_b[(a, a)] = na * wa - wa * wa * m1(a, a);
                info_v[(a, a)] =
                    0.5 * (na * wa * wa - 2.0 * wa * wa * wa * m1(a, a) + wa.powi(4) * m2(a, a));
            } else {
                let x = -wa * wb * m1(a, b);
                info_b[(a, b)] = x;
                info_b[(b, a)] = x;
                let y = 0.5 * wa * wa * wb * wb * m2(a, b);
                info_v[(a, b)] = y;
                info_v[(b, a)] = y;
            }
        }
        let y = 0.5 * wa * wa * g[a];
        info_v[(a, k)] = y;
        info_v[(k, a)] = y;
    }
    info_v[(k, k)] = i_ss;
    let cov_b = info_b.cholesky()?.inverse();
    let cov_v = info_v.cholesky()?.inverse();
    let mut se_b = vec![None; n_items];
    let mut se_v = vec![None; n_items];
    for (a, &i) in back.iter().enumerate() {
        se_b[i] = Some(cov_b[(a, a)].sqrt());
        se_v[i] = Some(cov_v[(a, a)].sqrt());
    }
    Some((se_b, se_v, Some(cov_v[(k, k)].sqrt())))
}
