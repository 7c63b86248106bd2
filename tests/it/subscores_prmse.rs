//! Haberman's PRMSE, the augmented subscores and Wainer's augmentation.
#![allow(clippy::needless_range_loop)]

use qbank::readiness::subscores::*;

use crate::common::assert_close as close;

/// The hand-worked example: 6 persons x 4 items, items 0-1 in domain 0, items 2-3 in domain 1.
fn tiny() -> (Vec<Vec<u8>>, Vec<usize>) {
    (
        vec![
            vec![1, 1, 1, 1], // s0 = 2, s1 = 2, x = 4
            vec![1, 1, 1, 0], // 2, 1, 3
            vec![1, 0, 1, 1], // 1, 2, 3
            vec![0, 0, 1, 1], // 0, 2, 2
            vec![1, 1, 0, 0], // 2, 0, 2
            vec![0, 0, 0, 1], // 0, 1, 1
        ],
        vec![0, 0, 1, 1],
    )
}

// reference (hand-worked; every intermediate below, exact fractions, n - 1 denominators):
//   item p-values 4/6, 3/6, 4/6, 4/6; item variances k(1 - k/n)/(n-1) = 4/15, 3/10, 4/15, 4/15.
//   s0 = (2,2,1,0,2,0): mean 7/6, sum s0^2 = 13, var = (13 - 6 (7/6)^2)/5 = 29/30.
//   s1 = (2,1,2,2,0,1): mean 4/3, sum s1^2 = 14, var = (14 - 6 (4/3)^2)/5 = 2/3.
//   x  = (4,3,3,2,2,1): mean 5/2, sum x^2 = 43, var = (43 - 37.5)/5 = 11/10.
//   cov(s0, x) = (21 - 6 (7/6)(5/2))/5 = 7/10; cov(s1, x) = (22 - 20)/5 = 2/5.
//   alpha0 = 2 (1 - (4/15 + 3/10)/(29/30)) = 24/29; alpha1 = 2 (1 - (8/15)/(2/3)) = 2/5;
//   alpha of the total = 4/3 (1 - (33/30)/(11/10)) = 0.
//   Domain 0: var(tau) = 24/30, var(e) = 5/30, cov(tau, x) = 21/30 - 5/30 = 16/30;
//     PRMSE_x = (16/30)^2 / ((24/30)(33/30)) = 256/792 = 32/99;
//     (beta, gamma) solve [29 21; 21 33] (beta, gamma)' = (24, 16)' (all x 30): det = 516,
//     beta = (24*33 - 21*16)/516 = 38/43, gamma = (29*16 - 21*24)/516 = -10/129;
//     PRMSE_sx = (38/43 * 24 - 10/129 * 16)/24 = 322/387.
//   Domain 1: var(tau) = 4/15, var(e) = 2/5, cov(tau, x) = 2/5 - 2/5 = 0 -> PRMSE_x = 0;
//     [2/3 2/5; 2/5 11/10] (beta, gamma)' = (4/15, 0)': det = 43/75, beta = 22/43,
//     gamma = -8/43, PRMSE_sx = beta = 22/43.
//   Added value: 24/29 > 32/99 and 2/5 > 0. Augmented (10 % rule): domain 0: 322/387 - 24/29 =
//     0.00446 < 0.1 (1 - 24/29) = 0.0172 -> no; domain 1: 22/43 - 2/5 = 0.1116 > 0.06 -> yes.
#[test]
fn hand_worked_prmse_of_a_six_person_example() {
    let (resp, dom) = tiny();
    let v = haberman_prmse(&resp, &dom, 2).unwrap();
    let tol = 1e-12;
    let d0 = &v[0];
    close(d0.mean_subscore, 7.0 / 6.0, tol, "domain 0 mean subscore");
    close(d0.var_subscore, 29.0 / 30.0, tol, "domain 0 var(s)");
    close(d0.var_total, 1.1, tol, "var(x)");
    close(d0.mean_total, 2.5, tol, "mean(x)");
    close(d0.cov_subscore_total, 0.7, tol, "domain 0 cov(s, x)");
    close(d0.reliability.unwrap(), 24.0 / 29.0, tol, "domain 0 alpha");
    close(d0.reliability_total, 0.0, tol, "alpha of the total");
    close(
        d0.prmse_subscore.unwrap(),
        24.0 / 29.0,
        tol,
        "domain 0 PRMSE_s",
    );
    close(
        d0.prmse_total.unwrap(),
        32.0 / 99.0,
        tol,
        "domain 0 PRMSE_x",
    );
    close(
        d0.prmse_augmented.unwrap(),
        322.0 / 387.0,
        tol,
        "domain 0 PRMSE_sx",
    );
    let (b, g) = d0.weights.unwrap();
    close(b, 38.0 / 43.0, tol, "domain 0 beta");
    close(g, -10.0 / 129.0, tol, "domain 0 gamma");
    assert!(d0.added_value, "domain 0: PRMSE_s 0.828 > PRMSE_x 0.323");
    assert!(
        !d0.augmented_added_value,
        "domain 0: augmented gain below 10 %"
    );

    let d1 = &v[1];
    close(d1.var_subscore, 2.0 / 3.0, tol, "domain 1 var(s)");
    close(d1.cov_subscore_total, 0.4, tol, "domain 1 cov(s, x)");
    close(d1.reliability.unwrap(), 0.4, tol, "domain 1 alpha");
    close(d1.prmse_total.unwrap(), 0.0, tol, "domain 1 PRMSE_x");
    close(
        d1.prmse_augmented.unwrap(),
        22.0 / 43.0,
        tol,
        "domain 1 PRMSE_sx",
    );
    let (b, g) = d1.weights.unwrap();
    close(b, 22.0 / 43.0, tol, "domain 1 beta");
    close(g, -8.0 / 43.0, tol, "domain 1 gamma");
    assert!(
        d1.added_value && d1.augmented_added_value,
        "domain 1 decisions"
    );
    // Person 1 (s1 = 2, x = 4): 4/3 + 22/43 (2 - 4/3) - 8/43 (4 - 5/2) = 4/3 + 44/129 - 36/129.
    close(
        d1.augmented_subscore(2.0, 4.0).unwrap(),
        4.0 / 3.0 + 8.0 / 129.0,
        tol,
        "person 1 augmented subscore, domain 1",
    );
}

