//! Property tests (proptest) of the numerical core: invariants that must hold for any parameters,
//! not just the reference data sets. Cases per property: proptest's default (256) or fewer for
//! the costly ones; `PROPTEST_CASES=N` raises them all.

use proptest::prelude::*;
use qbank::equate::irt_observed::observed_score_equating;
use qbank::equate::irt_true::true_score_equating;
use qbank::equate::linking::{link, CurveOptions, LinkMethod};
use qbank::irt::scoring::score_persons;
use qbank::irt::test_level::lord_wingersky;
use qbank::irt::{self, EmOptions, Logistic, ModelKind, Priors, Responses};
use qbank::simulate::simulate_matrix;

use crate::common::assert_close;

fn cases(default: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default),
        ..ProptestConfig::default()
    }
}

/// A 3PL item with parameters anywhere in a plausible-to-extreme range.
fn item() -> impl Strategy<Value = Logistic> {
    (0.05f64..4.0, -5.0f64..5.0, 0.0f64..0.4)
        .prop_map(|(a, b, c)| Logistic::new(ModelKind::ThreePL, a, b, c, 1.0))
}

fn form(n: std::ops::Range<usize>) -> impl Strategy<Value = Vec<Logistic>> {
    proptest::collection::vec(item(), n)
}

proptest! {
    #![proptest_config(cases(256))]

    /// P stays strictly inside (0, 1) for extreme parameters and abilities, and so does every
    /// category probability of the ItemModel trait; information is finite and non-negative.
    #[test]
    fn probabilities_stay_in_the_open_unit_interval(
        a in 1e-4f64..50.0, b in -50.0f64..50.0, c in 0.0f64..0.6,
        theta in -60.0f64..60.0, d in prop_oneof![Just(1.0), Just(1.702)],
        kind in prop_oneof![Just(ModelKind::Rasch), Just(ModelKind::TwoPL), Just(ModelKind::ThreePL)],
    ) {
        let m = Logistic::new(kind, a, b, c, d);
        let p = m.p(theta);
        prop_assert!(p > 0.0 && p < 1.0, "P = {p}");
        let mut probs = [0.0; 2];
        irt::model::ItemModel::probs(&m, theta, &mut probs);
        prop_assert!(probs.iter().all(|&q| q > 0.0 && q < 1.0), "{probs:?}");
        assert_close(probs[0] + probs[1], 1.0, 1e-12, "P(wrong) + P(right)");
        let info = m.information(theta);
        prop_assert!(info.is_finite() && info >= 0.0, "I = {info}");
    }

    /// The Lord-Wingersky distribution of the number-right score is a distribution at every theta.
    #[test]
    fn lord_wingersky_sums_to_one(items in form(1..80), theta in proptest::collection::vec(-6.0f64..6.0, 1..5)) {
        for dist in lord_wingersky(&items, &theta) {
            prop_assert_eq!(dist.len(), items.len() + 1);
            prop_assert!(dist.iter().all(|&p| (0.0..=1.0 + 1e-12).contains(&p)));
            assert_close(dist.iter().sum::<f64>(), 1.0, 1e-10, "sum of the score distribution");
        }
    }

    /// IRT true- and observed-score equating tables never decrease.
    #[test]
    fn equating_tables_are_monotone(pair in (5usize..40).prop_flat_map(|n| (form(n..n + 1), form(n..n + 1)))) {
        let (new, old) = pair;
        let t = true_score_equating(&new, &old);
        for w in t.windows(2) {
            prop_assert!(w[1].equivalent >= w[0].equivalent - 1e-9, "{:?} then {:?}", w[0], w[1]);
        }
        let theta: Vec<f64> = (0..41).map(|k| -4.0 + 0.2 * k as f64).collect();
        let weights: Vec<f64> = theta.iter().map(|t| (-0.5 * t * t).exp()).collect();
        let e = observed_score_equating(&new, &old, &theta, &weights);
        for w in e.windows(2) {
            prop_assert!(w[1] >= w[0] - 1e-9, "{e:?}");
        }
    }

    /// Linking a form to itself gives A = 1 and B = 0, by every method.
    #[test]
    fn linking_a_form_to_itself_is_the_identity(items in form(3..30)) {
        for method in [LinkMethod::MeanMean, LinkMethod::MeanSigma, LinkMethod::Haebara, LinkMethod::StockingLord] {
            let l = link(&items, &items, method, &CurveOptions::default()).unwrap();
            assert_close(l.slope, 1.0, 1e-6, &format!("{method:?} onto itself: A"));
            assert_close(l.intercept, 0.0, 1e-6, &format!("{method:?} onto itself: B"));
        }
    }
}

