//! Reference tests of IRT scale linking and true-score equating on Kolen & Brennan's (2004)
//! Table 6.5 item parameters (tests/data/kb_table6_5_params.csv; expected values from R plink's
//! vignette and Kolen & Brennan pp. 191-198, as quoted in tests/data/README.md).

use qbank::equate::linking::{link, CurveOptions, LinkMethod};
use qbank::irt::{Logistic, ModelKind};

use crate::common::{assert_close, data_path};

/// Linking constants A and B against plink (tests/data/README.md: 1e-4).
const PLINK_TOL: f64 = 1e-4;
/// True-score equivalents against the published/recomputed table (tests/data/README.md: 1e-3).
const TRUE_SCORE_TOL: f64 = 1e-3;
/// Unsmoothed equipercentile equivalents of ACT Math (tests/data/README.md: 1e-4).
const EQUIPERCENTILE_TOL: f64 = 1e-4;
/// Percentile ranks of ACT Math, published to 2 decimals.
const PERCENTILE_RANK_TOL: f64 = 0.0051;

/// (form x items, form y items, anchor flags) with the scaling constant `d`.
fn kb_params(d: f64) -> (Vec<Logistic>, Vec<Logistic>, Vec<bool>) {
    let mut rdr = csv::Reader::from_path(data_path("kb_table6_5_params.csv")).unwrap();
    let (mut x, mut y, mut anchor) = (Vec::new(), Vec::new(), Vec::new());
    for rec in rdr.records() {
        let r = rec.unwrap();
        let f = |i: usize| r[i].parse::<f64>().unwrap();
        let m = Logistic::new(ModelKind::ThreePL, f(2), f(3), f(4), d);
        if &r[0] == "x" {
            x.push(m);
            anchor.push(&r[5] == "1");
        } else {
            y.push(m);
        }
    }
    (x, y, anchor)
}

/// The common items (all anchors, or all but item 27) of both forms.
fn common(skip27: bool, d: f64) -> (Vec<Logistic>, Vec<Logistic>) {
    let (x, y, anchor) = kb_params(d);
    (0..x.len())
        .filter(|&i| anchor[i] && !(skip27 && i == 26))
        .map(|i| (x[i], y[i]))
        .unzip()
}

#[test]
fn kolen_brennan_linking_constants_match_plink() {
    // plink: 40 points on [-4, 4], equal weights, non-symmetric, D = 1 (plink's default, applied
    // to the BILOG parameters as given), population SDs (tests/data/README.md).
    let (new, old) = common(false, 1.0);
    assert_eq!(new.len(), 12);
    let expected = [
        (LinkMethod::MeanMean, 1.217266, -0.557155),
        (LinkMethod::MeanSigma, 1.168892, -0.515543),
        (LinkMethod::Haebara, 1.112133, -0.465667),
        (LinkMethod::StockingLord, 1.119231, -0.485545),
    ];
    for (method, a, b) in expected {
        let l = link(&new, &old, method, &CurveOptions::default()).unwrap();
        assert_close(l.slope, a, PLINK_TOL, &format!("{method:?} A (plink)"));
        assert_close(l.intercept, b, PLINK_TOL, &format!("{method:?} B (plink)"));
    }
}

#[test]
fn linking_a_form_to_itself_is_the_identity() {
    let (_, old) = common(false, 1.7);
    for method in LinkMethod::ALL {
        for symmetric in [false, true] {
            let opts = CurveOptions {
                symmetric,
                ..CurveOptions::default()
            };
            let l = link(&old, &old, method, &opts).unwrap();
            let what = format!("{method:?} sym {symmetric} onto itself");
            assert_close(l.slope, 1.0, 1e-8, &format!("{what}: A"));
            assert_close(l.intercept, 0.0, 1e-8, &format!("{what}: B"));
        }
    }
}

