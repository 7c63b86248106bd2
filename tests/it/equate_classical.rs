//! Classical equating against Kolen & Brennan's (2004) examples (values in tests/data/README.md):
//! random-groups ACT Mathematics (mean, linear, equipercentile) and the NEAT example with 36-item
//! forms and an internal 12-item anchor (Tucker, Levine, chained linear; w1 = 0.5).

use qbank::equate::classical::{bootstrap_se, equate, Method, Sample};

use crate::common::{assert_close, data_path};

/// ACT Math (random groups) against Kolen & Brennan (tests/data/README.md: 1e-4).
const RANDOM_GROUPS_TOL: f64 = 1e-4;
/// NEAT linear methods against Kolen & Brennan (tests/data/README.md: 1e-3).
const NEAT_TOL: f64 = 1e-3;
/// A form equated with itself.
const IDENTITY_TOL: f64 = 1e-6;

fn actmath() -> (Sample, Sample) {
    let (mut fx, mut gy) = (Vec::new(), Vec::new());
    for rec in csv::Reader::from_path(data_path("actmath.csv"))
        .unwrap()
        .records()
    {
        let r = rec.unwrap();
        fx.push(r[1].parse::<u64>().unwrap());
        gy.push(r[2].parse::<u64>().unwrap());
    }
    (Sample::from_frequencies(&fx), Sample::from_frequencies(&gy))
}

fn neat(name: &str) -> Sample {
    let (mut t, mut v) = (Vec::new(), Vec::new());
    for rec in csv::Reader::from_path(data_path(name)).unwrap().records() {
        let r = rec.unwrap();
        t.push(r[0].parse::<u32>().unwrap());
        v.push(r[1].parse::<u32>().unwrap());
    }
    Sample {
        total: t,
        anchor: Some(v),
        max_total: 36,
        max_anchor: 12,
    }
}

#[test]
fn random_groups_mean_and_linear_match_kolen_brennan() {
    let (x, y) = actmath();
    assert_eq!((x.total.len(), y.total.len()), (4329, 4152));
    let m = equate(&x, &y, Method::Mean, 0.5).unwrap();
    assert_close(
        m.intercept.unwrap(),
        -0.8726,
        RANDOM_GROUPS_TOL,
        "mean equating intercept",
    );
    assert_eq!(m.slope, Some(1.0));
    let l = equate(&x, &y, Method::Linear, 0.5).unwrap();
    assert_close(l.slope.unwrap(), 1.0886, RANDOM_GROUPS_TOL, "linear slope");
    assert_close(
        l.intercept.unwrap(),
        -2.6319,
        RANDOM_GROUPS_TOL,
        "linear intercept",
    );
    let e = equate(&x, &y, Method::Equipercentile { smooth: None }, 0.5).unwrap();
    // tests/data/README.md: unsmoothed e_Y(20) = 19.1647, e_Y(21) = 20.3676.
    assert_close(e.equivalents[20], 19.1647, RANDOM_GROUPS_TOL, "e_Y(20)");
    assert_close(e.equivalents[21], 20.3676, RANDOM_GROUPS_TOL, "e_Y(21)");
}

#[test]
fn neat_linear_methods_match_kolen_brennan() {
    let (x, y) = (neat("kbneat_x.csv"), neat("kbneat_y.csv"));
    assert_eq!((x.total.len(), y.total.len()), (1655, 1638));
    for (method, slope, intercept) in [
        (Method::Tucker, 1.0292, 0.5378),
        (Method::LevineObserved { internal: true }, 1.0110, 0.2514),
        (Method::LevineTrue { internal: true }, 1.0086, 0.2912),
        (Method::ChainedLinear, 1.0213, 0.3937),
    ] {
        let c = equate(&x, &y, method, 0.5).unwrap();
        assert_close(
            c.slope.unwrap(),
            slope,
            NEAT_TOL,
            &format!("{method:?} slope"),
        );
        assert_close(
            c.intercept.unwrap(),
            intercept,
            NEAT_TOL,
            &format!("{method:?} intercept"),
        );
    }
}

