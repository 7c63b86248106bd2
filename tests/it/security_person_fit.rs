//! Reference tests of person fit: lz by hand, lz*, theta estimators and U3 against values computed
//! in R by tests/data/person_fit_reference.R (formulas of PerFit's R/lzstar.R and R/U3.R, CRAN
//! PerFit by Tendeiro, Meijer & Niessen; thetas as irtoys' mlebme / wle). See tests/data/README.md.

use qbank::security::*;

fn bank8() -> ItemBank {
    let a = [1.2, 0.8, 1.5, 1.0, 2.0, 0.7, 1.3, 1.1];
    let b = [-1.5, -0.8, -0.3, 0.0, 0.4, 0.9, 1.4, 2.0];
    let c = [0.2, 0.15, 0.25, 0.1, 0.2, 0.0, 0.15, 0.2];
    let items: Vec<(f64, f64, f64)> = (0..8).map(|i| (a[i], b[i], c[i])).collect();
    ItemBank::from_abc(&items, 1.0).expect("valid bank")
}

fn pattern(bits: &str) -> Vec<(u32, u8)> {
    bits.bytes()
        .enumerate()
        .map(|(i, ch)| (i as u32, ch - b'0'))
        .collect()
}

/// One row of the R output: pattern, lz at theta = 0.5, (theta, lz, lz*) for ML, (theta, lz*) for
/// WLE and MAP.
struct RefRow {
    bits: &'static str,
    lz_at_half: f64,
    theta_ml: f64,
    lz_ml: f64,
    lz_star_ml: f64,
    theta_wle: f64,
    lz_star_wle: f64,
    theta_map: f64,
    lz_star_map: f64,
}

const R_ROWS: [RefRow; 4] = [
    RefRow {
        bits: "11110100",
        lz_at_half: 0.7262480968,
        theta_ml: 0.3279655139,
        lz_ml: 0.8847908413,
        lz_star_ml: 0.9677638685,
        theta_wle: 0.3153264178,
        lz_star_wle: 0.9644736977,
        theta_map: 0.2239443011,
        lz_star_map: 0.9381259141,
    },
    RefRow {
        bits: "00101111",
        lz_at_half: -3.6898137846,
        theta_ml: 0.3876729570,
        lz_ml: -3.7071497172,
        lz_star_ml: -4.1262967938,
        theta_wle: 0.3482998480,
        lz_star_wle: -4.1021785601,
        theta_map: 0.1888554030,
        lz_star_map: -4.0179555342,
    },
    RefRow {
        bits: "11011000",
        lz_at_half: 0.1396572864,
        theta_ml: 0.0517261193,
        lz_ml: 0.5181482567,
        lz_star_ml: 0.5332161872,
        theta_wle: 0.0885684462,
        lz_star_wle: 0.5335164506,
        theta_map: 0.0303213250,
        lz_star_map: 0.5327274504,
    },
    RefRow {
        bits: "10111110",
        lz_at_half: -0.3485040397,
        theta_ml: 1.5428637574,
        lz_ml: -0.5671738498,
        lz_star_ml: -0.9066498131,
        theta_wle: 1.3112330526,
        lz_star_wle: -0.8900822203,
        theta_map: 0.8915812144,
        lz_star_map: -0.9371490022,
    },
];

const MAP: ThetaMethod = ThetaMethod::Map {
    mu: 0.0,
    sigma: 1.0,
};

