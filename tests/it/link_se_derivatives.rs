//! Derivative tests: every analytic Jacobian (linking constants for all methods and options,
//! chains, bisectors, true-score equivalents, raw cuts, displacements, parameterisation
//! conversions) against central finite differences, recomputing everything (including the
//! characteristic-curve minimisations) from perturbed item parameters.

use super::link_se_common::{check_jacobian, est3pl};
use qbank::equate::link_se::params::{abc_to_slope_intercept, slope_intercept_to_abc};
use qbank::equate::link_se::{
    anchor_drift_tests, bisector, chain_forms, link_with_options, raw_cut_se, true_score_se,
    BisectorWeights, DriftOptions, FormEstimates, ItemParams3pl, LinkKind, LinkOptions,
    ScoreDirection,
};
use qbank::equate::linking::{LinkMethod, ThetaPoints};
use qbank::irt::ModelKind;

pub(super) fn gh() -> LinkOptions {
    LinkOptions {
        curve: ThetaPoints::EQUATEIRT.curve_options(false).unwrap(),
        d: 1.0,
        anchors: None,
    }
}

fn ab(l: &qbank::equate::link_se::LinkEstimate) -> Vec<f64> {
    vec![l.A, l.B]
}

// derivative: direct links, every method, 3PL forms of est3pl, both criteria point sets,
// symmetric and not, D = 1 and 1.7
#[test]
fn direct_link_jacobians() {
    let forms = vec![est3pl(1), est3pl(2)];
    let option_sets = [
        gh(),
        LinkOptions {
            curve: ThetaPoints::PLINK.curve_options(true).unwrap(),
            d: 1.7,
            anchors: None,
        },
    ];
    for opts in &option_sets {
        for m in LinkMethod::ALL {
            let l = link_with_options(&forms[0], &forms[1], m, opts).expect("link");
            let f = |fs: &[FormEstimates]| ab(&link_with_options(&fs[0], &fs[1], m, opts).unwrap());
            check_jacobian(&forms, &l.jacobian, &f, 1, &format!("{m:?} {opts:?}"));
        }
    }
}

fn twopl(k: usize) -> FormEstimates {
    let f = est3pl(k);
    let items = f
        .items
        .iter()
        .map(|it| ItemParams3pl {
            c: 0.0,
            ..it.clone()
        })
        .collect();
    let mut cov = f.cov.clone().unwrap();
    for i in 0..f.items.len() {
        for j in 0..cov.ncols() {
            cov[(3 * i + 2, j)] = 0.0;
            cov[(j, 3 * i + 2)] = 0.0;
        }
    }
    FormEstimates::new(f.name, ModelKind::TwoPL, items, Some(cov)).unwrap()
}

fn onepl(k: usize) -> FormEstimates {
    let f = twopl(k);
    let items = f
        .items
        .iter()
        .map(|it| ItemParams3pl {
            a: 1.0,
            ..it.clone()
        })
        .collect();
    let mut cov = f.cov.clone().unwrap();
    for i in 0..f.items.len() {
        for j in 0..cov.ncols() {
            cov[(3 * i, j)] = 0.0;
            cov[(j, 3 * i)] = 0.0;
        }
    }
    FormEstimates::new(f.name, ModelKind::Rasch, items, Some(cov)).unwrap()
}

// derivative + property: 2PL forms (all methods) and 1PL forms (A fixed at 1, zero derivative)
#[test]
fn twopl_and_onepl_link_jacobians() {
    let forms = vec![twopl(2), twopl(3)];
    for m in LinkMethod::ALL {
        let l = link_with_options(&forms[0], &forms[1], m, &gh()).expect("2PL link");
        let f = |fs: &[FormEstimates]| ab(&link_with_options(&fs[0], &fs[1], m, &gh()).unwrap());
        check_jacobian(&forms, &l.jacobian, &f, 1, &format!("2PL {m:?}"));
    }
    let forms = vec![onepl(2), onepl(3)];
    for m in [
        LinkMethod::MeanSigma,
        LinkMethod::Haebara,
        LinkMethod::StockingLord,
    ] {
        let l = link_with_options(&forms[0], &forms[1], m, &gh()).expect("1PL link");
        assert_eq!(l.A, 1.0, "1PL {m:?}: A fixed at 1");
        assert_eq!(l.se_A, Some(0.0), "1PL {m:?}: SE(A) = 0");
        let f = |fs: &[FormEstimates]| ab(&link_with_options(&fs[0], &fs[1], m, &gh()).unwrap());
        check_jacobian(&forms, &l.jacobian, &f, 1, &format!("1PL {m:?}"));
    }
}

// derivative: a circular chain (form 1 at both ends is one parameter vector)
#[test]
fn circular_chain_jacobian() {
    let forms: Vec<FormEstimates> = [1, 2, 3, 4, 5, 1].iter().map(|&k| est3pl(k)).collect();
    let run = |fs: &[FormEstimates]| {
        let refs: Vec<&FormEstimates> = fs.iter().collect();
        chain_forms(&refs, LinkMethod::StockingLord, &gh()).unwrap()
    };
    let c = run(&forms);
    assert_eq!(
        c.kind,
        LinkKind::Chain {
            path: ["test1", "test2", "test3", "test4", "test5", "test1"]
                .map(String::from)
                .to_vec()
        }
    );
    check_jacobian(&forms, &c.jacobian, &|fs| ab(&run(fs)), 7, "circular chain");
}