#[test]
fn symmetric_criteria_recover_a_known_transformation() {
    // Old items moved by a known (A, B): every method must find it exactly.
    let (_, old) = common(false, 1.7);
    let truth = qbank::equate::linking::Link {
        method: LinkMethod::MeanSigma,
        slope: 0.8,
        intercept: 0.3,
    };
    let new: Vec<Logistic> = old.iter().map(|m| truth.inverse().transform(m)).collect();
    for method in LinkMethod::ALL {
        for symmetric in [false, true] {
            let opts = CurveOptions {
                symmetric,
                ..CurveOptions::default()
            };
            let l = link(&new, &old, method, &opts).unwrap();
            let what = format!("{method:?} sym {symmetric}");
            assert_close(l.slope, 0.8, 1e-7, &format!("{what}: A"));
            assert_close(l.intercept, 0.3, 1e-7, &format!("{what}: B"));
        }
    }
}

/// Form X linked onto Y's scale as in K&B pp. 191-198: D = 1.7, item 27 left out of the common
/// items, mean/sigma with population SDs. Returns (X on Y's scale, Y, the link).
fn kb_linked() -> (Vec<Logistic>, Vec<Logistic>, qbank::equate::linking::Link) {
    let (new_c, old_c) = common(true, 1.7);
    let l = link(
        &new_c,
        &old_c,
        LinkMethod::MeanSigma,
        &CurveOptions::default(),
    )
    .unwrap();
    let (x, y, _) = kb_params(1.7);
    (x.iter().map(|m| l.transform(m)).collect(), y, l)
}

#[test]
fn kolen_brennan_true_score_equating() {
    // K&B pp. 191-198 / plink vignette: D = 1.7, item 27 left out of the common items, X linked
    // onto Y by mean/sigma (A = 1.176075, B = -0.504188); tests/data/README.md values, checked
    // to 1e-3.
    let (x_on_y, y, l) = kb_linked();
    assert_close(l.slope, 1.176075, 1e-5, "mean/sigma A without item 27");
    assert_close(l.intercept, -0.504188, 1e-5, "mean/sigma B without item 27");
    let rows = qbank::equate::irt_true::true_score_equating(&x_on_y, &y);
    let expected = [
        0.0000, 0.8880, 1.7760, 2.6641, 3.5521, 4.4401, 5.3281, 6.1341, 7.1866, 8.3964, 9.6236,
        10.8278, 12.0027, 13.1522, 14.2830, 15.4023, 16.5164, 17.6300, 18.7459, 19.8641, 20.9821,
        22.0953, 23.1976, 24.2831, 25.3476, 26.3895, 27.4108, 28.4156, 29.4099, 30.3991, 31.3856,
        32.3647, 33.3187, 34.2100, 34.9801, 35.5757, 36.0000,
    ];
    assert_eq!(rows.len(), 37);
    for (r, e) in rows.iter().zip(expected) {
        assert_close(
            r.equivalent,
            e,
            TRUE_SCORE_TOL,
            &format!("true-score equivalent of raw {}", r.raw),
        );
    }
    for w in rows.windows(2) {
        assert!(w[1].equivalent >= w[0].equivalent, "monotone");
    }
}

#[test]
fn true_score_equating_of_a_form_with_itself_is_the_identity() {
    let (x, _, _) = kb_params(1.7);
    let rows = qbank::equate::irt_true::true_score_equating(&x, &x);
    for r in rows {
        assert_close(
            r.equivalent,
            r.raw as f64,
            1e-9,
            &format!("identity at raw {}", r.raw),
        );
    }
}

