//! Derivative and recovery tests of the one-attempt theta estimators.

use super::*;
use crate::irt::model::{Curve, ItemModel, Logistic};

fn items() -> Vec<Logistic> {
    [
        (1.2, -1.0, 0.2),
        (0.7, 0.3, 0.0),
        (2.1, 0.8, 0.25),
        (1.0, 1.9, 0.1),
    ]
    .iter()
    .map(|&(a, b, c)| Logistic::from_abc(a, b, c, 1.702))
    .collect()
}

/// A model that only has the trait's required expected score and slope (a 2PL written out), so
/// that the default `curve` and `score_terms` are exercised.
struct Plain(Logistic);

impl ItemModel for Plain {
    fn n_categories(&self) -> usize {
        2
    }
    fn probs(&self, theta: f64, out: &mut [f64]) {
        self.0.probs(theta, out)
    }
    fn free_params(&self) -> Vec<f64> {
        self.0.free_params()
    }
    fn set_free_params(&mut self, p: &[f64]) {
        self.0.set_free_params(p)
    }
    fn log_lik(&self, theta: &[f64], counts: &[&[f64]], grad: &mut [f64], hess: &mut [f64]) -> f64 {
        self.0.log_lik(theta, counts, grad, hess)
    }
    fn score(&self, theta: f64, category: usize, out: &mut [f64]) {
        self.0.score(theta, category, out)
    }
    fn expected_score(&self, theta: f64) -> f64 {
        self.0.expected_score(theta)
    }
    fn expected_score_slope(&self, theta: f64) -> f64 {
        self.0.expected_score_slope(theta)
    }
    fn score_variance(&self, theta: f64) -> f64 {
        self.0.score_variance(theta)
    }
    fn information(&self, theta: f64) -> f64 {
        ItemModel::information(&self.0, theta)
    }
    fn lower_asymptote(&self) -> f64 {
        self.0.c
    }
    fn discrimination(&self) -> f64 {
        self.0.a
    }
    fn difficulty(&self) -> f64 {
        self.0.b()
    }
    fn rescaled(&self, slope: f64, intercept: f64) -> Plain {
        Plain(self.0.rescaled(slope, intercept))
    }
}

fn check_curve(name: &str, e: Curve, lo: Curve, hi: Curve, h: f64, tol: f64) {
    let fd1 = (hi.p - lo.p) / (2.0 * h);
    let fd2 = (hi.dp - lo.dp) / (2.0 * h);
    let fd3 = (hi.d2p - lo.d2p) / (2.0 * h);
    assert!((e.dp - fd1).abs() < tol, "{name}: P' {} vs {fd1}", e.dp);
    assert!((e.d2p - fd2).abs() < tol, "{name}: P'' {} vs {fd2}", e.d2p);
    assert!(
        (e.d3p - fd3).abs() < 10.0 * tol,
        "{name}: P''' {} vs {fd3}",
        e.d3p
    );
    assert!((e.p + e.q - 1.0).abs() < 1e-12, "{name}: P + Q");
}

// derivative: P', P'', P''' of each item (the 3PL's closed forms and the trait's default by
// differences of the slope) against central finite differences.
#[test]
fn item_derivatives_match_finite_differences() {
    let h = 1e-5;
    for (i, it) in items().iter().enumerate() {
        for &t in &[-2.0, -0.4, 0.5, 1.7] {
            let name = format!("item {i} theta {t} (3PL)");
            check_curve(
                &name,
                it.curve(t),
                it.curve(t - h),
                it.curve(t + h),
                h,
                1e-8,
            );
            if it.c == 0.0 {
                let plain = Plain(*it);
                let name = format!("item {i} theta {t} (default curve)");
                let (e, lo, hi) = (plain.curve(t), plain.curve(t - h), plain.curve(t + h));
                check_curve(&name, e, lo, hi, h, 1e-5);
            }
        }
    }
}