proptest! {
    #![proptest_config(cases(12))]

    /// EM never lowers the log-likelihood from one cycle to the next (plain EM, no priors).
    #[test]
    fn em_log_likelihood_never_decreases(
        seed in 0u64..1_000_000, persons in 150usize..600, n_items in 4usize..14,
        kind in prop_oneof![Just(ModelKind::Rasch), Just(ModelKind::TwoPL)],
    ) {
        let (data, _) = simulate_matrix(persons, n_items, kind, seed);
        let items = irt::starting_items(&data, &vec![kind; n_items], 1.0, Priors::default());
        let opts = EmOptions {
            accelerate: false,
            reference_group: Some(0),
            free_reference_sd: kind == ModelKind::Rasch,
            ..EmOptions::default()
        };
        let cal = irt::calibrate(&data, items, vec![false; n_items], &opts);
        for w in cal.history.windows(2) {
            prop_assert!(w[1] >= w[0] - 1e-8 * w[0].abs(), "{:?}", cal.history);
        }
    }

    /// All-right and all-wrong patterns get a finite EAP inside the grid and a flagged ML at the
    /// bound.
    #[test]
    fn extreme_patterns_have_finite_eap_and_flagged_ml(seed in 0u64..1_000_000, n_items in 3usize..20) {
        let (data, _) = simulate_matrix(300, n_items, ModelKind::TwoPL, seed);
        let items = irt::starting_items(&data, &vec![ModelKind::TwoPL; n_items], 1.0, Priors::default());
        let cal = irt::calibrate(&data, items, vec![false; n_items], &EmOptions::default());
        let rows = vec![vec![Some(1u8); n_items], vec![Some(0u8); n_items]];
        let extreme = Responses::from_rows(data.item_ids.clone(), &rows, &[1.0, 1.0]);
        let s = score_persons(&extreme, &cal);
        for (k, sc) in s.iter().enumerate() {
            prop_assert!(sc.eap.is_finite() && sc.eap.abs() < 6.0 && sc.psd > 0.0, "{sc:?}");
            prop_assert!(sc.map.is_finite(), "{sc:?}");
            prop_assert!(sc.ml_flag.is_some(), "{sc:?}");
            prop_assert_eq!(sc.eap > 0.0, k == 0);
        }
    }
}

/// EM stopped before convergence is reported as a warning in the calibration summary, not an error.
#[test]
fn non_convergence_is_a_warning_in_the_outputs() {
    let (data, _) = simulate_matrix(500, 10, ModelKind::TwoPL, 3);
    let items = irt::starting_items(&data, &[ModelKind::TwoPL; 10], 1.0, Priors::default());
    let opts = EmOptions {
        max_iter: 2,
        ..EmOptions::default()
    };
    let cal = irt::calibrate(&data, items, vec![false; 10], &opts);
    assert_ne!(cal.termination, irt::Termination::Converged);
    let cov = irt::covariance(&data, &cal);
    let est = irt::item_estimates(&data, &cal, &cov);
    let s = qbank::irt::CalibrationSummary::of(&data, &cal, &cov, &est, ModelKind::TwoPL, None);
    assert!(!s.converged);
    assert!(
        s.warnings.iter().any(|w| w.contains("did not converge")),
        "{:?}",
        s.warnings
    );
}
