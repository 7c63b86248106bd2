//! Person scoring against the Python `mirt` package (1.2.0, `fscores` with 61 quadrature points on
//! the same item parameters: R mirt's LSAT7 2PL estimates, as quoted in tests/data/README.md).
//! Values computed once with: m.set_parameters(discrimination=a, difficulty=-d/a);
//! mirt.fscores(m, patterns, method=..., n_quadpts=61).

use qbank::irt::{self, scoring, EmOptions, Logistic, ModelKind, Responses};

use crate::common::{assert_close, data_path};

fn lsat7_items() -> Vec<Logistic> {
    let a = [0.9876, 1.0808, 1.7075, 0.7650, 0.7357];
    let d = [1.8559, 0.8080, 1.8052, 0.4860, 1.8545];
    a.iter()
        .zip(d)
        .map(|(&a, d)| Logistic::new(ModelKind::TwoPL, a, -d / a, 0.0, 1.0))
        .collect()
}

fn scores(patterns: &[[u8; 5]]) -> Vec<scoring::PersonScore> {
    let rows: Vec<Vec<Option<u8>>> = patterns
        .iter()
        .map(|p| p.iter().map(|x| Some(*x)).collect())
        .collect();
    let data = Responses::from_rows(
        (1..=5).map(|i| format!("item{i}")).collect(),
        &rows,
        &vec![1.0; rows.len()],
    );
    // All items fixed and the latent density fixed at N(0, 1): the calibration is just the grid.
    let cal = irt::calibrate(&data, lsat7_items(), vec![true; 5], &EmOptions::default());
    scoring::score_persons(&data, &cal)
}

/// Person scores against Python mirt: both use 61 rectangular points on [-6, 6]; differences come
/// from convergence only.
const PY_MIRT_SCORE_TOL: f64 = 1e-3;
/// Item-fit statistics (S-X2, infit, outfit) against Python mirt.
const PY_MIRT_FIT_TOL: f64 = 0.01;

#[test]
fn eap_map_ml_match_python_mirt() {
    let patterns = [
        [0, 0, 0, 0, 0],
        [0, 0, 1, 0, 1],
        [0, 1, 1, 0, 1],
        [1, 1, 1, 1, 1],
    ];
    // (EAP, PSD, MAP, SE, ML, SE) from mirt; ML of all-wrong/all-right is at the bound (-6, 6).
    let expected = [
        (-1.869799, 0.692696, -1.816402, 0.674996, -6.0),
        (-0.766187, 0.672121, -0.794636, 0.644276, -1.342646),
        (-0.257423, 0.704143, -0.322166, 0.683364, -0.584582),
        (0.727181, 0.800932, 0.638146, 0.803521, 6.0),
    ];
    let ml_se = [f64::INFINITY, 0.836995, 0.874102, f64::INFINITY];
    let scored = scores(&patterns);
    for (((s, e), se), pattern) in scored.iter().zip(expected).zip(ml_se).zip(patterns) {
        let of = |what: &str| format!("{what} of {pattern:?} (mirt)");
        assert_close(s.eap, e.0, PY_MIRT_SCORE_TOL, &of("EAP"));
        assert_close(s.psd, e.1, PY_MIRT_SCORE_TOL, &of("PSD"));
        assert_close(s.map, e.2, PY_MIRT_SCORE_TOL, &of("MAP"));
        assert_close(s.map_se, e.3, PY_MIRT_SCORE_TOL, &of("MAP SE"));
        assert_close(s.ml, e.4, PY_MIRT_SCORE_TOL, &of("ML"));
        if se.is_finite() {
            assert_close(s.ml_se, se, PY_MIRT_SCORE_TOL, &of("ML SE"));
            assert!(s.ml_flag.is_none());
        } else {
            assert!(s.ml_flag.is_some(), "an extreme pattern is flagged");
            assert!(s.eap.is_finite() && s.map.is_finite());
        }
    }
}

