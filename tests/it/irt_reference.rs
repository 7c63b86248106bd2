//! Reference tests: qbank's MML-EM against published estimates on LSAT6 and LSAT7 (Bock &
//! Lieberman 1970 data; R mirt's and ltm's estimates, as quoted in tests/data/README.md).

use qbank::irt::{self, EmOptions, ModelKind, Priors, Responses};

use crate::common::{assert_close, data_path};

/// The 32 response patterns with their counts.
fn patterns(name: &str) -> Responses {
    let mut rdr = csv::Reader::from_path(data_path(name)).unwrap();
    let mut rows = Vec::new();
    let mut w = Vec::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        rows.push(
            (0..5)
                .map(|i| Some(rec[i].parse::<u8>().unwrap()))
                .collect(),
        );
        w.push(rec[5].parse::<f64>().unwrap());
    }
    Responses::from_rows((1..=5).map(|i| format!("item{i}")).collect(), &rows, &w)
}

fn fit(
    data: &Responses,
    kind: ModelKind,
    free_sd: bool,
) -> (irt::Calibration, Vec<irt::ItemEstimate>) {
    let items = irt::starting_items(data, &vec![kind; data.n_items()], 1.0, Priors::default());
    let opts = EmOptions {
        tol: 1e-6,
        free_reference_sd: free_sd,
        ..EmOptions::default()
    };
    let cal = irt::calibrate(data, items, vec![false; data.n_items()], &opts);
    assert_eq!(cal.termination, irt::Termination::Converged);
    let cov = irt::covariance(data, &cal);
    let est = irt::item_estimates(data, &cal, &cov);
    (cal, est)
}

/// Parameters and log-likelihoods against mirt and ltm (tests/data/README.md: 0.01).
const ESTIMATE_TOL: f64 = 0.01;
/// AIC and BIC, printed by mirt to 2-3 decimals (twice the log-likelihood's error).
const AIC_BIC_TOL: f64 = 0.02;

#[test]
fn lsat7_2pl_matches_mirt() {
    let data = patterns("lsat7.csv");
    let (cal, est) = fit(&data, ModelKind::TwoPL, false);
    // mirt 2PL, 61 points, N(0,1): (a, d) per item.
    let expected = [
        (0.9876, 1.8559),
        (1.0808, 0.8080),
        (1.7075, 1.8052),
        (0.7650, 0.4860),
        (0.7357, 1.8545),
    ];
    for (e, (a, d)) in est.iter().zip(expected) {
        assert_close(e.a, a, ESTIMATE_TOL, &format!("{} a (mirt)", e.item_id));
        assert_close(e.d, d, ESTIMATE_TOL, &format!("{} d (mirt)", e.item_id));
    }
    assert_close(cal.loglik, -2658.805, ESTIMATE_TOL, "logLik (mirt)");
    let k = cal.n_free() as f64;
    let aic = -2.0 * cal.loglik + 2.0 * k;
    let bic = -2.0 * cal.loglik + k * 1000f64.ln();
    assert_close(aic, 5337.61, AIC_BIC_TOL, "AIC (mirt)");
    assert_close(bic, 5386.688, AIC_BIC_TOL, "BIC (mirt)");
}

#[test]
fn lsat7_rasch_matches_mirt() {
    let data = patterns("lsat7.csv");
    let (_, est) = fit(&data, ModelKind::Rasch, true);
    let expected = [1.8680155, 0.7908857, 1.4607798, 0.5214175, 1.9927099];
    for (e, d) in est.iter().zip(expected) {
        assert_close(e.d, d, ESTIMATE_TOL, &format!("{} d (mirt)", e.item_id));
    }
    let se = est[0].se_d.unwrap();
    assert_close(se, 0.100416, 0.001, "SE of item1 d (mirt)");
}

#[test]
fn lsat6_rasch_matches_ltm() {
    // ltm's rasch: common slope alpha with theta ~ N(0,1) equals a = 1 with the latent SD = alpha;
    // b = -d / alpha. SEs of (alpha, b) by the delta method from the joint covariance of (d, sd).
    let data = patterns("lsat6.csv");
    let (cal, est) = fit(&data, ModelKind::Rasch, true);
    let sd = cal.latent[0].sd;
    assert_close(sd, 0.7551, ESTIMATE_TOL, "common discrimination (ltm)");
    let cov = irt::covariance(&data, &cal);
    let full = cov.full.expect("Oakes covariance");
    let se_sd = full[(5, 5)].sqrt();
    assert_close(se_sd, 0.0694, 0.002, "SE of the common slope (ltm)");
    let expected = [
        (-3.6153, 0.3266),
        (-1.3224, 0.1422),
        (-0.3176, 0.0977),
        (-1.7301, 0.1691),
        (-2.7802, 0.2510),
    ];
    for (i, (e, (b, se_b))) in est.iter().zip(expected).enumerate() {
        let bl = -e.d / sd;
        assert_close(bl, b, ESTIMATE_TOL, &format!("{} b (ltm)", e.item_id));
        // Delta method: db/dd = -1/sd, db/dsd = d/sd^2.
        let (gd, gs) = (-1.0 / sd, e.d / (sd * sd));
        let var = gd * gd * full[(i, i)] + 2.0 * gd * gs * full[(i, 5)] + gs * gs * full[(5, 5)];
        assert_close(
            var.sqrt(),
            se_b,
            0.003,
            &format!("{} SE(b) (ltm)", e.item_id),
        );
    }
    assert_close(cal.loglik, -2466.938, ESTIMATE_TOL, "logLik (ltm)");
}

#[test]
fn em_log_likelihood_never_decreases() {
    for (file, kind) in [
        ("lsat7.csv", ModelKind::TwoPL),
        ("lsat6.csv", ModelKind::Rasch),
        ("lsat7.csv", ModelKind::ThreePL),
    ] {
        let data = patterns(file);
        let items = irt::starting_items(&data, &[kind; 5], 1.0, Priors::default());
        let opts = EmOptions {
            tol: 1e-7,
            free_reference_sd: kind == ModelKind::Rasch,
            ..EmOptions::default()
        };
        let cal = irt::calibrate(&data, items, vec![false; 5], &opts);
        for w in cal.history.windows(2) {
            assert!(
                w[1] >= w[0] - 1e-9 * w[0].abs(),
                "{file} {kind:?}: log-likelihood fell from {} to {}",
                w[0],
                w[1]
            );
        }
        assert!(cal.history.len() > 3);
    }
}
