//! Classical item analysis: reference values (LSAT6/LSAT7, Bock & Lieberman 1970, statistics as
//! printed by R mirt's itemstats, to 1e-6; tests/data/README.md), Mantel-Haenszel against
//! statsmodels, planted problems in the demo, degenerate items.

use std::path::PathBuf;

use qbank::classical::stats::{mantel_haenszel, test_stats};
use qbank::classical::{analyse, DifSpec, POOLED};
use qbank::exam::{self, config::FlagsConfig, Diagnostics};

use crate::common::{self, assert_close};

fn patterns(name: &str) -> Vec<(Vec<u8>, f64)> {
    csv::Reader::from_path(common::data_path(name))
        .unwrap()
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                (0..5).map(|i| r[i].parse::<u8>().unwrap()).collect(),
                r[5].parse::<f64>().unwrap(),
            )
        })
        .collect()
}

/// LSAT statistics: tests/data/README.md gives them to 6 decimals, recomputed with the textbook
/// formulas.
const LSAT_STATS_TOL: f64 = 1e-6;
/// LSAT p-values are given to 3 decimals.
const P_VALUE_TOL: f64 = 1e-9 + 5e-4;
/// Mantel-Haenszel statistics against statsmodels' printout (10 decimals).
const STATSMODELS_TOL: f64 = 1e-6;

/// The published classical statistics of one 5-item LSAT section (tests/data/README.md).
struct Published {
    mean: f64,
    sd: f64,
    alpha: f64,
    p: [f64; 5],
    r_total: [f64; 5],
    r_rest: [f64; 5],
    alpha_if_deleted: [f64; 5],
}

fn check(name: &str, want: &Published) {
    let Published {
        mean,
        sd,
        alpha,
        p,
        r_total,
        r_rest,
        alpha_if_deleted: aid,
    } = want;
    let rows = patterns(name);
    let t = test_stats(5, rows.iter().map(|(r, w)| (r.as_slice(), *w)));
    assert_close(t.mean, *mean, LSAT_STATS_TOL, &format!("{name}: mean"));
    assert_close(t.sd, *sd, LSAT_STATS_TOL, &format!("{name}: SD"));
    assert_close(t.kr20, *alpha, LSAT_STATS_TOL, &format!("{name}: alpha"));
    for (i, s) in t.items.iter().enumerate() {
        let item = format!("{name} item {}", i + 1);
        assert_close(s.p_value, p[i], P_VALUE_TOL, &format!("{item}: p"));
        assert_close(
            s.item_total,
            r_total[i],
            LSAT_STATS_TOL,
            &format!("{item}: item-total r"),
        );
        assert_close(
            s.item_rest,
            r_rest[i],
            LSAT_STATS_TOL,
            &format!("{item}: item-rest r"),
        );
        assert_close(
            s.alpha_if_deleted,
            aid[i],
            LSAT_STATS_TOL,
            &format!("{item}: alpha if deleted"),
        );
    }
}

#[test]
fn lsat7_and_lsat6_match_the_reference() {
    check(
        "lsat7.csv",
        &Published {
            mean: 3.707,
            sd: 1.198577,
            alpha: 0.453409,
            p: [0.828, 0.658, 0.772, 0.606, 0.843],
            r_total: [0.529988, 0.599677, 0.611210, 0.592029, 0.461192],
            r_rest: [0.245732, 0.246674, 0.313179, 0.222751, 0.174786],
            alpha_if_deleted: [0.395975, 0.393831, 0.345391, 0.414601, 0.438462],
        },
    );
    check(
        "lsat6.csv",
        &Published {
            mean: 3.819,
            sd: 1.035041,
            alpha: 0.294997,
            p: [0.924, 0.709, 0.553, 0.763, 0.870],
            r_total: [0.362010, 0.566772, 0.618440, 0.534418, 0.435366],
            r_rest: [0.112833, 0.153178, 0.172779, 0.144428, 0.121596],
            alpha_if_deleted: [0.275356, 0.237584, 0.216799, 0.245933, 0.266294],
        },
    );
}

#[test]
fn mantel_haenszel_matches_statsmodels() {
    // Four strata [ref right, ref wrong, focal right, focal wrong]; expected values from
    // statsmodels 0.14 StratifiedTable: oddsratio_pooled, logodds_pooled_se (Robins-Breslow-
    // Greenland), test_null_odds(correction=True).
    let strata = [
        [20.0, 30.0, 10.0, 25.0],
        [40.0, 20.0, 18.0, 17.0],
        [55.0, 10.0, 30.0, 9.0],
        [30.0, 2.0, 12.0, 3.0],
    ];
    let mh = mantel_haenszel(&strata).unwrap();
    assert_close(
        mh.alpha_mh,
        1.8400691309,
        STATSMODELS_TOL,
        "MH common odds ratio",
    );
    assert_close(mh.d_dif, -1.4330373838, STATSMODELS_TOL, "MH D-DIF");
    assert_close(mh.se_d_dif, 0.6138387893, STATSMODELS_TOL, "SE of MH D-DIF");
    assert_close(
        mh.chi_square,
        4.9033790401,
        STATSMODELS_TOL,
        "MH chi-square",
    );
    assert_close(mh.p_value, 0.0268041976, STATSMODELS_TOL, "MH p-value");
    // |D| = 1.43 >= 1 and significant, below 1.5: ETS B (Zwick 2012).
    assert_eq!(mh.category, 'B');
}