#[test]
fn neat_equipercentile_methods_agree_with_the_linear_ones_in_the_middle() {
    // No published equivalents in tests/data/README.md for these two: they must agree with the
    // linear NEAT methods near the middle of the scale (K&B ch. 5 reports differences of a few
    // tenths there) and be monotone.
    let (x, y) = (neat("kbneat_x.csv"), neat("kbneat_y.csv"));
    let tucker = equate(&x, &y, Method::Tucker, 0.5).unwrap();
    let chained = equate(&x, &y, Method::ChainedLinear, 0.5).unwrap();
    for (method, reference) in [
        (Method::FrequencyEstimation, &tucker),
        (Method::ChainedEquipercentile, &chained),
    ] {
        let c = equate(&x, &y, method, 0.5).unwrap();
        for raw in 10..=25 {
            assert_close(
                c.equivalents[raw],
                reference.equivalents[raw],
                0.6,
                &format!("{method:?} at {raw} against the linear method"),
            );
        }
        for w in c.equivalents.windows(2) {
            assert!(w[1] >= w[0] - 1e-9, "{method:?} not monotone");
        }
    }
}

#[test]
fn identity_and_symmetry() {
    let (x, _) = actmath();
    for method in [
        Method::Mean,
        Method::Linear,
        Method::Equipercentile { smooth: None },
        Method::Equipercentile { smooth: Some(4) },
    ] {
        let c = equate(&x, &x, method, 0.5).unwrap();
        for (raw, e) in c.equivalents.iter().enumerate().skip(1) {
            assert_close(
                *e,
                raw as f64,
                IDENTITY_TOL,
                &format!("{method:?} identity at {raw}"),
            );
        }
    }
    let nx = neat("kbneat_x.csv");
    let f = nx.distribution();
    for method in [
        Method::Tucker,
        Method::LevineObserved { internal: true },
        Method::ChainedLinear,
        Method::FrequencyEstimation,
        Method::ChainedEquipercentile,
    ] {
        let c = equate(&nx, &nx, method, 0.5).unwrap();
        // Equipercentile identity holds where the score occurs (a score nobody got has no rank of its own).
        for (raw, e) in c
            .equivalents
            .iter()
            .enumerate()
            .filter(|(r, _)| f[*r] > 0.0)
        {
            assert_close(
                *e,
                raw as f64,
                IDENTITY_TOL,
                &format!("{method:?} identity at {raw}"),
            );
        }
    }
    // Linear methods are symmetric: Y->X inverts X->Y.
    let (x, y) = actmath();
    let f = equate(&x, &y, Method::Linear, 0.5).unwrap();
    let b = equate(&y, &x, Method::Linear, 0.5).unwrap();
    assert_close(
        f.slope.unwrap() * b.slope.unwrap(),
        1.0,
        1e-12,
        "product of the X->Y and Y->X slopes",
    );
    let e = f.slope.unwrap() * 17.0 + f.intercept.unwrap();
    assert_close(
        b.slope.unwrap() * e + b.intercept.unwrap(),
        17.0,
        1e-9,
        "17 equated to Y and back",
    );
}

#[test]
fn presmoothing_keeps_moments_and_aic_picks_a_degree() {
    let (x, y) = actmath();
    let c = equate(&x, &y, Method::Equipercentile { smooth: Some(0) }, 0.5).unwrap();
    let (cx, cy) = c.smoothing_degrees.unwrap();
    assert!((1..=10).contains(&cx) && (1..=10).contains(&cy));
    let (p, _) = qbank::equate::classical::loglinear_smooth(&x.distribution(), 4329.0, 3).unwrap();
    let f = x.distribution();
    for k in 1..=3 {
        let m = |d: &[f64]| {
            d.iter()
                .enumerate()
                .map(|(s, v)| v * (s as f64).powi(k))
                .sum::<f64>()
        };
        assert_close(m(&p), m(&f), 1e-6 * m(&f), &format!("smoothed moment {k}"));
    }
    let unsmoothed = equate(&x, &y, Method::Equipercentile { smooth: None }, 0.5).unwrap();
    for raw in 5..=35 {
        assert_close(
            c.equivalents[raw],
            unsmoothed.equivalents[raw],
            0.5,
            &format!("presmoothed vs unsmoothed at {raw}"),
        );
    }
}

