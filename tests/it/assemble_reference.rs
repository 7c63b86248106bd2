//! eatATA's minimal example (one 10-item form, time 480 +- 5 s, maximum 1PL information at
//! theta = 0 with D = 1.7), checked against eatATA's published solution and proved optimal by
//! enumerating all C(30, 10) = 30,045,015 subsets.

use crate::common::eatata_pool;
use qbank::assemble::{assemble, MipStatus, Spec};

const SPEC: &str = r#"
forms = 1
length = 10
d = 1.7

[objective]
information_at = 0.0

[[sum]]
column = "time"
min = 475
max = 485
"#;

/// eatATA's published selection (vignette "Typical Use of eatATA: a Minimal Example",
/// `inspectSolution`): items 8 14 15 20 22 24 25 26 28 29, time 477.08666, TIF 6.7295739
/// (GLPK log: mip = 6.729573876e+000). Found in cran/eatATA inst/doc/minimal_example.html
/// (eatATA 0.11.1, GLPK 4.47) and identically in the package's later pkgdown article (GLPK 5.0).
const EATATA_ITEMS: [&str; 10] = ["8", "14", "15", "20", "22", "24", "25", "26", "28", "29"];
const EATATA_TIF: f64 = 6.729573876;
const EATATA_TIME: f64 = 477.08666;

// reference: eatATA minimal-example vignette, `appendSolution` output: calculateIIF(B =
// difficulty, theta = 0) (1PL, D = 1.7) for all 30 items, printed to 8 significant digits;
// tolerance 1e-8 (print rounding).
#[test]
fn item_information_matches_eatata_calculate_iif() {
    let pool = eatata_pool();
    let published = [
        0.10900318, 0.44945822, 0.32661056, 0.50339241, 0.61088162, 0.61733915, 0.30183441,
        0.65648760, 0.57682871, 0.23900562, 0.48917461, 0.04012039, 0.24650909, 0.57126860,
        0.71501958, 0.26229560, 0.44088544, 0.48398822, 0.22601541, 0.71709486, 0.63341304,
        0.71087118, 0.45992776, 0.59105111, 0.71224418, 0.72220392, 0.02450104, 0.64030341,
        0.69302944, 0.60026891,
    ];
    assert_eq!(pool.items.len(), 30, "pool size");
    for (k, &want) in published.iter().enumerate() {
        let got = pool.items[k].information(0.0, 1.7);
        assert!(
            (got - want).abs() < 1e-8,
            "item {} information at theta = 0: got {got}, eatATA {want}",
            pool.items[k].id
        );
    }
}

/// Best 10-item subset by exhaustive enumeration: Gosper's hack walks every 30-bit mask with
/// 10 bits set; information and time of a mask come from two 2^15-entry tables of half-sums
/// (low and high 15 items), so each subset costs two lookups. Returns (mask, info, time) of the
/// best subset with time in [lo, hi].
fn enumerate_best(info: &[f64], time: &[f64], k: u32, lo: f64, hi: f64) -> (u32, f64, f64, u64) {
    let n = info.len() as u32;
    assert!(n <= 30 && n > 15);
    let half = 15u32;
    let table = |vals: &[f64], offset: u32, bits: u32| -> Vec<f64> {
        let mut t = vec![0.0; 1 << bits];
        for m in 1usize..(1 << bits) {
            let low = m.trailing_zeros();
            t[m] = t[m & (m - 1)] + vals[(offset + low) as usize];
        }
        t
    };
    let (il, ih) = (table(info, 0, half), table(info, half, n - half));
    let (tl, th) = (table(time, 0, half), table(time, half, n - half));
    let lo_mask = (1u32 << half) - 1;
    let mut mask: u32 = (1 << k) - 1;
    let end: u32 = 1 << n;
    let mut best = (0u32, f64::NEG_INFINITY, 0.0);
    let mut visited = 0u64;
    while mask < end {
        visited += 1;
        let (l, h) = ((mask & lo_mask) as usize, (mask >> half) as usize);
        let t = tl[l] + th[h];
        if t >= lo && t <= hi {
            let v = il[l] + ih[h];
            if v > best.1 {
                best = (mask, v, t);
            }
        }
        // Gosper's hack: next larger integer with the same number of set bits.
        let c = mask & mask.wrapping_neg();
        let r = mask + c;
        mask = (((r ^ mask) >> 2) / c) | r;
    }
    (best.0, best.1, best.2, visited)
}

// reference: eatATA's published optimum (items and objective; tolerance 1e-6 on the TIF, the
// GLPK log prints 10 digits) and exhaustive enumeration (exact optimum; tolerance 1e-9).
#[test]
fn eatata_minimal_example_is_optimal() {
    let pool = eatata_pool();
    let spec = Spec::from_toml(SPEC).expect("spec");
    let result = assemble(&pool, &spec).expect("eatATA example assembles");
    assert_eq!(result.status, MipStatus::Optimal, "solver status");
    let form = &result.forms[0];
    assert_eq!(
        form.items, EATATA_ITEMS,
        "selected items vs eatATA's solution"
    );
    assert!(
        (result.objective_value - EATATA_TIF).abs() < 1e-6,
        "TIF at theta = 0: qbank {}, eatATA {EATATA_TIF}",
        result.objective_value
    );
    let time = form
        .constraints
        .iter()
        .find(|c| c.name == "sum time")
        .expect("sum time constraint reported");
    assert!(
        (time.value - EATATA_TIME).abs() < 1e-5 && time.met,
        "total time: qbank {}, eatATA {EATATA_TIME}",
        time.value
    );

    // Exhaustive proof.
    let info: Vec<f64> = pool
        .items
        .iter()
        .map(|it| it.information(0.0, 1.7))
        .collect();
    let time: Vec<f64> = pool
        .items
        .iter()
        .map(|it| it.numeric("time").expect("time"))
        .collect();
    let (mask, best, best_time, visited) = enumerate_best(&info, &time, 10, 475.0, 485.0);
    assert_eq!(visited, 30_045_015, "number of 10-item subsets of 30");
    let ids: Vec<String> = (0..30)
        .filter(|i| mask >> i & 1 == 1)
        .map(|i| pool.items[i].id.clone())
        .collect();
    assert_eq!(ids, EATATA_ITEMS, "enumeration optimum items");
    assert!(
        (result.objective_value - best).abs() < 1e-9,
        "MIP objective {} vs enumeration optimum {best}",
        result.objective_value
    );
    assert!(
        (best_time - EATATA_TIME).abs() < 1e-5,
        "enumeration optimum time {best_time}"
    );
    // The optimum does not hinge on rounding at the time bounds: shrinking the window by 1e-6
    // keeps it.
    let (mask2, _, _, _) = enumerate_best(&info, &time, 10, 475.0 + 1e-6, 485.0 - 1e-6);
    assert_eq!(mask2, mask, "optimum with the time window shrunk by 1e-6");
}