// derivative: the score is d lnL / dtheta, and each estimating function's derivative (ML,
// MAP, WLE with its J/(2I) term) matches finite differences.
#[test]
fn estimating_functions_match_finite_differences() {
    let items = items();
    let resp = [(0u32, 1u8), (1, 0), (2, 1), (3, 0)];
    let h = 1e-5;
    for method in [
        ThetaMethod::Ml,
        ThetaMethod::Wle,
        ThetaMethod::Map {
            mu: 0.3,
            sigma: 1.2,
        },
    ] {
        for &t in &[-1.5, 0.0, 0.9, 2.2] {
            let (f, df, s) = estimating_fn(&items, &resp, method, t);
            let (flo, _, _) = estimating_fn(&items, &resp, method, t - h);
            let (fhi, _, _) = estimating_fn(&items, &resp, method, t + h);
            let fd_ll = (loglik(&items, &resp, t + h) - loglik(&items, &resp, t - h)) / (2.0 * h);
            assert!(
                (s.s - fd_ll).abs() < 1e-7,
                "{method:?} theta {t}: score {} vs {fd_ll}",
                s.s
            );
            let fd = (fhi - flo) / (2.0 * h);
            assert!(
                (df - fd).abs() < 1e-6,
                "{method:?} theta {t}: f' {df} vs {fd}"
            );
            assert!(f.is_finite());
        }
    }
}

// derivative: the 3PL's short-form score terms equal the trait's default ones from the curve.
#[test]
fn short_form_score_terms_match_the_default() {
    for (i, it) in items().iter().enumerate() {
        let plain = Plain(*it);
        for &t in &[-2.0, 0.1, 1.3] {
            for right in [false, true] {
                let (a, b) = (it.score_terms(t, right), plain.score_terms(t, right));
                if it.c == 0.0 {
                    assert!(
                        (a.score - b.score).abs() < 1e-7,
                        "item {i} theta {t}: score"
                    );
                    assert!(
                        (a.dscore - b.dscore).abs() < 1e-5,
                        "item {i} theta {t}: dscore"
                    );
                    assert!((a.info - b.info).abs() < 1e-7, "item {i} theta {t}: info");
                }
            }
        }
    }
}

// recovery: with 200 items ML and WLE recover the generating theta within 3 SE.
#[test]
fn long_test_recovers_theta() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let items: Vec<Logistic> = (0..200)
        .map(|_| {
            Logistic::from_abc(
                rng.gen_range(0.8..2.0),
                rng.gen_range(-2.5..2.5),
                rng.gen_range(0.0..0.25),
                1.0,
            )
        })
        .collect();
    for &truth in &[-1.5, 0.0, 1.2] {
        let resp: Vec<(u32, u8)> = (0..200)
            .map(|i| (i as u32, u8::from(rng.gen::<f64>() < items[i].p(truth))))
            .collect();
        for est in [
            estimate_theta(&items, &resp, &ThetaOptions::ml(-6.0, 6.0)).unwrap(),
            estimate_theta(&items, &resp, &ThetaOptions::wle(-6.0, 6.0)).unwrap(),
        ] {
            assert!(
                (est.theta - truth).abs() < 3.0 * est.se,
                "truth {truth}: estimate {est:?}"
            );
        }
    }
}

// snapshot: bad responses and options are errors, not panics.
#[test]
fn bad_input_is_an_error() {
    let items = items();
    assert_eq!(
        estimate_theta(&items, &[], &ThetaOptions::ml(-6.0, 6.0)),
        Err(ThetaError::NoResponses)
    );
    assert!(matches!(
        estimate_theta(&items, &[(9, 1)], &ThetaOptions::ml(-6.0, 6.0)),
        Err(ThetaError::BadResponse { position: 0, .. })
    ));
    assert!(matches!(
        estimate_theta(&items, &[(0, 1)], &ThetaOptions::ml(2.0, -2.0)),
        Err(ThetaError::BadOption { .. })
    ));
}
