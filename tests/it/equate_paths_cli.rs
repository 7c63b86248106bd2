//! Reference, property and snapshot tests of `qbank equate --method kernel --design neat-ce |
//! neat-pse` (kernel equating in the NEAT design from score files with an anchor column) and of
//! `qbank link --path ... --path ...` (bisector and weighted bisector of several paths).

use std::path::Path;

use super::common::{assert_close, data_path};
use super::uncertainty_cli::{chain_args, num, ok, out_dir, qbank, read_csv};
use qbank::equate::kernel::{
    joint_frequencies, kernel_equate_neat, Bandwidth, BivariateModel, Kernel, NeatMethod,
    NeatOptions,
};

fn kbneat(form: &str) -> String {
    data_path(&format!("kbneat_{form}.csv"))
        .display()
        .to_string()
}

fn neat(design: &str, extra: &[&str], out: &Path) -> Vec<Vec<String>> {
    let (x, y) = (kbneat("x"), kbneat("y"));
    let mut args = vec![
        "equate",
        "--new-scores",
        &x,
        "--old-scores",
        &y,
        "--anchor-column",
        "anchor",
        "--method",
        "kernel",
        "--design",
        design,
        "--smooth-new",
        "3",
        "--smooth-old",
        "3",
    ];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--out", out.to_str().unwrap()]);
    ok(&qbank(&args));
    let rows = read_csv(&out.join("conversion.csv"));
    assert_eq!(
        rows[0].join(","),
        "raw,equivalent,see",
        "conversion.csv header"
    );
    assert_eq!(rows.len(), 1 + 37, "raw scores 0-36");
    assert!(out.join("equating.json").exists(), "equating.json written");
    rows
}

// reference: Kolen & Brennan (2014) chained linear equating of their NEAT example, slope 1.0213,
// intercept 0.3937 (tests/data/README.md). KE chain equating with very large bandwidths is
// chained linear equating (KE Theorem 4.5 for each link), and presmoothing with 3 moments keeps
// the means and SDs it uses.
#[test]
fn neat_chain_equating_cli_with_large_bandwidths_is_kb_chained_linear() {
    let rows = neat("neat-ce", &["--bandwidth", "1000"], &out_dir("neat_ce"));
    for r in &rows[1..] {
        let x: f64 = num(&r[0], "raw");
        let what = format!("chained kernel e_Y({x})");
        assert_close(num(&r[1], &what), 1.0213 * x + 0.3937, 2e-3, &what);
        let see = num(&r[2], "see");
        assert!(see > 0.0 && see < 1.0, "{what}: SEE {see}");
    }
}

// property: post-stratification through the command line equals the library's
// `kernel_equate_neat` on joint tables built by the test from the same files (w = 0.3, optimal
// bandwidths), equivalents and SEEs to the 4 written decimals
#[test]
fn neat_post_stratification_cli_matches_library() {
    let rows = neat("neat-pse", &["--w1", "0.3"], &out_dir("neat_pse"));
    let table = |f: &str| {
        let (t, a) = super::kernel_common::kbneat(f);
        joint_frequencies(&t, &a, 36, 12).unwrap()
    };
    let model = BivariateModel {
        moments_x: 3,
        moments_a: 3,
        cross_x: 1,
        cross_a: 1,
    };
    let opts = NeatOptions {
        method: NeatMethod::PostStratification { w: 0.3 },
        model_xa: model,
        model_ya: model,
        kernel: Kernel::Gaussian,
        bandwidth: Bandwidth::Optimal,
        kappa: 0.0,
    };
    let lib = kernel_equate_neat(&table("x"), &table("y"), &opts).unwrap();
    for (x, r) in rows[1..].iter().enumerate() {
        let what = format!("PSE raw {x}");
        assert_close(
            num(&r[1], &what),
            lib.e_y[x],
            1e-4,
            &format!("{what} equivalent"),
        );
        assert_close(
            num(&r[2], &what),
            lib.see_y[x],
            1e-4,
            &format!("{what} SEE"),
        );
    }
}