// reference: Drasgow, Levine & Williams (1985) lz, worked by hand for 5 items at theta = 0.3,
// each term written out; R (person_fit_reference.R, "five items") gives P = .8286679864
// .7916723051 .6697852370 .4402863507 .3181436947, l0 = -3.3606431518, E = -2.9155161769,
// V = 0.8975669028, lz = -0.4698405526. Tolerance 1e-9.
#[test]
fn lz_five_items_by_hand() {
    let a = [1.0, 1.5, 0.8, 1.2, 2.0];
    let b = [-1.0, -0.5, 0.0, 0.5, 1.0];
    let c = [0.2, 0.1, 0.25, 0.0, 0.15];
    let x = [1u8, 0, 1, 1, 0];
    let theta = 0.3;
    let bank =
        ItemBank::from_abc(&(0..5).map(|i| (a[i], b[i], c[i])).collect::<Vec<_>>(), 1.0).unwrap();
    let resp: Vec<(u32, u8)> = (0..5).map(|i| (i as u32, x[i])).collect();
    // P_i = c_i + (1 - c_i) / (1 + exp(-a_i (theta - b_i))), written out item by item.
    let p1 = 0.2 + 0.8 / (1.0 + (-(0.3f64 + 1.0)).exp());
    let p2 = 0.1 + 0.9 / (1.0 + (-1.5f64 * (0.3 + 0.5)).exp());
    let p3 = 0.25 + 0.75 / (1.0 + (-0.8f64 * (0.3 - 0.0)).exp());
    let p4 = 0.0 + 1.0 / (1.0 + (-1.2f64 * (0.3 - 0.5)).exp());
    let p5 = 0.15 + 0.85 / (1.0 + (-2.0f64 * (0.3 - 1.0)).exp());
    let r_p = [
        0.8286679864,
        0.7916723051,
        0.6697852370,
        0.4402863507,
        0.3181436947,
    ];
    for (k, (p, rp)) in [p1, p2, p3, p4, p5].iter().zip(r_p).enumerate() {
        assert!((p - rp).abs() < 1e-9, "item {k}: P by hand {p} vs R {rp}");
    }
    // l0 = x ln P + (1-x) ln Q over items: right, wrong, right, right, wrong.
    let l0 = p1.ln() + (1.0 - p2).ln() + p3.ln() + p4.ln() + (1.0 - p5).ln();
    let e = |p: f64| p * p.ln() + (1.0 - p) * (1.0 - p).ln();
    let v = |p: f64| p * (1.0 - p) * (p / (1.0 - p)).ln().powi(2);
    let el0 = e(p1) + e(p2) + e(p3) + e(p4) + e(p5);
    let vl0 = v(p1) + v(p2) + v(p3) + v(p4) + v(p5);
    assert!((l0 - -3.3606431518).abs() < 1e-9, "l0 by hand {l0}");
    assert!((el0 - -2.9155161769).abs() < 1e-9, "E l0 by hand {el0}");
    assert!((vl0 - 0.8975669028).abs() < 1e-9, "Var l0 by hand {vl0}");
    let by_hand = (l0 - el0) / vl0.sqrt();
    let lz = lz_at(&bank, &resp, theta).unwrap();
    assert!(
        (lz - by_hand).abs() < 1e-12,
        "lz library {lz} vs by hand {by_hand}"
    );
    assert!(
        (lz - -0.4698405526).abs() < 1e-9,
        "lz {lz} vs R -0.4698405526"
    );
}

// reference: lz at theta = 0.5 for the 8-item 3PL bank, R values (person_fit_reference.R).
// Tolerance 1e-9.
#[test]
fn lz_matches_r_at_given_theta() {
    let bank = bank8();
    for row in &R_ROWS {
        let lz = lz_at(&bank, &pattern(row.bits), 0.5).unwrap();
        assert!(
            (lz - row.lz_at_half).abs() < 1e-9,
            "pattern {}: lz(0.5) = {lz}, R {}",
            row.bits,
            row.lz_at_half
        );
    }
}

// reference: Snijders' lz* in PerFit's conventions (R/lzstar.R: r0 = 0 for ML, J/(2I) for WL,
// (mu - theta)/sigma^2 for BM, D = 1), evaluated at R's theta estimates, as PerFit does with
// `Ability` supplied. R values from person_fit_reference.R; tolerance 1e-8 (the R thetas are
// printed to 1e-10).
#[test]
fn lz_star_matches_perfit_formulas_at_r_theta() {
    let bank = bank8();
    for row in &R_ROWS {
        let resp = pattern(row.bits);
        for (method, theta, want) in [
            (ThetaMethod::Ml, row.theta_ml, row.lz_star_ml),
            (ThetaMethod::Wle, row.theta_wle, row.lz_star_wle),
            (MAP, row.theta_map, row.lz_star_map),
        ] {
            let got = lz_star_at(&bank, &resp, theta, method).unwrap();
            assert!(
                (got - want).abs() < 1e-8,
                "pattern {} {}: lz* {got}, R {want}",
                row.bits,
                method.as_str()
            );
        }
    }
}

