//! Derivative tests: analytic gradient and Hessian against central finite differences.

use super::*;

fn check(model: Logistic) {
    let theta: Vec<f64> = (0..21).map(|i| -4.0 + 0.4 * i as f64).collect();
    let r1: Vec<f64> = theta.iter().map(|t| 10.0 + 5.0 * t.sin()).collect();
    let r0: Vec<f64> = theta.iter().map(|t| 8.0 + 3.0 * t.cos()).collect();
    let counts = [r0.as_slice(), r1.as_slice()];
    let n = model.free_params().len();
    let (mut g, mut h) = (vec![0.0; n], vec![0.0; n * n]);
    model.log_lik(&theta, &counts, &mut g, &mut h);
    let p0 = model.free_params();
    let eps = 1e-5;
    for u in 0..n {
        let eval = |delta: f64| {
            let mut m = model;
            let mut p = p0.clone();
            p[u] += delta;
            m.set_free_params(&p);
            let (mut g2, mut h2) = (vec![0.0; n], vec![0.0; n * n]);
            let ll = m.log_lik(&theta, &counts, &mut g2, &mut h2);
            (ll, g2)
        };
        let (lp, gp) = eval(eps);
        let (lm, gm) = eval(-eps);
        let fd = (lp - lm) / (2.0 * eps);
        assert!(
            (fd - g[u]).abs() < 1e-5 * (1.0 + fd.abs()),
            "{:?} grad {u}: fd {fd} vs {}",
            model.kind,
            g[u]
        );
        for v in 0..n {
            let fd2 = (gp[v] - gm[v]) / (2.0 * eps);
            assert!(
                (fd2 - h[u * n + v]).abs() < 1e-4 * (1.0 + fd2.abs()),
                "{:?} hess {u},{v}: fd {fd2} vs {}",
                model.kind,
                h[u * n + v]
            );
        }
    }
    // The per-category score matches the gradient of ln P.
    let mut s = vec![0.0; n];
    for cat in 0..2 {
        model.score(0.7, cat, &mut s);
        for u in 0..n {
            let lnp = |delta: f64| {
                let mut m = model;
                let mut p = p0.clone();
                p[u] += delta;
                m.set_free_params(&p);
                let mut pr = [0.0; 2];
                m.probs(0.7, &mut pr);
                pr[cat].ln()
            };
            let fd = (lnp(eps) - lnp(-eps)) / (2.0 * eps);
            assert!((fd - s[u]).abs() < 1e-6, "score {cat} {u}");
        }
    }
}

#[test]
fn derivatives_match_finite_differences_for_every_model() {
    for scale_d in [1.0, 1.702] {
        check(Logistic::new(ModelKind::Rasch, 1.0, 0.3, 0.0, scale_d));
        check(Logistic::new(ModelKind::TwoPL, 1.3, -0.4, 0.0, scale_d));
        check(Logistic::new(ModelKind::ThreePL, 0.9, 0.5, 0.2, scale_d));
        let mut m = Logistic::new(ModelKind::ThreePL, 1.4, -0.2, 0.15, scale_d);
        m.priors = Priors {
            log_a: Some((0.0, 0.5)),
            b: Some((0.0, 2.0)),
            c: Some(Priors::DEFAULT_C),
        };
        check(m);
        let mut m = Logistic::new(ModelKind::TwoPL, 0.8, 1.1, 0.0, scale_d);
        m.priors = Priors {
            log_a: Some((0.1, 0.3)),
            b: Some((0.5, 1.0)),
            c: None,
        };
        check(m);
    }
}

#[test]
fn probabilities_stay_inside_zero_one() {
    for &(a, b, c) in &[(50.0, 0.0, 0.0), (0.01, 40.0, 0.3), (3.0, -30.0, 0.99)] {
        let m = Logistic::new(ModelKind::ThreePL, a, b, c, 1.0);
        for t in [-1e3, -6.0, 0.0, 6.0, 1e3] {
            let p = m.p(t);
            assert!(p > 0.0 && p < 1.0 && p.is_finite(), "{a} {b} {c} {t}: {p}");
        }
    }
}
