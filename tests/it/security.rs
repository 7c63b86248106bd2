//! Recovery, end to end: `qbank simulate --leak ...` plants leaked items (from 2026-07-06),
//! preknowledge candidates and rapid guessers into a data set with known truth; `qbank security`
//! (the library call behind it) must flag clean attempts and items at about the nominal rate and
//! find the planted cases, and date the leak within a window of the truth. The measured figures
//! are printed (`cargo test --test it security::end -- --nocapture`).

use std::collections::HashMap;
use std::path::Path;

use qbank::pipeline::commands::security;
use qbank::simulate::leak::LeakConfig;
use qbank::simulate::{simulate, SimConfig};

fn read(path: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).expect("truth or output file");
    let header = r.headers().expect("header").clone();
    r.records()
        .map(|rec| {
            let rec = rec.expect("record");
            header
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// A share with its binomial SE, for messages.
fn rate(hits: usize, n: usize) -> (f64, f64) {
    let p = hits as f64 / n.max(1) as f64;
    (p, (p * (1.0 - p) / n.max(1) as f64).sqrt())
}

// recovery: false-flag rates on clean attempts and items near alpha; planted cases found; the
// leak dated within one weekly window of the truth.
#[test]
fn end_to_end_on_a_simulated_leak() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("leak");
    let out = dir.path().join("out");
    let cfg = SimConfig {
        seed: 7,
        candidates: 10_000,
        repeat_share: 0.0,
        diagnostic_share: 0.0,
        leak: Some(LeakConfig {
            items: 10,
            from_day: 182.0, // 2026-07-06, a Monday: the start of a weekly window
            share: 0.3,
            preknowledge: 30,
            rapid_guessers: 0.005,
        }),
        ..SimConfig::default()
    };
    simulate(&cfg, &data).expect("simulate");
    let s = security(&data, &out, None, true).expect("qbank security");
    let alpha = s.person_alpha;

    // Attempts: flags by the planted kind.
    let kind: HashMap<String, String> = read(&data.join("truth/security.csv"))
        .into_iter()
        .map(|r| (r["attempt_id"].clone(), r["kind"].clone()))
        .collect();
    let rows = read(&out.join("security_attempts.csv"));
    let mut count: HashMap<(&str, &str), usize> = HashMap::new();
    let mut n: HashMap<&str, usize> = HashMap::new();
    for r in &rows {
        let k = kind[&r["attempt_id"]].as_str();
        *n.entry(k).or_default() += 1;
        for f in ["lz_star_flag", "u3_flag", "speed_flag", "preknowledge_flag"] {
            if r[f] == "true" {
                *count.entry((k, f)).or_default() += 1;
            }
        }
        if !matches!(r["rapid_guesses"].as_str(), "" | "0") {
            *count.entry((k, "rapid")).or_default() += 1;
        }
    }
    let share = |k: &str, f: &str| rate(count.get(&(k, f)).copied().unwrap_or(0), n[k]);
    for (k, f) in [
        ("clean", "lz_star_flag"),
        ("clean", "u3_flag"),
        ("clean", "speed_flag"),
        ("clean", "preknowledge_flag"),
        ("clean", "rapid"),
        ("rapid_guesser", "rapid"),
        ("rapid_guesser", "u3_flag"),
        ("preknowledge", "preknowledge_flag"),
        ("exposed", "preknowledge_flag"),
    ] {
        let (p, se) = share(k, f);
        println!("{k:>14} {f:<18} {p:.4} (SE {se:.4}, n = {})", n[k]);
    }
    // Clean attempts: each person-level detector within 4 binomial SEs of alpha (alpha = 0.01).
    let clean_n = n["clean"] as f64;
    let tol = 4.0 * (alpha * (1.0 - alpha) / clean_n).sqrt();
    for f in ["lz_star_flag", "u3_flag", "speed_flag", "preknowledge_flag"] {
        let (p, _) = share("clean", f);
        assert!(
            p <= alpha + tol,
            "false-flag rate of {f} on clean attempts {p:.4}, nominal {alpha} (+ {tol:.4})"
        );
    }
    assert_eq!(
        share("clean", "rapid").0,
        0.0,
        "rapid guesses among clean attempts"
    );
    assert_eq!(
        share("rapid_guesser", "rapid").0,
        1.0,
        "rapid guessers found"
    );
    let (pk, _) = share("preknowledge", "preknowledge_flag");
    assert!(pk >= 0.3, "preknowledge candidates found: {pk:.3}");

    // Items: the leaked ones flagged, dated within a window; few clean items flagged.
    let leaked: HashMap<String, String> = read(&data.join("truth/leak.csv"))
        .into_iter()
        .map(|r| (r["item_id"].clone(), r["leaked_from"].clone()))
        .collect();
    let items = read(&out.join("security_items.csv"));
    let (mut found, mut false_flags, mut clean) = (0, 0, 0);
    for r in &items {
        let flagged = !r["correct_signal_window"].is_empty() || !r["fast_signal_window"].is_empty();
        match leaked.get(&r["item_id"]) {
            Some(truth) => {
                found += usize::from(flagged);
                for (stat, col) in [
                    ("correct", "correct_exposed_from"),
                    ("fast", "fast_exposed_from"),
                ] {
                    println!(
                        "leaked {} ({stat}): signal {} exposed from {} (true {truth})",
                        r["item_id"],
                        r[&format!("{stat}_signal_window")],
                        r[col]
                    );
                }
                let from = &r["fast_exposed_from"];
                let days = |d: &str| qbank::exam::dates::days_from_iso(d).expect("date");
                assert!(
                    !from.is_empty() && (days(from) - days(truth)).abs() <= 7,
                    "item {}: exposed from {from}, true {truth}",
                    r["item_id"]
                );
            }
            None => {
                clean += 1;
                false_flags += usize::from(flagged);
            }
        }
    }
    println!(
        "items: {found}/{} leaked flagged; {false_flags}/{clean} clean items flagged by either \
         monitor (expected about {:.1} per monitor)",
        leaked.len(),
        s.item_expected_false_flags
    );
    assert_eq!(found, leaked.len(), "every leaked item flagged");
    // Two monitors at 1 % over the whole period each: about 4 of ~190 clean items expected.
    assert!(false_flags <= 8, "{false_flags} clean items flagged");
}
