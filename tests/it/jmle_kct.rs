//! Rasch JMLE against Winsteps 3.73's published analysis of the Knox Cube Test
//! (tests/data/kct/: responses and Winsteps' IFILE/PFILE as kept by R rpf's `kct` data set;
//! see tests/data/README.md), plus properties and a small recovery study.

use qbank::irt::jmle::{
    rasch_fit_statistics, rasch_jmle, wilson_hilferty, ConvergeRule, Extreme, JmleError,
    JmleOptions, JmleUpdate,
};
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/kct");

fn responses() -> Vec<Vec<Option<u8>>> {
    let mut rdr = csv::Reader::from_path(format!("{DATA}/kct.csv")).expect("kct.csv");
    rdr.records()
        .map(|r| {
            let r = r.expect("kct.csv row");
            (3..21)
                .map(|k| Some(r[k].parse::<u8>().expect("0/1")))
                .collect()
        })
        .collect()
}

/// One row of Winsteps' IFILE/PFILE as kept by rpf. STATUS 1 = estimated; for extreme scores
/// the two files differ: in the IFILE -1 = everybody right, 0 = nobody right; in the PFILE
/// -1 = all wrong, 0 = all right (KCT: items 1-3 are -1, item 18 is 0, Helen is -1).
#[derive(Debug, Clone, serde::Deserialize)]
struct Published {
    #[serde(rename = "MEASURE")]
    measure: f64,
    #[serde(rename = "STATUS")]
    status: i32,
    #[serde(rename = "ERROR")]
    error: f64,
    #[serde(rename = "IN.MSQ")]
    in_msq: f64,
    #[serde(rename = "IN.ZSTD")]
    in_zstd: f64,
    #[serde(rename = "OUT.MSQ")]
    out_msq: f64,
    #[serde(rename = "OUT.ZSTD")]
    out_zstd: f64,
    #[serde(rename = "NAME")]
    name: String,
}

fn published(file: &str) -> Vec<Published> {
    csv::Reader::from_path(format!("{DATA}/{file}"))
        .expect(file)
        .deserialize()
        .map(|r| r.expect("published row"))
        .collect()
}

fn items() -> Vec<Published> {
    published("kct_items_winsteps.csv")
}

fn persons() -> Vec<Published> {
    published("kct_persons_winsteps.csv")
}

/// testthat's `expect_equal(x, y, tolerance)` criterion (all.equal): mean |x - y| / mean |y|.
fn mean_relative_difference(x: &[f64], y: &[f64]) -> f64 {
    let d: f64 = x.iter().zip(y).map(|(a, b)| (a - b).abs()).sum();
    d / y.iter().map(|b| b.abs()).sum::<f64>()
}

/// Compares the four fit columns element by element (MnSq relative to max(1, MnSq), ZSTD
/// absolute) and returns the all.equal criterion of each column.
fn compare_fit(
    what: &str,
    ours: &[Option<qbank::irt::jmle::RaschFit>],
    theirs: &[Published],
    msq_tol: f64,
    zstd_tol: f64,
) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let (mut inm, mut inz, mut outm, mut outz) = (vec![], vec![], vec![], vec![]);
    for (k, (f, p)) in ours.iter().zip(theirs).enumerate() {
        if p.status != 1 {
            assert!(
                f.is_none(),
                "{what} {} ({}): extreme score has no fit",
                k + 1,
                p.name
            );
            continue;
        }
        let f = f.unwrap_or_else(|| panic!("{what} {} ({}): fit missing", k + 1, p.name));
        for (name, a, b, tol) in [
            (
                "infit MnSq",
                f.infit_msq,
                p.in_msq,
                msq_tol * p.in_msq.max(1.0),
            ),
            (
                "outfit MnSq",
                f.outfit_msq,
                p.out_msq,
                msq_tol * p.out_msq.max(1.0),
            ),
            ("infit ZSTD", f.infit_zstd, p.in_zstd, zstd_tol),
            ("outfit ZSTD", f.outfit_zstd, p.out_zstd, zstd_tol),
        ] {
            assert!(
                (a - b).abs() <= tol,
                "{what} {} ({}): {name} {a:.4}, Winsteps {b:.4} (tolerance {tol})",
                k + 1,
                p.name
            );
        }
        inm.push((f.infit_msq, p.in_msq));
        inz.push((f.infit_zstd, p.in_zstd));
        outm.push((f.outfit_msq, p.out_msq));
        outz.push((f.outfit_zstd, p.out_zstd));
    }
    let unzip = |v: Vec<(f64, f64)>| -> Vec<f64> {
        let (a, b): (Vec<f64>, Vec<f64>) = v.into_iter().unzip();
        vec![mean_relative_difference(&a, &b)]
    };
    (unzip(inm), unzip(inz), unzip(outm), unzip(outz))
}