// derivative: bisector of a chain and a direct link sharing forms 1 and 5 (weights held fixed,
// as the delta method of equateIRT's bisectorec treats them)
#[test]
fn bisector_jacobian() {
    let forms: Vec<FormEstimates> = (1..=5).map(est3pl).collect();
    let run = |fs: &[FormEstimates], w: &BisectorWeights| {
        let refs: Vec<&FormEstimates> = fs.iter().collect();
        let c = chain_forms(&refs, LinkMethod::Haebara, &gh()).unwrap();
        let d = chain_forms(&[&fs[0], &fs[4]], LinkMethod::Haebara, &gh()).unwrap();
        bisector(&[&c, &d], w).unwrap()
    };
    let mv = run(&forms, &BisectorWeights::MinimumVariance);
    let LinkKind::Bisector { weights, .. } = mv.kind.clone() else {
        panic!("bisector kind")
    };
    for w in [BisectorWeights::Unweighted, BisectorWeights::Given(weights)] {
        let b = run(&forms, &w);
        check_jacobian(
            &forms,
            &b.jacobian,
            &|fs| ab(&run(fs, &w)),
            5,
            &format!("bisector {w:?}"),
        );
    }
}

// derivative: true-score equivalents in both directions through a direct Haebara link and
// through a chain; raw cut through a link; anchor displacements (all re-linked when perturbed)
#[test]
fn score_cut_and_drift_jacobians() {
    let forms = vec![est3pl(1), est3pl(2), est3pl(3)];
    let scores = [6.0, 16.0];
    for (direction, chained) in [
        (ScoreDirection::NewToOld, false),
        (ScoreDirection::OldToNew, false),
        (ScoreDirection::NewToOld, true),
        (ScoreDirection::OldToNew, true),
    ] {
        let used: Vec<FormEstimates> = if chained {
            forms.clone()
        } else {
            forms[..2].to_vec()
        };
        let run = |fs: &[FormEstimates]| {
            let path: Vec<&FormEstimates> = fs.iter().collect();
            let l = chain_forms(&path, LinkMethod::Haebara, &gh()).unwrap();
            true_score_se(
                &fs[0],
                path[path.len() - 1],
                &l,
                direction,
                Some(&scores),
                1.0,
            )
            .unwrap()
        };
        let rows = run(&used);
        let grads: Vec<&qbank::equate::link_se::Sensitivity> =
            rows.iter().map(|r| &r.gradient).collect();
        for row in &rows {
            assert!(
                row.se.is_some_and(|v| v > 0.0),
                "{direction:?} score {}: SE",
                row.score
            );
        }
        check_jacobian(
            &used,
            &qbank::equate::link_se::Sensitivity::stack(&grads).unwrap(),
            &|fs| run(fs).iter().map(|r| r.equivalent).collect(),
            if chained { 7 } else { 3 },
            &format!("{direction:?} chained={chained} equivalents of scores {scores:?}"),
        );
    }
    // raw cut on test1 at a base-scale theta through the link test1 -> test2
    let pair = forms[..2].to_vec();
    let run_cut = |fs: &[FormEstimates]| {
        let l = chain_forms(&[&fs[0], &fs[1]], LinkMethod::StockingLord, &gh()).unwrap();
        raw_cut_se(&fs[0], 0.4, Some(&l), 1.0).unwrap()
    };
    let cut = run_cut(&pair);
    check_jacobian(
        &pair,
        &cut.gradient,
        &|fs| vec![run_cut(fs).expected_score],
        1,
        "raw cut",
    );
    // displacements of two anchors of test1 -> test2
    let run_drift = |fs: &[FormEstimates]| {
        let l = chain_forms(&[&fs[0], &fs[1]], LinkMethod::Haebara, &gh()).unwrap();
        let anchors = ["I1".to_string(), "I7".to_string()];
        anchor_drift_tests(&fs[0], &fs[1], &l, Some(&anchors), &DriftOptions::default()).unwrap()
    };
    let drift = run_drift(&pair);
    let grads: Vec<&qbank::equate::link_se::Sensitivity> =
        drift.iter().map(|r| &r.gradient).collect();
    check_jacobian(
        &pair,
        &qbank::equate::link_se::Sensitivity::stack(&grads).unwrap(),
        &|fs| run_drift(fs).iter().map(|r| r.displacement).collect(),
        2,
        "displacements of I1 and I7",
    );
}

// derivative: parameterisation Jacobians against finite differences, and the round trip
#[test]
fn parameterisation_jacobians() {
    let h = 1e-6;
    for &(a, d, g, scale) in &[(1.3, -0.4, -1.2, 1.0), (0.7, 1.1, 0.3, 1.7)] {
        let (v, j) = slope_intercept_to_abc(a, d, Some(g), scale);
        let x = [a, d, g];
        for k in 0..3 {
            let mut up = x;
            let mut dn = x;
            up[k] += h;
            dn[k] -= h;
            let (vu, _) = slope_intercept_to_abc(up[0], up[1], Some(up[2]), scale);
            let (vd, _) = slope_intercept_to_abc(dn[0], dn[1], Some(dn[2]), scale);
            for r in 0..3 {
                let fd = (vu[r] - vd[r]) / (2.0 * h);
                assert!(
                    (fd - j[(r, k)]).abs() < 1e-7,
                    "d(a,b,c)[{r}]/d(a,d,g)[{k}]: {fd} vs {}",
                    j[(r, k)]
                );
            }
        }
        let (back, jb) = abc_to_slope_intercept(v[0], v[1], v[2], scale);
        for k in 0..3 {
            assert!(
                (back[k] - x[k]).abs() < 1e-12,
                "round trip of parameter {k}"
            );
        }
        let prod = jb * j;
        for r in 0..3 {
            for c in 0..3 {
                let want = if r == c { 1.0 } else { 0.0 };
                assert!(
                    (prod[(r, c)] - want).abs() < 1e-12,
                    "J_back J = I at ({r}, {c})"
                );
            }
        }
    }
}
