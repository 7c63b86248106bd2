//! Pool health: counts by domain, difficulty band and status against what the forms need.

use std::collections::BTreeMap;

use qbank::assemble::{pool_health, AttrValue, HealthConfig, Item, Pool, Spec};

fn item(id: String, domain: &str, b: f64, status: &str) -> Item {
    let mut attributes = BTreeMap::new();
    attributes.insert("domain".to_string(), AttrValue::Text(domain.into()));
    attributes.insert("status".to_string(), AttrValue::Text(status.into()));
    Item {
        id,
        a: 1.0,
        b,
        c: 0.0,
        attributes,
    }
}

/// D3: 20 active items with b <= -0.5, 20 active + 3 retired in (-0.5, 0.5], 17 active above
/// 0.5; D1: 30 active items all in (-0.5, 0.5]; the retired reference form R1-R4 (D3, b = -0.8,
/// -0.2, 0.3, 0.7).
fn pool() -> Pool {
    let mut items = Vec::new();
    let mut k = 0;
    let mut add = |domain: &str, b: f64, status: &str, items: &mut Vec<Item>| {
        k += 1;
        items.push(item(format!("Q{k:03}"), domain, b, status));
    };
    for i in 0..20 {
        add("D3", -2.0 + 0.07 * i as f64, "active", &mut items);
    }
    for i in 0..20 {
        add("D3", -0.45 + 0.045 * i as f64, "active", &mut items);
    }
    for _ in 0..3 {
        add("D3", 0.1, "retired", &mut items);
    }
    for i in 0..17 {
        add("D3", 0.55 + 0.1 * i as f64, "active", &mut items);
    }
    for i in 0..30 {
        add("D1", -0.4 + 0.025 * i as f64, "active", &mut items);
    }
    for (r, b) in [-0.8, -0.2, 0.3, 0.7].iter().enumerate() {
        items.push(item(format!("R{}", r + 1), "D3", *b, "retired"));
    }
    Pool::new(items).expect("pool")
}

const SPEC: &str = r#"
forms = 4
length = 30
allowed_status = ["active"]
reference_form = ["R1", "R2", "R3", "R4"]
[objective]
information_at = 0.0
[[count]]
column = "domain"
value = "D3"
min = 17
max = 17
[[count]]
column = "domain"
value = "D1"
min = 5
"#;

// property: the need rule worked by hand. D3 needs 17 x 4 / 1 = 68 items, spread like the
// reference form's D3 b's (1/4, 1/2, 1/4) = 17, 34, 17; the pool has 20, 20, 17 active, so the
// middle band is 14 short and the domain 11 short. D1 needs 5 x 4 = 20, spread like the whole
// reference form (no D1 item on it) = 5, 10, 5; all 30 D1 items sit in the middle band.
#[test]
fn shortfalls_in_words() {
    let spec = Spec::from_toml(SPEC).expect("spec");
    let cfg = HealthConfig {
        domain_column: "domain".into(),
        band_edges: vec![-0.5, 0.5],
    };
    let h = pool_health(&pool(), &spec, &cfg).expect("health");
    assert_eq!(
        h.shortfalls,
        vec![
            "D1 needs 5 more items with b in (-inf, -0.5] to build 4 forms",
            "D1 needs 5 more items with b in (0.5, inf) to build 4 forms",
            "D3 needs 14 more items with b in (-0.5, 0.5] to build 4 forms",
            "D3 needs 11 more items (any b) to build 4 forms: 68 needed, 57 allowed",
        ]
    );
    let d3: Vec<_> = h.rows.iter().filter(|r| r.domain == "D3").collect();
    assert_eq!(
        d3.iter().map(|r| r.need).collect::<Vec<_>>(),
        vec![17, 34, 17],
        "D3 band needs"
    );
    assert_eq!(
        d3.iter().map(|r| r.allowed).collect::<Vec<_>>(),
        vec![20, 20, 17],
        "D3 allowed"
    );
    // Status counts include the retired items (3 plus reference items R2 and R3 in the middle).
    assert_eq!(
        d3[1].by_status.get("retired"),
        Some(&5),
        "D3 middle band retired"
    );
    assert_eq!(
        d3[0].by_status.get("retired"),
        Some(&1),
        "D3 low band retired (R1)"
    );
    let dom: Vec<_> = h
        .domains
        .iter()
        .map(|d| (d.domain.as_str(), d.need, d.allowed, d.shortfall))
        .collect();
    assert_eq!(dom, vec![("D1", 20, 30, 0), ("D3", 68, 57, 11)]);
}

// property: without a reference form the bands follow N(0, 1): Phi(-0.5) = 0.3085, 0.3829,
// 0.3085 of 20 -> quotas 6.17, 7.66, 6.17 -> 6, 8, 6 by largest remainder.
#[test]
fn normal_bands_without_reference() {
    let spec =
        Spec::from_toml(&SPEC.replace("reference_form = [\"R1\", \"R2\", \"R3\", \"R4\"]\n", ""))
            .expect("spec");
    let cfg = HealthConfig {
        domain_column: "domain".into(),
        band_edges: vec![-0.5, 0.5],
    };
    let h = pool_health(&pool(), &spec, &cfg).expect("health");
    let d1: Vec<usize> = h
        .rows
        .iter()
        .filter(|r| r.domain == "D1")
        .map(|r| r.need)
        .collect();
    assert_eq!(d1, vec![6, 8, 6], "D1 band needs under N(0,1)");
    assert_eq!(h.domains[0].band_source, "N(0, 1)");
}

// property: a missing domain column and bad band edges are named.
#[test]
fn health_config_errors() {
    let spec = Spec::from_toml(SPEC).expect("spec");
    let err = pool_health(
        &pool(),
        &spec,
        &HealthConfig {
            domain_column: "area".into(),
            band_edges: vec![0.0],
        },
    )
    .expect_err("no area column");
    assert_eq!(err.to_string(), "spec: pool health: domain column 'area' is not in the pool (attribute columns: domain, status)");
    let err = pool_health(
        &pool(),
        &spec,
        &HealthConfig {
            domain_column: "domain".into(),
            band_edges: vec![0.5, 0.0],
        },
    )
    .expect_err("decreasing edges");
    assert!(err.to_string().contains("strictly increasing"), "{err}");
}
