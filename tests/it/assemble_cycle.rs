//! The bank's next cycle on the demo: run -> bank -> assemble -> pre-equate, checked against the
//! simulation's truth (data/demo/truth/items.csv), and the `qbank bank` / `qbank assemble` CLI.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use qbank::assemble::bank::BankStatus;
use qbank::irt::test_level::{lord_wingersky, tcc};
use qbank::irt::Logistic;
use qbank::pipeline::{run, Progress, RunOptions};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The truth of the demo: per item id, (domain, true a, b, c, miskeyed, DIF shift).
struct TrueItem {
    domain: String,
    model: Logistic,
    miskeyed: bool,
    dif_shift: f64,
}

fn truth() -> HashMap<String, TrueItem> {
    let text = fs::read_to_string(root().join("data/demo/truth/items.csv")).expect("truth");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let (id, dom, tk, lk, a, b, c, dif) = (
        col("item_id"),
        col("domain"),
        col("true_key"),
        col("listed_key"),
        col("a"),
        col("b"),
        col("c"),
        col("dif_shift"),
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let num = |k: usize| f[k].parse::<f64>().expect("number");
            (
                f[id].to_string(),
                TrueItem {
                    domain: f[dom].to_string(),
                    model: Logistic::from_abc(num(a), num(b), num(c), 1.0),
                    miskeyed: f[tk] != f[lk],
                    dif_shift: num(dif),
                },
            )
        })
        .collect()
}

/// P(raw >= cut) in an N(0, 1) cohort: Lord-Wingersky on a fine grid (step 0.01 on [-6, 6]).
fn true_pass_rate(items: &[Logistic], cut: usize) -> f64 {
    let theta: Vec<f64> = (0..=1200).map(|k| -6.0 + 0.01 * k as f64).collect();
    let w: Vec<f64> = theta.iter().map(|t| (-0.5 * t * t).exp()).collect();
    let total: f64 = w.iter().sum();
    lord_wingersky(items, &theta)
        .iter()
        .zip(&w)
        .map(|(d, wk)| wk / total * d.iter().skip(cut).sum::<f64>())
        .sum()
}

// recovery: the demo's 4 assembled forms (data/demo/assembly.toml), pre-equated through the
// estimated bank, judged with the TRUE item parameters: true pass rates of an N(0, 1) cohort at
// each form's raw cut agree within 1 percentage point, the true TCCs at the cut theta within 0.5
// raw points, and the blueprint 12/15/17/6 (from qbank.toml's weights) holds exactly by the true
// domains.
#[test]
fn assembled_demo_forms_are_parallel_under_the_truth() {
    let r = run(
        &root().join("data/demo"),
        &RunOptions::default(),
        &Progress::new(10, true),
    )
    .expect("demo run");
    let truth = truth();
    let next = r.next_forms.as_ref().expect("data/demo has assembly.toml");
    let pre = next.pre_equating.as_ref().expect("pre-equated");
    assert_eq!(pre.forms.len(), 4, "number of assembled forms");
    let theta_cut = r.equating.summary.scale.theta_cut;
    let mut pass = Vec::new();
    let mut tccs = Vec::new();
    for form in &pre.forms {
        let items: Vec<Logistic> = form.items.iter().map(|id| truth[id].model).collect();
        let cut = form.table.raw_cut.expect("a raw cut");
        pass.push(true_pass_rate(&items, cut));
        tccs.push(tcc(&items, theta_cut));
        for (d, want) in [("D1", 12), ("D2", 15), ("D3", 17), ("D4", 6)] {
            let n = form
                .items
                .iter()
                .filter(|id| truth[*id].domain == d)
                .count();
            assert_eq!(n, want, "form {} items of domain {d}", form.form_id);
        }
    }
    let spread = |v: &[f64]| {
        v.iter().cloned().fold(f64::MIN, f64::max) - v.iter().cloned().fold(f64::MAX, f64::min)
    };
    println!("true pass rates {pass:?}, true TCCs at the cut {tccs:?}");
    assert!(
        spread(&pass) <= 0.01,
        "true pass rates of the 4 forms (N(0,1) cohort) differ by more than 1 point: {pass:?}"
    );
    assert!(
        spread(&tccs) <= 0.5,
        "true TCCs at theta = {theta_cut} differ by more than 0.5 raw points: {tccs:?}"
    );

    // The bank: operational items keep their items.csv parameters; the planted miskey and the
    // planted DIF item are held back; every ready item passed every rule.
    let rules = &r.ds.exam.config.bank;
    for b in &r.bank.items {
        let item = &r.ds.exam.items[b.item];
        let t = &truth[&b.item_id];
        if let Some(bp) = &item.bank {
            assert_eq!(
                b.status,
                BankStatus::Operational,
                "item {} status",
                b.item_id
            );
            assert_eq!(
                b.abc,
                Some((bp.a, bp.b, bp.c)),
                "item {} parameters kept",
                b.item_id
            );
        }
        if b.previous == "pretest" && (t.miskeyed || t.dif_shift != 0.0) {
            assert_eq!(
                b.status,
                BankStatus::NeedsRevision,
                "planted problem item {} (miskeyed {}, DIF shift {}): {}",
                b.item_id,
                t.miskeyed,
                t.dif_shift,
                b.reason
            );
        }
        if b.status == BankStatus::Ready {
            assert!(
                b.n.is_some_and(|n| n >= rules.min_n)
                    && b.se_b.is_some_and(|s| s <= rules.max_se_b)
                    && b.dif_category != Some('C'),
                "ready item {} breaks a rule: {b:?}",
                b.item_id
            );
        }
    }
    assert!(
        r.bank.count(BankStatus::Ready) > 0,
        "some pretest items become ready"
    );
}