// reference (hand-worked, the same six persons): with two domains x = s0 + s1, so Wainer's
// regression on (s0, s1) spans the same predictors as Haberman's on (s, x) and must give the same
// PRMSEs. All x 30: S_obs = [29 -8; -8 20], S_true = [24 -8; -8 8], det S_obs = 516,
// S_obs^-1 = [20 8; 8 29]/516, B = S_true S_obs^-1 = [416 -40; -96 168]/516,
// C = B S_true = [10304 -3648; -3648 2112]/516; PRMSE_0 = 10304/(516*24) = 322/387,
// PRMSE_1 = 2112/(516*8) = 22/43.
#[test]
fn hand_worked_wainer_augmentation_equals_haberman_with_two_domains() {
    let (resp, dom) = tiny();
    let w = wainer_augmentation(&resp, &dom, 2).unwrap();
    let tol = 1e-12;
    close(w.prmse[0], 322.0 / 387.0, tol, "Wainer PRMSE domain 0");
    close(w.prmse[1], 22.0 / 43.0, tol, "Wainer PRMSE domain 1");
    close(w.weights[0][0], 416.0 / 516.0, tol, "B[0][0]");
    close(w.weights[0][1], -40.0 / 516.0, tol, "B[0][1]");
    close(w.weights[1][0], -96.0 / 516.0, tol, "B[1][0]");
    close(w.weights[1][1], 168.0 / 516.0, tol, "B[1][1]");
}

fn read_kb36(name: &str) -> Vec<Vec<u8>> {
    let path = crate::common::data_path(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.split(',')
                .map(|c| c.trim().parse::<u8>().unwrap())
                .collect()
        })
        .collect()
}

/// Item j (0-based) -> domain j mod 3: domain 2 holds the anchor items 3, 6, ..., 36.
fn kb36_domains() -> Vec<usize> {
    (0..36).map(|j| j % 3).collect()
}

struct CttSub {
    alpha: [f64; 3],
    prmse_x: [f64; 3],
    prmse_sx: [f64; 3],
    beta: [f64; 3],
    gamma: [f64; 3],
    alpha_total: f64,
    wainer_b: [[f64; 3]; 3],
    wainer_reliability: [f64; 3],
}

