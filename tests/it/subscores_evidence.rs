//! The evidence rule for naming a weakest domain and its evidence builders.
#![allow(clippy::needless_range_loop)]

use qbank::readiness::subscores::*;

use crate::common::assert_close as close;

fn ev(observed: f64, expected: f64, variance: f64, eligible: bool) -> DomainEvidence {
    DomainEvidence {
        observed,
        expected,
        variance,
        n_items: 20,
        eligible,
    }
}

/// z = -2.5, -1.5, +0.5 on three eligible domains (variance 4), and an ineligible domain at -4.
fn four() -> Vec<DomainEvidence> {
    vec![
        ev(5.0, 10.0, 4.0, true),
        ev(7.0, 10.0, 4.0, true),
        ev(11.0, 10.0, 4.0, true),
        ev(2.0, 10.0, 4.0, false),
    ]
}

// Standard normal CDF (R 4 `pnorm`, printed to 17 digits). statrs' Normal::cdf agrees to ~3e-12,
// hence the tolerance 1e-10 below.
const PHI_M2_5: f64 = 0.006_209_665_325_776_13;
const PHI_M2_25: f64 = 0.012_224_472_655_044_7;
const PHI_M1_5: f64 = 0.066_807_201_268_858_1;
const PHI_0_5: f64 = 0.691_462_461_274_013;

// reference (normal table; Holm 1979 step-down by hand): p = (0.00621, 0.06681, 0.69146) over
// m = 3 tested domains (the ineligible one is not counted): Holm 3 p1 = 0.01863,
// max(0.01863, 2 p2) = 0.13361, max(0.13361, p3) = 0.69146; Bonferroni 0.01863, 0.20042, 1.
#[test]
fn holm_and_bonferroni_adjusted_p_values() {
    let no_cc = |m| EvidenceRule {
        confidence: 0.90,
        multiplicity: m,
        continuity_correction: false,
    };
    let holm = domain_tests(&four(), &no_cc(Multiplicity::Holm)).unwrap();
    let tol = 1e-10;
    close(holm[0].z.unwrap(), -2.5, tol, "domain 0 z");
    close(holm[0].p_value.unwrap(), PHI_M2_5, tol, "domain 0 p");
    close(
        holm[0].p_adjusted.unwrap(),
        3.0 * PHI_M2_5,
        tol,
        "domain 0 Holm p",
    );
    close(
        holm[1].p_adjusted.unwrap(),
        2.0 * PHI_M1_5,
        tol,
        "domain 1 Holm p",
    );
    close(holm[2].p_adjusted.unwrap(), PHI_0_5, tol, "domain 2 Holm p");
    assert!(
        !holm[3].tested && holm[3].z.is_none(),
        "domain 3 ineligible: not tested"
    );
    let bonf = domain_tests(&four(), &no_cc(Multiplicity::Bonferroni)).unwrap();
    close(
        bonf[1].p_adjusted.unwrap(),
        3.0 * PHI_M1_5,
        tol,
        "domain 1 Bonferroni p",
    );
    close(
        bonf[2].p_adjusted.unwrap(),
        1.0,
        tol,
        "domain 2 Bonferroni p",
    );
    assert_eq!(
        weakest_domain(&four(), &no_cc(Multiplicity::Holm)).unwrap(),
        WeakestDomain::Named {
            domain: 0,
            z: -2.5,
            p_adjusted: holm[0].p_adjusted.unwrap()
        },
        "the smallest p is named with its Holm p"
    );
    // Continuity correction: z = (5 + 0.5 - 10)/2 = -2.25.
    match weakest_domain(&four(), &EvidenceRule::default()).unwrap() {
        WeakestDomain::Named {
            domain,
            z,
            p_adjusted,
        } => {
            assert_eq!(domain, 0, "named domain");
            close(z, -2.25, 1e-15, "z with continuity correction");
            close(
                p_adjusted,
                3.0 * PHI_M2_25,
                tol,
                "Holm p with continuity correction",
            );
        }
        other => panic!("expected domain 0 named, got {other:?}"),
    }
}

