//! Recovery tests: estimates on simulated data against the known truth (2PL and 3PL, 5,000 x 40,
//! several seeds), and fixed-parameter calibration of pretest items onto the bank scale.

use qbank::irt::{self, EmOptions, ModelKind, Priors};
use qbank::simulate::{respond, simulate_matrix};

use crate::common::assert_close;

struct Recovery {
    bias_b: f64,
    rmse_b: f64,
    mean_se_b: f64,
    rmse_a: f64,
    mean_se_a: f64,
    coverage_b: f64,
    coverage_a: f64,
}

fn recover(kind: ModelKind, seed: u64) -> Recovery {
    let (data, truth) = simulate_matrix(5000, 40, kind, seed);
    let priors = Priors {
        c: (kind == ModelKind::ThreePL).then_some(Priors::DEFAULT_C),
        ..Priors::default()
    };
    let items = irt::starting_items(&data, &[kind; 40], 1.0, priors);
    let cal = irt::calibrate(&data, items, vec![false; 40], &EmOptions::default());
    assert_eq!(
        cal.termination,
        irt::Termination::Converged,
        "{kind:?} seed {seed}"
    );
    let cov = irt::covariance(&data, &cal);
    let est = irt::item_estimates(&data, &cal, &cov);
    let n = est.len() as f64;
    let mut r = Recovery {
        bias_b: 0.0,
        rmse_b: 0.0,
        mean_se_b: 0.0,
        rmse_a: 0.0,
        mean_se_a: 0.0,
        coverage_b: 0.0,
        coverage_a: 0.0,
    };
    for (e, t) in est.iter().zip(&truth.items) {
        let (db, da) = (e.b - t.b(), e.a - t.a);
        let (sb, sa) = (e.se_b.expect("se b"), e.se_a.expect("se a"));
        r.bias_b += db / n;
        r.rmse_b += db * db / n;
        r.rmse_a += da * da / n;
        r.mean_se_b += sb / n;
        r.mean_se_a += sa / n;
        r.coverage_b += (db.abs() < 1.96 * sb) as u8 as f64 / n;
        r.coverage_a += (da.abs() < 1.96 * sa) as u8 as f64 / n;
    }
    r.rmse_b = r.rmse_b.sqrt();
    r.rmse_a = r.rmse_a.sqrt();
    eprintln!(
        "{kind:?} seed {seed}: bias b {:+.4}, RMSE b {:.4} vs mean SE {:.4}, RMSE a {:.4} vs mean SE {:.4}, 95% coverage b {:.3} a {:.3}",
        r.bias_b, r.rmse_b, r.mean_se_b, r.rmse_a, r.mean_se_a, r.coverage_b, r.coverage_a
    );
    r
}

#[test]
fn twopl_recovers_the_truth() {
    let mut coverage = Vec::new();
    for seed in [11, 12, 13] {
        let r = recover(ModelKind::TwoPL, seed);
        assert_close(r.bias_b, 0.0, 0.03, &format!("seed {seed}: bias of b"));
        // The SEs describe the actual error: RMSE within 25 % of the mean SE.
        assert_close(
            r.rmse_b / r.mean_se_b,
            1.0,
            0.25,
            &format!("seed {seed}: RMSE of b / mean SE of b"),
        );
        assert_close(
            r.rmse_a / r.mean_se_a,
            1.0,
            0.25,
            &format!("seed {seed}: RMSE of a / mean SE of a"),
        );
        coverage.push((r.coverage_a + r.coverage_b) / 2.0);
    }
    // 240 intervals in all: nominal 0.95, binomial SE about 0.014.
    let mean = coverage.iter().sum::<f64>() / 3.0;
    assert!((0.90..=0.99).contains(&mean), "coverage {mean}");
}

#[test]
fn threepl_recovers_the_truth() {
    for seed in [21, 22] {
        let r = recover(ModelKind::ThreePL, seed);
        // The Beta(5, 17) prior on c pulls b slightly; the bias stays small against the SE.
        assert_close(r.bias_b, 0.0, 0.06, &format!("seed {seed}: bias of b"));
        assert!(
            r.rmse_b < 1.5 * r.mean_se_b + 0.02,
            "RMSE b {} vs SE {}",
            r.rmse_b,
            r.mean_se_b
        );
        assert!(
            r.rmse_a < 1.5 * r.mean_se_a + 0.02,
            "RMSE a {} vs SE {}",
            r.rmse_a,
            r.mean_se_a
        );
        assert!(r.coverage_b > 0.8, "coverage of b {}", r.coverage_b);
    }
}

