//! Stage progress on stderr for long runs: a bar with the current stage's name and the elapsed
//! time, drawn only when stderr is a terminal and the user did not ask for `--quiet`.

use std::io::IsTerminal;

/// Progress over a fixed number of stages (does nothing when hidden).
pub struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    /// A bar over `stages` stages; hidden when `quiet` or when stderr is not a terminal.
    pub fn new(stages: u64, quiet: bool) -> Progress {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new(stages);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
        ) {
            bar.set_style(style);
        }
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        Progress(Some(bar))
    }

    /// A progress that never draws (library callers, tests).
    pub fn hidden() -> Progress {
        Progress(None)
    }

    /// Marks the previous stage done and names the next.
    pub fn stage(&self, name: &str) {
        if let Some(b) = &self.0 {
            if !b.message().is_empty() {
                b.inc(1);
            }
            b.set_message(name.to_string());
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}
