//! Recovery (simulation check of issue 15): with true parameters known, the delta-method SE of
//! a link and of an equated score from each form's own marginal-ML calibration (qbank's EM,
//! `irt::se` covariance carried to (a, b, c) by `equate::workflow::calibration_estimates`) is
//! compared with the SD of the estimates over seeded replications, each: simulate both forms'
//! responses -> calibrate each form separately -> link.
//!
//! Design: 2PL, two 30-item forms sharing 15 items, 1000 examinees each; the old form's group
//! N(0, 1), the new form's group N(0.3, 1.2^2), so each calibration standardises its own group and
//! the true link is A = 1.2, B = 0.3. Quantities: A, B, the true-score equivalent of raw 18 and
//! the observed-score equivalents of raw 8, 18 and 26 (N(0, 1) population on the old scale,
//! `link_se::observed_score_se`). 200 replications (slow: several minutes at opt-level 1):
//! `cargo test --test it -- --ignored link_se_simulation --nocapture` prints the table.

use qbank::equate::link_se::{
    link_with_options, observed_score_se, true_score_se, LinkOptions, ScoreDirection,
};
use qbank::equate::linking::LinkMethod;
use qbank::equate::workflow::calibration_estimates;
use qbank::irt::quadrature::Grid;
use qbank::irt::{self, EmOptions, Logistic, ModelKind, Priors, Responses};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

const REPLICATIONS: usize = 200;
const PERSONS: usize = 1000;

fn truth() -> Vec<(f64, f64)> {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    (0..45)
        .map(|_| {
            let z: f64 = StandardNormal.sample(&mut rng);
            let w: f64 = StandardNormal.sample(&mut rng);
            (1.1 * (0.25 * z).exp(), w.clamp(-2.0, 2.0))
        })
        .collect()
}

/// Responses of `n` examinees with theta ~ N(mean, sd^2) (old scale) to the items `range`.
fn simulate(
    t: &[(f64, f64)],
    range: std::ops::Range<usize>,
    mean: f64,
    sd: f64,
    rng: &mut ChaCha8Rng,
) -> Responses {
    let ids: Vec<String> = range.clone().map(|i| format!("I{i}")).collect();
    let rows: Vec<Vec<Option<u8>>> = (0..PERSONS)
        .map(|_| {
            let z: f64 = StandardNormal.sample(rng);
            let theta = mean + sd * z;
            range
                .clone()
                .map(|i| {
                    let (a, b) = t[i];
                    let p = 1.0 / (1.0 + (-a * (theta - b)).exp());
                    Some((rng.gen::<f64>() < p) as u8)
                })
                .collect()
        })
        .collect();
    Responses::from_rows(ids, &rows, &vec![1.0; PERSONS])
}

fn calibrate(name: &str, data: &Responses) -> qbank::equate::link_se::FormEstimates {
    let n = data.n_items();
    let items = irt::starting_items(data, &vec![ModelKind::TwoPL; n], 1.0, Priors::default());
    let cal = irt::calibrate(data, items, vec![false; n], &EmOptions::default());
    let cov = irt::covariance(data, &cal);
    let ids = data.item_ids.clone();
    let models: Vec<Logistic> = cal.items.clone();
    calibration_estimates(name, ids, &models, &cov, ModelKind::TwoPL, &|_| true)
        .expect("a calibrated form")
}

#[test]
#[ignore]
fn delta_method_se_matches_sd_over_calibrated_replications() {
    let t = truth();
    let methods = [
        LinkMethod::MeanMean,
        LinkMethod::MeanSigma,
        LinkMethod::Haebara,
        LinkMethod::StockingLord,
    ];
    // observed-score equating in a N(0, 1) population on the old scale (as `qbank equate`)
    let grid = Grid::new(61, 6.0);
    let weights = grid.normal_weights(0.0, 1.0);
    // per method: values and SEs of A, B, true-score equated raw 18, observed-score equated raw
    // 8, 18, 26
    let mut vals = vec![std::array::from_fn::<Vec<f64>, 6, _>(|_| Vec::new()); methods.len()];
    let mut ses = vals.clone();
    for r in 0..REPLICATIONS {
        let mut rng = ChaCha8Rng::seed_from_u64(1000 + r as u64);
        let new = calibrate("new", &simulate(&t, 0..30, 0.3, 1.2, &mut rng));
        let old = calibrate("old", &simulate(&t, 15..45, 0.0, 1.0, &mut rng));
        for (k, &m) in methods.iter().enumerate() {
            let l = link_with_options(&new, &old, m, &LinkOptions::default()).expect("link");
            let eq = true_score_se(&new, &old, &l, ScoreDirection::NewToOld, Some(&[18.0]), 1.0)
                .expect("equated score");
            let obs = observed_score_se(&new, &old, &l, &grid.theta, &weights, 1.0)
                .expect("observed-score equated scores");
            for (q, (v, s)) in [
                (l.A, l.se_A),
                (l.B, l.se_B),
                (eq[0].equivalent, eq[0].se),
                (obs[8].equivalent, obs[8].se),
                (obs[18].equivalent, obs[18].se),
                (obs[26].equivalent, obs[26].se),
            ]
            .into_iter()
            .enumerate()
            {
                vals[k][q].push(v);
                ses[k][q].push(s.expect("an SE"));
            }
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let sd = |v: &[f64]| {
        let m = mean(v);
        (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
    };
    let mut failures = Vec::new();
    eprintln!("method               quantity     mean    SD(reps)  mean delta SE  ratio");
    for (k, m) in methods.iter().enumerate() {
        for (q, name) in [
            "A",
            "B",
            "true 18",
            "observed 8",
            "observed 18",
            "observed 26",
        ]
        .iter()
        .enumerate()
        {
            let (s, d) = (mean(&ses[k][q]), sd(&vals[k][q]));
            eprintln!(
                "{:<20} {:<10} {:>8.4} {:>9.4} {:>13.4} {:>6.3}",
                m.as_str(),
                name,
                mean(&vals[k][q]),
                d,
                s,
                s / d
            );
            if (s / d - 1.0).abs() > 0.15 {
                failures.push(format!(
                    "{} {name}: delta SE {s:.4} vs SD {d:.4}",
                    m.as_str()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "delta SE off by more than 15 %: {failures:#?}"
    );
}
