//! Property tests of kernel equating: exact moment preservation of the continuization, the
//! linear limit, symmetry, bandwidth optimality, SEED, and errors on unusable input.

use qbank::equate::kernel::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const KERNELS: [Kernel; 3] = [Kernel::Gaussian, Kernel::Logistic, Kernel::Uniform];

/// Simpson's rule on [lo, hi] with n (even) intervals.
fn simpson(f: impl Fn(f64) -> f64, lo: f64, hi: f64, n: usize) -> f64 {
    let h = (hi - lo) / n as f64;
    let mut s = f(lo) + f(hi);
    for i in 1..n {
        s += f(lo + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    s * h / 3.0
}

// property (KE Theorem 4.1): the continuized X(h) has exactly the mean and variance of the
// discrete distribution, for every kernel and bandwidth; checked by numerical integration of
// the continuized CDF (independent of the closed form): on [lo, hi] containing the support,
// E X = hi - int F and E X^2 = hi^2 - int 2t F(t) dt. F is continuous for every kernel (piecewise
// linear for the uniform one), so Simpson's rule is accurate.
#[test]
fn continuization_preserves_mean_and_variance() {
    let (x, _) = super::kernel_common::math20eg();
    let r = loglinear_fit(&x, 2).unwrap().fitted;
    for kernel in KERNELS {
        for h in [0.3, 0.62, 1.0, 2.5, 10.0] {
            let c = Continuized::new(&r, kernel, h).unwrap();
            let (lo, hi) = (-60.0, 80.0);
            let n = 80_000;
            let mean = hi - simpson(|t| c.cdf(t), lo, hi, n);
            let second = hi * hi - simpson(|t| 2.0 * t * c.cdf(t), lo, hi, n);
            let var = second - mean * mean;
            let tol = if kernel == Kernel::Uniform {
                1e-6
            } else {
                1e-8
            };
            assert!(
                (mean - c.mean).abs() < tol,
                "{kernel:?} h={h}: mean {mean} vs {}",
                c.mean
            );
            assert!(
                (var - c.variance).abs() < tol * 10.0,
                "{kernel:?} h={h}: variance {var} vs {}",
                c.variance
            );
            // and the density integrates to 1 where it is smooth
            if kernel != Kernel::Uniform {
                let mass = simpson(|t| c.pdf(t), lo, hi, n);
                assert!(
                    (mass - 1.0).abs() < 1e-10,
                    "{kernel:?} h={h}: density integrates to {mass}"
                );
            }
        }
    }
}

/// Simulated number-correct scores on `items` items for `n` examinees (seeded).
fn simulate_scores(items: usize, n: usize, shift: f64, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut freq = vec![0.0; items + 1];
    for _ in 0..n {
        let theta: f64 = rng.sample::<f64, _>(rand_distr::StandardNormal) + shift;
        let score = (0..items)
            .filter(|&i| {
                let b = -2.0 + 4.0 * i as f64 / items as f64;
                rng.gen::<f64>() < 1.0 / (1.0 + (-(theta - b) * 1.2).exp())
            })
            .count();
        freq[score] += 1.0;
    }
    freq
}

// property (KE Theorem 4.5): with very large bandwidths kernel equating is linear equating,
// e_Y(x) = mu_Y + (s_Y / s_X)(x - mu_X), with the moments of the raw data (presmoothing with 2+
// moments keeps them); here with different score ranges (X 0..=30, Y 0..=45), Gaussian and
// logistic kernels. (The uniform kernel's large-bandwidth limit is a uniform distribution with
// bounded support, mu +- sqrt(3) s: scores outside it have F = 0 or 1 and cannot be equated, an
// error rather than a value.)
#[test]
fn large_bandwidths_give_linear_equating_with_different_score_ranges() {
    let x = simulate_scores(30, 2000, 0.0, 11);
    let y = simulate_scores(45, 2500, 0.3, 12);
    let (mx, sx) = super::kernel_common::mean_sd(&x);
    let (my, sy) = super::kernel_common::mean_sd(&y);
    let mut uniform = KernelOptions::new(3, 4);
    uniform.kernel = Kernel::Uniform;
    uniform.bandwidth_x = Bandwidth::Linear;
    uniform.bandwidth_y = Bandwidth::Linear;
    assert!(matches!(
        kernel_equate_eg(&x, &y, &uniform),
        Err(KernelError::NotInvertible { .. })
    ));
    for kernel in [Kernel::Gaussian, Kernel::Logistic] {
        let mut opts = KernelOptions::new(3, 4);
        opts.kernel = kernel;
        opts.bandwidth_x = Bandwidth::Linear;
        opts.bandwidth_y = Bandwidth::Linear;
        let eq = kernel_equate_eg(&x, &y, &opts).unwrap();
        assert_eq!((eq.e_y.len(), eq.e_x.len()), (31, 46));
        for (xs, e) in eq.e_y.iter().enumerate() {
            let lin = my + sy / sx * (xs as f64 - mx);
            assert!(
                (e - lin).abs() < 1e-4,
                "{kernel:?} e_Y({xs}) = {e}, linear {lin}"
            );
        }
        for (ys, e) in eq.e_x.iter().enumerate() {
            let lin = mx + sx / sy * (ys as f64 - my);
            assert!(
                (e - lin).abs() < 1e-4,
                "{kernel:?} e_X({ys}) = {e}, linear {lin}"
            );
        }
    }
}

// property: swapping X and Y swaps the two directions (equated scores and SEEs), and equating
// a form to itself is the identity.
#[test]
fn equating_is_symmetric_and_identity_on_identical_forms() {
    let (x, y) = super::kernel_common::math20eg();
    let a = kernel_equate_eg(&x, &y, &KernelOptions::new(2, 3)).unwrap();
    let b = kernel_equate_eg(&y, &x, &KernelOptions::new(3, 2)).unwrap();
    for i in 0..21 {
        assert!(
            (a.e_y[i] - b.e_x[i]).abs() < 1e-9,
            "e_Y({i}) after swapping forms"
        );
        assert!(
            (a.see_y[i] - b.see_x[i]).abs() < 1e-9,
            "SEE of e_Y({i}) after swapping forms"
        );
    }
    let same = kernel_equate_eg(&x, &x, &KernelOptions::new(2, 2)).unwrap();
    for (i, e) in same.e_y.iter().enumerate() {
        assert!(
            (e - i as f64).abs() < 1e-9,
            "X equated to itself at {i}: {e}"
        );
        assert!(
            same.see_y[i] > 0.0,
            "SEE of an identity equating estimated from two samples is positive"
        );
    }
}

// property: e_X is the inverse function of e_Y (KE eq. 4.17): G^-1(F(x)) mapped back by
// F^-1(G(.)) returns x, at non-integer scores too.
#[test]
fn the_two_directions_are_inverse_functions() {
    let (x, y) = super::kernel_common::math20eg();
    let eq = kernel_equate_eg(&x, &y, &KernelOptions::new(2, 3)).unwrap();
    let f = Continuized::new(&eq.fit_x.fitted, Kernel::Gaussian, eq.h_x).unwrap();
    let g = Continuized::new(&eq.fit_y.fitted, Kernel::Gaussian, eq.h_y).unwrap();
    for t in [-0.5, 0.0, 3.3, 10.0, 17.8, 20.0] {
        let e = g.quantile(f.cdf(t)).unwrap();
        let back = f.quantile(g.cdf(e)).unwrap();
        assert!((back - t).abs() < 1e-9, "e_X(e_Y({t})) = {back}");
    }
    assert!((eq.e_y[7] - g.quantile(f.cdf(7.0)).unwrap()).abs() < 1e-12);
}

// property: the chosen bandwidth is a minimum of PEN1 (no better value nearby) and PEN2 is 0
// there for these unimodal distributions; kappa = 1 (SNSequate's default) changes nothing.
#[test]
fn optimal_bandwidth_minimises_the_penalty() {
    let (x, y) = super::kernel_common::math20eg();
    for (name, freq, t) in [("X", &x, 2), ("Y", &y, 3)] {
        let r = loglinear_fit(freq, t).unwrap().fitted;
        for kernel in KERNELS {
            let h = optimal_bandwidth(&r, kernel, 0.0).unwrap();
            let p = pen1(&r, kernel, h).unwrap();
            for d in [-0.05, -0.005, 0.005, 0.05] {
                let q = pen1(&r, kernel, h + d).unwrap();
                assert!(
                    q >= p,
                    "{name} {kernel:?}: PEN1({}) = {q} < PEN1({h}) = {p}",
                    h + d
                );
            }
            assert_eq!(
                pen2(&r, kernel, h).unwrap(),
                0.0,
                "{name} {kernel:?}: PEN2 at the optimum"
            );
            let h1 = optimal_bandwidth(&r, kernel, 1.0).unwrap();
            assert!(
                (h1 - h).abs() < 1e-9,
                "{name} {kernel:?}: kappa = 1 gives {h1}, kappa = 0 gives {h}"
            );
        }
    }
}

// property: PEN2 counts the valley of a bimodal distribution at a small bandwidth and none
// once the bandwidth smooths it away.
#[test]
fn pen2_counts_valleys() {
    let f: Vec<f64> = (0..=20)
        .map(|x| {
            let x = x as f64;
            (-(x - 5.0).powi(2) / 4.0).exp() + (-(x - 15.0).powi(2) / 4.0).exp() + 0.01
        })
        .collect();
    let n: f64 = f.iter().sum();
    let r: Vec<f64> = f.iter().map(|v| v / n).collect();
    assert!(
        pen2(&r, Kernel::Gaussian, 0.6).unwrap() >= 1.0,
        "valley at 10 is counted"
    );
    assert_eq!(
        pen2(&r, Kernel::Gaussian, 20.0).unwrap(),
        0.0,
        "no valley once oversmoothed"
    );
}

// property: the SEED of an equating with itself is 0; the SEED between the optimal-bandwidth
// and the linear kernel equating (KE Figure 7.7) is positive and below SEE_1 + SEE_2.
#[test]
fn seed_properties() {
    let (x, y) = super::kernel_common::math20eg();
    let kernel_eq = kernel_equate_eg(&x, &y, &KernelOptions::new(2, 3)).unwrap();
    let mut lin = KernelOptions::new(2, 3);
    lin.bandwidth_x = Bandwidth::Linear;
    lin.bandwidth_y = Bandwidth::Linear;
    let linear_eq = kernel_equate_eg(&x, &y, &lin).unwrap();
    let zero = seed(&kernel_eq, &kernel_eq).unwrap();
    assert!(zero.seed_y.iter().chain(&zero.seed_x).all(|v| *v == 0.0));
    let s = seed(&kernel_eq, &linear_eq).unwrap();
    for i in 0..21 {
        assert!(
            s.seed_y[i] > 0.0 && s.seed_y[i] <= kernel_eq.see_y[i] + linear_eq.see_y[i] + 1e-12
        );
        assert!((s.diff_y[i] - (kernel_eq.e_y[i] - linear_eq.e_y[i])).abs() < 1e-12);
    }
    let other = kernel_equate_eg(&x, &y, &KernelOptions::new(3, 3)).unwrap();
    assert!(matches!(
        seed(&kernel_eq, &other),
        Err(KernelError::SeedMismatch(_))
    ));
}

// property: unusable input gives typed errors (no panic, no NaN).
#[test]
fn bad_input_gives_errors() {
    let (x, y) = super::kernel_common::math20eg();
    let mut o = KernelOptions::new(2, 3);
    o.bandwidth_x = Bandwidth::Fixed(0.0);
    assert!(matches!(
        kernel_equate_eg(&x, &y, &o),
        Err(KernelError::InvalidBandwidth { .. })
    ));
    o.bandwidth_x = Bandwidth::Fixed(f64::NAN);
    assert!(matches!(
        kernel_equate_eg(&x, &y, &o),
        Err(KernelError::InvalidBandwidth { .. })
    ));
    let empty = vec![0.0; 21];
    assert!(matches!(
        kernel_equate_eg(&empty, &y, &KernelOptions::new(2, 3)),
        Err(KernelError::EmptyDistribution { ref what }) if what == "form X"
    ));
    // Everybody at one score: no log-linear ML fit and no variance to continuize.
    let mut spike = vec![0.0; 21];
    spike[10] = 50.0;
    assert!(kernel_equate_eg(&spike, &y, &KernelOptions::new(2, 3)).is_err());
    assert!(matches!(
        Continuized::new(
            &{
                let mut r = vec![0.0; 5];
                r[2] = 1.0;
                r
            },
            Kernel::Gaussian,
            0.5
        ),
        Err(KernelError::ZeroVariance { .. })
    ));
    assert!(matches!(
        joint_frequencies(&[1, 2], &[0], 5, 2),
        Err(KernelError::LengthMismatch { .. })
    ));
    assert!(matches!(
        joint_frequencies(&[1, 9], &[0, 1], 5, 2),
        Err(KernelError::ScoreOutOfRange {
            index: 1,
            score: 9,
            ..
        })
    ));
    let jx = joint_frequencies(&[1, 2, 3, 4, 2, 3], &[0, 1, 1, 2, 1, 2], 5, 2).unwrap();
    let jy = joint_frequencies(&[1, 2, 3, 4, 2, 3], &[0, 1, 1, 2, 1, 3], 5, 3).unwrap();
    let model = BivariateModel {
        moments_x: 1,
        moments_a: 1,
        cross_x: 1,
        cross_a: 1,
    };
    let opts = NeatOptions {
        method: NeatMethod::PostStratification { w: 0.5 },
        model_xa: model,
        model_ya: model,
        kernel: Kernel::Gaussian,
        bandwidth: Bandwidth::Optimal,
        kappa: 0.0,
    };
    assert!(matches!(
        kernel_equate_neat(&jx, &jy, &opts),
        Err(KernelError::AnchorMismatch { .. })
    ));
    let bad_w = NeatOptions {
        method: NeatMethod::PostStratification { w: 1.5 },
        ..opts
    };
    assert!(matches!(
        kernel_equate_neat(&jx, &jx, &bad_w),
        Err(KernelError::InvalidWeight(_))
    ));
}

// property: PSE with w = 1 equates on population P, where X is observed, so its r is P's
// fitted X marginal; and with large bandwidths PSE is linear on the synthetic moments.
#[test]
fn pse_synthetic_population_properties() {
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
    let mut opts = NeatOptions {
        method: NeatMethod::PostStratification { w: 1.0 },
        model_xa: model,
        model_ya: model,
        kernel: Kernel::Gaussian,
        bandwidth: Bandwidth::Linear,
        kappa: 0.0,
    };
    let eq = kernel_equate_neat(&jx, &jy, &opts).unwrap();
    let px = eq.fit_xa.marginal_x();
    assert_eq!(eq.r.len(), 37);
    for (j, (r, p)) in eq.r.iter().zip(&px).enumerate() {
        assert!((r - p).abs() < 1e-14, "w = 1: r_{j} is P's X marginal");
    }
    let (mr, sr) = super::kernel_common::mean_sd(&eq.r);
    let (ms, ss) = super::kernel_common::mean_sd(&eq.s);
    for (x, e) in eq.e_y.iter().enumerate() {
        let lin = ms + ss / sr * (x as f64 - mr);
        assert!(
            (e - lin).abs() < 1e-4,
            "PSE large h, e_Y({x}) = {e}, linear {lin}"
        );
    }
    opts.method = NeatMethod::PostStratification { w: 0.5 };
    opts.bandwidth = Bandwidth::Optimal;
    let eq = kernel_equate_neat(&jx, &jy, &opts).unwrap();
    assert!(
        (eq.r.iter().sum::<f64>() - 1.0).abs() < 1e-12
            && (eq.s.iter().sum::<f64>() - 1.0).abs() < 1e-12
    );
    assert!(eq.see_y.iter().all(|v| v.is_finite() && *v > 0.0));
}
