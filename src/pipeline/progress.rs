//! Stage progress on stderr for long runs: a bar with the current stage's name and the elapsed
//! time, drawn only when stderr is a terminal and the user did not ask for `--quiet`. Every
//! stage's start is also recorded, so `--timings` can print the wall time of each stage.

use std::cell::RefCell;
use std::io::IsTerminal;
use std::time::Instant;

/// Progress over a fixed number of stages (draws nothing when hidden; records stage times always).
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    /// Each stage's name and start.
    starts: RefCell<Vec<(String, Instant)>>,
}

/// The wall time of one stage, as `--timings` prints it and keeps it in the JSON outputs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StageTime {
    pub stage: String,
    pub seconds: f64,
}

impl Progress {
    /// A bar over `stages` stages; hidden when `quiet` or when stderr is not a terminal.
    pub fn new(stages: u64, quiet: bool) -> Progress {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress::hidden();
        }
        let bar = indicatif::ProgressBar::new(stages);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
        ) {
            bar.set_style(style);
        }
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        Progress {
            bar: Some(bar),
            starts: RefCell::default(),
        }
    }

    /// A progress that never draws (library callers, tests).
    pub fn hidden() -> Progress {
        Progress {
            bar: None,
            starts: RefCell::default(),
        }
    }

    /// Marks the previous stage done and names the next.
    pub fn stage(&self, name: &str) {
        self.starts
            .borrow_mut()
            .push((name.to_string(), Instant::now()));
        if let Some(b) = &self.bar {
            if !b.message().is_empty() {
                b.inc(1);
            }
            b.set_message(name.to_string());
        }
    }

    /// Starts a step inside the current stage: timed like a stage, the bar's count unchanged.
    pub fn step(&self, name: &str) {
        self.starts
            .borrow_mut()
            .push((name.to_string(), Instant::now()));
        if let Some(b) = &self.bar {
            b.set_message(name.to_string());
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }

    /// Wall seconds of every stage so far (the last one until now), then the total.
    pub fn timings(&self) -> Vec<StageTime> {
        let now = Instant::now();
        let starts = self.starts.borrow();
        let mut out: Vec<StageTime> = starts
            .iter()
            .enumerate()
            .map(|(k, (name, t))| StageTime {
                stage: name.clone(),
                seconds: starts
                    .get(k + 1)
                    .map_or(now, |n| n.1)
                    .duration_since(*t)
                    .as_secs_f64(),
            })
            .collect();
        if let Some((_, first)) = starts.first() {
            out.push(StageTime {
                stage: "total".into(),
                seconds: now.duration_since(*first).as_secs_f64(),
            });
        }
        out
    }

    /// Prints [`Progress::timings`] to stderr, one stage a line.
    pub fn print_timings(&self) {
        for t in self.timings() {
            eprintln!("timing: {:>9.3} s  {}", t.seconds, t.stage);
        }
    }
}

/// A JSON object's fields followed by the stage times under `timings` (field order kept).
#[derive(serde::Serialize)]
pub struct WithTimings<'a, T: serde::Serialize> {
    #[serde(flatten)]
    pub value: &'a T,
    pub timings: &'a [StageTime],
}