fn demo() -> exam::Dataset {
    let mut d = Diagnostics::default();
    exam::load(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/demo"),
        &mut d,
    )
    .unwrap()
}

#[test]
fn planted_miskey_and_dif_are_found_in_the_demo() {
    let ds = demo();
    let truth = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/demo/truth/items.csv"),
    )
    .unwrap();
    let planted = |what: &str| {
        truth
            .lines()
            .find(|l| l.contains(what))
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .to_string()
    };
    let (miskey, dif_item) = (planted(",miskey,"), planted(",dif,"));
    let spec = DifSpec {
        column: "language".into(),
        reference: "en".into(),
        focal: "other".into(),
    };
    let a = analyse(&ds, Some(&spec), &FlagsConfig::default());
    assert!(
        a.flags
            .iter()
            .any(|f| f.item_id == miskey && f.flag == "possible_miskey"),
        "miskey {miskey} not flagged"
    );
    let d = a.dif.iter().find(|d| d.item_id == dif_item).unwrap();
    let mh = d.mh.as_ref().unwrap();
    // b is 1.2 higher for the focal group: the item favours the reference group (D < 0) and,
    // with 245 focal candidates, reaches ETS C and is flagged.
    assert!(mh.d_dif < -1.5 && mh.category == 'C', "{dif_item}: {mh:?}");
    assert!(
        a.flags
            .iter()
            .any(|f| f.item_id == dif_item && f.flag == "dif_c"),
        "DIF item {dif_item} not flagged"
    );
    // Clean items: no DIF C, and the miskey flag on few of them.
    let clean_c = a
        .dif
        .iter()
        .filter(|d| d.item_id != dif_item && d.mh.as_ref().is_some_and(|m| m.category == 'C'))
        .count();
    assert_eq!(clean_c, 0);
    let n_items = a.items.iter().filter(|s| s.form_id == POOLED).count();
    let mut miskeyed: Vec<&str> = a
        .flags
        .iter()
        .filter(|f| f.flag == "possible_miskey" && f.item_id != miskey)
        .map(|f| f.item_id.as_str())
        .collect();
    miskeyed.dedup();
    eprintln!(
        "clean items flagged possible_miskey: {} of {}",
        miskeyed.len(),
        n_items - 1
    );
    assert!(
        miskeyed.len() * 5 < n_items,
        "too many false miskey flags: {}",
        miskeyed.len()
    );
    // Reliability of a 50-item form with realistic items.
    for r in a.reliability.iter().filter(|r| r.scored_items == 50) {
        assert!(
            r.kr20 > 0.75 && r.kr20 < 0.95,
            "{}: KR-20 {}",
            r.form_id,
            r.kr20
        );
    }
}

#[test]
fn degenerate_items_give_flags_not_nan_or_panics() {
    // A tiny data set where one item everybody gets right, one nobody gets right and one pretest
    // item is seen by a single candidate.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("classical_degenerate");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("qbank.toml"), "name = \"d\"\nbase_form = \"F1\"\n[[domains]]\nid = \"D1\"\nname = \"One\"\nweight = 100\n[scale]\ntheta_cut = 0.0\nslope = 100\n").unwrap();
    std::fs::write(dir.join("items.csv"), "item_id,domain,type,key,options,a,b,c\nE,D1,single,A,4,,,\nH,D1,single,A,4,,,\nM,D1,single,A,4,,,\nP,D1,single,A,4,,,\n").unwrap();
    std::fs::write(dir.join("forms.csv"), "form_id,position,item_id,scored\nF1,1,E,true\nF1,2,H,true\nF1,3,M,true\nF2,1,E,true\nF2,2,P,false\n").unwrap();
    let mut log =
        String::from("attempt_id,candidate_id,form_id,item_id,response,seconds,submitted_at\n");
    for k in 0..6 {
        log += &format!(
            "T{k},C{k},F1,E,A,5,\nT{k},C{k},F1,H,B,5,\nT{k},C{k},F1,M,{},5,\n",
            if k % 2 == 0 { "A" } else { "C" }
        );
    }
    log += "T9,C9,F2,E,A,5,\nT9,C9,F2,P,A,5,\n";
    std::fs::write(dir.join("attempts.csv"), log).unwrap();
    let mut d = Diagnostics::default();
    let ds = exam::load(&dir, &mut d).unwrap_or_else(|| panic!("{}", d.render()));
    let a = analyse(&ds, None, &FlagsConfig::default());
    let flag = |item: &str, f: &str| a.flags.iter().any(|x| x.item_id == item && x.flag == f);
    assert!(flag("E", "too_easy") && flag("E", "no_variance"));
    assert!(flag("H", "too_hard") && flag("H", "no_variance"));
    assert!(flag("P", "too_few_responses"));
    // The CSV writer leaves empty cells for undefined statistics: no NaN anywhere.
    let out = dir.join("out");
    qbank::report::item_tables::write_item_analysis(&out, &a).unwrap();
    for f in [
        "items.csv",
        "options.csv",
        "reliability.csv",
        "flags.csv",
        "dif.csv",
    ] {
        let text = std::fs::read_to_string(out.join(f)).unwrap();
        assert!(
            !text.contains("NaN") && !text.contains("inf"),
            "{f}:\n{text}"
        );
    }
}