#[test]
fn summed_score_table_is_a_distribution_with_increasing_eap() {
    let items = lsat7_items();
    let grid = irt::quadrature::Grid::new(61, 6.0);
    let w = grid.normal_weights(0.0, 1.0);
    let t = qbank::irt::test_level::summed_score_table(&items, &grid.theta, &w);
    assert_eq!(t.len(), 6);
    assert_close(
        t.iter().map(|r| r.probability).sum::<f64>(),
        1.0,
        1e-12,
        "sum of summed-score probabilities",
    );
    for r in t.windows(2) {
        assert!(r[1].eap > r[0].eap);
    }
    // The model-implied score distribution matches LSAT7's observed one (2PL fits LSAT7; mirt's
    // M2 is not significant): observed shares of scores 0..5, counted from lsat7.csv.
    let mut observed = [0.0; 6];
    let path = data_path("lsat7.csv");
    for rec in csv::Reader::from_path(path).unwrap().records() {
        let r = rec.unwrap();
        let score: usize = (0..5).map(|i| r[i].parse::<usize>().unwrap()).sum();
        observed[score] += r[5].parse::<f64>().unwrap() / 1000.0;
    }
    for (r, o) in t.iter().zip(observed) {
        assert_close(
            r.probability,
            o,
            0.01,
            &format!("model vs observed share of score {}", r.score),
        );
    }
}

#[test]
fn a_person_with_no_responses_gets_the_prior() {
    let data = Responses::from_rows(vec!["i".into()], &[vec![None]], &[1.0]);
    let items = vec![Logistic::new(ModelKind::TwoPL, 1.0, 0.0, 0.0, 1.0)];
    let cal = irt::calibrate(&data, items, vec![true], &EmOptions::default());
    let s = &scoring::score_persons(&data, &cal)[0];
    assert_close(s.eap, 0.0, 1e-9, "EAP with no responses");
    assert_close(s.psd, 1.0, 1e-3, "PSD with no responses");
    assert!(s.ml_flag.is_some());
}

#[test]
fn item_fit_matches_python_mirt_on_lsat7() {
    // mirt 1.2.0: itemfit(res, X, statistics=['S_X2', 'infit', 'outfit'], n_quadpts=61) with the
    // README's 2PL parameters set on the model; S_X2 (df 2 each):
    let expected_sx2 = [4.750255, 14.452012, 1.272678, 5.236624, 0.940869];
    let expected_outfit = [0.775808, 0.736800, 0.484358, 0.855206, 0.866241];
    let expected_infit = [0.958185, 0.816007, 0.750086, 0.881425, 0.989241];
    let path = data_path("lsat7.csv");
    let mut rows = Vec::new();
    let mut w = Vec::new();
    for rec in csv::Reader::from_path(path).unwrap().records() {
        let r = rec.unwrap();
        rows.push((0..5).map(|i| Some(r[i].parse::<u8>().unwrap())).collect());
        w.push(r[5].parse::<f64>().unwrap());
    }
    let data = Responses::from_rows((1..=5).map(|i| format!("item{i}")).collect(), &rows, &w);
    // Items free in the model (2 parameters each, for df) but held at the reference values.
    let mut cal = irt::calibrate(&data, lsat7_items(), vec![true; 5], &EmOptions::default());
    cal.fixed = vec![false; 5];
    let scores = scoring::score_persons(&data, &cal);
    let fit = irt::fit::item_fit(&data, &cal, &scores);
    for (i, f) in fit.iter().enumerate() {
        assert_eq!(f.df, 2, "item {i}");
        assert_close(
            f.s_x2,
            expected_sx2[i],
            PY_MIRT_FIT_TOL,
            &format!("item {i}: S-X2 (mirt)"),
        );
        assert_close(
            f.outfit,
            expected_outfit[i],
            PY_MIRT_FIT_TOL,
            &format!("item {i}: outfit (mirt)"),
        );
        assert_close(
            f.infit,
            expected_infit[i],
            PY_MIRT_FIT_TOL,
            &format!("item {i}: infit (mirt)"),
        );
    }
    assert_close(
        fit[1].p_value,
        0.000727,
        1e-4,
        "item 1: S-X2 p-value (mirt)",
    );
}