// reference: the thetas themselves (ML: optimize on [-4, 4]; WLE: uniroot of irtoys' 3PL Warm
// score; MAP: N(0,1) prior) and then the whole person_fit pipeline (our theta, then lz, lz*)
// against R's to 1e-6.
#[test]
fn thetas_and_person_fit_match_r() {
    let bank = bank8();
    for row in &R_ROWS {
        let resp = pattern(row.bits);
        let ml = estimate_theta(bank.items(), &resp, &ThetaOptions::ml(-4.0, 4.0)).unwrap();
        assert!(
            (ml.theta - row.theta_ml).abs() < 1e-6,
            "pattern {}: theta ML {} vs R {}",
            row.bits,
            ml.theta,
            row.theta_ml
        );
        assert!(!ml.at_bound, "pattern {}: ML inside the bounds", row.bits);
        let wle = estimate_theta(bank.items(), &resp, &ThetaOptions::wle(-10.0, 10.0)).unwrap();
        assert!(
            (wle.theta - row.theta_wle).abs() < 1e-6,
            "pattern {}: theta WLE {} vs R {}",
            row.bits,
            wle.theta,
            row.theta_wle
        );
        let map = estimate_theta(
            bank.items(),
            &resp,
            &ThetaOptions {
                method: MAP,
                lower: -4.0,
                upper: 4.0,
            },
        )
        .unwrap();
        assert!(
            (map.theta - row.theta_map).abs() < 1e-6,
            "pattern {}: theta MAP {} vs R {}",
            row.bits,
            map.theta,
            row.theta_map
        );
        for (method, want_theta, want) in [
            (ThetaMethod::Ml, row.theta_ml, row.lz_star_ml),
            (ThetaMethod::Wle, row.theta_wle, row.lz_star_wle),
            (MAP, row.theta_map, row.lz_star_map),
        ] {
            let opts = PersonFitOptions {
                theta: ThetaOptions {
                    method,
                    lower: -4.0,
                    upper: 4.0,
                },
                alpha: 0.05,
                lz_star_cutoff: None,
                u3_cutoff: None,
            };
            let fit = person_fit(&bank, &resp, &opts, None).unwrap();
            assert!(
                (fit.theta - want_theta).abs() < 1e-6,
                "pattern {} {}: theta {} vs R {want_theta}",
                row.bits,
                method.as_str(),
                fit.theta
            );
            assert!(
                (fit.lz_star - want).abs() < 1e-6,
                "pattern {} {}: lz* {} vs R {want}",
                row.bits,
                method.as_str(),
                fit.lz_star
            );
            if method == ThetaMethod::Ml {
                assert!(
                    (fit.lz - row.lz_ml).abs() < 1e-6,
                    "pattern {}: lz at theta ML {} vs R {}",
                    row.bits,
                    fit.lz,
                    row.lz_ml
                );
            }
            // The flag is the lower tail at alpha.
            assert_eq!(
                fit.flagged,
                fit.p_lz_star < 0.05,
                "pattern {}: flag",
                row.bits
            );
        }
    }
    // The aberrant pattern (easy items wrong, hard right) is flagged at 0.05, the fitting one not.
    let opts = PersonFitOptions {
        alpha: 0.05,
        ..PersonFitOptions::default()
    };
    assert!(
        person_fit(&bank, &pattern("00101111"), &opts, None)
            .unwrap()
            .flagged
    );
    assert!(
        !person_fit(&bank, &pattern("11110100"), &opts, None)
            .unwrap()
            .flagged
    );
}