// reference: Winsteps 3.73 infit/outfit MnSq and ZSTD of the KCT (rpf `kct.items`, `kct.people`),
// recomputed from Winsteps' own (published, 2-decimal) measures, as rpf's test-fit.R does, with
// rpf's tolerances on the all.equal criterion: items MnSq .002, ZSTD .01; persons MnSq .002,
// ZSTD .005. Per element: MnSq within 0.01 (relative above 1) and ZSTD within 0.015 (the measures are rounded to
// 0.01 logits, which moves the statistics by up to 0.006 and 0.01 here).
#[test]
fn kct_fit_statistics_at_winsteps_measures() {
    let (it, pe) = (items(), persons());
    let theta: Vec<Option<f64>> = pe
        .iter()
        .map(|p| (p.status == 1).then_some(p.measure))
        .collect();
    let b: Vec<Option<f64>> = it
        .iter()
        .map(|p| (p.status == 1).then_some(p.measure))
        .collect();
    let (fp, fi) = rasch_fit_statistics(&responses(), &theta, &b, true).expect("fit statistics");
    let (inm, inz, outm, outz) = compare_fit("item", &fi, &it, 0.01, 0.015);
    assert!(
        inm[0] <= 0.002,
        "items infit MnSq mean relative difference {}",
        inm[0]
    );
    assert!(
        outm[0] <= 0.002,
        "items outfit MnSq mean relative difference {}",
        outm[0]
    );
    assert!(
        inz[0] <= 0.01,
        "items infit ZSTD mean relative difference {}",
        inz[0]
    );
    assert!(
        outz[0] <= 0.01,
        "items outfit ZSTD mean relative difference {}",
        outz[0]
    );
    let (inm, inz, outm, outz) = compare_fit("person", &fp, &pe, 0.01, 0.015);
    assert!(
        inm[0] <= 0.002,
        "persons infit MnSq mean relative difference {}",
        inm[0]
    );
    assert!(
        outm[0] <= 0.002,
        "persons outfit MnSq mean relative difference {}",
        outm[0]
    );
    assert!(
        inz[0] <= 0.005,
        "persons infit ZSTD mean relative difference {}",
        inz[0]
    );
    assert!(
        outz[0] <= 0.005,
        "persons outfit ZSTD mean relative difference {}",
        outz[0]
    );
}

