//! Snapshot tests of the report of a many-form practice program (issue 14, part 6): past six
//! forms the score histograms are small multiples in one figure, the CSEM figure's y axis is
//! clipped to where the candidates are and says so, a perfect scorer gets no weakest domain or
//! study plan, and without official outcomes readiness.json has no observed pass shares.

use crate::common::qbank_ok;
use std::fs;
use std::path::Path;

/// Rewrites a CSV file through `edit(header, record)`, dropping the columns `drop`.
fn rewrite_csv(path: &Path, drop: &[&str], edit: impl Fn(&csv::StringRecord, &mut Vec<String>)) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().clone();
    let keep: Vec<usize> = (0..header.len())
        .filter(|&k| !drop.contains(&&header[k]))
        .collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(keep.iter().map(|&k| &header[k])).unwrap();
    for rec in r.records() {
        let rec = rec.unwrap();
        let mut row: Vec<String> = rec.iter().map(String::from).collect();
        edit(&header, &mut row);
        w.write_record(keep.iter().map(|&k| &row[k])).unwrap();
    }
    fs::write(path, w.into_inner().unwrap()).unwrap();
}

/// The rows of a CSV file as (header, records).
fn read_csv(path: &Path) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    (h, r.records().map(Result::unwrap).collect())
}

fn col(h: &csv::StringRecord, name: &str) -> usize {
    h.iter().position(|x| x == name).unwrap()
}

#[test]
fn a_many_form_practice_program_reads_well() {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("many_forms");
    let _ = fs::remove_dir_all(&root);
    let ds = root.join("ds");
    qbank_ok(&[
        "simulate",
        "--out",
        ds.to_str().unwrap(),
        "--seed",
        "5",
        "--candidates",
        "500",
        "--forms",
        "8",
        "--pool",
        "140",
        "--scored",
        "20",
        "--pretest",
        "4",
        "--anchors",
        "8",
    ]);
    // No official outcomes.
    rewrite_csv(
        &ds.join("candidates.csv"),
        &["official_passed", "official_scaled"],
        |_, _| {},
    );
    // The first candidate answers every item right (the key) in every attempt.
    let (ih, items) = read_csv(&ds.join("items.csv"));
    let keys: std::collections::HashMap<String, String> = items
        .iter()
        .map(|r| {
            (
                r[col(&ih, "item_id")].to_string(),
                r[col(&ih, "key")].to_string(),
            )
        })
        .collect();
    let (ah, attempts) = read_csv(&ds.join("attempts.csv"));
    let perfect = attempts[0][col(&ah, "candidate_id")].to_string();
    rewrite_csv(&ds.join("attempts.csv"), &[], |h, row| {
        if row[col(h, "candidate_id")] == perfect {
            row[col(h, "response")] = keys[&row[col(h, "item_id")]].clone();
        }
    });
    let out = root.join("out");
    qbank_ok(&[
        "run",
        ds.to_str().unwrap(),
        "--quiet",
        "--format",
        "html,md",
        "--candidate",
        &perfect,
        "--out",
        out.to_str().unwrap(),
    ]);
    let md = fs::read_to_string(out.join("index.md")).unwrap();

    // Eight forms: one small-multiples figure, no row of eight histograms.
    assert!(
        md.contains("(figures/scaled_by_form.png)")
            && out.join("figures/scaled_by_form.svg").exists(),
        "no small multiples in index.md"
    );
    assert!(
        !out.join("figures/scaled_F1.svg").exists() && !md.contains("scaled_F1.png"),
        "per-form histograms past six forms"
    );

    // CSEM: the axis is clipped (the caption says so) below the curves' maximum and above every
    // form's SE at the cut, so the curves near the cut are in view.
    let caption = md
        .lines()
        .find(|l| l.contains("The y axis is clipped at "))
        .expect("the CSEM caption should say the axis is clipped");
    let top: f64 = caption
        .split("clipped at ")
        .nth(1)
        .and_then(|t| t.split(':').next())
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("clip value in: {caption}"));
    let (th, info) = read_csv(&out.join("test_information.csv"));
    let csem: Vec<(String, f64, f64)> = info
        .iter()
        .map(|r| {
            (
                r[col(&th, "form_id")].to_string(),
                r[col(&th, "theta")].parse().unwrap(),
                r[col(&th, "csem")].parse().unwrap(),
            )
        })
        .collect();
    let overall = csem.iter().map(|x| x.2).fold(0.0, f64::max);
    assert!(
        top < overall,
        "clip {top} should be below the largest SE {overall}"
    );
    let equating: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("equating.json")).unwrap()).unwrap();
    let cut = equating["scale"]["theta_cut"].as_f64().expect("theta_cut");
    for form in csem
        .iter()
        .map(|x| &x.0)
        .collect::<std::collections::BTreeSet<_>>()
    {
        let at_cut = csem
            .iter()
            .filter(|x| &x.0 == form)
            .min_by(|a, b| (a.1 - cut).abs().total_cmp(&(b.1 - cut).abs()))
            .unwrap();
        assert!(
            at_cut.2 < top,
            "form {form}: SE at the cut {} above the clip {top}",
            at_cut.2
        );
    }

    // The perfect scorer: no weakest domain, no study plan.
    let (rh, rows) = read_csv(&out.join("readiness.csv"));
    let row = rows
        .iter()
        .find(|r| r[col(&rh, "candidate_id")] == *perfect)
        .expect("the perfect scorer in readiness.csv");
    assert_eq!(
        &row[col(&rh, "weakest_domain")],
        "none (every item right)",
        "weakest"
    );
    assert_eq!(&row[col(&rh, "study_plan")], "", "study plan");
    let page = fs::read_to_string(out.join(format!("readiness/{perfect}.md"))).unwrap();
    assert!(
        page.contains("You answered every scored item right")
            && !page.contains("Study plan")
            && !page.contains("blueprint proportion"),
        "candidate page advice"
    );

    // No official outcomes: no observed pass share (null), never 0.
    let json = fs::read_to_string(out.join("readiness.json")).unwrap();
    assert!(
        !json.contains("\"observed\": 0.0"),
        "observed 0.0 without outcomes"
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(
        v["p_pass_histogram"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["observed"].is_null()),
        "p_pass_histogram observed"
    );
    assert!(v["outcomes"].is_null(), "outcomes without official results");
}