#[test]
fn q3_finds_a_planted_dependent_pair() {
    // 3000 persons, 15 2PL items; item 1 copies item 0's answer for half of the persons.
    let (data, truth) = qbank::simulate::simulate_matrix(3000, 15, ModelKind::TwoPL, 77);
    let mut rows: Vec<Vec<Option<u8>>> = (0..data.n_persons())
        .map(|p| {
            let mut row = vec![None; 15];
            for &c in data.codes(p) {
                row[c as usize / 2] = Some((c & 1) as u8);
            }
            row
        })
        .collect();
    for (p, row) in rows.iter_mut().enumerate() {
        if p % 2 == 0 {
            row[1] = row[0];
        }
    }
    let data = Responses::from_rows(data.item_ids.clone(), &rows, &vec![1.0; rows.len()]);
    let items = irt::starting_items(&data, &[ModelKind::TwoPL; 15], 1.0, irt::Priors::default());
    let cal = irt::calibrate(&data, items, vec![false; 15], &EmOptions::default());
    let scores = scoring::score_persons(&data, &cal);
    let (mean, pairs) = irt::fit::q3(&data, &cal, &scores, 30.0, irt::fit::Q3_EXCESS);
    assert!(
        mean < 0.0,
        "mean Q3 is slightly negative for independent items: {mean}"
    );
    assert_eq!(pairs.len(), 1, "{pairs:?}");
    assert_eq!((pairs[0].item_a, pairs[0].item_b), (0, 1));
    let _ = truth;
}

// reference (direct computation from the formula): Yen's Q3 of every item pair is the Pearson
// correlation of the residuals x - P(EAP) over the persons who answered both, weighted by the
// persons' frequency weights, computed here pair by pair; the data have two large item sets
// (a third of the persons skip item 11), rare sets (every 50th person misses one more item)
// and weights of 2 and 0.5 on some persons.
#[test]
fn q3_is_the_pairwise_residual_correlation() {
    use irt::ItemModel;
    let k = 12;
    let (data, _) = qbank::simulate::simulate_matrix(2000, k, ModelKind::TwoPL, 91);
    let rows: Vec<Vec<Option<u8>>> = (0..data.n_persons())
        .map(|p| {
            let mut row = vec![None; k];
            for &c in data.codes(p) {
                row[c as usize / 2] = Some((c & 1) as u8);
            }
            if p % 3 == 0 {
                row[11] = None;
            }
            if p % 50 == 1 {
                row[p % 11] = None;
            }
            row
        })
        .collect();
    let weights: Vec<f64> = (0..rows.len())
        .map(|p| match p % 7 {
            0 => 2.0,
            1 => 0.5,
            _ => 1.0,
        })
        .collect();
    let data = Responses::from_rows(data.item_ids.clone(), &rows, &weights);
    let items = irt::starting_items(&data, &[ModelKind::TwoPL; 12], 1.0, irt::Priors::default());
    let cal = irt::calibrate(&data, items, vec![false; k], &EmOptions::default());
    let scores = scoring::score_persons(&data, &cal);
    let (_, pairs) = irt::fit::q3(&data, &cal, &scores, 1.0, -10.0);
    assert_eq!(pairs.len(), k * (k - 1) / 2, "every pair is kept");
    for pair in &pairs {
        let (a, b) = (pair.item_a, pair.item_b);
        let (mut sw, mut sa, mut sb, mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        for (p, row) in rows.iter().enumerate() {
            if let (Some(xa), Some(xb)) = (row[a], row[b]) {
                let ra = xa as f64 - cal.items[a].expected_score(scores[p].eap);
                let rb = xb as f64 - cal.items[b].expected_score(scores[p].eap);
                let w = weights[p];
                sw += w;
                sa += w * ra;
                sb += w * rb;
                saa += w * ra * ra;
                sbb += w * rb * rb;
                sab += w * ra * rb;
            }
        }
        let cov = sab / sw - sa / sw * sb / sw;
        let want = cov / ((saa / sw - (sa / sw).powi(2)) * (sbb / sw - (sb / sw).powi(2))).sqrt();
        assert!(
            (pair.q3 - want).abs() < 1e-12,
            "Q3 of items {a} and {b}: {} against {want}",
            pair.q3
        );
    }
}