// reference: the whole Winsteps analysis (measures, SEs, extreme measures, fit) with Winsteps'
// default schedule (PROX start, iterative curve fitting, LCONV=.005 or RCONV=.1, EXTRSCORE=.3).
// Winsteps stops before full convergence and its exact iteration path is not documented, so the
// measures agree to 0.03 logits (items) and 0.05 (persons) rather than to the printed 0.01; the
// SEs of non-extreme measures to 0.01. Extreme measures (EXTRSCORE = 0.3 against the non-extreme
// measures) within 0.04, their SEs within 0.04 (Winsteps prints 1.84-1.85, the model SE at the
// adjusted score is 1.87-1.88: Winsteps' extreme SE is not exactly the model SE there).
// Fit statistics from these measures: MnSq within 3.5 % (relative above 1), ZSTD within 0.07.
#[test]
fn kct_winsteps_schedule_matches_published_analysis() {
    let (it, pe) = (items(), persons());
    let fit = rasch_jmle(&responses(), &JmleOptions::winsteps()).expect("jmle");
    assert!(fit.converged, "Winsteps' stopping rule reached");
    for (what, ours, theirs, tol) in [
        ("item", &fit.items, &it, 0.03),
        ("person", &fit.persons, &pe, 0.05),
    ] {
        for (k, (m, p)) in ours.iter().zip(theirs.iter()).enumerate() {
            let expected_extreme = match (what, p.status) {
                (_, 1) => None,
                ("item", 0) | ("person", -1) => Some(Extreme::Minimum),
                _ => Some(Extreme::Maximum),
            };
            assert_eq!(
                m.extreme,
                expected_extreme,
                "{what} {} ({}): extreme status",
                k + 1,
                p.name
            );
            let (tol_m, tol_se) = if p.status == 1 {
                (tol, 0.01)
            } else {
                (0.04, 0.04)
            };
            let measure = m.measure.expect("measure");
            let se = m.se.expect("se");
            assert!(
                (measure - p.measure).abs() <= tol_m,
                "{what} {} ({}): measure {measure:.4}, Winsteps {}",
                k + 1,
                p.name,
                p.measure
            );
            assert!(
                (se - p.error).abs() <= tol_se,
                "{what} {} ({}): SE {se:.4}, Winsteps {}",
                k + 1,
                p.name,
                p.error
            );
        }
    }
    let fi: Vec<_> = fit.items.iter().map(|m| m.fit).collect();
    let fp: Vec<_> = fit.persons.iter().map(|m| m.fit).collect();
    compare_fit("item", &fi, &it, 0.035, 0.07);
    compare_fit("person", &fp, &pe, 0.035, 0.07);
    // Helen (person 35) is extreme only after items 1-3 (everybody right) and 18 (nobody right)
    // are removed: her raw score 3 of 18 is reported as Winsteps does
    assert_eq!(
        (fit.persons[34].score, fit.persons[34].count),
        (3, 18),
        "person 35 raw score"
    );
}

// reference: with full convergence, the exact JMLE solution is Winsteps' solution stretched by
// the iterations Winsteps did not do: the published item measures are a multiple (0.96-0.97) of
// ours, to the published rounding (0.005) plus 0.005. property: the JML estimation equations hold
// (observed = expected score for every non-extreme person and item) and the items are centred.
#[test]
fn kct_full_convergence_solves_the_jml_equations() {
    let data = responses();
    let fit = rasch_jmle(&data, &JmleOptions::default()).expect("jmle");
    assert!(fit.converged, "full convergence");
    let b: Vec<Option<f64>> = fit
        .items
        .iter()
        .map(|m| if m.extreme.is_none() { m.measure } else { None })
        .collect();
    let theta: Vec<Option<f64>> = fit
        .persons
        .iter()
        .map(|m| if m.extreme.is_none() { m.measure } else { None })
        .collect();
    let mean_b: f64 = b.iter().flatten().sum::<f64>() / b.iter().flatten().count() as f64;
    assert!(mean_b.abs() < 1e-12, "item mean {mean_b}");
    let p = |t: f64, d: f64| 1.0 / (1.0 + (d - t).exp());
    for (n, t) in theta.iter().enumerate() {
        let Some(t) = t else { continue };
        let (obs, exp) = b
            .iter()
            .enumerate()
            .filter_map(|(i, d)| d.map(|d| (data[n][i].unwrap() as f64, p(*t, d))))
            .fold((0.0, 0.0), |a, x| (a.0 + x.0, a.1 + x.1));
        assert!(
            (obs - exp).abs() < 1e-5,
            "person {}: observed {obs}, expected {exp}",
            n + 1
        );
    }
    for (i, d) in b.iter().enumerate() {
        let Some(d) = d else { continue };
        let (obs, exp) = theta
            .iter()
            .enumerate()
            .filter_map(|(n, t)| t.map(|t| (data[n][i].unwrap() as f64, p(t, *d))))
            .fold((0.0, 0.0), |a, x| (a.0 + x.0, a.1 + x.1));
        assert!(
            (obs - exp).abs() < 1e-5,
            "item {}: observed {obs}, expected {exp}",
            i + 1
        );
    }
    let it = items();
    let pairs: Vec<(f64, f64)> = b
        .iter()
        .zip(&it)
        .filter_map(|(d, p)| d.map(|d| (d, p.measure)))
        .collect();
    let slope = pairs.iter().map(|(x, y)| x * y).sum::<f64>()
        / pairs.iter().map(|(x, _)| x * x).sum::<f64>();
    assert!(
        (0.96..0.97).contains(&slope),
        "Winsteps / exact item spread {slope}"
    );
    for (k, (x, y)) in pairs.iter().enumerate() {
        assert!(
            (slope * x - y).abs() <= 0.01,
            "item {}: {:.4} x {slope:.4} vs Winsteps {y}",
            k + 4,
            x
        );
    }
}

