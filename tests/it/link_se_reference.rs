//! Reference tests against the equateIRT tutorial (Battauz, "The R Package equateIRT: A
//! Tutorial", section "Tests for drifts", inst/doc/equateIRT_tutorial.html of equateIRT 2.5.x):
//! the est3pl forms, Haebara with equateIRT's defaults (30-point Gauss-Hermite rule for N(0, 1),
//! D = 1, non-symmetric criterion on the target scale), `alldirec`, `chainec`, `id.test`,
//! `sd.test`. In equateIRT "test1.test5" puts test1 on test5's scale: new = test1, old = test5.
//!
//! Tolerances: half a unit in the last printed digit, except where equateIRT's optimiser
//! (nlminb, default rel.tol 1e-10 on the criterion) leaves its A, B off the exact minimum by
//! ~1e-7; our Newton iterations converge to ~1e-13. The Wald statistics are sensitive to that
//! (d stat / dA ~ 43 for the circular chain), so they agree to ~2e-6 (identity) and ~5e-6
//! (scale drift) instead of the printed 1e-6; `identity_statistic_at_published_constants`
//! shows that the gap comes from (A, B), not from the covariance matrix.

use qbank::equate::link_se::{
    chain_forms, identity_test, link_with_se, scale_drift_test, FormEstimates, LinkOptions,
};
use qbank::equate::linking::{LinkMethod, ThetaPoints};

fn forms() -> Vec<FormEstimates> {
    (1..=5).map(super::link_se_common::est3pl).collect()
}

fn opts() -> LinkOptions {
    LinkOptions {
        curve: ThetaPoints::EQUATEIRT.curve_options(false).unwrap(),
        d: 1.0,
        anchors: None,
    }
}

fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got:.9}, published {want} (tolerance {tol:e})"
    );
}

// reference: summary(direclist3pl$test1.test5): A 1.00935 (0.029052), B -0.51886 (0.027863)
#[test]
fn direct_test1_to_test5_haebara() {
    let f = forms();
    let l = link_with_se(
        &f[0],
        &f[4],
        LinkMethod::Haebara,
        &ThetaPoints::EQUATEIRT,
        1.0,
    )
    .expect("direct link test1 -> test5");
    close(l.A, 1.00935, 5e-6, "A of test1.test5");
    close(l.B, -0.51886, 5e-6, "B of test1.test5");
    close(l.se_A.unwrap(), 0.029052, 5e-7, "SE(A) of test1.test5");
    close(l.se_B.unwrap(), 0.027863, 5e-7, "SE(B) of test1.test5");
}

// reference: summary(chainec3): A 1.06595 (0.056590), B -0.50368 (0.042982)
#[test]
fn chain_test1_to_test5_haebara() {
    let f = forms();
    let path: Vec<&FormEstimates> = f.iter().collect();
    let c = chain_forms(&path, LinkMethod::Haebara, &opts()).expect("chain 1-2-3-4-5");
    close(c.A, 1.06595, 5e-6, "A of chain 1.2.3.4.5");
    close(c.B, -0.50368, 5e-6, "B of chain 1.2.3.4.5");
    close(c.se_A.unwrap(), 0.056590, 5e-7, "SE(A) of chain 1.2.3.4.5");
    close(c.se_B.unwrap(), 0.042982, 5e-7, "SE(B) of chain 1.2.3.4.5");
}

fn circular() -> qbank::equate::link_se::LinkEstimate {
    let f = forms();
    let path = vec![&f[0], &f[1], &f[2], &f[3], &f[4], &f[0]];
    chain_forms(&path, LinkMethod::Haebara, &opts()).expect("circular chain 1-2-3-4-5-1")
}

// reference: summary(chainec_circle): A 1.0868759 (0.063585), B 0.0022126 (0.041833);
// id.test: statistic 2.349279, df 2, p 0.3089304
#[test]
fn circular_chain_and_identity_test() {
    let c = circular();
    // equateIRT's A is off the exact minimum by up to ~1e-7 (nlminb tolerance), see module doc
    close(c.A, 1.0868759, 1.5e-7, "A of circular chain");
    close(c.B, 0.0022126, 5e-8, "B of circular chain");
    close(c.se_A.unwrap(), 0.063585, 5e-7, "SE(A) of circular chain");
    close(c.se_B.unwrap(), 0.041833, 5e-7, "SE(B) of circular chain");
    let t = identity_test(&c).expect("identity test");
    assert_eq!(t.df, 2, "identity test df");
    close(t.statistic, 2.349279, 5e-6, "identity test statistic");
    close(t.p_value, 0.3089304, 1e-6, "identity test p-value");
}

// reference: the identity statistic evaluated at equateIRT's printed (A, B) with our
// delta-method covariance reproduces its printed statistic to the printed digits: the small gap
// above comes from the optimiser's A, B, not from the covariance matrix. The printed constants
// are rounded to 1e-7, which moves the statistic by at most ~2.5e-6.
#[test]
fn identity_statistic_at_published_constants() {
    let mut c = circular();
    c.A = 1.0868759;
    c.B = 0.0022126;
    let t = identity_test(&c).expect("identity test");
    close(
        t.statistic,
        2.349279,
        2.5e-6,
        "identity statistic at published (A, B)",
    );
}

// reference: sd.test(c(chainec3, direclist3pl["test1.test5"])): statistic 1.623208, df 2,
// p 0.4441452 (joint covariance of the chain and the direct link, which share forms 1 and 5)
#[test]
fn scale_drift_test_chain_vs_direct() {
    let f = forms();
    let path: Vec<&FormEstimates> = f.iter().collect();
    let c = chain_forms(&path, LinkMethod::Haebara, &opts()).expect("chain 1-2-3-4-5");
    let d = link_with_se(
        &f[0],
        &f[4],
        LinkMethod::Haebara,
        &ThetaPoints::EQUATEIRT,
        1.0,
    )
    .expect("direct 1-5");
    let t = scale_drift_test(&[&c, &d]).expect("scale drift test");
    assert_eq!(t.df, 2, "scale drift df");
    close(t.statistic, 1.623208, 1e-5, "scale drift statistic");
    close(t.p_value, 0.4441452, 3e-6, "scale drift p-value");
    // the test is symmetric in the order of the paths
    let t2 = scale_drift_test(&[&d, &c]).expect("scale drift test, reversed");
    close(
        t2.statistic,
        t.statistic,
        1e-10,
        "scale drift statistic, paths reversed",
    );
}
