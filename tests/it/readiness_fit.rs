//! recovery: the growth model learnt from official outcomes (readiness::fit) on seeded
//! simulations with known truth, and the cross-validation against the defaults.
//!
//! The simulator (qbank::simulate) lets ability grow by `growth` (x (1 + 0.3 z)) between
//! full-length attempts and measures the official exam at theta_final + 0.1 + N(0, 0.25^2): the
//! true growth is `growth`, its SD 0.3 growth and the practice -> exam shift 0.1.

use std::path::Path;

use qbank::readiness::fit_model;
use qbank::simulate::{simulate, SimConfig};

/// The shift the simulator adds at the official exam (src/simulate.rs, `official`).
const TRUE_SHIFT: f64 = 0.1;

fn fitted(dir: &Path) -> qbank::readiness::ModelFit {
    let (ds, ctx) = crate::readiness::context(dir);
    fit_model(&ds, &ctx)
}

/// No planted weak domain and no diagnostic (so that practice measures the same ability the
/// official exam does, and every step between attempts carries growth); many repeaters.
#[test]
fn growth_and_shift_are_recovered_within_two_se() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("readiness_fit_sim");
    let _ = std::fs::remove_dir_all(&dir);
    let cfg = SimConfig {
        seed: 19,
        candidates: 2000,
        weak_domain_shift: 0.0,
        diagnostic_share: 0.0,
        repeat_share: 0.6,
        growth: 0.2,
        official_share: 0.6,
        ..SimConfig::default()
    };
    simulate(&cfg, &dir).unwrap();
    let m = fitted(&dir);
    let e = m.estimate.as_ref().expect("enough outcomes to fit");
    eprintln!("{e:?}");
    assert!(e.converged, "the fit converged: {e:?}");
    let checks = [
        (
            "growth per attempt",
            e.params.growth,
            e.growth_se,
            cfg.growth,
        ),
        (
            "practice -> exam shift",
            e.params.shift,
            e.shift_se,
            TRUE_SHIFT,
        ),
    ];
    for (what, est, se, truth) in checks {
        assert!(
            se > 0.0 && se < 0.1,
            "{what}: SE {se} should be positive and small"
        );
        assert!(
            (est - truth).abs() <= 2.0 * se,
            "{what}: estimate {est:.4} is more than 2 SE ({se:.4}) from the truth {truth}"
        );
    }
    let cv = m.cross_validation.as_ref().unwrap();
    eprintln!(
        "CV Brier defaults {:.4} fitted {:.4}",
        cv.defaults.brier, cv.fitted.brier
    );
    assert!(
        cv.fitted.brier < cv.defaults.brier,
        "cross-validated Brier: fitted {} vs defaults {}",
        cv.fitted.brier,
        cv.defaults.brier
    );
}

/// The demo (growth 0.15 per attempt, official exam 0.1 above the last attempt, a weak domain
/// planted for everyone): the cross-validated fitted model's reliability diagram lies within its
/// 95 % bands in every bin with at least 30 candidates, and its Brier score beats the defaults'.
/// Measured: CV Brier 0.0813 fitted against 0.1045 defaults; 0 of 9 bins with 30+ candidates
/// outside the band (the defaults: 10 of 10, all too cautious).
#[test]
fn on_the_demo_the_fitted_model_is_calibrated_and_beats_the_defaults() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo");
    let m = fitted(&dir);
    let cv = m.cross_validation.as_ref().expect("the demo has outcomes");
    let outside = |s: &qbank::readiness::PredictionScores| {
        qbank::report::readiness_model::bins_outside_band(&s.reliability, 30)
    };
    for (what, s) in [("defaults", &cv.defaults), ("fitted", &cv.fitted)] {
        eprintln!(
            "{what}: Brier {:.4}, log loss {:.4}, intercept {:.3}, slope {:.3}, {} bins outside",
            s.brier,
            s.log_loss,
            s.calibration_intercept,
            s.calibration_slope,
            outside(s)
        );
        for b in s.reliability.iter().filter(|b| b.n > 0) {
            eprintln!(
                "  {:.1}-{:.1}: n {}, predicted {:.3}, observed {:.3}",
                b.from, b.to, b.n, b.predicted, b.observed
            );
        }
    }
    assert_eq!(
        outside(&cv.fitted),
        0,
        "fitted bins outside their 95 % bands"
    );
    assert!(
        cv.fitted.brier < cv.defaults.brier,
        "CV Brier fitted {} vs defaults {}",
        cv.fitted.brier,
        cv.defaults.brier
    );
}

/// No official outcomes: the defaults are kept and the model says so; too few: the same, with
/// the minimum named.
#[test]
fn without_enough_outcomes_the_defaults_are_kept_and_said_so() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("readiness_fit_none");
    let _ = std::fs::remove_dir_all(&dir);
    let cfg = SimConfig {
        seed: 5,
        candidates: 300,
        official_share: 0.0,
        ..SimConfig::default()
    };
    simulate(&cfg, &dir).unwrap();
    let (ds, ctx) = crate::readiness::context(&dir);
    let m = fit_model(&ds, &ctx);
    assert_eq!(m.source, "defaults");
    assert!(m.estimate.is_none() && m.cross_validation.is_none());
    assert_eq!(m.used, m.defaults);
    assert!(m.note.contains("no official outcomes"), "{}", m.note);

    let few = SimConfig {
        official_share: 0.3,
        ..cfg
    };
    let _ = std::fs::remove_dir_all(&dir);
    simulate(&few, &dir).unwrap();
    let (ds, ctx) = crate::readiness::context(&dir);
    let m = fit_model(&ds, &ctx);
    assert!(m.candidates > 0 && m.candidates < m.min_candidates, "{m:?}");
    assert_eq!(m.source, "defaults");
    assert!(m.note.contains("at least 200"), "{}", m.note);
}

/// property: predictions drawn from their own probabilities have calibration intercept 0 and
/// slope 1 (within sampling error), and Brier and log loss equal their definitions.
#[test]
fn calibrated_predictions_have_intercept_zero_and_slope_one() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let p: Vec<f64> = (0..20_000).map(|_| rng.gen_range(0.02..0.98)).collect();
    let y: Vec<bool> = p.iter().map(|&q| rng.gen_bool(q)).collect();
    let s = qbank::readiness::fit::prediction_scores(&p, &y);
    // SEs at n = 20,000 are about 0.02 (intercept) and 0.03 (slope).
    crate::common::assert_close(s.calibration_intercept, 0.0, 0.08, "calibration intercept");
    crate::common::assert_close(s.calibration_slope, 1.0, 0.1, "calibration slope");
    let n = p.len() as f64;
    let brier = p
        .iter()
        .zip(&y)
        .map(|(q, &o)| (q - o as u8 as f64).powi(2))
        .sum::<f64>()
        / n;
    let log_loss = -p
        .iter()
        .zip(&y)
        .map(|(q, &o)| if o { q.ln() } else { (1.0 - q).ln() })
        .sum::<f64>()
        / n;
    crate::common::assert_close(s.brier, brier, 1e-12, "Brier score");
    crate::common::assert_close(s.log_loss, log_loss, 1e-12, "log loss");
    // Too extreme predictions (logit doubled) get a slope near 1/2.
    let extreme: Vec<f64> = p
        .iter()
        .map(|&q| {
            let z = 2.0 * (q / (1.0 - q)).ln();
            1.0 / (1.0 + (-z).exp())
        })
        .collect();
    let e = qbank::readiness::fit::prediction_scores(&extreme, &y);
    crate::common::assert_close(e.calibration_slope, 0.5, 0.05, "slope of doubled logits");
}