// property: Newton-Raphson and curve fitting reach the same fixed point under strict criteria.
#[test]
fn newton_and_curve_fitting_agree() {
    let data = responses();
    let a = rasch_jmle(&data, &JmleOptions::default()).expect("newton");
    let opts = JmleOptions {
        update: JmleUpdate::CurveFitting,
        max_iterations: 5000,
        ..JmleOptions::default()
    };
    let b = rasch_jmle(&data, &opts).expect("curve fitting");
    assert!(
        b.converged,
        "curve fitting converged in {} iterations",
        b.iterations
    );
    for (k, (x, y)) in a.items.iter().zip(&b.items).enumerate() {
        let (x, y) = (x.measure.unwrap(), y.measure.unwrap());
        assert!(
            (x - y).abs() < 1e-5,
            "item {}: Newton {x}, curve fitting {y}",
            k + 1
        );
    }
}

// property: STBIAS multiplies the difficulties and their SEs by (L - 1) / L = 13 / 14 for the KCT
// (14 non-extreme items, complete data) and leaves the person measures and the fit alone.
#[test]
fn bias_correction_scales_items_by_l_minus_1_over_l() {
    let data = responses();
    let plain = rasch_jmle(&data, &JmleOptions::default()).expect("plain");
    let corrected = rasch_jmle(
        &data,
        &JmleOptions {
            bias_correction: true,
            ..JmleOptions::default()
        },
    )
    .expect("corrected");
    let k = corrected.bias_correction_factor.expect("factor");
    assert!((k - 13.0 / 14.0).abs() < 1e-12, "factor {k}");
    for (i, (a, b)) in plain.items.iter().zip(&corrected.items).enumerate() {
        if a.extreme.is_some() {
            continue;
        }
        assert!(
            (a.measure.unwrap() * k - b.measure.unwrap()).abs() < 1e-12,
            "item {} measure",
            i + 1
        );
        assert!(
            (a.se.unwrap() * k - b.se.unwrap()).abs() < 1e-12,
            "item {} SE",
            i + 1
        );
        assert_eq!(a.fit, b.fit, "item {} fit", i + 1);
    }
    for (n, (a, b)) in plain.persons.iter().zip(&corrected.persons).enumerate() {
        if a.extreme.is_none() {
            assert_eq!(a.measure, b.measure, "person {} measure", n + 1);
        }
    }
}

// reference: Winsteps manual, WHEXACT=: 20 dichotomous items, outfit chi-square 19.5, so
// MS = 0.975 with d.f. 20 (q = sqrt(2 / 20)): ZSTD .03 with WHEXACT=Y and -.08 with WHEXACT=N
// (printed to 2 decimals). property: q is capped at sqrt(2).
#[test]
fn wilson_hilferty_matches_winsteps_manual() {
    let q = (2.0f64 / 20.0).sqrt();
    let exact = wilson_hilferty(0.975, q, true);
    let plain = wilson_hilferty(0.975, q, false);
    assert!((exact - 0.03).abs() <= 0.005, "WHEXACT=Y ZSTD {exact}");
    assert!((plain + 0.08).abs() <= 0.005, "WHEXACT=N ZSTD {plain}");
    assert_eq!(
        wilson_hilferty(2.0, 5.0, true),
        wilson_hilferty(2.0, std::f64::consts::SQRT_2, true),
        "q cap"
    );
}