#[test]
fn bootstrap_standard_errors_are_seeded_and_sensible() {
    let (x, y) = actmath();
    let a = bootstrap_se(&x, &y, Method::Linear, 0.5, 100, 7).unwrap();
    let b = bootstrap_se(&x, &y, Method::Linear, 0.5, 100, 7).unwrap();
    assert_eq!(a, b, "same seed, same SEs");
    // Analytic SE of linear equating at the mean (K&B eq. 7.x, normal scores) is about
    // sqrt(sigma_Y^2 (1/N_X + 1/N_Y)) = 8.94 * sqrt(1/4329 + 1/4152) = 0.194.
    assert_close(a[20], 0.194, 0.05, "bootstrap SE at 20");
    assert!(a[0] > a[20] && a[40] > a[20], "SEs grow away from the mean");
}

#[test]
fn qbank_equate_from_score_files() {
    // The NEAT example through the command line (per-examinee rows with an anchor column) and the
    // ACT Math frequencies as score/frequency rows.
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("equate_cli");
    let bin = env!("CARGO_BIN_EXE_qbank");
    let o = std::process::Command::new(bin)
        .args([
            "equate",
            "--method",
            "levine-true",
            "--anchor-column",
            "anchor",
            "--max-score",
            "36",
            "--new-scores",
        ])
        .arg(data_path("kbneat_x.csv"))
        .arg("--old-scores")
        .arg(data_path("kbneat_y.csv"))
        .arg("--out")
        .arg(out.join("neat"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let conv: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("neat/equating.json")).unwrap()).unwrap();
    assert_close(
        conv["slope"].as_f64().unwrap(),
        1.0086,
        NEAT_TOL,
        "qbank equate: Levine true-score slope",
    );
    assert_close(
        conv["intercept"].as_f64().unwrap(),
        0.2912,
        NEAT_TOL,
        "qbank equate: Levine true-score intercept",
    );
    // A frequency file per form: split actmath.csv into score,count files.
    for (col, name) in [(1, "x.csv"), (2, "y.csv")] {
        let mut text = String::from("score,count\n");
        for rec in csv::Reader::from_path(data_path("actmath.csv"))
            .unwrap()
            .records()
        {
            let r = rec.unwrap();
            text += &format!("{},{}\n", &r[0], &r[col]);
        }
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join(name), text).unwrap();
    }
    let o = std::process::Command::new(bin)
        .args([
            "equate",
            "--method",
            "equipercentile",
            "--score-column",
            "score",
            "--frequency-column",
            "count",
            "--max-score",
            "40",
            "--new-scores",
        ])
        .arg(out.join("x.csv"))
        .arg("--old-scores")
        .arg(out.join("y.csv"))
        .arg("--out")
        .arg(out.join("rg"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let table = std::fs::read_to_string(out.join("rg/conversion.csv")).unwrap();
    assert!(table.contains("\n21,20.3676,\n"), "{table}");
    // Bad input: a non-numeric score names file, line and column; exit 2.
    std::fs::write(out.join("bad.csv"), "score,count\n3,4\nx,1\n").unwrap();
    let o = std::process::Command::new(bin)
        .args([
            "equate",
            "--method",
            "linear",
            "--score-column",
            "score",
            "--frequency-column",
            "count",
            "--new-scores",
        ])
        .arg(out.join("bad.csv"))
        .arg("--old-scores")
        .arg(out.join("y.csv"))
        .arg("--out")
        .arg(out.join("bad"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("bad.csv:3 column 'score': 'x' is not a whole number"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