// reference (independent implementation): the formulas of the R package subscore, CTTsub()
// (cran/subscore R/CTTsub.R, version 3.1; methods "Haberman" and "Wainer"; GPL >= 2), run in
// R 4 on these files with CTT::reliability() replaced by the textbook alpha; see
// tests/data/README.md. CTTsub parameterises the augmented subscore differently
// (tao = (sqrt(rel_x) sqrt(r_StXt) - r_sx sqrt(rel_s)) / (1 - r_sx^2), beta, gamma,
// PRMSE_sx = rel_s + tao^2 (1 - r_sx^2)) and gets PRMSE_x as r^2(tau_s, tau_x) rel_x from the
// covariance matrix of all subscores, so agreement checks the formulas, not the code.
// Printed to 15 significant digits; tolerance 1e-10.
const KB36_X: CttSub = CttSub {
    alpha: [0.5839442023033733, 0.704843083272318, 0.6092106202109775],
    prmse_x: [0.8593932718926959, 0.8475277383981209, 0.8563134350759505],
    prmse_sx: [0.8637734659896089, 0.8487458531822238, 0.8578149222938737],
    beta: [-0.0993254924401445, 0.0657000858965566, -0.0601743577054690],
    gamma: [0.2905226712215715, 0.2954991039537909, 0.281829970303896],
    alpha_total: 0.8420570633797347,
    wainer_b: [
        [0.190120948255331, 0.313477258333568, 0.264581609921798],
        [0.284359747372933, 0.360940976656781, 0.306952592347210],
        [0.245853515365911, 0.314431460788701, 0.219292042216622],
    ],
    wainer_reliability: [0.843139801375446, 0.844143740617125, 0.843499553161602],
};

const KB36_Y: CttSub = CttSub {
    alpha: [0.6867502645267366, 0.6698651598235087, 0.6301460710502781],
    prmse_x: [0.8902999975157396, 0.8884476678675924, 0.8772873861291118],
    prmse_sx: [0.8931588436055928, 0.8920945270103151, 0.8801907082406133],
    beta: [
        -0.1029614195703795,
        -0.1116502898641422,
        -0.0884619676298196,
    ],
    gamma: [0.3371936761606303, 0.330597544481147, 0.2925894584256712],
    alpha_total: 0.8596636810125104,
    wainer_b: [
        [0.232089785661653, 0.370507519255621, 0.303263036657893],
        [0.378200344135332, 0.214762313184286, 0.282074204527102],
        [0.306173790269476, 0.278988954741143, 0.203806187775216],
    ],
    wainer_reliability: [0.853670326060073, 0.853968985963936, 0.857940754991335],
};

fn check_cttsub(file: &str, r: &CttSub) {
    let resp = read_kb36(file);
    let dom = kb36_domains();
    let v = haberman_prmse(&resp, &dom, 3).unwrap();
    let tol = 1e-10;
    for d in 0..3 {
        let s = &v[d];
        close(
            s.reliability.unwrap(),
            r.alpha[d],
            tol,
            &format!("{file} domain {d} alpha"),
        );
        close(
            s.prmse_total.unwrap(),
            r.prmse_x[d],
            tol,
            &format!("{file} domain {d} PRMSE_x"),
        );
        close(
            s.prmse_augmented.unwrap(),
            r.prmse_sx[d],
            tol,
            &format!("{file} domain {d} PRMSE_sx"),
        );
        let (b, g) = s.weights.unwrap();
        close(b, r.beta[d], tol, &format!("{file} domain {d} beta"));
        close(g, r.gamma[d], tol, &format!("{file} domain {d} gamma"));
        close(
            s.reliability_total,
            r.alpha_total,
            tol,
            &format!("{file} alpha total"),
        );
        // CTTsub: added.value.s = 0 and added.value.sx = 0 for every domain.
        assert!(
            !s.added_value,
            "{file} domain {d}: no added value (CTTsub: 0)"
        );
        assert!(
            !s.augmented_added_value,
            "{file} domain {d}: augmented (CTTsub: 0)"
        );
    }
    let w = wainer_augmentation(&resp, &dom, 3).unwrap();
    for j in 0..3 {
        close(
            w.reliability[j],
            r.wainer_reliability[j],
            tol,
            &format!("{file} Wainer reliability {j}"),
        );
        for k in 0..3 {
            close(
                w.weights[j][k],
                r.wainer_b[j][k],
                tol,
                &format!("{file} Wainer B[{j}][{k}]"),
            );
        }
    }
}

#[test]
fn kb36_form_x_matches_cttsub() {
    check_cttsub("kb36_form_x.csv", &KB36_X);
}

#[test]
fn kb36_form_y_matches_cttsub() {
    check_cttsub("kb36_form_y.csv", &KB36_Y);
}