#[test]
fn qbank_link_on_parameter_files() {
    // The same example through the command line: parameter files with a common-item column.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("link_cli");
    std::fs::create_dir_all(&dir).unwrap();
    let mut rdr = csv::Reader::from_path(data_path("kb_table6_5_params.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    for form in ["x", "y"] {
        let mut text = String::from("item_id,a,b,c,anchor\n");
        for r in rows.iter().filter(|r| &r[0] == form) {
            text += &format!("{},{},{},{},{}\n", &r[1], &r[2], &r[3], &r[4], &r[5]);
        }
        std::fs::write(dir.join(format!("{form}.csv")), text).unwrap();
    }
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_qbank"))
        .args([
            "link",
            "--common-column",
            "anchor",
            "--method",
            "haebara",
            "--new-params",
        ])
        .arg(dir.join("x.csv"))
        .arg("--old-params")
        .arg(dir.join("y.csv"))
        .arg("--out")
        .arg(dir.join("out"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        stdout.contains(
            "haebara                1.112133  -0.465667          -          -  <- new_params_linked.csv"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("stocking-lord          1.119231  -0.485545          -          -"),
        "{stdout}"
    );
    // A common item missing from one file is an input error (exit 2).
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_qbank"))
        .args(["link", "--common", "i03,i99", "--new-params"])
        .arg(dir.join("x.csv"))
        .arg("--old-params")
        .arg(dir.join("y.csv"))
        .arg("--out")
        .arg(dir.join("out2"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr)
        .contains("common item 'i99' is not in both parameter files"));
}

#[test]
fn equipercentile_reproduces_kolen_brennan_act_math() {
    // Random-groups ACT Mathematics (K&B 2014 ch. 2; tests/data/README.md): percentile ranks of X
    // to 0.01 and unsmoothed equipercentile equivalents for x = 1..40 to 1e-4.
    let path = data_path("actmath.csv");
    let (mut fx, mut gy) = (Vec::new(), Vec::new());
    for rec in csv::Reader::from_path(path).unwrap().records() {
        let r = rec.unwrap();
        fx.push(r[1].parse::<f64>().unwrap());
        gy.push(r[2].parse::<f64>().unwrap());
    }
    let n: f64 = fx.iter().sum();
    let f: Vec<f64> = fx.iter().map(|v| v / n).collect();
    let pr = [
        0.00, 0.01, 0.03, 0.08, 0.22, 0.53, 1.42, 2.88, 4.70, 7.42, 10.80, 14.74, 19.17, 23.61,
        28.15, 32.83, 37.69, 42.28, 46.50, 50.59, 54.87, 58.89, 62.47, 66.05, 69.37, 72.68, 75.84,
        78.60, 81.06, 83.44, 85.90, 88.18, 90.19, 92.00, 93.67, 95.37, 96.81, 97.82, 98.68, 99.39,
        99.83,
    ];
    for (x, p) in pr.iter().enumerate() {
        let ours = qbank::equate::equipercentile::percentile_rank(&f, x);
        assert_close(ours, *p, PERCENTILE_RANK_TOL, &format!("PR({x})"));
    }
    let e = [
        0.9796, 1.6462, 2.2856, 2.8932, 3.6205, 4.4997, 5.5148, 6.3124, 7.2242, 8.1607, 9.1827,
        10.1859, 11.2513, 12.3896, 13.3929, 14.5240, 15.7169, 16.8234, 18.0092, 19.1647, 20.3676,
        21.4556, 22.6871, 23.9157, 25.0292, 26.1612, 27.2633, 28.1801, 29.1424, 30.1305, 31.1297,
        32.1357, 33.0781, 34.0172, 35.1016, 36.2426, 37.1248, 38.1321, 39.0807, 39.9006,
    ];
    let ours = qbank::equate::equipercentile::equipercentile(&fx, &gy);
    for (x, want) in (1..=40).zip(e) {
        assert_close(ours[x], want, EQUIPERCENTILE_TOL, &format!("e_Y({x})"));
    }
}

#[test]
fn irt_observed_score_equating_of_kolen_brennan_forms() {
    // On the Table 6.5 forms linked as above (N(0, 1) synthetic population), observed-score
    // equivalents stay within 0.3 of the true-score ones between raw 10 and 33 (the methods part
    // near the guessing floor and the top), the table is monotone, and a form equated with itself
    // is the identity. (No published IRT observed-score values are in tests/data/README.md.)
    let (x_on_y, y, _) = kb_linked();
    let grid = qbank::irt::quadrature::Grid::new(61, 6.0);
    let w = grid.normal_weights(0.0, 1.0);
    let obs = qbank::equate::irt_observed::observed_score_equating(&x_on_y, &y, &grid.theta, &w);
    let tru = qbank::equate::irt_true::true_score_equating(&x_on_y, &y);
    for raw in 10..=33 {
        assert_close(
            obs[raw],
            tru[raw].equivalent,
            0.3,
            &format!("observed- vs true-score equivalent of raw {raw}"),
        );
    }
    for wdw in obs.windows(2) {
        assert!(wdw[1] >= wdw[0]);
    }
    let same = qbank::equate::irt_observed::observed_score_equating(&y, &y, &grid.theta, &w);
    for (raw, e) in same.iter().enumerate() {
        assert_close(*e, raw as f64, 1e-9, &format!("identity at {raw}"));
    }
}
