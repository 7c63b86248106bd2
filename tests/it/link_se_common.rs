//! Helpers shared by the integration tests: loading the reference forms copied into tests/data.

use std::path::{Path, PathBuf};

use qbank::equate::link_se::FormEstimates;

pub fn data(path: &str) -> PathBuf {
    super::common::data_path(path)
}

/// A form read from a parameter file and a covariance file (as `qbank link` reads them).
pub fn load_form(
    name: &str,
    params: &Path,
    cov: Option<&Path>,
    d: f64,
) -> Result<FormEstimates, String> {
    let (t, c) = qbank::exam::param_files::read_param_tables(params, cov, None)
        .map_err(|e| e.to_string())?;
    qbank::equate::link_se::form_from_tables(name, &t, c.as_ref(), d).map_err(|e| e.to_string())
}

/// equateIRT's est3pl form k (1..=5) named "test{k}", converted from ltm's parameterisation
/// (c.i, beta.1i, beta.2i) to (a, b, c) with D = 1, as equateIRT's modIRT does.
pub fn est3pl(k: usize) -> FormEstimates {
    let p = data(&format!("est3pl/form{k}_params.csv"));
    let c = data(&format!("est3pl/form{k}_cov.csv"));
    load_form(&format!("test{k}"), &p, Some(&c), 1.0).expect("est3pl reference form loads")
}

/// Kolen & Brennan Table 6.5 forms: "x" (new) and "y" (old). Anchor items keep their ids (i03,
/// i06, ..., i36) on both forms; the other items are prefixed by the form so they are unique.
/// `exclude` lists anchors to treat as unique items (K&B leave i27 out of the common items).
pub fn kb_forms(exclude: &[&str]) -> (FormEstimates, FormEstimates) {
    let text = std::fs::read_to_string(data("kb_table6_5_params.csv")).expect("K&B table");
    let mut x = Vec::new();
    let mut y = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let anchor = f[5] == "1" && !exclude.contains(&f[1]);
        let id = if anchor {
            f[1].to_string()
        } else {
            format!("{}_{}", f[0], f[1])
        };
        let it = qbank::equate::link_se::ItemParams3pl {
            item_id: id,
            a: f[2].parse().unwrap(),
            b: f[3].parse().unwrap(),
            c: f[4].parse().unwrap(),
        };
        if f[0] == "x" {
            x.push(it)
        } else {
            y.push(it)
        }
    }
    (
        FormEstimates::new("x", qbank::irt::ModelKind::ThreePL, x, None).unwrap(),
        FormEstimates::new("y", qbank::irt::ModelKind::ThreePL, y, None).unwrap(),
    )
}

/// Derivative check: compares the Jacobian blocks of `sens` with central finite differences of
/// `f` in every `stride`-th parameter of every form (h = 1e-5), tolerance
/// 2e-7 + 2e-5 |analytic|. Forms are looked up by name in `sens`.
pub fn check_jacobian(
    forms: &[FormEstimates],
    sens: &qbank::equate::link_se::Sensitivity,
    f: &dyn Fn(&[FormEstimates]) -> Vec<f64>,
    stride: usize,
    label: &str,
) {
    let h = 1e-5;
    let mut checked = 0;
    let mut k_global = 0usize;
    for fi in 0..forms.len() {
        // a form listed twice in `forms` is perturbed once
        if forms[..fi].iter().any(|g| g.name == forms[fi].name) {
            continue;
        }
        for i in 0..forms[fi].items.len() {
            for slot in 0..3 {
                k_global += 1;
                if !k_global.is_multiple_of(stride) {
                    continue;
                }
                let eval = |delta: f64| {
                    let mut fs = forms.to_vec();
                    for g in fs.iter_mut().filter(|g| g.name == forms[fi].name) {
                        let it = &mut g.items[i];
                        match slot {
                            0 => it.a += delta,
                            1 => it.b += delta,
                            _ => it.c += delta,
                        }
                    }
                    f(&fs)
                };
                let (up, down) = (eval(h), eval(-h));
                for r in 0..up.len() {
                    let fd = (up[r] - down[r]) / (2.0 * h);
                    let an = sens
                        .blocks
                        .get(&forms[fi].name)
                        .map(|b| b.jacobian[(r, 3 * i + slot)])
                        .unwrap_or(0.0);
                    assert!(
                        (fd - an).abs() <= 2e-7 + 2e-5 * an.abs(),
                        "{label}: d row {r} / d {}[{}].{} = {an:e} analytic but {fd:e} by finite \
                         differences",
                        forms[fi].name,
                        forms[fi].items[i].item_id,
                        ["a", "b", "c"][slot]
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 0, "{label}: nothing checked");
}
