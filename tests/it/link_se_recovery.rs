//! Recovery tests (perturbation design): delta-method standard errors of A and B, of a
//! true-score equivalent and of an anchor displacement against their standard deviation over
//! seeded replications.
//!
//! Design: two forms of 30 items with 15 common items; true parameters drawn once (seeded;
//! a = 1.1 exp(0.25 z), b = z clamped to [-2, 2], c ~ U(0.08, 0.22) for the 3PL). The old form's
//! group is N(0, 1); the new form's group is N(0.3, 1.2^2) and its parameters are expressed on
//! its own standardised scale, so the true link is A = 1.2, B = 0.3. Each replication adds to
//! each form an "estimation error" drawn from N(0, Sigma) in the slope-intercept
//! parameterisation (a, d[, g = logit c]), Sigma the inverse of the known-theta Fisher
//! information of 2000 examinees from the form's group (block diagonal by item, 61-point
//! quadrature; for the 3PL plus the precision of a N(logit 0.15, 0.5^2) prior on g, as 3PL
//! calibrations put a prior on c), and converts the draw to (a, b, c). The delta-method SEs use
//! the (a, b, c) covariance obtained from Sigma by the Jacobian at the true values, as for a
//! calibration's output.
//!
//! What this checks: the delta-method algebra of links (moment and implicit derivatives),
//! equated scores and displacements, and that the first-order approximation holds through the
//! criterion minimisations and parameter conversions at this error size. It does NOT check that
//! a calibration's covariance matrix describes its sampling error (that would need a marginal-ML
//! fit per replication).
//!
//! `cargo test --test recovery -- --nocapture` prints the 2PL table (asserted: every ratio within
//! 15 %; with 3000 replications all 20 ratios lie in 0.97-1.03).
//! `cargo test --test recovery -- --ignored --nocapture` runs the 3PL design (2000
//! replications, ~30 s): moment-method ratios 0.94-1.03, Haebara/Stocking-Lord 0.87-0.94 (A and
//! B asserted within 20 %). The shortfall of the characteristic-curve methods comes from
//! c = logistic(g) with a prior-dominated SD(g) = 0.5, far from linear: it stays with 10 times
//! the examinees (g does not shrink), and with a tight prior on g (SD 0.1) the same design gives
//! 0.97-1.03 for Haebara and Stocking-Lord.

use nalgebra::{DMatrix, Matrix3, Vector3};
use qbank::equate::link_se::params::slope_intercept_to_abc;
use qbank::equate::link_se::{
    anchor_drift_tests, link_with_se, true_score_se, DriftOptions, FormEstimates, ItemParams3pl,
    ScoreDirection,
};
use qbank::equate::linking::{LinkMethod, ThetaPoints};
use qbank::irt::ModelKind;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

const N_EXAMINEES: f64 = 2000.0;

/// True item in (a, d, g) on its form's own scale (g unused for the 2PL).
#[derive(Clone)]
struct Truth {
    id: String,
    adg: [f64; 3],
}

/// Known-theta information of N examinees with theta ~ N(0, 1) for (a, d, g), logit a theta + d;
/// for the 2PL the g row and column are the identity (removed later).
fn information(adg: [f64; 3], model: ModelKind) -> Matrix3<f64> {
    let (nodes, weights) = ThetaPoints::GaussHermite { n: 61 }.nodes_weights().unwrap();
    let three = model == ModelKind::ThreePL;
    let c = if three {
        1.0 / (1.0 + (-adg[2]).exp())
    } else {
        0.0
    };
    let mut info = Matrix3::zeros();
    for (t, w) in nodes.iter().zip(&weights) {
        let psi = 1.0 / (1.0 + (-(adg[0] * t + adg[1])).exp());
        let p = c + (1.0 - c) * psi;
        let s = (1.0 - c) * psi * (1.0 - psi);
        let g = Vector3::new(s * t, s, c * (1.0 - c) * (1.0 - psi));
        info += g * g.transpose() * (w / (p * (1.0 - p)));
    }
    info *= N_EXAMINEES;
    info[(2, 2)] += if three { 4.0 } else { 1.0 };
    if !three {
        for k in 0..2 {
            info[(2, k)] = 0.0;
            info[(k, 2)] = 0.0;
        }
    }
    info
}

