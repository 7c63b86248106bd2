//! Unit tests of readiness on a small hand-built context.

use super::*;
use crate::exam::config::ReadinessConfig;
use crate::irt::Logistic;
use crate::irt::ModelKind;
use crate::scale::conversion_table;

/// 24 items, 6 per domain, difficulties spread over [-1.5, 1.5]; one full-length form with all
/// of them and a 6-item short form without domain D4.
fn context() -> Context {
    let items: Vec<Logistic> = (0..24)
        .map(|i| {
            Logistic::new(
                ModelKind::ThreePL,
                1.2,
                -1.5 + 3.0 * i as f64 / 23.0,
                0.2,
                1.0,
            )
        })
        .collect();
    let scale = Scale {
        min: 100.0,
        max: 1000.0,
        cut: 700.0,
        theta_cut: 0.0,
        slope: 100.0,
    };
    let short: Vec<Logistic> = SHORT.iter().map(|&i| items[i]).collect();
    let forms = vec![
        FormContext {
            id: "F".into(),
            table: Some(conversion_table("F", &items, &items, &scale)),
            prior: (0.0, 1.0),
            n_scored: 24,
            full_length: true,
        },
        FormContext {
            id: "S".into(),
            table: Some(conversion_table("S", &short, &items, &scale)),
            prior: (0.0, 1.0),
            n_scored: 6,
            full_length: false,
        },
    ];
    Context::new(
        items.iter().map(|m| Some(*m)).collect(),
        (0..24).map(|i| i % 4).collect(),
        ["D1", "D2", "D3", "D4"]
            .iter()
            .zip([24.0, 30.0, 34.0, 12.0])
            .map(|(d, w)| (d.to_string(), w))
            .collect(),
        forms,
        scale,
        &items,
        ReadinessConfig::default(),
    )
}

fn attempt(
    id: &str,
    day: &str,
    form: usize,
    items: &[usize],
    right: impl Fn(usize) -> bool,
) -> PracticeAttempt {
    PracticeAttempt {
        attempt_id: id.into(),
        submitted_at: day.into(),
        form,
        responses: items.iter().map(|&i| (i, right(i))).collect(),
    }
}

/// The short form's items: two each of D1-D3, none of D4.
const SHORT: [usize; 6] = [0, 1, 2, 4, 5, 6];
const ALL: [usize; 24] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
];

#[test]
fn perfect_and_all_omitted_attempts_give_finite_bounded_answers() {
    let ctx = context();
    let top = assess_candidate(
        &ctx,
        "top",
        &[attempt("a", "2026-01-01T00:00:00Z", 0, &ALL, |_| true)],
    )
    .unwrap();
    let a = &top.attempts[0];
    assert_eq!((a.raw, a.scaled), (24, 1000.0));
    assert!(a.eap.is_finite() && a.eap > 1.0 && a.p_pass > 0.95, "{a:?}");
    assert!(a.high90 <= 1000.0 && a.low90 < a.high90);
    assert_eq!(top.window, 1);
    assert_eq!(top.status, Status::Ready);
    // No shortfall anywhere and every item right: no weakest domain and no study plan.
    assert!(top.domains.iter().all(|d| d.cost < 0.0));
    assert_eq!(
        crate::readiness::advice(&top.domains, top.weakest),
        crate::readiness::Advice::AllRight
    );
    assert!(top.plan.is_empty(), "plan {:?}", top.plan);

    // Everything omitted counts as wrong: finite, clearly not ready.
    let none = assess_candidate(
        &ctx,
        "none",
        &[attempt("b", "2026-01-01T00:00:00Z", 0, &ALL, |_| false)],
    )
    .unwrap();
    let b = &none.attempts[0];
    assert_eq!(b.raw, 0);
    assert!(b.eap.is_finite() && b.p_pass < 0.05 && b.scaled >= 100.0);
    assert_eq!(none.status, Status::NotYet);
    assert!(none.domains.iter().all(|d| d.cost > 0.0));
}

#[test]
fn the_weakest_domain_is_the_costliest_shortfall_and_an_absent_domain_lacks_evidence() {
    let ctx = context();
    // Right on everything but D2 (items 1, 5, 9, ...), on two full-length attempts.
    let right = |i: usize| i % 4 != 1;
    let c = assess_candidate(
        &ctx,
        "c",
        &[
            attempt("x", "2026-02-01T00:00:00Z", 0, &ALL, right),
            attempt("y", "2026-01-01T00:00:00Z", 0, &ALL, right),
        ],
    )
    .unwrap();
    // Sorted in time order whatever the input order.
    assert_eq!(c.attempts[0].attempt_id, "y");
    assert_eq!(c.weakest.map(|d| ctx.domain_id(d)), Some("D2"));
    assert_eq!(c.plan, vec![(1, 1.0)]);
    // A short form without D4: D4 has no evidence and is never the weakest.
    let s = assess_candidate(
        &ctx,
        "s",
        &[attempt("z", "2026-01-01T00:00:00Z", 1, &SHORT, |_| false)],
    )
    .unwrap();
    let d4 = s
        .domains
        .iter()
        .find(|d| ctx.domain_id(d.domain) == "D4")
        .unwrap();
    assert_eq!(d4.items, 0);
    assert!(!d4.enough_evidence);
    assert!(
        s.domains.iter().all(|d| !d.enough_evidence),
        "2 items per domain are not enough"
    );
    assert_eq!(s.weakest, None);
    assert!(
        !s.attempts[0].note.is_empty(),
        "a short form says its interval is wide"
    );
}

#[test]
fn a_short_form_has_a_wider_interval_than_a_full_one() {
    let ctx = context();
    let full = assess_candidate(&ctx, "f", &[attempt("f", "1", 0, &ALL, |i| i < 12)]).unwrap();
    let short = assess_candidate(&ctx, "s", &[attempt("s", "1", 1, &SHORT, |i| i < 3)]).unwrap();
    let width = |c: &CandidateReadiness| c.attempts[0].high90 - c.attempts[0].low90;
    assert!(
        width(&short) > 1.5 * width(&full),
        "{} vs {}",
        width(&short),
        width(&full)
    );
    // A diagnostic alone can never make a candidate Ready.
    let top_short = assess_candidate(&ctx, "t", &[attempt("t", "1", 1, &SHORT, |_| true)]).unwrap();
    assert_ne!(top_short.status, Status::Ready);
}

#[test]
fn older_attempts_count_less_in_the_combined_estimate() {
    let ctx = context();
    // Weak first, strong later: the combined estimate lies nearer the later attempts.
    let list = [
        attempt("1", "1", 0, &ALL, |i| i < 6),
        attempt("2", "2", 0, &ALL, |i| i < 18),
        attempt("3", "3", 0, &ALL, |i| i < 18),
    ];
    let c = assess_candidate(&ctx, "g", &list).unwrap();
    let (first, last) = (c.attempts[0].eap, c.attempts[2].eap);
    let mid = (first + 2.0 * last) / 3.0;
    assert!(
        c.theta > mid && c.theta < last + 0.05,
        "{} not between {mid} and {last}",
        c.theta
    );
    // Combining attempts narrows the posterior.
    assert!(c.psd < c.attempts[2].psd);
}