// reference: U3 in PerFit's conventions (R/U3.R) on a complete 10 x 6 matrix with column
// proportions .8 .7 .6 .5 .4 .3; R values from person_fit_reference.R, tolerance 1e-9.
#[test]
fn u3_matches_perfit_formula() {
    let m = [
        "111000", "110100", "000111", "101010", "111110", "110000", "011100", "111010", "100001",
        "111101",
    ];
    let want = [
        0.0,
        0.1041839235,
        1.0,
        0.3218964064,
        0.0,
        0.0,
        0.3562071871,
        0.1163005735,
        0.4860651392,
        0.1978126303,
    ];
    let w = U3Weights::from_p_values(&[0.8, 0.7, 0.6, 0.5, 0.4, 0.3]).unwrap();
    for (row, want) in m.iter().zip(want) {
        let got = u3(&w, &pattern(row)).unwrap();
        assert!(
            (got - want).abs() < 1e-9,
            "pattern {row}: U3 {got}, R {want}"
        );
    }
    // The same items seen in another order (incomplete designs list items as seen) give the
    // same U3.
    let mut rev = pattern("101010");
    rev.reverse();
    assert!((u3(&w, &rev).unwrap() - 0.3218964064).abs() < 1e-9);
}

// property: degenerate patterns have no value, with the reason, and bad input is an error.
#[test]
fn degenerate_patterns_and_bad_input() {
    let bank = bank8();
    let opts = PersonFitOptions::default();
    let e = person_fit(&bank, &pattern("11111111"), &opts, None).unwrap_err();
    assert_eq!(e, SecurityError::NoValue(NoValue::AllRight { n_items: 8 }));
    assert!(e.is_no_value());
    let e = person_fit(&bank, &pattern("00000000"), &opts, None).unwrap_err();
    assert_eq!(e, SecurityError::NoValue(NoValue::AllWrong { n_items: 8 }));
    let e = person_fit(&bank, &[], &opts, None).unwrap_err();
    assert_eq!(e, SecurityError::NoValue(NoValue::NoResponses));
    let e = person_fit(&bank, &[(8, 1), (0, 0)], &opts, None).unwrap_err();
    assert!(
        matches!(e, SecurityError::ItemOutOfRange { item: 8, .. }),
        "{e}"
    );
    assert!(!e.is_no_value());
    let e = person_fit(&bank, &[(1, 2), (0, 0)], &opts, None).unwrap_err();
    assert!(matches!(e, SecurityError::BadScore { score: 2, .. }), "{e}");
    let e = person_fit(&bank, &[(1, 1), (1, 0)], &opts, None).unwrap_err();
    assert!(
        matches!(e, SecurityError::DuplicateItem { item: 1, .. }),
        "{e}"
    );
    // ML of an all-right pattern is the upper bound, marked.
    let t = estimate_theta(
        bank.items(),
        &pattern("11111111"),
        &ThetaOptions::ml(-6.0, 6.0),
    )
    .unwrap();
    assert_eq!(t.theta, 6.0);
    assert!(t.at_bound);
    let t = estimate_theta(
        bank.items(),
        &pattern("00000000"),
        &ThetaOptions::ml(-6.0, 6.0),
    )
    .unwrap();
    assert_eq!(t.theta, -6.0);
    assert!(t.at_bound);
    // WLE of an all-right pattern is finite for this bank.
    let t = estimate_theta(
        bank.items(),
        &pattern("11111111"),
        &ThetaOptions::wle(-10.0, 10.0),
    )
    .unwrap();
    assert!(
        t.theta > 1.5 && t.theta < 10.0 && !t.at_bound,
        "WLE all right {t:?}"
    );
    // Invalid bank entries are named.
    let e = ItemBank::from_abc(&[(1.0, 0.0, 1.2)], 1.0).unwrap_err();
    assert!(e.to_string().contains("item 0: c = 1.2"), "{e}");
    let e = person_fit(
        &bank,
        &pattern("10"),
        &PersonFitOptions { alpha: 1.5, ..opts },
        None,
    )
    .unwrap_err();
    assert!(e.to_string().contains("alpha"), "{e}");
}
