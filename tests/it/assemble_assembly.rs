//! Assemblies checked from the outside: every reported form is re-verified against the pool
//! with formulas written here (not the library's), and small multi-form problems against brute
//! force.

use std::collections::{BTreeMap, BTreeSet};

use qbank::assemble::{
    assemble, simulate_bank, AttrValue, BankSimConfig, Item, MipStatus, Pool, PoolColumns, Spec,
};

/// 3PL information in Lord's form d^2 a^2 (Q / P) ((P - c) / (1 - c))^2.
fn info(it: &Item, theta: f64, d: f64) -> f64 {
    let p = it.c + (1.0 - it.c) / (1.0 + (-d * it.a * (theta - it.b)).exp());
    let q = 1.0 - p;
    d * d * it.a * it.a * (q / p) * ((p - it.c) / (1.0 - it.c)).powi(2)
}

fn prob(it: &Item, theta: f64, d: f64) -> f64 {
    it.c + (1.0 - it.c) / (1.0 + (-d * it.a * (theta - it.b)).exp())
}

fn text(it: &Item, col: &str) -> Option<String> {
    match it.attributes.get(col) {
        Some(AttrValue::Text(s)) => Some(s.clone()),
        _ => None,
    }
}

fn small_bank(items: usize) -> qbank::assemble::SimulatedBank {
    simulate_bank(&BankSimConfig {
        seed: 7,
        items,
        reference_blueprint: vec![2, 3, 3, 2],
        ..BankSimConfig::default()
    })
    .expect("bank")
}

fn refs(bank: &qbank::assemble::SimulatedBank) -> String {
    let ids: Vec<String> = bank
        .reference_form
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect();
    format!("[{}]", ids.join(", "))
}

const BLUEPRINT: &str = r#"
[[sum]]
column = "seconds"
min = 560
max = 640
[[count]]
column = "domain"
value = "D1"
min = 2
max = 3
[[count]]
column = "domain"
value = "D2"
min = 3
max = 3
[[count]]
column = "domain"
value = "D3"
min = 3
max = 4
[[count]]
column = "domain"
value = "D4"
min = 1
max = 2
[[count]]
column = "type"
value = "multiple"
max = 4
"#;

/// Checks a form against the blueprint above, the enemy rule and the status rule.
fn check_blueprint(pool: &Pool, items: &[String], form: usize) {
    let by_id: BTreeMap<&str, &Item> = pool.items.iter().map(|it| (it.id.as_str(), it)).collect();
    let its: Vec<&Item> = items.iter().map(|id| by_id[id.as_str()]).collect();
    assert_eq!(its.len(), 10, "form {form} length");
    let count = |col: &str, v: &str| {
        its.iter()
            .filter(|it| text(it, col).as_deref() == Some(v))
            .count()
    };
    let secs: f64 = its
        .iter()
        .map(|it| match it.attributes.get("seconds") {
            Some(AttrValue::Number(x)) => *x,
            _ => panic!("item {} has no seconds", it.id),
        })
        .sum();
    assert!(
        (560.0..=640.0).contains(&secs),
        "form {form} seconds {secs}"
    );
    let d1 = count("domain", "D1");
    assert!((2..=3).contains(&d1), "form {form} D1 count {d1}");
    assert_eq!(count("domain", "D2"), 3, "form {form} D2 count");
    let d3 = count("domain", "D3");
    assert!((3..=4).contains(&d3), "form {form} D3 count {d3}");
    let d4 = count("domain", "D4");
    assert!((1..=2).contains(&d4), "form {form} D4 count {d4}");
    assert!(count("type", "multiple") <= 4, "form {form} multiple count");
    let mut enemies = BTreeSet::new();
    for it in &its {
        if let Some(e) = text(it, "enemy") {
            assert!(
                enemies.insert(e.clone()),
                "form {form} has two items of enemy set {e}"
            );
        }
    }
}

/// Three 10-item forms of the blueprint above, maximin information at theta = -0.25, with the
/// given `[solver]` lines.
fn maximin_spec(solver: &str) -> Spec {
    Spec::from_toml(&format!(
        "forms = 3\nlength = 10\nenemy_column = \"enemy\"\nallowed_status = [\"active\"]\n[objective]\ninformation_at = -0.25\n{BLUEPRINT}\n[solver]\n{solver}\n"
    ))
    .expect("spec")
}