// reference (derived from the same CTTsub values): two forms pooled by persons
// (N_X = 1655, N_Y = 1638): PRMSE_x of domain 0 = (1655 * 0.85939... + 1638 * 0.89029...) / 3293.
#[test]
fn two_forms_pool_by_persons() {
    let (x, y) = (read_kb36("kb36_form_x.csv"), read_kb36("kb36_form_y.csv"));
    let dom = kb36_domains();
    let forms = [
        FormResponses {
            responses: &x,
            item_domain: &dom,
        },
        FormResponses {
            responses: &y,
            item_domain: &dom,
        },
    ];
    let pooled = haberman_prmse_forms(&forms, 3).unwrap();
    assert_eq!(pooled.per_form.len(), 2);
    for d in 0..3 {
        let p = &pooled.domains[d];
        assert_eq!(
            (p.n_forms, p.n_persons),
            (2, 3293),
            "domain {d}: forms and persons"
        );
        let want = |a: f64, b: f64| (1655.0 * a + 1638.0 * b) / 3293.0;
        close(
            p.prmse_total.unwrap(),
            want(KB36_X.prmse_x[d], KB36_Y.prmse_x[d]),
            1e-10,
            &format!("pooled PRMSE_x domain {d}"),
        );
        close(
            p.prmse_subscore.unwrap(),
            want(KB36_X.alpha[d], KB36_Y.alpha[d]),
            1e-10,
            &format!("pooled PRMSE_s domain {d}"),
        );
        assert!(!p.added_value, "pooled domain {d}: no added value");
    }
}

// property: a form without a domain (0 items) leaves that domain to the other forms.
#[test]
fn a_form_without_the_domain_does_not_count_for_it() {
    let (resp, dom) = tiny();
    let short: Vec<Vec<u8>> = resp.iter().map(|r| r[..2].to_vec()).collect();
    let dom_short = [0usize, 0];
    let forms = [
        FormResponses {
            responses: &resp,
            item_domain: &dom,
        },
        FormResponses {
            responses: &short,
            item_domain: &dom_short,
        },
    ];
    let pooled = haberman_prmse_forms(&forms, 2).unwrap();
    let d1 = &pooled.domains[1];
    assert_eq!(
        (d1.n_forms, d1.n_persons),
        (1, 6),
        "domain 1 only on form 0"
    );
    close(
        d1.prmse_augmented.unwrap(),
        22.0 / 43.0,
        1e-12,
        "domain 1 PRMSE_sx",
    );
    assert!(
        pooled.per_form[1][1].note.is_some(),
        "form 1 domain 1 carries a note"
    );
    // On form 1, domain 0 is the whole test: PRMSE_x = alpha (s = x) and no augmented subscore.
    let f1d0 = &pooled.per_form[1][0];
    close(
        f1d0.prmse_total.unwrap(),
        f1d0.reliability.unwrap(),
        1e-12,
        "form 1 domain 0: PRMSE_x of s = x",
    );
    assert!(
        f1d0.prmse_augmented.is_none(),
        "form 1 domain 0: singular (s = x)"
    );
}

// property: the published example of sirt::prmse.subscores.scales (data.read, sirt 1.14 manual:
// Var.X, alpha.X, Var.Z, cor.TX_Z, prmse.XZ for subscale A: 1.381, 0.545, 5.668, 0.799, 0.674)
// is NOT Haberman's PRMSE_x: sirt computes cor(T_X, Z) = cor(X,Z)/sqrt(alpha_X) -
// Var(E_X) sqrt(alpha_Z)/sqrt(Var(T_X) Var(Z)) (an extra sqrt(alpha_Z) on the error term), so
// its prmse.Z/prmse.XZ cannot serve as a reference. Here: taking sirt's printed cor.TX_Z at face
// value (cov(s,x) = cor.TX_Z sqrt(Var.TX Var.Z) + Var.EX) our PRMSE_sx is 0.661, not sirt's
// 0.674; undoing sirt's formula (cor.X_Z = 0.7746) reproduces 0.674 with sirt's own augmented
// formula. This test documents that our function follows Haberman, not sirt.
#[test]
fn sirt_example_differs_by_its_alpha_z_factor() {
    let (vx, ax, vz, az, rtz): (f64, f64, f64, f64, f64) = (1.381, 0.545, 5.668, 0.677, 0.799);
    let (vtx, vex) = (vx * ax, vx * (1.0 - ax));
    // Face value.
    let cov = rtz * (vtx * vz).sqrt() + vex;
    let h = haberman_from_moments(vx, vz, cov, ax).unwrap();
    close(h.prmse_total, rtz * rtz, 1e-12, "PRMSE_x round trip");
    close(
        h.prmse_augmented.unwrap(),
        0.6611,
        5e-4,
        "PRMSE_sx from sirt's cor.TX_Z",
    );
    // sirt's own relation inverted: cor.X_Z = (cor.TX_Z + Var.EX sqrt(alpha_Z)/sqrt(Var.TX Var.Z)) sqrt(alpha_X).
    let rxz = (rtz + vex * az.sqrt() / (vtx * vz).sqrt()) * ax.sqrt();
    let pcor = (rtz - ax.sqrt() * rxz) / (1.0 - ax).sqrt() / (1.0 - rxz * rxz).sqrt();
    close(
        1.0 - (1.0 - ax) * (1.0 - pcor * pcor),
        0.674,
        5e-4,
        "sirt's prmse.XZ recomputed",
    );
    // Haberman's PRMSE_x with sirt's correlation differs from sirt's printed prmse.Z = 0.638.
    let h2 = haberman_from_moments(vx, vz, rxz * (vx * vz).sqrt(), ax).unwrap();
    assert!(
        (h2.prmse_total - 0.638).abs() > 0.05,
        "Haberman PRMSE_x {} should differ from sirt's 0.638",
        h2.prmse_total
    );
}

