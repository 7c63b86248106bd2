//! End-to-end check of `qbank run`'s linking stage on equateIRT's five-form ring (`data2pl`, first
//! 1000 examinees of each form; tests/data/README.md): forms test1 ... test5 (F1 ... F5, F1 the
//! base) share 10 items with each neighbour on the ring 1-2-3-4-5-1, so F3 and F4 share nothing
//! with the base form and must be linked through chains. The data are 2PL, calibrated with
//! `[calibration] model = "2pl"`.
//!
//! Kind: recovery/consistency. A form's separate calibration standardises its own cohort, so its
//! link theta_base = A theta_form + B puts the cohort at mean B and SD A on the base scale: the
//! same quantities the concurrent calibration estimates as the cohort's mean and SD. Both come
//! from the same responses by different routes (separate 2PL fits + Stocking-Lord vs one
//! concurrent fit), so they agree within a few standard errors, not exactly.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::common::data_path;
use super::uncertainty_cli::{ok, qbank};

/// The ring as a qbank data set in `dir`: one domain, items answered "A" (right) or "B".
fn write_dataset(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("qbank.toml"),
        "name = \"equateIRT data2pl ring\"\nbase_form = \"F1\"\n\n[[domains]]\nid = \"D1\"\n\
         name = \"All\"\nweight = 100\n\n[scale]\ntheta_cut = 0.0\nslope = 100\n\n\
         [calibration]\nmodel = \"2pl\"\nd = 1.0\n",
    )
    .unwrap();
    let (mut items, mut forms, mut attempts) = (
        String::from("item_id,domain,type,key,options,a,b,c\n"),
        String::from("form_id,position,item_id,scored\n"),
        String::from("attempt_id,candidate_id,form_id,item_id,response\n"),
    );
    let mut seen = std::collections::BTreeSet::new();
    for k in 1..=5 {
        let text = std::fs::read_to_string(data_path(&format!("data2pl/test{k}.csv"))).unwrap();
        let mut lines = text.lines();
        let ids: Vec<&str> = lines.next().unwrap().split(',').collect();
        for (pos, id) in ids.iter().enumerate() {
            if seen.insert(id.to_string()) {
                writeln!(items, "{id},D1,single,A,2,,,").unwrap();
            }
            writeln!(forms, "F{k},{},{id},true", pos + 1).unwrap();
        }
        for (r, line) in lines.enumerate() {
            for (id, v) in ids.iter().zip(line.split(',')) {
                let resp = if v.trim() == "1" { "A" } else { "B" };
                writeln!(attempts, "T{k}P{r:04},T{k}P{r:04},F{k},{id},{resp}").unwrap();
            }
        }
    }
    std::fs::write(dir.join("items.csv"), items).unwrap();
    std::fs::write(dir.join("forms.csv"), forms).unwrap();
    std::fs::write(dir.join("attempts.csv"), attempts).unwrap();
}

fn json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn ring_links_agree_with_concurrent_cohorts() {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ring_data2pl");
    let (dir, out) = (root.join("data"), root.join("out"));
    write_dataset(&dir);
    ok(&qbank(&[
        "run",
        dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]));
    let cal = json(&out.join("calibration.json"));
    let eq = json(&out.join("equating.json"));
    assert_eq!(cal["model"], "2pl", "calibration model from qbank.toml");
    let num = |v: &serde_json::Value, what: &str| {
        v.as_f64()
            .unwrap_or_else(|| panic!("{what}: not a number ({v})"))
    };
    let links = eq["links"].as_array().expect("equating.json links");
    assert_eq!(links.len(), 4, "F2-F5 linked to F1 (none left out)");
    for (form, path_len) in [("F2", 2), ("F3", 3), ("F4", 3), ("F5", 2)] {
        let l = links
            .iter()
            .find(|l| l["form_id"] == form)
            .unwrap_or_else(|| panic!("{form}: no link in equating.json"));
        assert_eq!(
            l["path"].as_array().map(Vec::len),
            Some(path_len),
            "{form}: path {}",
            l["path"]
        );
        let g = cal["groups"]
            .as_array()
            .and_then(|gs| gs.iter().find(|g| g["group"] == form))
            .unwrap_or_else(|| panic!("{form}: no cohort in calibration.json"));
        let (a, b) = (num(&l["link"]["A"], "A"), num(&l["link"]["B"], "B"));
        let (se_a, se_b) = (num(&l["se_a"], "se_a"), num(&l["se_b"], "se_b"));
        let (mean, sd) = (num(&g["mean"], "cohort mean"), num(&g["sd"], "cohort sd"));
        let (se_mean, se_sd) = (num(&g["se_mean"], "se_mean"), num(&g["se_sd"], "se_sd"));
        println!(
            "{form} path {}: link A {a:.3} ({se_a:.3}) B {b:.3} ({se_b:.3}); concurrent cohort \
             mean {mean:.3} ({se_mean:.3}) SD {sd:.3} ({se_sd:.3})",
            l["path"]
        );
        assert!(
            (b - mean).abs() < 2.0 * se_b,
            "{form}: link B {b} vs concurrent cohort mean {mean} (link SE {se_b})"
        );
        assert!(
            (a - sd).abs() < 2.0 * se_a,
            "{form}: link A {a} vs concurrent cohort SD {sd} (link SE {se_a})"
        );
        assert!(
            se_mean > 0.0 && se_sd > 0.0,
            "{form}: cohort SEs {se_mean}, {se_sd}"
        );
    }
}