// property: maximin over 3 forms — every form meets the blueprint, no item is reused, the
// reported objective is the smallest recomputed TIF, and the gap is within the requested 1 %.
#[test]
fn maximin_forms_meet_the_blueprint() {
    let bank = small_bank(150);
    let spec = maximin_spec("mip_gap = 0.01\ntime_limit_seconds = 20");
    let a = assemble(&bank.pool, &spec).expect("assembly");
    let by_id: BTreeMap<&str, &Item> = bank
        .pool
        .items
        .iter()
        .map(|it| (it.id.as_str(), it))
        .collect();
    let mut used = BTreeSet::new();
    let mut smallest = f64::INFINITY;
    for (f, form) in a.forms.iter().enumerate() {
        check_blueprint(&bank.pool, &form.items, f + 1);
        for id in &form.items {
            assert!(used.insert(id.clone()), "item {id} on two forms");
            assert_eq!(
                text(by_id[id.as_str()], "status").as_deref(),
                Some("active"),
                "item {id} status"
            );
        }
        let tif: f64 = form
            .items
            .iter()
            .map(|id| info(by_id[id.as_str()], -0.25, 1.0))
            .sum();
        assert!(
            (tif - form.objective_value).abs() < 1e-9,
            "form {} TIF {tif} vs reported {}",
            f + 1,
            form.objective_value
        );
        assert!(
            form.constraints.iter().all(|c| c.met),
            "form {} constraints reported unmet",
            f + 1
        );
        smallest = smallest.min(tif);
    }
    assert!((a.objective_value - smallest).abs() < 1e-9, "maximin value");
    assert!(
        a.objective_value <= a.lp_bound + 1e-9,
        "objective {} above the LP bound {}",
        a.objective_value,
        a.lp_bound
    );
    assert!(
        a.status == MipStatus::Optimal || a.gap.is_some_and(|g| g <= 0.01 + 1e-9),
        "status {:?} gap {:?}",
        a.status,
        a.gap
    );
    assert_eq!(a.max_item_exposure, 1);
}

// property: TIF target from the reference form — every form's TIF within the tolerance at
// every point (recomputed here), and the reported deviation is the largest one.
#[test]
fn tif_target_is_met_within_tolerance() {
    let bank = small_bank(150);
    let spec = Spec::from_toml(&format!(
        "forms = 2\nlength = 10\nenemy_column = \"enemy\"\nallowed_status = [\"active\"]\nreference_form = {}\n[objective]\ntarget = \"tif\"\npoints = [-1.0, -0.25, 0.5]\ntolerance = 0.1\n{BLUEPRINT}\n[solver]\nmip_gap = 0.01\ntime_limit_seconds = 20\n",
        refs(&bank)
    ))
    .expect("spec");
    let a = assemble(&bank.pool, &spec).expect("assembly");
    let by_id: BTreeMap<&str, &Item> = bank
        .pool
        .items
        .iter()
        .map(|it| (it.id.as_str(), it))
        .collect();
    let mut worst: f64 = 0.0;
    for (f, form) in a.forms.iter().enumerate() {
        check_blueprint(&bank.pool, &form.items, f + 1);
        for &theta in &[-1.0, -0.25, 0.5] {
            let target: f64 = bank
                .reference_form
                .iter()
                .map(|id| info(by_id[id.as_str()], theta, 1.0))
                .sum();
            let tif: f64 = form
                .items
                .iter()
                .map(|id| info(by_id[id.as_str()], theta, 1.0))
                .sum();
            assert!(
                (tif - target).abs() <= 0.1 + 1e-9,
                "form {} theta {theta}: TIF {tif}, target {target}",
                f + 1
            );
            worst = worst.max((tif - target).abs());
        }
    }
    assert!(
        (a.objective_value - worst).abs() < 1e-9,
        "reported deviation {} vs {worst}",
        a.objective_value
    );
}

// property: TCC target with given values.
#[test]
fn tcc_target_with_given_values() {
    let bank = small_bank(150);
    let spec = Spec::from_toml(&format!(
        "forms = 2\nlength = 10\nallowed_status = [\"active\"]\n[objective]\ntarget = \"tcc\"\npoints = [-1.0, 1.0]\nvalues = [4.0, 7.5]\ntolerance = 0.2\n{BLUEPRINT}\n[solver]\nmip_gap = 0.01\ntime_limit_seconds = 20\n"
    ))
    .expect("spec");
    let a = assemble(&bank.pool, &spec).expect("assembly");
    let by_id: BTreeMap<&str, &Item> = bank
        .pool
        .items
        .iter()
        .map(|it| (it.id.as_str(), it))
        .collect();
    for (f, form) in a.forms.iter().enumerate() {
        for (&theta, &target) in [-1.0, 1.0].iter().zip(&[4.0, 7.5]) {
            let tcc: f64 = form
                .items
                .iter()
                .map(|id| prob(by_id[id.as_str()], theta, 1.0))
                .sum();
            assert!(
                (tcc - target).abs() <= 0.2 + 1e-9,
                "form {} TCC at {theta}: {tcc} vs {target}",
                f + 1
            );
        }
    }
}

