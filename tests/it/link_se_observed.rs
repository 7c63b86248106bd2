//! IRT observed-score equating with delta-method standard errors (`observed_score_se`):
//! derivative tests of its Jacobian against central finite differences (recomputing the link and
//! the Lord-Wingersky distributions from perturbed parameters), and a property test of its
//! equivalents against qbank's separate observed-score equating code (`irt_observed`).

use super::link_se_common::{check_jacobian, est3pl};
use super::link_se_derivatives::gh;
use qbank::equate::irt_observed::observed_score_equating;
use qbank::equate::link_se::{chain_forms, observed_score_se, FormEstimates, Sensitivity};
use qbank::equate::linking::LinkMethod;
use qbank::irt::Logistic;

/// The synthetic population: 41 points on [-5, 5] with N(0.2, 1.1^2) weights (unnormalised, to
/// check the normalisation).
fn population() -> (Vec<f64>, Vec<f64>) {
    let theta: Vec<f64> = (0..41).map(|k| -5.0 + 0.25 * k as f64).collect();
    let w = theta
        .iter()
        .map(|t| 3.0 * (-0.5 * ((t - 0.2) / 1.1f64).powi(2)).exp())
        .collect();
    (theta, w)
}

// derivative: equated scores of test1 on test2 (est3pl, 3PL) through a Haebara link, and through
// the chain test1 -> test2 -> test3 (test2 met in two steps), against finite differences
#[test]
fn observed_score_jacobian_matches_finite_differences() {
    let forms: Vec<FormEstimates> = (1..=3).map(est3pl).collect();
    let (theta, w) = population();
    for chained in [false, true] {
        let used: Vec<FormEstimates> = if chained {
            forms.clone()
        } else {
            forms[..2].to_vec()
        };
        let run = |fs: &[FormEstimates]| {
            let path: Vec<&FormEstimates> = fs.iter().collect();
            let l = chain_forms(&path, LinkMethod::Haebara, &gh()).unwrap();
            observed_score_se(&fs[0], path[path.len() - 1], &l, &theta, &w, 1.0).unwrap()
        };
        let rows = run(&used);
        let picked = [3usize, 9, 15, 20];
        for &x in &picked {
            assert!(
                rows[x].se.is_some_and(|v| v > 0.0 && v < 2.0),
                "chained={chained} raw {x}: SE of the observed-score equivalent {:?}",
                rows[x].se
            );
        }
        let grads: Vec<&Sensitivity> = picked.iter().map(|&x| &rows[x].gradient).collect();
        check_jacobian(
            &used,
            &Sensitivity::stack(&grads).unwrap(),
            &|fs| {
                let r = run(fs);
                picked.iter().map(|&x| r[x].equivalent).collect()
            },
            if chained { 5 } else { 2 },
            &format!("chained={chained} observed-score equivalents of raw {picked:?}"),
        );
    }
}

// property: the equivalents equal qbank's observed-score equating of the linked items
// (irt_observed: Lord-Wingersky through ItemModel, then equipercentile)
#[test]
fn observed_score_equivalents_match_irt_observed() {
    let (new, old) = (est3pl(1), est3pl(2));
    let (theta, w) = population();
    let l = chain_forms(&[&new, &old], LinkMethod::StockingLord, &gh()).unwrap();
    let rows = observed_score_se(&new, &old, &l, &theta, &w, 1.0).unwrap();
    let linked: Vec<Logistic> = new
        .items
        .iter()
        .map(|it| {
            let mut on_old = it.clone();
            on_old.a /= l.A;
            on_old.b = l.A * it.b + l.B;
            on_old.model(1.0)
        })
        .collect();
    let old_m: Vec<Logistic> = old.items.iter().map(|it| it.model(1.0)).collect();
    let reference = observed_score_equating(&linked, &old_m, &theta, &w);
    for (x, (r, e)) in rows.iter().zip(&reference).enumerate() {
        assert!(
            (r.equivalent - e).abs() < 1e-9,
            "raw {x}: observed-score equivalent {} vs irt_observed {e}",
            r.equivalent
        );
    }
}
