//! Stage progress on stderr for long runs: a bar with the current stage's name and the elapsed
//! time, drawn only when stderr is a terminal and the user did not ask for `--quiet`. Every
//! stage's start is also recorded, so `--timings` can print the wall time of each stage.

use std::cell::{Cell, RefCell};
use std::io::IsTerminal;
use std::time::Instant;

/// Progress over a fixed number of stages (draws nothing when hidden; records stage times always).
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    /// Each stage's name and start.
    starts: RefCell<Vec<(String, Instant)>>,
    /// Print each stage's time on stderr as it ends (`--timings` of a long run: a run that is
    /// stopped still shows how far it came).
    live: bool,
    /// Stage times printed so far.
    printed: Cell<usize>,
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
            ..Progress::hidden()
        }
    }

    /// A progress that never draws (library callers, tests).
    pub fn hidden() -> Progress {
        Progress {
            bar: None,
            starts: RefCell::default(),
            live: false,
            printed: Cell::new(0),
        }
    }

    /// Prints each stage's time on stderr when it ends (see [`Progress::print_timings`]).
    pub fn live_timings(mut self, on: bool) -> Progress {
        self.live = on;
        self
    }

    fn start(&self, name: &str) {
        self.starts
            .borrow_mut()
            .push((name.to_string(), Instant::now()));
        if self.live {
            let timings = self.timings();
            // the stages before the one just started (not the total, not the new stage)
            let done = timings.len().saturating_sub(2);
            self.print_from(&timings[..done]);
        }
    }

    fn print_from(&self, timings: &[StageTime]) {
        for t in timings.iter().skip(self.printed.get()) {
            let line = format!("timing: {:>9.3} s  {}", t.seconds, t.stage);
            match &self.bar {
                Some(b) => b.println(line),
                None => eprintln!("{line}"),
            }
        }
        self.printed.set(self.printed.get().max(timings.len()));
    }

    /// Marks the previous stage done and names the next; the memory the previous stage freed
    /// goes back to the system (see [`release_free_memory`]).
    pub fn stage(&self, name: &str) {
        release_free_memory();
        self.start(name);
        if let Some(b) = &self.bar {
            if !b.message().is_empty() {
                b.inc(1);
            }
            b.set_message(name.to_string());
        }
    }

    /// Starts a step inside the current stage: timed like a stage, the bar's count unchanged.
    pub fn step(&self, name: &str) {
        self.start(name);
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

    /// Prints [`Progress::timings`] to stderr, one stage a line (with live timings, those not
    /// printed yet: the last stage and the total).
    pub fn print_timings(&self) {
        let timings = self.timings();
        self.print_from(&timings);
    }
}

/// A JSON object's fields followed by the stage times under `timings` (field order kept).
#[derive(serde::Serialize)]
pub struct WithTimings<'a, T: serde::Serialize> {
    #[serde(flatten)]
    pub value: &'a T,
    pub timings: &'a [StageTime],
}

/// Returns the heap's free pages to the system. glibc's allocator keeps memory freed by the
/// worker threads in their arenas, so a stage's transient buffers (the ingest's decoded columns,
/// a calibration's tables) would otherwise stay resident, and count in the run's peak, for the
/// rest of the run. A no-op on other platforms.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator's own arenas.
    unsafe {
        libc::malloc_trim(0);
    }
}
