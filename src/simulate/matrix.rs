//! Response matrices with known truth for recovery tests and benchmarks: a complete persons x
//! items 0/1 matrix, responses to given items, and sparse designs.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution, LogNormal, Normal};

use crate::irt::{ItemModel, Logistic, ModelKind, Responses};

/// True item parameters and abilities behind a simulated complete 0/1 matrix.
#[derive(Debug, Clone)]
pub struct MatrixTruth {
    pub items: Vec<Logistic>,
    pub theta: Vec<f64>,
}

/// A complete persons x items 0/1 matrix from `kind` items with realistic parameters
/// (a ~ lognormal(0, 0.25), b ~ N(0, 1), c ~ Beta(5, 17) for 3PL) and theta ~ N(0, 1), D = 1.
pub fn simulate_matrix(
    persons: usize,
    n_items: usize,
    kind: ModelKind,
    seed: u64,
) -> (Responses, MatrixTruth) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let a_dist = LogNormal::<f64>::new(0.0, 0.25).expect("valid");
    let n01 = Normal::<f64>::new(0.0, 1.0).expect("valid");
    let c_dist = Beta::<f64>::new(5.0, 17.0).expect("valid");
    let items: Vec<Logistic> = (0..n_items)
        .map(|_| {
            let a = if kind == ModelKind::Rasch {
                1.0
            } else {
                a_dist.sample(&mut rng).clamp(0.4, 2.5)
            };
            let b = n01.sample(&mut rng).clamp(-2.5, 2.5);
            let c = if kind == ModelKind::ThreePL {
                c_dist.sample(&mut rng)
            } else {
                0.0
            };
            Logistic::new(kind, a, b, c, 1.0)
        })
        .collect();
    let theta: Vec<f64> = (0..persons).map(|_| n01.sample(&mut rng)).collect();
    let rows = respond_with(&items, &theta, &mut rng);
    let ids = (1..=n_items).map(|i| format!("i{i:03}")).collect();
    (
        Responses::from_rows(ids, &rows, &vec![1.0; persons]),
        MatrixTruth { items, theta },
    )
}

/// Complete 0/1 responses of persons at `thetas` to `items`, from a seeded stream.
pub fn respond(items: &[Logistic], thetas: &[f64], seed: u64) -> Vec<Vec<Option<u8>>> {
    respond_with(items, thetas, &mut ChaCha8Rng::seed_from_u64(seed))
}

fn respond_with(items: &[Logistic], thetas: &[f64], rng: &mut ChaCha8Rng) -> Vec<Vec<Option<u8>>> {
    thetas
        .iter()
        .map(|&t| {
            items
                .iter()
                .map(|m| Some(rng.gen_bool(m.expected_score(t)) as u8))
                .collect()
        })
        .collect()
}

/// A sparse multi-form design: `forms` forms of `per_form` items from a pool of `pool` items,
/// sharing the first `anchors` pool items; person p takes form p mod `forms`, and the cohort of
/// form f has mean 0.1 f, SD 1 (form 1's cohort is N(0, 1), the usual reference). Returns
/// responses grouped by form.
pub fn simulate_design(
    persons: usize,
    pool: usize,
    forms: usize,
    per_form: usize,
    anchors: usize,
    kind: ModelKind,
    seed: u64,
) -> (Responses, MatrixTruth) {
    let (_, truth_items) = simulate_matrix(0, pool, kind, seed);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    let n01 = Normal::<f64>::new(0.0, 1.0).expect("valid");
    let unique = per_form - anchors;
    let form_items: Vec<Vec<usize>> = (0..forms)
        .map(|f| {
            (0..anchors)
                .chain((0..unique).map(|k| anchors + (f * unique + k) % (pool - anchors)))
                .collect()
        })
        .collect();
    let mut r = Responses {
        item_ids: (1..=pool).map(|i| format!("i{i:03}")).collect(),
        offsets: vec![0],
        group_names: (1..=forms).map(|f| format!("F{f}")).collect(),
        ..Default::default()
    };
    r.codes.reserve(persons * per_form);
    let mut theta = Vec::with_capacity(persons);
    for p in 0..persons {
        let f = p % forms;
        let t = 0.1 * f as f64 + n01.sample(&mut rng);
        for &i in &form_items[f] {
            let x = rng.gen_bool(truth_items.items[i].expected_score(t)) as u32;
            r.codes.push(2 * i as u32 + x);
        }
        r.offsets.push(r.codes.len() as u64);
        r.weight.push(1.0);
        r.group.push(f as u16);
        r.person_ids.push((p + 1).to_string());
        theta.push(t);
    }
    (
        r,
        MatrixTruth {
            items: truth_items.items,
            theta,
        },
    )
}