// reference (normal table): one domain at z = -1.5 has p = 0.0668 <= 0.10 alone, but 3 x 0.0668
// = 0.2004 > 0.10 among three tested domains: then no domain stands out.
#[test]
fn multiplicity_decides_between_named_and_none() {
    let rule = EvidenceRule {
        continuity_correction: false,
        ..EvidenceRule::default()
    };
    let alone = [ev(7.0, 10.0, 4.0, true), ev(10.0, 10.0, 4.0, false)];
    assert!(matches!(
        weakest_domain(&alone, &rule).unwrap(),
        WeakestDomain::Named { domain: 0, .. }
    ));
    let three = [
        ev(7.0, 10.0, 4.0, true),
        ev(10.0, 10.0, 4.0, true),
        ev(10.0, 10.0, 4.0, true),
    ];
    assert_eq!(
        weakest_domain(&three, &rule).unwrap(),
        WeakestDomain::NoneStandsOut
    );
    // Nothing eligible, or a domain above its expectation: none.
    let none = [ev(2.0, 10.0, 4.0, false)];
    assert_eq!(
        weakest_domain(&none, &rule).unwrap(),
        WeakestDomain::NoneStandsOut
    );
    let above = [ev(15.0, 10.0, 4.0, true)];
    assert_eq!(
        weakest_domain(&above, &rule).unwrap(),
        WeakestDomain::NoneStandsOut
    );
    assert_eq!(
        weakest_domain(&[], &rule).unwrap(),
        WeakestDomain::NoneStandsOut
    );
}

// reference (hand-worked): P = 0.8, 0.6 (domain 0) and 0.5 (domain 1); responses right, wrong,
// right: domain 0 observed 1, expected 1.4, variance 0.8*0.2 + 0.6*0.4 = 0.40; domain 1 observed
// 1, expected 0.5, variance 0.25.
#[test]
fn evidence_at_theta_is_the_compound_binomial() {
    let p = [0.8, 0.6, 0.5];
    let e = evidence_at_theta(
        &[(0, true), (1, false), (2, true)],
        &[0, 0, 1],
        2,
        |i, _| p[i],
        0.3,
    )
    .unwrap();
    close(e[0].observed, 1.0, 1e-15, "domain 0 observed");
    close(e[0].expected, 1.4, 1e-15, "domain 0 expected");
    close(e[0].variance, 0.40, 1e-15, "domain 0 variance");
    assert_eq!((e[0].n_items, e[1].n_items), (2, 1), "items per domain");
    close(e[1].expected, 0.5, 1e-15, "domain 1 expected");
    close(e[1].variance, 0.25, 1e-15, "domain 1 variance");
}

fn p2pl(a: f64, b: f64, theta: f64) -> f64 {
    1.0 / (1.0 + (-a * (theta - b)).exp())
}

// reference (independent numerical integration): the leave-domain-out posterior predictive
// moments recomputed here by Simpson's rule on 4001 points over [-10, 10] (a different grid and
// rule from the module's 121 points): E[T_d] and E[V_d] + Var[T_d]. Tolerance 1e-7.
#[test]
fn predictive_moments_match_a_fine_quadrature() {
    let items = [
        (1.2, -0.5),
        (0.8, 0.3),
        (1.5, 1.0),
        (1.0, -1.2),
        (1.7, 0.0),
        (0.6, 0.8),
    ];
    let dom = [0usize, 0, 0, 1, 1, 1];
    let resp = [
        (0, true),
        (1, false),
        (2, false),
        (3, true),
        (4, true),
        (5, false),
    ];
    let prior = (0.2, 1.1);
    let prob = |i: usize, t: f64| p2pl(items[i].0, items[i].1, t);
    let got = predictive_evidence(&resp, &dom, 2, prob, prior).unwrap();
    for d in 0..2 {
        let n = 4000;
        let h = 20.0 / n as f64;
        let (mut z, mut et, mut et2, mut ev) = (0.0, 0.0, 0.0, 0.0);
        for k in 0..=n {
            let t = -10.0 + h * k as f64;
            let simpson = if k == 0 || k == n {
                1.0
            } else if k % 2 == 1 {
                4.0
            } else {
                2.0
            };
            let mut like = (-0.5 * ((t - prior.0) / prior.1).powi(2)).exp();
            let (mut td, mut vd) = (0.0, 0.0);
            for &(i, r) in &resp {
                let p = prob(i, t);
                if dom[i] == d {
                    td += p;
                    vd += p * (1.0 - p);
                } else {
                    like *= if r { p } else { 1.0 - p };
                }
            }
            let w = simpson * like;
            z += w;
            et += w * td;
            et2 += w * td * td;
            ev += w * vd;
        }
        let (et, et2, ev) = (et / z, et2 / z, ev / z);
        close(
            got[d].expected,
            et,
            1e-7,
            &format!("domain {d} predictive expected"),
        );
        close(
            got[d].variance,
            ev + et2 - et * et,
            1e-7,
            &format!("domain {d} predictive variance"),
        );
        assert_eq!(got[d].n_items, 3, "domain {d} items");
    }
    assert_eq!(got[0].observed, 1.0, "domain 0 observed");
    assert_eq!(got[1].observed, 2.0, "domain 1 observed");
}

