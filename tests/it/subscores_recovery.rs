//! recovery: the weakest-domain rules on a seeded simulation with planted weak domains
//! (subscores_sim: 2000 candidates, one 65-item 3PL form with domains of 16/20/22/7 items, half
//! with a weak domain 0.5 or 0.8 logits below their theta). The full table:
//! (the scratch crate it came from printed the full table).

use crate::subscores_sim as common;

use qbank::readiness::subscores::*;

const SEED: u64 = 20240611;

#[test]
fn evidence_rule_names_right_far_more_often_and_mostly_says_none_without_weakness() {
    let sim = common::simulate(2000, 1, SEED);
    let ev = common::evaluate(&sim);
    let rule = |name: &str| {
        &ev.rules
            .iter()
            .find(|r| r.0.starts_with(name))
            .unwrap_or_else(|| panic!("no rule {name}"))
            .1
    };
    let naive = rule("naive");
    let pred = rule("predictive (leave-domain-out), Holm 90");
    let at_eap = rule("evidence at the EAP");
    assert_eq!(
        naive.share_named(),
        1.0,
        "the naive rule always names a domain"
    );
    assert!(
        naive.precision() < 0.35,
        "naive precision {}",
        naive.precision()
    );
    for (name, t) in [("predictive", pred), ("at EAP", at_eap)] {
        assert!(
            t.precision() > 1.8 * naive.precision(),
            "{name}: share of named domains that are the planted one {} vs naive {}",
            t.precision(),
            naive.precision()
        );
        assert!(
            t.precision_weak() > 0.75,
            "{name}: among candidates with a weakness, named right {}",
            t.precision_weak()
        );
        assert!(
            t.null_none() >= 0.90,
            "{name}: no weakness planted, 'no domain stands out' for only {}",
            t.null_none()
        );
    }
    // Family-wise 90 %: at most 10 % of candidates without a weakness get a domain named
    // (+ 2 binomial SEs of 1000 candidates).
    let fw = 1.0 - pred.null_none();
    assert!(
        fw <= 0.10 + 2.0 * (0.09f64 / 1000.0).sqrt(),
        "false naming rate {fw}"
    );
    // Larger deficits are found more often; the predictive rule is the more powerful one.
    assert!(
        pred.hit(1) > pred.hit(0),
        "hit 0.8 {} <= hit 0.5 {}",
        pred.hit(1),
        pred.hit(0)
    );
    assert!(
        pred.hit(1) > at_eap.hit(1),
        "predictive {} vs at EAP {}",
        pred.hit(1),
        at_eap.hit(1)
    );
    // The form's domains have no added value in this population (true-domain variance is small):
    // PRMSE_x > PRMSE_s for all four.
    assert!(
        ev.added_value.iter().all(|v| !v),
        "added value {:?}",
        ev.added_value
    );
}

// recovery (calibration of the test): for candidates without a weakness the one-sided p-values
// of the predictive evidence (no continuity correction) are close to uniform in the tail.
#[test]
fn predictive_p_values_are_calibrated_under_no_weakness() {
    let sim = common::simulate(2000, 1, SEED);
    let items = &sim.items;
    let rule = EvidenceRule {
        continuity_correction: false,
        ..EvidenceRule::default()
    };
    let (mut n, mut below05, mut below10) = (0usize, 0usize, 0usize);
    for c in sim.candidates.iter().filter(|c| c.weak.is_none()) {
        let ev = predictive_evidence(
            &c.responses,
            &sim.item_domain,
            sim.n_domains,
            |i, t| items[i].p(t),
            (0.0, 1.0),
        )
        .unwrap();
        for t in domain_tests(&ev, &rule).unwrap() {
            let p = t.p_value.unwrap();
            n += 1;
            below05 += (p <= 0.05) as usize;
            below10 += (p <= 0.10) as usize;
        }
    }
    let (r05, r10) = (below05 as f64 / n as f64, below10 as f64 / n as f64);
    // 4000 tests; binomial SE at 0.05 is 0.0034, at 0.10 0.0047 (tests of one candidate are
    // dependent, so allow about 3 SE).
    assert!((r05 - 0.05).abs() < 0.012, "P(p <= 0.05) = {r05}");
    assert!((r10 - 0.10).abs() < 0.016, "P(p <= 0.10) = {r10}");
}