// a NEAT design without an anchor column is a usage error, not a panic
#[test]
fn neat_design_without_anchor_column_is_a_usage_error() {
    let (x, y) = (kbneat("x"), kbneat("y"));
    let out = out_dir("neat_no_anchor");
    let o = qbank(&[
        "equate",
        "--new-scores",
        &x,
        "--old-scores",
        &y,
        "--method",
        "kernel",
        "--design",
        "neat-ce",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "exit status of a usage error");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--anchor-column"),
        "message names --anchor-column: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

// reference (independent computation): est3pl, Haebara on equateIRT's 30-point Gauss-Hermite
// rule; two paths test1 > test2 > test3 and test1 > test5 > test4 > test3. The bisector is
// recomputed here from the paths' A and B in bisector.csv by Holland & Strawderman's formula
// A* = sum w_p A_p, B* = sum w_p B_p, w_p proportional to n_p (1 + A_p^2)^(-1/2); the weighted
// bisector's written weights are applied the same way; its Var(A*) + Var(B*) is not above the
// unweighted one's (it minimises that sum); the paths' links equal the library's chains
#[test]
fn bisector_of_two_paths_through_the_cli() {
    let out = out_dir("bisector");
    let (p1, p2) = ([1, 2, 3], [1, 5, 4, 3]);
    let ((f1, c1), (f2, c2)) = (chain_args(&p1), chain_args(&p2));
    ok(&qbank(&[
        "link",
        "--path",
        &f1,
        "--path",
        &f2,
        "--path-covs",
        &c1,
        "--path-covs",
        &c2,
        "--method",
        "haebara",
        "--theta-points",
        "gauss-hermite:30",
        "--out",
        out.to_str().unwrap(),
    ]));
    let rows = read_csv(&out.join("bisector.csv"));
    assert_eq!(
        rows[0].join(","),
        "path,from,to,A,B,se_A,se_B,weights",
        "bisector.csv header"
    );
    assert_eq!(
        rows.len(),
        5,
        "two paths, the bisector, the weighted bisector"
    );
    let col = |r: usize, c: usize| num(&rows[r][c], &format!("bisector.csv row {r} column {c}"));
    let (a, b) = ([col(1, 3), col(2, 3)], [col(1, 4), col(2, 4)]);
    for (row, label) in [(3, "bisector"), (4, "weighted bisector")] {
        let n: Vec<f64> = rows[row][7]
            .split(' ')
            .map(|w| num(w, &format!("{label} weight")))
            .collect();
        let w: Vec<f64> = (0..2).map(|p| n[p] / (1.0 + a[p] * a[p]).sqrt()).collect();
        let total: f64 = w.iter().sum();
        let a_star = (w[0] * a[0] + w[1] * a[1]) / total;
        let b_star = (w[0] * b[0] + w[1] * b[1]) / total;
        assert_close(col(row, 3), a_star, 2e-6, &format!("{label} A"));
        assert_close(col(row, 4), b_star, 2e-6, &format!("{label} B"));
    }
    assert_eq!(
        rows[3][7], "0.500000 0.500000",
        "unweighted bisector weights"
    );
    let var = |r: usize| col(r, 5).powi(2) + col(r, 6).powi(2);
    assert!(
        var(4) <= var(3) + 1e-9,
        "weighted bisector Var(A) + Var(B) {} above the unweighted {}",
        var(4),
        var(3)
    );
    use qbank::equate::link_se::{chain_forms, LinkOptions};
    use qbank::equate::linking::{LinkMethod, ThetaPoints};
    let forms: Vec<_> = (1..=5).map(super::link_se_common::est3pl).collect();
    let opts = LinkOptions {
        curve: ThetaPoints::EQUATEIRT.curve_options(false).unwrap(),
        d: 1.0,
        anchors: None,
    };
    for (r, path) in [(1, &p1[..]), (2, &p2[..])] {
        let fs: Vec<_> = path.iter().map(|&k| &forms[k - 1]).collect();
        let l = chain_forms(&fs, LinkMethod::Haebara, &opts).unwrap();
        let what = format!("path {path:?}");
        assert_close(col(r, 3), l.A, 2e-6, &format!("{what} A"));
        assert_close(col(r, 4), l.B, 2e-6, &format!("{what} B"));
        assert_close(col(r, 5), l.se_A.unwrap(), 2e-6, &format!("{what} se_A"));
        assert_close(col(r, 6), l.se_B.unwrap(), 2e-6, &format!("{what} se_B"));
    }
}
