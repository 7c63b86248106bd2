//! Times the exam-security stage in isolation: loads a data set and calibrates it once, then runs
//! the security stage `REPS` times (default 2) and prints each step's wall and CPU seconds and a
//! fingerprint of the whole result (its Debug text hashed), so that a speed change can be checked
//! for identical outputs without a full `qbank run`.
//!
//! `cargo run --config 'profile.dev.package.qbank.opt-level=3' --example security_timing -- DIR [REPS]`

use std::cell::RefCell;
use std::hash::{Hash, Hasher};
use std::time::Instant;

use qbank::irt::workflow::calibrate_dataset;
use qbank::irt::CalibratedForms;
use qbank::pipeline::stages;

/// CPU seconds (user + system) of this process so far, from /proc/self/stat (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks = |k: usize| {
        fields
            .get(k)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("usage: security_timing DIR [REPS]");
    let reps: usize = args.next().map_or(2, |r| r.parse().expect("REPS"));
    let t0 = Instant::now();
    let (ds, _) = stages::load(dir.as_ref()).expect("a valid data set");
    let opts = stages::run_calibration_options(&ds.exam.config.calibration);
    let result = calibrate_dataset(&ds, &opts);
    let forms = CalibratedForms::of(&ds, &result);
    eprintln!("load + calibrate: {:.1} s", t0.elapsed().as_secs_f64());
    for rep in 0..reps {
        let marks: RefCell<Vec<(String, Instant, f64)>> = RefCell::new(Vec::new());
        let start = Instant::now();
        let a = qbank::security::workflow::analyse_with(
            &ds,
            &forms,
            &ds.exam.config.security,
            None,
            &|s| {
                marks
                    .borrow_mut()
                    .push((s.to_string(), Instant::now(), cpu_seconds()))
            },
        )
        .expect("security");
        let (end, end_cpu) = (Instant::now(), cpu_seconds());
        let marks = marks.into_inner();
        for (k, (name, t, cpu)) in marks.iter().enumerate() {
            let (next, next_cpu) = marks.get(k + 1).map_or((end, end_cpu), |m| (m.1, m.2));
            println!(
                "rep {rep} {name}: {:.2} s wall, {:.2} s CPU",
                (next - *t).as_secs_f64(),
                next_cpu - cpu
            );
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        format!("{a:?}").hash(&mut h);
        println!(
            "rep {rep} total {:.2} s, fingerprint {:016x}",
            (end - start).as_secs_f64(),
            h.finish()
        );
    }
}