// property: anchors from the reference form are on every form; other items on at most one.
#[test]
fn anchors_from_the_reference_form() {
    let bank = small_bank(120);
    let spec = Spec::from_toml(&format!(
        "forms = 3\nlength = 10\nanchors = 3\nreference_form = {}\nallowed_status = [\"active\", \"retired\"]\n[objective]\ninformation_at = 0.0\n[solver]\nmip_gap = 0.01\ntime_limit_seconds = 20\n",
        refs(&bank)
    ))
    .expect("spec");
    let a = assemble(&bank.pool, &spec).expect("assembly");
    assert_eq!(a.anchors.len(), 3, "anchor count");
    for id in &a.anchors {
        assert!(
            bank.reference_form.contains(id),
            "anchor {id} is not on the reference form"
        );
        for (f, form) in a.forms.iter().enumerate() {
            assert!(
                form.items.contains(id),
                "anchor {id} missing on form {}",
                f + 1
            );
        }
    }
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for form in &a.forms {
        for id in &form.items {
            *seen.entry(id.as_str()).or_default() += 1;
        }
    }
    for (id, n) in seen {
        if !a.anchors.iter().any(|x| x == id) {
            assert_eq!(n, 1, "non-anchor item {id} on {n} forms");
        }
    }
}

// property: without a reference form, anchors are N items common to all new forms.
#[test]
fn common_items_without_reference_form() {
    let bank = small_bank(120);
    let spec = Spec::from_toml(
        "forms = 2\nlength = 10\nanchors = 4\nallowed_status = [\"active\"]\n[objective]\ninformation_at = 0.0\n[solver]\nmip_gap = 0.01\ntime_limit_seconds = 20\n",
    )
    .expect("spec");
    let a = assemble(&bank.pool, &spec).expect("assembly");
    let f1: BTreeSet<&String> = a.forms[0].items.iter().collect();
    let f2: BTreeSet<&String> = a.forms[1].items.iter().collect();
    let common: BTreeSet<&String> = f1.intersection(&f2).copied().collect();
    let anchors: BTreeSet<&String> = a.anchors.iter().collect();
    assert_eq!(common, anchors, "shared items are exactly the anchors");
    assert_eq!(anchors.len(), 4);
}

/// 12 items with a, b chosen so that the best items are not trivially split.
fn tiny_pool() -> Pool {
    let params = [
        (1.6, -0.1),
        (1.5, 0.2),
        (1.4, -0.4),
        (1.3, 0.5),
        (1.2, 0.0),
        (1.1, -0.7),
        (1.0, 0.9),
        (0.9, 0.1),
        (0.8, -1.2),
        (1.7, 1.4),
        (0.7, 0.3),
        (1.25, -0.2),
    ];
    let items = params
        .iter()
        .enumerate()
        .map(|(i, &(a, b))| {
            let mut attributes = BTreeMap::new();
            attributes.insert(
                "kind".to_string(),
                AttrValue::Text(if i % 3 == 0 { "x" } else { "y" }.into()),
            );
            Item {
                id: format!("T{:02}", i + 1),
                a,
                b,
                c: 0.0,
                attributes,
            }
        })
        .collect();
    Pool::new(items).expect("tiny pool")
}