// recovery: 400 persons x 25 items, theta ~ N(0, 1), b equally spaced in [-2, 2], seeded, 10%
// missing at random. Fully converged JMLE: the item RMSE (true b centred) is within 25 % of the
// mean model SE; JMLE's known outward bias shows as a spread ratio sd(b_hat)/sd(b) > 1 that the
// (L - 1)/L correction brings closer to 1.
#[test]
fn recovery_of_item_difficulties() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20240601);
    let n_i = 25;
    let b_true: Vec<f64> = (0..n_i)
        .map(|i| -2.0 + 4.0 * i as f64 / (n_i - 1) as f64)
        .collect();
    let normal = Normal::new(0.0, 1.0).unwrap();
    let data: Vec<Vec<Option<u8>>> = (0..400)
        .map(|_| {
            let t: f64 = normal.sample(&mut rng);
            b_true
                .iter()
                .map(|&b| {
                    let u: f64 = rand::Rng::gen(&mut rng);
                    let miss: f64 = rand::Rng::gen(&mut rng);
                    (miss >= 0.1).then_some((u < 1.0 / (1.0 + (b - t).exp())) as u8)
                })
                .collect()
        })
        .collect();
    let fit = rasch_jmle(&data, &JmleOptions::default()).expect("jmle");
    let est: Vec<f64> = fit.items.iter().map(|m| m.measure.unwrap()).collect();
    let se: Vec<f64> = fit.items.iter().map(|m| m.se.unwrap()).collect();
    let rmse = (est
        .iter()
        .zip(&b_true)
        .map(|(e, t)| (e - t).powi(2))
        .sum::<f64>()
        / n_i as f64)
        .sqrt();
    let mean_se = se.iter().sum::<f64>() / n_i as f64;
    assert!(
        (rmse / mean_se - 1.0).abs() < 0.25,
        "item RMSE {rmse:.4} vs mean SE {mean_se:.4}"
    );
    let spread = |v: &[f64]| (v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64).sqrt();
    let ratio = spread(&est) / spread(&b_true);
    let corrected = rasch_jmle(
        &data,
        &JmleOptions {
            bias_correction: true,
            ..JmleOptions::default()
        },
    )
    .expect("corrected");
    let est_c: Vec<f64> = corrected.items.iter().map(|m| m.measure.unwrap()).collect();
    let ratio_c = spread(&est_c) / spread(&b_true);
    assert!(ratio > 1.0, "JMLE spreads the items out: ratio {ratio:.4}");
    assert!(
        (ratio_c - 1.0).abs() < (ratio - 1.0).abs(),
        "bias correction: ratio {ratio:.4} -> {ratio_c:.4}"
    );
}

// property: typed errors for bad input.
#[test]
fn errors_name_the_entry() {
    let ragged = vec![vec![Some(1), Some(0)], vec![Some(1)]];
    assert_eq!(
        rasch_jmle(&ragged, &JmleOptions::default()),
        Err(JmleError::Ragged {
            person: 1,
            len: 1,
            expected: 2
        })
    );
    let bad = vec![vec![Some(1), Some(2)], vec![Some(0), Some(1)]];
    assert_eq!(
        rasch_jmle(&bad, &JmleOptions::default()),
        Err(JmleError::InvalidResponse {
            person: 0,
            item: 1,
            value: 2
        })
    );
    // a Guttman pattern: everything becomes extreme
    let guttman = vec![
        vec![Some(1), Some(1)],
        vec![Some(1), Some(0)],
        vec![Some(0), Some(0)],
    ];
    assert!(matches!(
        rasch_jmle(&guttman, &JmleOptions::default()),
        Err(JmleError::NothingToEstimate { .. })
    ));
    let opts = JmleOptions {
        extreme_score_adjustment: 1.5,
        ..JmleOptions::default()
    };
    assert!(matches!(
        rasch_jmle(&responses(), &opts),
        Err(JmleError::InvalidOption {
            name: "extreme_score_adjustment",
            ..
        })
    ));
}

// reference: Winsteps manual defaults (LCONV= .005, RCONV= .1, CONVERGE= Either, EXTRSCORE= 0.3,
// STBIAS= No, WHEXACT= Yes) in the Winsteps preset.
#[test]
fn winsteps_preset_uses_the_manual_defaults() {
    let w = JmleOptions::winsteps();
    assert_eq!(
        (w.lconv, w.rconv, w.converge),
        (0.005, 0.1, ConvergeRule::Either),
        "convergence"
    );
    assert_eq!(
        (w.extreme_score_adjustment, w.bias_correction, w.wh_exact),
        (0.3, false, true),
        "EXTRSCORE, STBIAS, WHEXACT"
    );
    assert_eq!(
        (w.update, w.prox_start, w.max_prox_iterations),
        (JmleUpdate::CurveFitting, true, 10),
        "PROX, MPROX, curve fitting"
    );
}