struct FormSpec {
    name: &'static str,
    model: ModelKind,
    truth: Vec<Truth>,
    /// per item: covariance in (a, d, g) (g row zero for the 2PL) and its Cholesky factor
    cov_adg: Vec<Matrix3<f64>>,
    chol: Vec<Matrix3<f64>>,
}

impl FormSpec {
    fn new(name: &'static str, model: ModelKind, truth: Vec<Truth>) -> FormSpec {
        let mut cov_adg = Vec::new();
        let mut chol = Vec::new();
        for t in &truth {
            let mut c = information(t.adg, model)
                .try_inverse()
                .expect("invertible information");
            chol.push(c.cholesky().expect("positive definite").l());
            if model != ModelKind::ThreePL {
                c[(2, 2)] = 0.0;
            }
            cov_adg.push(c);
        }
        FormSpec {
            name,
            model,
            truth,
            cov_adg,
            chol,
        }
    }
    /// The form at the true values (with the delta-method (a, b, c) covariance), or perturbed.
    fn form(&self, mut rng: Option<&mut ChaCha8Rng>) -> FormEstimates {
        let n = self.truth.len();
        let three = self.model == ModelKind::ThreePL;
        let mut items = Vec::with_capacity(n);
        let mut cov = DMatrix::zeros(3 * n, 3 * n);
        for (i, t) in self.truth.iter().enumerate() {
            let mut adg = t.adg;
            if let Some(r) = rng.as_deref_mut() {
                let z = Vector3::from_fn(|_, _| StandardNormal.sample(r));
                let e = self.chol[i] * z;
                for k in 0..3 {
                    adg[k] += e[k];
                }
            }
            let g = three.then_some(adg[2]);
            let (v, _) = slope_intercept_to_abc(adg[0], adg[1], g, 1.0);
            let (_, j) = slope_intercept_to_abc(t.adg[0], t.adg[1], three.then_some(t.adg[2]), 1.0);
            cov.view_mut((3 * i, 3 * i), (3, 3))
                .copy_from(&(j * self.cov_adg[i] * j.transpose()));
            items.push(ItemParams3pl {
                item_id: t.id.clone(),
                a: v[0],
                b: v[1],
                c: v[2],
            });
        }
        FormEstimates::new(self.name, self.model, items, Some(cov)).expect("valid form")
    }
}

fn sd(x: &[f64]) -> f64 {
    let m = x.iter().sum::<f64>() / x.len() as f64;
    (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64).sqrt()
}

const QUANTITIES: [&str; 4] = ["A", "B", "equated 18", "displacement I20"];