// reference (brute force): 2 disjoint forms of 4 items from 12, one 'x' item per form at least,
// maximin information at theta = 0 (D = 1.7) — the MIP optimum equals the enumerated optimum
// over all C(12,4) x C(8,4) ordered pairs, with and without symmetry breaking (tolerance 1e-9).
#[test]
fn maximin_two_forms_matches_brute_force() {
    let pool = tiny_pool();
    let inf: Vec<f64> = pool.items.iter().map(|it| info(it, 0.0, 1.7)).collect();
    let is_x: Vec<bool> = (0..12).map(|i| i % 3 == 0).collect();
    let ok = |m: u32| m.count_ones() == 4 && (0..12).any(|i| m >> i & 1 == 1 && is_x[i]);
    let val = |m: u32| {
        (0..12)
            .filter(|i| m >> i & 1 == 1)
            .map(|i| inf[i])
            .sum::<f64>()
    };
    let valid: Vec<u32> = (0u32..(1 << 12)).filter(|&m| ok(m)).collect();
    let mut best = f64::NEG_INFINITY;
    for &m1 in &valid {
        for &m2 in &valid {
            if m1 & m2 == 0 {
                best = best.max(val(m1).min(val(m2)));
            }
        }
    }
    for symmetry in [true, false] {
        let spec = Spec::from_toml(&format!(
            "forms = 2\nlength = 4\nd = 1.7\n[objective]\ninformation_at = 0.0\n[[count]]\ncolumn = \"kind\"\nvalue = \"x\"\nmin = 1\n[solver]\nsymmetry_breaking = {symmetry}\n"
        ))
        .expect("spec");
        let a = assemble(&pool, &spec).expect("assembly");
        assert_eq!(
            a.status,
            MipStatus::Optimal,
            "status (symmetry breaking {symmetry})"
        );
        assert!(
            (a.objective_value - best).abs() < 1e-9,
            "maximin (symmetry breaking {symmetry}): MIP {}, brute force {best}",
            a.objective_value
        );
    }
}

// property: CSV reading — default column names, numeric vs categorical attributes, empty c,
// and errors that name the item and column.
#[test]
fn pool_csv_reading() {
    let csv =
        "item_id,a,b,c,domain,seconds,level\nA1,1.2,-0.5,0.2,D1,55.5,1\nA2,0.8,0.3,,D2,61,2\n";
    let pool = Pool::from_csv(csv.as_bytes(), &PoolColumns::default()).expect("pool");
    assert_eq!(pool.attribute_columns, vec!["domain", "seconds", "level"]);
    assert_eq!(pool.items[1].c, 0.0, "empty c means 0");
    assert_eq!(pool.items[0].attributes["seconds"], AttrValue::Number(55.5));
    assert_eq!(
        pool.items[1].attributes["domain"],
        AttrValue::Text("D2".into())
    );
    assert_eq!(
        pool.items[1].attributes["level"].as_text().as_deref(),
        Some("2")
    );

    let bad = "item_id,a,b,c\nA1,1.2,hard,0.2\n";
    let err = Pool::from_csv(bad.as_bytes(), &PoolColumns::default()).expect_err("bad b");
    assert_eq!(
        err.to_string(),
        "pool: item 'A1' column 'b': 'hard' is not a number"
    );
    let bad = "item_id,a,b,c\nA1,-1,0,0.2\n";
    let err = Pool::from_csv(bad.as_bytes(), &PoolColumns::default()).expect_err("bad a");
    assert_eq!(
        err.to_string(),
        "pool: item 'A1' column 'a': a = -1 must be a positive number"
    );
    let dup = "item_id,b\nA1,0\nA1,1\n";
    let err = Pool::from_csv(dup.as_bytes(), &PoolColumns::default()).expect_err("duplicate");
    assert_eq!(err.to_string(), "pool: item id 'A1' appears more than once");
    let err =
        Pool::from_csv("id,b\nA1,0\n".as_bytes(), &PoolColumns::default()).expect_err("no id");
    assert_eq!(
        err.to_string(),
        "pool: column 'item_id' not found in the header (columns: id, b)"
    );
}

// property: a search cut short by the node limit is reproducible — the same spec twice (and
// under another rayon thread count) gives the same forms, with status node_limit, and the forms
// still meet every constraint (re-checked here).
#[test]
fn node_limit_stops_the_search_at_the_same_point() {
    let bank = small_bank(150);
    let spec = maximin_spec("node_limit = 400\ntime_limit_seconds = 600");
    let first = assemble(&bank.pool, &spec).expect("assembly");
    assert_eq!(
        first.status,
        MipStatus::NodeLimit,
        "400 nodes should not prove a 3-form maximin optimal (nodes {:?})",
        first.nodes
    );
    assert_eq!(first.nodes, Some(400), "nodes solved");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool");
    let second = pool.install(|| assemble(&bank.pool, &spec).expect("assembly"));
    for (f, (a, b)) in first.forms.iter().zip(&second.forms).enumerate() {
        assert_eq!(a.items, b.items, "form {} differs between runs", f + 1);
        check_blueprint(&bank.pool, &a.items, f + 1);
    }
    assert_eq!(first.objective_value, second.objective_value);
}
