//! Recovery tests: the delta-method SEE against the spread of equated scores over simulated
//! samples drawn from known score distributions (seeded ChaCha8 streams).

use qbank::equate::kernel::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Frequencies of `n` draws from the distribution `p`.
fn multinomial(p: &[f64], n: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let cum: Vec<f64> = p
        .iter()
        .scan(0.0, |s, v| {
            *s += v;
            Some(*s)
        })
        .collect();
    let mut freq = vec![0.0; p.len()];
    for _ in 0..n {
        let u: f64 = rng.gen::<f64>() * cum[cum.len() - 1];
        let i = cum.partition_point(|c| *c < u).min(p.len() - 1);
        freq[i] += 1.0;
    }
    freq
}

// recovery: truth = the Math20EG presmoothed distributions (X 2 moments, Y 3 moments, which
// satisfy the log-linear models), N = 1453 and 1455, bandwidths fixed at the optimal values
// (the SEE treats h as fixed). Over 400 simulated pairs of samples, each presmoothed and
// equated, the SD of e_Y(x) and e_X(y) must match the delta-method SEE at the truth within
// 15 % (the SD of an SD from 400 replications is ~3.5 %), and the mean equated score must be
// within 4 Monte Carlo SEs of the true one (plus 0.01 for the delta method's bias).
#[test]
fn delta_method_see_matches_simulated_spread() {
    let (x, y) = super::kernel_common::math20eg();
    let truth = kernel_equate_eg(&x, &y, &KernelOptions::new(2, 3)).unwrap();
    let (r, s) = (truth.fit_x.fitted.clone(), truth.fit_y.fitted.clone());
    let (nx, ny) = (1453, 1455);
    let mut opts = KernelOptions::new(2, 3);
    opts.bandwidth_x = Bandwidth::Fixed(truth.h_x);
    opts.bandwidth_y = Bandwidth::Fixed(truth.h_y);
    // SEE at the truth: equate the expected frequencies N r, N s (their fit is r, s exactly).
    let ex: Vec<f64> = r.iter().map(|p| p * nx as f64).collect();
    let ey: Vec<f64> = s.iter().map(|p| p * ny as f64).collect();
    let at_truth = kernel_equate_eg(&ex, &ey, &opts).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(20040101);
    let reps = 400;
    let (mut sum_y, mut sq_y) = (vec![0.0; 21], vec![0.0; 21]);
    let (mut sum_x, mut sq_x) = (vec![0.0; 21], vec![0.0; 21]);
    for _ in 0..reps {
        let fx = multinomial(&r, nx, &mut rng);
        let fy = multinomial(&s, ny, &mut rng);
        let eq = kernel_equate_eg(&fx, &fy, &opts).unwrap();
        for i in 0..21 {
            sum_y[i] += eq.e_y[i];
            sq_y[i] += eq.e_y[i] * eq.e_y[i];
            sum_x[i] += eq.e_x[i];
            sq_x[i] += eq.e_x[i] * eq.e_x[i];
        }
    }
    let n = reps as f64;
    for (dir, sum, sq, see, e) in [
        ("e_Y(x)", &sum_y, &sq_y, &at_truth.see_y, &at_truth.e_y),
        ("e_X(y)", &sum_x, &sq_x, &at_truth.see_x, &at_truth.e_x),
    ] {
        let mut worst: f64 = 0.0;
        for i in 0..21 {
            let mean = sum[i] / n;
            let sd = ((sq[i] - n * mean * mean) / (n - 1.0)).sqrt();
            worst = worst.max((sd / see[i] - 1.0).abs());
            assert!(
                (sd / see[i] - 1.0).abs() < 0.15,
                "{dir} at {i}: simulated SD {sd:.4}, delta-method SEE {:.4}",
                see[i]
            );
            assert!(
                (mean - e[i]).abs() < 4.0 * sd / n.sqrt() + 0.01,
                "{dir} at {i}: simulated mean {mean:.4}, true {:.4}",
                e[i]
            );
        }
        eprintln!("EG {dir}: largest |simulated SD / SEE - 1| = {worst:.3}");
    }
}

// recovery: NEAT chain and post-stratification equating. Truth = the bivariate log-linear fits
// (3, 3, 1, 1) of Kolen & Brennan's NEAT example, N = 1655 (P) and 1638 (Q), bandwidths fixed
// at their optimal values. Over 120 simulated pairs of samples the SD of e_Y(x) must match the
// delta-method SEE (||J_e J_DF C||, KE ch. 10) within 25 % (the SD of an SD from 120
// replications is ~6.5 %) at every score with SEE > 0.05.
#[test]
fn neat_delta_method_see_matches_simulated_spread() {
    let (xt, xa) = super::kernel_common::kbneat("x");
    let (yt, ya) = super::kernel_common::kbneat("y");
    let jx = joint_frequencies(&xt, &xa, 36, 12).unwrap();
    let jy = joint_frequencies(&yt, &ya, 36, 12).unwrap();
    let model = BivariateModel {
        moments_x: 3,
        moments_a: 3,
        cross_x: 1,
        cross_a: 1,
    };
    let unflatten = |p: &[f64], scale: f64| -> Vec<Vec<f64>> {
        (0..37)
            .map(|j| (0..13).map(|l| p[l * 37 + j] * scale).collect())
            .collect()
    };
    for method in [
        NeatMethod::ChainEquating,
        NeatMethod::PostStratification { w: 0.5 },
    ] {
        let mut opts = NeatOptions {
            method,
            model_xa: model,
            model_ya: model,
            kernel: Kernel::Gaussian,
            bandwidth: Bandwidth::Optimal,
            kappa: 0.0,
        };
        let fitted = kernel_equate_neat(&jx, &jy, &opts).unwrap();
        let (p, q) = (fitted.fit_xa.fitted.clone(), fitted.fit_ya.fitted.clone());
        // One fixed bandwidth (X's optimum) for every continuization, in the truth and in
        // every replication: the SEE treats bandwidths as constants.
        opts.bandwidth = Bandwidth::Fixed(fitted.bandwidths.h_x);
        let truth =
            kernel_equate_neat(&unflatten(&p, 1655.0), &unflatten(&q, 1638.0), &opts).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(1655);
        let reps = 120;
        let (mut sum, mut sq) = (vec![0.0; 37], vec![0.0; 37]);
        for _ in 0..reps {
            let fp = multinomial(&p, 1655, &mut rng);
            let fq = multinomial(&q, 1638, &mut rng);
            let eq = kernel_equate_neat(&unflatten(&fp, 1.0), &unflatten(&fq, 1.0), &opts).unwrap();
            for i in 0..37 {
                sum[i] += eq.e_y[i];
                sq[i] += eq.e_y[i] * eq.e_y[i];
            }
        }
        let n = reps as f64;
        let mut worst: f64 = 0.0;
        for i in 0..37 {
            let mean = sum[i] / n;
            let sd = ((sq[i] - n * mean * mean) / (n - 1.0)).sqrt();
            if truth.see_y[i] > 0.05 {
                worst = worst.max((sd / truth.see_y[i] - 1.0).abs());
                assert!(
                    (sd / truth.see_y[i] - 1.0).abs() < 0.25,
                    "{method:?} e_Y({i}): simulated SD {sd:.4}, delta-method SEE {:.4}",
                    truth.see_y[i]
                );
            }
        }
        eprintln!("{method:?}: largest |simulated SD / SEE - 1| = {worst:.3}");
    }
}
