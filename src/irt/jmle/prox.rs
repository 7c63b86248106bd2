//! Starting values (PROX) and the measures of extreme scores.

use super::*;

/// Population mean and SD of the values at the flagged positions.
fn mean_sd(v: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut n, mut s, mut s2) = (0.0, 0.0, 0.0);
    for x in v {
        n += 1.0;
        s += x;
        s2 += x * x;
    }
    if n == 0.0 {
        return (0.0, 0.0);
    }
    let mean = s / n;
    (mean, (s2 / n - mean * mean).max(0.0).sqrt())
}

pub(super) fn centre(b: &mut [f64], act_i: &[bool]) -> f64 {
    let (mean, _) = mean_sd(b.iter().zip(act_i).filter(|(_, &a)| a).map(|(&x, _)| x));
    for (x, &a) in b.iter_mut().zip(act_i) {
        if a {
            *x -= mean;
        }
    }
    mean
}

/// PROX (normal approximation; Cohen 1979; Wright & Stone 1979, Best Test Design, ch. 2; Winsteps
/// manual "Iterations - PROX & JMLE"): theta_n = mu_n + sqrt(1 + sigma_n^2 / 2.9) ln(R_n / (N_n - R_n))
/// with mu_n, sigma_n the mean and SD of the difficulties of the items person n answered, and
/// b_i = mu_i - sqrt(1 + sigma_i^2 / 2.9) ln(R_i / (N_i - R_i)); both from the previous estimates,
/// items recentred; stops when neither range grows by 0.5 logits. Returns the iterations.
pub(super) fn prox(
    m: &Matrix,
    act_p: &[bool],
    act_i: &[bool],
    theta: &mut [f64],
    b: &mut [f64],
    max_iter: usize,
) -> usize {
    let mut old_range = (0.0, 0.0);
    let range = |v: &[f64], act: &[bool]| {
        let (lo, hi) = v
            .iter()
            .zip(act)
            .filter(|(_, &a)| a)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (&x, _)| {
                (lo.min(x), hi.max(x))
            });
        hi - lo
    };
    for it in 1..=max_iter {
        let mut new_theta = theta.to_vec();
        for p in 0..m.n_p {
            if !act_p[p] {
                continue;
            }
            let items = (0..m.n_i).filter(|&i| act_i[i] && m.get(p, i) != MISSING);
            let (mu, sd) = mean_sd(items.clone().map(|i| b[i]));
            let (r, n) = items.fold((0.0, 0.0), |(r, n), i| (r + m.get(p, i) as f64, n + 1.0));
            new_theta[p] = mu + (1.0 + sd * sd / 2.9).sqrt() * (r / (n - r)).ln();
        }
        let mut new_b = b.to_vec();
        for i in 0..m.n_i {
            if !act_i[i] {
                continue;
            }
            let persons = (0..m.n_p).filter(|&p| act_p[p] && m.get(p, i) != MISSING);
            let (mu, sd) = mean_sd(persons.clone().map(|p| theta[p]));
            let (r, n) = persons.fold((0.0, 0.0), |(r, n), p| (r + m.get(p, i) as f64, n + 1.0));
            new_b[i] = mu - (1.0 + sd * sd / 2.9).sqrt() * (r / (n - r)).ln();
        }
        centre(&mut new_b, act_i);
        theta.copy_from_slice(&new_theta);
        b.copy_from_slice(&new_b);
        let new_range = (range(theta, act_p), range(b, act_i));
        if it >= 2 && new_range.0 - old_range.0 < 0.5 && new_range.1 - old_range.1 < 0.5 {
            return it;
        }
        old_range = new_range;
    }
    max_iter
}

/// Measure of an extreme score: solves sum_k P(theta - b_k) = score adjusted by `adj` towards the
/// centre (Winsteps' EXTRSCORE), over the measures `others` (item difficulties for a person,
/// person abilities, sign-flipped, for an item), by bisection. Returns (measure, SE).
pub(super) fn extreme_measure(others: &[f64], target: f64) -> (f64, f64) {
    let f = |t: f64| others.iter().map(|&o| logistic(t - o)).sum::<f64>() - target;
    let (mut lo, mut hi) = (-50.0, 50.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) > 0.0 {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    let t = 0.5 * (lo + hi);
    let info: f64 = others
        .iter()
        .map(|&o| {
            let p = logistic(t - o);
            p * (1.0 - p)
        })
        .sum();
    (t, 1.0 / info.sqrt())
}
