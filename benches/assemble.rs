//! Automated test assembly benchmark: 4 parallel 50-item forms from a simulated 600-item bank
//! (blueprint 12/15/17/6, total expected time 3000-3300 s, 10-20 multiple-response items, enemy
//! sets, each item on at most one form, only `active` items), for each objective: maximin
//! information at the cut theta = -0.25, and the reference form's TIF and TCC as targets at
//! theta = -1, -0.25, 0.5 (tolerance 0.25); and the TCC target again with an anchor set (10 items
//! of the reference form on every new form). Solved by microlp with a 60 s limit and a
//! relative gap of at most 1 %.
//!
//! `cargo bench --bench assemble` (release build). Prints, per objective, the solver status, the
//! objective, the gap, the LP bound and the seconds; fails (exit 1) when a solve takes 60 s or
//! more, misses the 1 % gap, or a form breaks a constraint.

use std::process::ExitCode;
use std::time::Instant;

use qbank::assemble::{assemble, simulate_bank, BankSimConfig, MipStatus, Spec};

fn spec_text(objective: &str, reference: &str) -> String {
    let (curve, anchored) = match objective.strip_suffix("+anchors") {
        Some(c) => (c, true),
        None => (objective, false),
    };
    let obj = match curve {
        "maximin" => "information_at = -0.25".to_string(),
        curve => format!("target = \"{curve}\"\npoints = [-1.0, -0.25, 0.5]\ntolerance = 0.25"),
    };
    // With anchors: 10 items of the (retired) reference form on every new form.
    let (allowed, anchors) = if anchored {
        ("[\"active\", \"retired\"]", "anchors = 10\n")
    } else {
        ("[\"active\"]", "")
    };
    let mut s = format!(
        "forms = 4\nlength = 50\nmax_forms_per_item = 1\nenemy_column = \"enemy\"\n\
         allowed_status = {allowed}\nreference_form = {reference}\n{anchors}\n[objective]\n{obj}\n\n\
         [[sum]]\ncolumn = \"seconds\"\nmin = 3000\nmax = 3300\n"
    );
    for (d, n) in [("D1", 12), ("D2", 15), ("D3", 17), ("D4", 6)] {
        s.push_str(&format!(
            "\n[[count]]\ncolumn = \"domain\"\nvalue = \"{d}\"\nmin = {n}\nmax = {n}\n"
        ));
    }
    s.push_str("\n[[count]]\ncolumn = \"type\"\nvalue = \"multiple\"\nmin = 10\nmax = 20\n");
    s.push_str("\n[solver]\ntime_limit_seconds = 60\nnode_limit = 1000000\nmip_gap = 0.01\n");
    s
}

fn main() -> ExitCode {
    let bank = simulate_bank(&BankSimConfig::default()).expect("simulated bank");
    let ids: Vec<String> = bank
        .reference_form
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect();
    let reference = format!("[{}]", ids.join(", "));
    let mut ok = true;
    println!("objective,status,objective_value,gap,lp_bound,gap_to_lp_bound,nodes,seconds");
    for objective in ["maximin", "tif", "tcc", "tcc+anchors"] {
        let spec = Spec::from_toml(&spec_text(objective, &reference)).expect("spec");
        let t = Instant::now();
        let a = match assemble(&bank.pool, &spec) {
            Ok(a) => a,
            Err(e) => {
                println!("{objective}: {e}");
                ok = false;
                continue;
            }
        };
        let seconds = t.elapsed().as_secs_f64();
        println!(
            "{objective},{:?},{:.5},{},{:.5},{:.5},{},{seconds:.2}",
            a.status,
            a.objective_value,
            a.gap.map_or("".into(), |g| format!("{g:.5}")),
            a.lp_bound,
            a.gap_to_lp_bound,
            a.nodes.map_or("".into(), |n| n.to_string()),
        );
        let within_gap = a.status == MipStatus::Optimal || a.gap.is_some_and(|g| g <= 0.01);
        let met = a.forms.iter().all(|f| f.constraints.iter().all(|c| c.met));
        let exposure = if objective.ends_with("+anchors") {
            4
        } else {
            1
        };
        if seconds >= 60.0 || !within_gap || !met || a.max_item_exposure != exposure {
            println!("{objective}: FAILED (seconds {seconds:.1}, gap {:?}, constraints met {met}, exposure {})", a.gap, a.max_item_exposure);
            ok = false;
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