// property: PRMSE_sx >= max(PRMSE_s, PRMSE_x) (it is a regression on both), and Wainer's PRMSE
// (regression on all subscores, of which x is the sum) >= PRMSE_sx.
#[test]
fn augmentation_never_predicts_worse() {
    let resp = read_kb36("kb36_form_x.csv");
    let dom = kb36_domains();
    let v = haberman_prmse(&resp, &dom, 3).unwrap();
    let w = wainer_augmentation(&resp, &dom, 3).unwrap();
    for d in 0..3 {
        let s = &v[d];
        let sx = s.prmse_augmented.unwrap();
        let best = s.prmse_subscore.unwrap().max(s.prmse_total.unwrap());
        assert!(sx >= best - 1e-12, "domain {d}: PRMSE_sx {sx} < {best}");
        assert!(
            w.prmse[d] >= sx - 1e-12,
            "domain {d}: Wainer {} < PRMSE_sx {sx}",
            w.prmse[d]
        );
    }
}

#[test]
fn degenerate_input_gives_typed_errors_or_notes() {
    let (resp, dom) = tiny();
    assert_eq!(
        haberman_prmse(&resp[..1], &dom, 2),
        Err(SubscoreError::TooFewPersons { n: 1 })
    );
    let mut bad = resp.clone();
    bad[3][2] = 2;
    assert_eq!(
        haberman_prmse(&bad, &dom, 2),
        Err(SubscoreError::NotDichotomous {
            person: 3,
            item: 2,
            value: 2
        })
    );
    let mut short = resp.clone();
    short[4].pop();
    assert!(matches!(
        haberman_prmse(&short, &dom, 2),
        Err(SubscoreError::RowLength {
            person: 4,
            found: 3,
            expected: 4
        })
    ));
    assert!(matches!(
        haberman_prmse(&resp, &[0, 0, 1, 2], 2),
        Err(SubscoreError::DomainOutOfRange {
            item: 3,
            domain: 2,
            n_domains: 2
        })
    ));
    let same = vec![vec![1u8, 0, 1, 0]; 5];
    assert_eq!(
        haberman_prmse(&same, &dom, 2),
        Err(SubscoreError::ZeroTotalVariance)
    );
    // A one-item domain: no alpha, a note, no added value, and no NaN anywhere.
    let v = haberman_prmse(&resp, &[0, 0, 0, 1], 2).unwrap();
    assert!(v[1].reliability.is_none() && v[1].prmse_total.is_none() && !v[1].added_value);
    assert!(
        v[1].note.as_deref().unwrap().contains("1 item"),
        "note names the cause"
    );
    assert!(matches!(
        wainer_augmentation(&resp, &[0, 0, 0, 1], 2),
        Err(SubscoreError::WainerNotEstimable { domain: 1, .. })
    ));
    // Negative alpha: the domain's items covary negatively.
    let neg = vec![
        vec![1u8, 0, 1, 1],
        vec![0, 1, 0, 0],
        vec![1, 0, 1, 0],
        vec![0, 0, 0, 1],
        vec![0, 1, 1, 1],
    ];
    // Domain 0: item variances 0.3 and 0.3, cov -0.2, var(s) = 0.2, alpha = 2 (1 - 0.6/0.2) = -4.
    let v = haberman_prmse(&neg, &dom, 2).unwrap();
    close(v[0].reliability.unwrap(), -4.0, 1e-12, "negative alpha");
    assert!(v[0].prmse_total.is_none() && !v[0].added_value);
    assert!(v[0].note.as_deref().unwrap().contains("alpha"));
    assert_eq!(haberman_from_moments(1.0, 2.0, 0.5, 0.0), None);
    assert_eq!(haberman_from_moments(f64::NAN, 2.0, 0.5, 0.5), None);
}