#[test]
fn fixed_parameter_calibration_puts_pretest_items_on_the_bank_scale() {
    // A cohort of mean 0.5, SD 1.2 answers 30 bank items (fixed at their true values) and 10 new
    // ones; the latent density is re-estimated and the new items land on the true scale.
    let (mut data, truth) = simulate_matrix(6000, 40, ModelKind::TwoPL, 31);
    // Re-simulate responses with a shifted cohort.
    let thetas: Vec<f64> = truth.theta.iter().map(|t| 0.5 + 1.2 * t).collect();
    let rows = respond(&truth.items, &thetas, 32);
    data = irt::Responses::from_rows(data.item_ids.clone(), &rows, &vec![1.0; rows.len()]);
    let mut items = irt::starting_items(&data, &[ModelKind::TwoPL; 40], 1.0, Priors::default());
    let mut fixed = vec![false; 40];
    for i in 0..30 {
        items[i] = truth.items[i];
        fixed[i] = true;
    }
    let opts = EmOptions {
        reference_group: None,
        ..EmOptions::default()
    };
    let cal = irt::calibrate(&data, items, fixed, &opts);
    let cov = irt::covariance(&data, &cal);
    let est = irt::item_estimates(&data, &cal, &cov);
    assert_close(cal.latent[0].mean, 0.5, 0.05, "cohort mean");
    assert_close(cal.latent[0].sd, 1.2, 0.05, "cohort SD");
    let shift: f64 = (30..40).map(|i| est[i].b - truth.items[i].b()).sum::<f64>() / 10.0;
    let se_mean = (30..40)
        .map(|i| est[i].se_b.unwrap().powi(2))
        .sum::<f64>()
        .sqrt()
        / 10.0;
    eprintln!("FPC: shift of pretest b {shift:+.4} (SE of the mean {se_mean:.4})");
    assert_close(
        shift,
        0.0,
        2.5 * se_mean,
        &format!("mean shift of pretest b (SE {se_mean})"),
    );
    for (i, (e, t)) in est.iter().zip(&truth.items).enumerate().skip(30) {
        let z = (e.b - t.b()) / e.se_b.unwrap();
        assert_close(
            z,
            0.0,
            3.5,
            &format!("item {i}: z of b {} against the truth {}", e.b, t.b()),
        );
    }
}

#[test]
fn concurrent_calibration_recovers_group_differences() {
    // Two forms sharing 10 anchors; cohort 2 is 0.4 higher and 0.8 as wide. Items 0-9 anchors,
    // 10-24 only on form 1, 25-39 only on form 2 (not presented = missing, not wrong).
    let (_, truth) = simulate_matrix(1, 40, ModelKind::TwoPL, 41);
    let (_, people) = simulate_matrix(8000, 1, ModelKind::TwoPL, 42);
    let thetas: Vec<f64> = people
        .theta
        .iter()
        .enumerate()
        .map(|(p, t)| if p % 2 == 0 { *t } else { 0.4 + 0.8 * t })
        .collect();
    let mut rows = respond(&truth.items, &thetas, 43);
    for (p, row) in rows.iter_mut().enumerate() {
        let hide = if p % 2 == 0 { 25..40 } else { 10..25 };
        for i in hide {
            row[i] = None;
        }
    }
    let ids = (0..40).map(|i| format!("i{i}")).collect();
    let mut data = irt::Responses::from_rows(ids, &rows, &vec![1.0; rows.len()]);
    data.group = (0..rows.len()).map(|p| (p % 2) as u16).collect();
    data.group_names = vec!["form1".into(), "form2".into()];
    let items = irt::starting_items(&data, &[ModelKind::TwoPL; 40], 1.0, Priors::default());
    let cal = irt::calibrate(&data, items, vec![false; 40], &EmOptions::default());
    assert_eq!(cal.termination, irt::Termination::Converged);
    let g = &cal.latent[1];
    eprintln!("group 2: mean {:.3} sd {:.3}", g.mean, g.sd);
    assert_close(g.mean, 0.4, 0.08, "group 2 mean");
    assert_close(g.sd, 0.8, 0.08, "group 2 SD");
    let cov = irt::covariance(&data, &cal);
    let est = irt::item_estimates(&data, &cal, &cov);
    let rmse = (est
        .iter()
        .zip(&truth.items)
        .map(|(e, t)| (e.b - t.b()).powi(2))
        .sum::<f64>()
        / 40.0)
        .sqrt();
    assert!(rmse < 0.12, "RMSE of b {rmse}");
}

#[test]
fn empirical_histogram_follows_a_skewed_cohort() {
    // Fixed bank items; the cohort is a mixture (skewed): the histogram keeps its mean and SD.
    let (_, truth) = simulate_matrix(1, 40, ModelKind::TwoPL, 51);
    let (_, people) = simulate_matrix(6000, 1, ModelKind::TwoPL, 52);
    let thetas: Vec<f64> = people
        .theta
        .iter()
        .enumerate()
        .map(|(p, t)| {
            if p % 4 == 0 {
                1.5 + 0.5 * t
            } else {
                -0.5 + 0.7 * t
            }
        })
        .collect();
    let (m, sd) = {
        let m = thetas.iter().sum::<f64>() / thetas.len() as f64;
        (
            m,
            (thetas.iter().map(|t| (t - m).powi(2)).sum::<f64>() / thetas.len() as f64).sqrt(),
        )
    };
    let rows = respond(&truth.items, &thetas, 53);
    let data = irt::Responses::from_rows(
        (0..40).map(|i| format!("i{i}")).collect(),
        &rows,
        &vec![1.0; rows.len()],
    );
    let mut lls = Vec::new();
    for eh in [false, true] {
        let opts = EmOptions {
            reference_group: None,
            empirical_histogram: eh,
            ..EmOptions::default()
        };
        let cal = irt::calibrate(&data, truth.items.clone(), vec![true; 40], &opts);
        eprintln!(
            "EH {eh}: mean {:.3} sd {:.3} (true {m:.3} {sd:.3}), logLik {:.2}, {} cycles",
            cal.latent[0].mean, cal.latent[0].sd, cal.loglik, cal.iterations
        );
        assert_close(
            cal.latent[0].mean,
            m,
            0.05,
            &format!("EH {eh}: cohort mean"),
        );
        assert_close(cal.latent[0].sd, sd, 0.06, &format!("EH {eh}: cohort SD"));
        lls.push(cal.loglik);
    }
    assert!(
        lls[1] > lls[0] + 5.0,
        "the histogram fits a skewed cohort better: {lls:?}"
    );
}