// property: the domain under test does not inform its own expectation: changing the responses in
// domain 0 changes its observed score only.
#[test]
fn predictive_expectation_leaves_the_domain_out() {
    let prob = |i: usize, t: f64| p2pl(1.0 + 0.1 * i as f64, -0.5 + 0.2 * i as f64, t);
    let dom = [0usize, 0, 1, 1, 1];
    let a = [(0, true), (1, true), (2, false), (3, true), (4, false)];
    let b = [(0, false), (1, false), (2, false), (3, true), (4, false)];
    let ea = predictive_evidence(&a, &dom, 2, prob, (0.0, 1.0)).unwrap();
    let eb = predictive_evidence(&b, &dom, 2, prob, (0.0, 1.0)).unwrap();
    close(ea[0].expected, eb[0].expected, 1e-14, "domain 0 expected");
    close(ea[0].variance, eb[0].variance, 1e-14, "domain 0 variance");
    assert!(
        ea[1].expected > eb[1].expected,
        "domain 1 expectation follows domain 0's responses"
    );
}

#[test]
fn eligibility_rule() {
    let rule = EligibilityRule::default(); // 10 items, or 5 with added value
    let mut e: Vec<DomainEvidence> = [12, 7, 7, 4, 7]
        .iter()
        .map(|&n| DomainEvidence {
            n_items: n,
            ..ev(0.0, 0.0, 1.0, false)
        })
        .collect();
    apply_eligibility(&mut e, &[false, false, true, true], &rule);
    let got: Vec<bool> = e.iter().map(|d| d.eligible).collect();
    assert_eq!(
        got,
        [true, false, true, false, false],
        "eligible by items / added value"
    );
}

#[test]
fn bad_input_gives_typed_errors() {
    let rule = EvidenceRule::default();
    let bad_conf = EvidenceRule {
        confidence: 1.0,
        ..rule
    };
    assert_eq!(
        weakest_domain(&four(), &bad_conf),
        Err(SubscoreError::Confidence(1.0))
    );
    let mut e = four();
    e[1].variance = f64::NAN;
    assert!(matches!(
        weakest_domain(&e, &rule),
        Err(SubscoreError::InvalidEvidence {
            domain: 1,
            field: "variance",
            ..
        })
    ));
    let mut e = four();
    e[2].observed = f64::INFINITY;
    assert!(matches!(
        domain_tests(&e, &rule),
        Err(SubscoreError::InvalidEvidence {
            domain: 2,
            field: "observed",
            ..
        })
    ));
    let p = |_: usize, _: f64| 0.5;
    assert_eq!(
        evidence_at_theta(&[(0, true), (5, true)], &[0, 0], 1, p, 0.0),
        Err(SubscoreError::UnknownItem {
            index: 1,
            item: 5,
            n_items: 2
        })
    );
    assert!(matches!(
        evidence_at_theta(&[(0, true)], &[0], 1, p, f64::NAN),
        Err(SubscoreError::Theta(_))
    ));
    assert!(matches!(
        predictive_evidence(&[(0, true)], &[0], 1, p, (0.0, 0.0)),
        Err(SubscoreError::Prior { .. })
    ));
    assert!(matches!(
        predictive_evidence(&[(0, true)], &[0], 1, |_, _| 1.0, (0.0, 1.0)),
        Err(SubscoreError::Probability { item: 0, .. })
    ));
    assert!(matches!(
        predictive_evidence(&[(0, true)], &[3], 2, p, (0.0, 1.0)),
        Err(SubscoreError::DomainOutOfRange {
            item: 0,
            domain: 3,
            n_domains: 2
        })
    ));
}