fn qbank(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_qbank"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("qbank runs")
}

/// `qbank assemble SOURCE --spec SPEC --out OUT --quiet`, SOURCE a data-set folder or
/// `--pool FILE`.
fn assemble_cli(source: &Path, pool: bool, spec: &Path, out: &Path) -> std::process::Output {
    let mut args = vec!["assemble", "--quiet"];
    if pool {
        args.push("--pool");
    }
    args.push(source.to_str().unwrap());
    args.extend([
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    qbank(&args)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).expect("write fixture");
    p
}

/// 40 items in 2 domains with seconds and enemy pairs.
fn pool_csv() -> String {
    let mut s = String::from("item_id,a,b,c,domain,seconds,enemy_group\n");
    for i in 0..40 {
        let b = -2.0 + 4.0 * i as f64 / 39.0;
        let enemy = if i % 10 == 0 { "E1" } else { "" };
        s.push_str(&format!(
            "I{i:02},{:.2},{b:.3},,{},{},{enemy}\n",
            0.8 + 0.02 * i as f64,
            if i % 2 == 0 { "D1" } else { "D2" },
            50 + i % 7
        ));
    }
    s
}

const POOL_SPEC: &str = r#"
forms = 2
length = 10
max_forms_per_item = 1
enemy_column = "enemy_group"

[objective]
information_at = 0.0

[[sum]]
column = "seconds"
min = 500
max = 560

[[count]]
column = "domain"
value = "D1"
min = 5
max = 5
"#;

// snapshot: `qbank assemble --pool` writes forms.csv (form_id, position, item_id, scored) and
// assembly.json (per form objective, constraints, status, gap, seconds); an infeasible spec exits
// 2 naming the constraint group; `qbank bank` writes bank/items.csv and changes.csv.
#[test]
fn assemble_and_bank_from_the_command_line() {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR")).join("assemble_cli");
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir_all(&tmp).expect("tmp");
    let pool = write(&tmp, "pool.csv", &pool_csv());
    let spec = write(&tmp, "spec.toml", POOL_SPEC);
    let out = tmp.join("out");
    let o = assemble_cli(&pool, true, &spec, &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let forms = fs::read_to_string(out.join("forms.csv")).expect("forms.csv");
    let mut lines = forms.lines();
    assert_eq!(
        lines.next(),
        Some("form_id,position,item_id,scored"),
        "forms.csv header"
    );
    assert_eq!(lines.count(), 20, "2 forms x 10 rows");
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("assembly.json")).expect("json")).expect("json");
    for f in json["forms"].as_array().expect("forms") {
        for key in ["objective_value", "constraints", "status", "gap", "seconds"] {
            assert!(f.get(key).is_some(), "assembly.json form lacks {key}");
        }
        for c in f["constraints"].as_array().expect("constraints") {
            assert_eq!(
                c["met"], true,
                "constraint {} of {}",
                c["name"], f["form_id"]
            );
        }
    }
    assert!(out.join("pool_health.csv").exists(), "pool_health.csv");
    assert!(out.join("figures/assembled_tif.svg").exists(), "TIF figure");

    // Too few D1 items for 2 forms of 15 D1 items each: the message names the constraint.
    let bad = write(
        &tmp,
        "bad.toml",
        &POOL_SPEC.replace("min = 5\nmax = 5", "min = 15\nmax = 15"),
    );
    let o = assemble_cli(&pool, true, &bad, &out);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "infeasible spec exit code: {err}");
    assert!(
        err.contains("bad.toml") && err.contains("infeasible") && err.contains("domain = D1"),
        "message names the file and the count constraint: {err}"
    );

    let bank_out = tmp.join("bank");
    let o = qbank(&[
        "bank",
        "data/demo",
        "--quiet",
        "--out",
        bank_out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let items = fs::read_to_string(bank_out.join("items.csv")).expect("bank/items.csv");
    assert!(
        items.starts_with("item_id,domain,type,key,options,a,b,c,enemy_group,status,previous,n,se_b,fit_p,dif_category,run_date,flags,reason"),
        "bank/items.csv header: {}",
        items.lines().next().unwrap_or("")
    );
    assert_eq!(
        items.lines().count(),
        301,
        "one row per item of data/demo/items.csv"
    );
    assert!(bank_out.join("changes.csv").exists(), "changes.csv");

    // The bank file is a pool: items without parameters are left out, status filters.
    let spec = write(
        &tmp,
        "bank_spec.toml",
        "forms = 2\nlength = 20\nallowed_status = [\"operational\", \"ready\"]\n\
         [objective]\ninformation_at = -0.25\n[[count]]\ncolumn = \"domain\"\nvalue = \"D4\"\nmin = 3\nmax = 3\n",
    );
    let o = assemble_cli(
        &bank_out.join("items.csv"),
        true,
        &spec,
        &tmp.join("from_bank"),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    // The bank rows without b (held back or never seen), counted in the file itself.
    let mut rdr = csv::Reader::from_path(bank_out.join("items.csv")).expect("bank/items.csv");
    let b_col = rdr
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "b")
        .unwrap();
    let without_b = rdr
        .records()
        .filter(|r| r.as_ref().unwrap()[b_col].is_empty())
        .count();
    assert!(without_b > 0, "the demo's bank holds items back");
    assert!(
        stdout.contains(&format!(
            "{without_b} items without parameters (empty b) left out"
        )),
        "the {without_b} items without b are left out of the pool: {stdout}"
    );
}

// property: a data set's items.csv may carry `enemy_group` (validation accepts it, the next bank
// keeps it, assembly uses it by default: no new form has two scored items of one group); pretest
// slots are filled with the bank's new items first (never presented, no parameters), then with
// items held back only for lack of data (their only flags min_n / se_b), each on one form, written
// as scored = false rows after the scored ones. Checked against bank/items.csv read here.
#[test]
fn pretest_slots_and_enemy_groups_from_the_data_set() {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR")).join("assemble_pretest");
    let _ = fs::remove_dir_all(&tmp);
    let data = tmp.join("data");
    fs::create_dir_all(&data).expect("tmp");
    for f in [
        "qbank.toml",
        "forms.csv",
        "attempts.csv",
        "candidates.csv",
        "assembly.toml",
    ] {
        fs::copy(root().join("data/demo").join(f), data.join(f)).expect("copy the demo");
    }
    // Enemy pairs: the first 120 items in 60 groups of two consecutive items.
    let demo = fs::read_to_string(root().join("data/demo/items.csv")).expect("items");
    let mut items = String::new();
    let mut group_of: HashMap<String, String> = HashMap::new();
    for (k, line) in demo.lines().enumerate() {
        if k == 0 {
            items.push_str(&format!("{line},enemy_group\n"));
            continue;
        }
        let group = if k <= 120 {
            format!("E{:02}", (k - 1) / 2)
        } else {
            String::new()
        };
        if !group.is_empty() {
            group_of.insert(line.split(',').next().unwrap().to_string(), group.clone());
        }
        items.push_str(&format!("{line},{group}\n"));
    }
    for k in 1..=6 {
        items.push_str(&format!("NEW{k},D1,single,A,4,,,,\n"));
    }
    fs::write(data.join("items.csv"), items).expect("items");
    let spec = write(
        &tmp,
        "spec.toml",
        &fs::read_to_string(data.join("assembly.toml"))
            .expect("spec")
            .replace("pretest = 15", "pretest = 3"),
    );
    let out = tmp.join("out");
    let o = assemble_cli(&data, false, &spec, &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // The next bank keeps the groups and says which items need only more data.
    let bank = fs::read_to_string(out.join("bank/items.csv")).expect("bank/items.csv");
    let mut lines = bank.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let (id_c, group_c, status_c, flags_c) = (
        col("item_id"),
        col("enemy_group"),
        col("status"),
        col("flags"),
    );
    let mut more_data = Vec::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let expected = group_of.get(f[id_c]).map_or("", String::as_str);
        assert_eq!(
            f[group_c], expected,
            "enemy_group of {} in the next bank",
            f[id_c]
        );
        let only_data =
            !f[flags_c].is_empty() && f[flags_c].split('|').all(|x| x == "min_n" || x == "se_b");
        if f[status_c] == "needs_revision" && only_data {
            more_data.push(f[id_c].to_string());
        }
    }
    assert!(
        more_data.len() >= 6,
        "the demo holds items back for SE(b) alone: {more_data:?}"
    );

    let forms = fs::read_to_string(out.join("forms.csv")).expect("forms.csv");
    let pretest: Vec<&str> = forms.lines().filter(|l| l.ends_with(",false")).collect();
    assert_eq!(pretest.len(), 12, "4 forms x 3 slots: {pretest:?}");
    let mut expected: Vec<String> = (1..=6).map(|k| format!("NEW{k}")).collect();
    expected.extend(more_data.iter().take(6).cloned());
    for (k, form) in ["N1", "N2", "N3", "N4"].iter().enumerate() {
        let rows: Vec<Vec<&str>> = forms
            .lines()
            .filter(|l| l.starts_with(&format!("{form},")))
            .map(|l| l.split(',').collect())
            .collect();
        let pos: Vec<usize> = rows.iter().map(|r| r[1].parse().unwrap()).collect();
        assert_eq!(
            pos,
            (1..=pos.len()).collect::<Vec<_>>(),
            "{form} positions 1..n"
        );
        let got: Vec<&str> = rows
            .iter()
            .filter(|r| r[3] == "false")
            .map(|r| r[2])
            .collect();
        let want: Vec<&str> = expected
            .iter()
            .skip(k)
            .step_by(4)
            .map(String::as_str)
            .collect();
        assert_eq!(got, want, "pretest items of {form}, dealt round-robin");
        let mut seen = HashMap::new();
        for r in rows.iter().filter(|r| r[3] == "true") {
            if let Some(g) = group_of.get(r[2]) {
                if let Some(other) = seen.insert(g.clone(), r[2]) {
                    panic!("{form} has {other} and {} of enemy group {g}", r[2]);
                }
            }
        }
    }
    let json = fs::read_to_string(out.join("assembly.json")).expect("json");
    assert!(
        json.contains("\"enemy_column\": \"enemy_group\""),
        "enemy column defaulted"
    );
    assert!(
        json.contains("12 of 12 pretest slots filled: 6 never-presented items and 6 items held back only for lack of data"),
        "note on the pretest slots"
    );
    assert!(
        json.contains("\"seconds\": null"),
        "no wall-clock times without --timings"
    );
}
