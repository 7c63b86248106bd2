//! Sinharay's (2017) signed likelihood-ratio test of item preknowledge.

use qbank::security::simulate::{simulate, CandidateKind, SimConfig};
use qbank::security::*;

fn config(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        n_bank: 100,
        items_per_attempt: 50,
        n_attempts: 8000,
        n_weeks: 2,
        n_leaked: 20,
        leak_week: 1,
        leak_share: 0.0,
        preknowledge_share: 0.10,
        guesser_share: 0.0,
        ..SimConfig::default()
    }
}

// property: L is twice the log-likelihood gain of two thetas over one, recomputed here directly
// from the 3PL log-likelihood at the reported thetas; it is >= 0 and its signed root follows
// sign(theta_C - theta_N); p = 1 - Phi(L_s).
#[test]
fn statistic_is_the_likelihood_ratio() {
    let sim = simulate(&config(3)).unwrap();
    let loglik = |resp: &[(u32, u8)], theta: f64| -> f64 {
        resp.iter()
            .map(|&(i, x)| {
                let p = sim.bank.p(i as usize, theta);
                if x == 1 {
                    p.ln()
                } else {
                    (1.0 - p).ln()
                }
            })
            .sum()
    };
    let opts = PreknowledgeOptions::default();
    let mut checked = 0;
    for k in (0..sim.data.len()).step_by(97) {
        let resp = sim.data.attempt(k);
        let Ok(t) = preknowledge_lr(&sim.bank, resp, &sim.leaked, &opts) else {
            continue;
        };
        let c: Vec<(u32, u8)> = resp
            .iter()
            .copied()
            .filter(|r| sim.leaked[r.0 as usize])
            .collect();
        let n: Vec<(u32, u8)> = resp
            .iter()
            .copied()
            .filter(|r| !sim.leaked[r.0 as usize])
            .collect();
        let direct = 2.0
            * (loglik(&c, t.theta_suspected) + loglik(&n, t.theta_rest)
                - loglik(resp, t.theta_all));
        assert!(
            (t.lr - direct.max(0.0)).abs() < 1e-9,
            "attempt {k}: L {} vs direct {direct}",
            t.lr
        );
        assert!(t.lr >= 0.0, "attempt {k}: L {}", t.lr);
        let sign = (t.theta_suspected - t.theta_rest).signum();
        assert!(
            (t.statistic - sign * t.lr.sqrt()).abs() < 1e-12,
            "attempt {k}: signed root"
        );
        // The pooled theta maximises the pooled likelihood: no other theta does better.
        for d in [-0.05, 0.05] {
            let other = (t.theta_all + d).clamp(-4.0, 4.0);
            assert!(
                loglik(resp, other) <= loglik(resp, t.theta_all) + 1e-9,
                "attempt {k}: pooled theta {} is not the maximum",
                t.theta_all
            );
        }
        checked += 1;
    }
    assert!(checked > 50, "checked {checked} attempts");
}

// property: under the null (clean candidates) the rejection rate at alpha = 0.05 is near 0.05,
// and with planted preknowledge of the whole suspected set the power is reported and must exceed
// 0.5 (measured 0.59: 20 of 100 items
// leaked, about 10 suspected items per 50-item attempt, known items right with probability 0.9).
#[test]
fn null_rate_and_power() {
    let sim = simulate(&config(4)).unwrap();
    let rep = preknowledge_lr_all(
        &sim.bank,
        &sim.data,
        &sim.leaked,
        &PreknowledgeOptions::default(),
    )
    .unwrap();
    let (mut n0, mut f0, mut n1, mut f1) = (0usize, 0usize, 0usize, 0usize);
    for (t, kind) in rep.tests.iter().zip(&sim.kind) {
        let Ok(t) = t else { continue };
        match kind {
            CandidateKind::Clean => {
                n0 += 1;
                f0 += usize::from(t.flagged);
            }
            CandidateKind::Preknowledge => {
                n1 += 1;
                f1 += usize::from(t.flagged);
            }
            _ => {}
        }
    }
    let rate = f0 as f64 / n0 as f64;
    let se = (0.05f64 * 0.95 / n0 as f64).sqrt();
    let power = f1 as f64 / n1 as f64;
    eprintln!(
        "Sinharay LR at 0.05: null rate {rate:.4} (SE {se:.4}, n = {n0}); power {power:.3} (n = {n1})"
    );
    assert!(n1 > 200, "preknowledge attempts {n1}");
    assert!(
        (rate - 0.05).abs() < 0.015,
        "null rejection rate {rate} at alpha 0.05"
    );
    assert!(power > 0.5, "power with preknowledge {power}");
    assert!(rep.note.contains("alpha = 0.05"));
}

// property: all right on the suspected items puts theta_C at the upper bound, marked, and the
// statistic is still finite and positive; an attempt all right overall has no value.
#[test]
fn extreme_subpatterns() {
    let sim = simulate(&config(5)).unwrap();
    let opts = PreknowledgeOptions::default();
    let mut seen = 0;
    for k in 0..sim.data.len() {
        let resp = sim.data.attempt(k);
        let c_all_right = resp
            .iter()
            .filter(|r| sim.leaked[r.0 as usize])
            .all(|r| r.1 == 1);
        if !c_all_right {
            continue;
        }
        if let Ok(t) = preknowledge_lr(&sim.bank, resp, &sim.leaked, &opts) {
            assert_eq!(t.theta_suspected, 4.0, "attempt {k}: theta_C at the bound");
            assert!(t.suspected_at_bound);
            assert!(t.statistic.is_finite() && t.p_value.is_finite());
            seen += 1;
        }
    }
    assert!(seen > 10, "attempts all right on C: {seen}");
    let all_right: Vec<(u32, u8)> = (0..10).map(|i| (i, 1)).collect();
    let e = preknowledge_lr(&sim.bank, &all_right, &sim.leaked, &opts).unwrap_err();
    assert!(e.is_no_value(), "{e}");
    let mut none_suspected = vec![false; sim.bank.len()];
    none_suspected[0] = false;
    let e = preknowledge_lr(&sim.bank, &[(0, 1), (1, 0)], &none_suspected, &opts).unwrap_err();
    assert_eq!(
        e,
        SecurityError::NoValue(NoValue::TooFewSuspected { n: 0, min: 1 })
    );
}