/// Runs the design and returns, per method, (SE delta, SD replications) of each quantity.
fn run_design(model: ModelKind, replications: usize) -> Vec<(LinkMethod, [(f64, f64); 4])> {
    let mut rng = ChaCha8Rng::seed_from_u64(20_250_601);
    let mut base = Vec::new();
    for k in 0..45 {
        let za: f64 = StandardNormal.sample(&mut rng);
        let zb: f64 = StandardNormal.sample(&mut rng);
        let c: f64 = rng.gen_range(0.08..0.22);
        base.push((
            format!("I{k:02}"),
            (0.25 * za).exp() * 1.1,
            zb.clamp(-2.0, 2.0),
            c,
        ));
    }
    let (mu, sigma) = (0.3, 1.2);
    let to_truth = |(id, a, b, c): &(String, f64, f64, f64), new_group: bool| {
        // on the new group's standardised scale theta' = (theta - mu) / sigma:
        // a' = a sigma, b' = (b - mu) / sigma
        let (a, b) = if new_group {
            (a * sigma, (b - mu) / sigma)
        } else {
            (*a, *b)
        };
        Truth {
            id: id.clone(),
            adg: [a, -a * b, (c / (1.0 - c)).ln()],
        }
    };
    let old = FormSpec::new(
        "old",
        model,
        base[..30].iter().map(|x| to_truth(x, false)).collect(),
    );
    let new = FormSpec::new(
        "new",
        model,
        base[15..].iter().map(|x| to_truth(x, true)).collect(),
    );
    let pts = ThetaPoints::EQUATEIRT;
    let anchor = vec!["I20".to_string()];
    let quantities = |n: &FormEstimates, o: &FormEstimates, m: LinkMethod| {
        let l = link_with_se(n, o, m, &pts, 1.0).unwrap();
        let eq = true_score_se(n, o, &l, ScoreDirection::NewToOld, Some(&[18.0]), 1.0).unwrap();
        let dr = anchor_drift_tests(n, o, &l, Some(&anchor), &DriftOptions::default()).unwrap();
        (l, eq[0].clone(), dr[0].clone())
    };
    // draws[method][quantity][replication]
    let mut draws = vec![vec![Vec::new(); 4]; LinkMethod::ALL.len()];
    let mut rep_rng = ChaCha8Rng::seed_from_u64(8);
    for _ in 0..replications {
        let (n, o) = (new.form(Some(&mut rep_rng)), old.form(Some(&mut rep_rng)));
        for (mi, &m) in LinkMethod::ALL.iter().enumerate() {
            let (l, eq, dr) = quantities(&n, &o, m);
            for (q, v) in [l.A, l.B, eq.equivalent, dr.displacement]
                .into_iter()
                .enumerate()
            {
                draws[mi][q].push(v);
            }
        }
    }
    let (new0, old0) = (new.form(None), old.form(None));
    println!("{model:?}, {replications} replications");
    println!("method                 quantity          SE delta   SD reps    ratio");
    LinkMethod::ALL
        .iter()
        .enumerate()
        .map(|(mi, &m)| {
            let (l0, eq0, dr0) = quantities(&new0, &old0, m);
            assert!(
                (l0.A - sigma).abs() < 1e-8 && (l0.B - mu).abs() < 1e-8,
                "{m:?}: true link"
            );
            let deltas = [l0.se_A.unwrap(), l0.se_B.unwrap(), eq0.se.unwrap(), dr0.se];
            let mut row = [(0.0, 0.0); 4];
            for q in 0..4 {
                row[q] = (deltas[q], sd(&draws[mi][q]));
                println!(
                    "{:<22} {:<17} {:>9.5} {:>9.5} {:>8.3}",
                    m.as_str(),
                    QUANTITIES[q],
                    row[q].0,
                    row[q].1,
                    row[q].0 / row[q].1
                );
            }
            (m, row)
        })
        .collect()
}

fn check(table: &[(LinkMethod, [(f64, f64); 4])], quantities: usize, tolerance: f64) {
    let mut failures = Vec::new();
    for (m, row) in table {
        for (q, (delta, sd)) in row.iter().enumerate().take(quantities) {
            let ratio = delta / sd;
            if (ratio - 1.0).abs() > tolerance {
                failures.push(format!(
                    "{m:?} {}: SE delta {delta} vs SD {sd} (ratio {ratio})",
                    QUANTITIES[q]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "delta SE off by more than {tolerance}: {failures:#?}"
    );
}

// recovery: 2PL, 300 replications, every ratio SE delta / SD within 15 %
#[test]
fn delta_method_se_matches_replication_sd_2pl() {
    check(&run_design(ModelKind::TwoPL, 300), 4, 0.15);
}

// recovery: 3PL, 2000 replications (slow, ~30 s): A and B within 20 %; see the module doc
#[test]
#[ignore]
fn delta_method_se_matches_replication_sd_3pl() {
    check(&run_design(ModelKind::ThreePL, 2000), 2, 0.20);
}
