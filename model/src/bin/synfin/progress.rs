//! Progress on stderr while a check or search runs, drawn with `indicatif`
//! and only when stderr is a terminal: a pipe or a log file gets nothing.
//!
//! An exhaustive check with an estimate of its state count gets a bar and
//! the time left: a preset with its own budgets has a pinned count
//! ([`check::expected_states`]), and any world checked before has the depth
//! profile its last run left, scaled by the levels done so far:
//!
//! ```text
//! ⠤ [#########>----------] 16,016,347/~32,163,694 states, 2,457,465/s, depth 31, 412 MiB, 7s, ETA 7s (pinned count)
//! ```
//!
//! Anything else gets a spinner with the same counts and no estimate.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{HumanCount, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use synfin_model::check::{self, EstimateSource, Progress};
use synfin_model::fast::memory;
use synfin_model::Config;

/// States per second, as a whole number with separators.
fn rate(state: &ProgressState, w: &mut dyn std::fmt::Write) {
    let _ = write!(w, "{}/s", HumanCount(state.per_sec() as u64));
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .expect("the templates here are valid")
        .with_key("rate", rate)
        .progress_chars("#>-")
}

fn bar(len: Option<u64>) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::stderr());
    Some(bar)
}

/// The progress display of an exhaustive check; cleared when dropped.
pub struct CheckProgress {
    bar: Finish,
    /// Whether the bar is drawn as a bar (an estimate is known).
    with_estimate: bool,
}

const WITH_ESTIMATE: &str =
    "{spinner} [{bar:20}] {human_pos}/~{human_len} states, {rate}, {msg}, {elapsed}, ETA {eta}";
const WITHOUT_ESTIMATE: &str =
    "{spinner} {human_pos} states, {rate}, {msg}, {elapsed} (no estimate: no pinned count nor previous run)";

/// No display: for a process whose report another process prints.
pub fn none() -> CheckProgress {
    CheckProgress {
        bar: Finish(None),
        with_estimate: false,
    }
}

/// Start the progress display of an exhaustive check of `cfg`.
pub fn check(cfg: &Config) -> CheckProgress {
    let expected = check::expected_states(cfg);
    let bar = bar(expected.map(|n| n as u64));
    if let Some(bar) = &bar {
        bar.set_style(style(WITHOUT_ESTIMATE));
        bar.set_message("starting");
    }
    CheckProgress {
        bar: Finish(bar),
        with_estimate: false,
    }
}

impl CheckProgress {
    /// Show where the check is.
    pub fn update(&mut self, p: Progress) {
        let Some(bar) = &self.bar.0 else { return };
        match p {
            Progress::Exploring {
                states,
                depth,
                estimate,
                resident,
                ..
            } => {
                let mut msg = format!("depth {depth}");
                if let Some(r) = resident {
                    msg += &format!(", {}", memory::human(r));
                }
                if let Some(e) = estimate {
                    if !self.with_estimate {
                        bar.set_style(style(WITH_ESTIMATE));
                        self.with_estimate = true;
                    }
                    bar.set_length(e.total as u64);
                    msg += match e.source {
                        EstimateSource::Pinned => " (pinned count)",
                        EstimateSource::Profile => " (from the last run)",
                    };
                }
                bar.set_position(states as u64);
                bar.set_message(msg);
            }
            Progress::Paths(n) => {
                bar.set_style(style(
                    "{spinner} shortest paths to {msg} discoveries, {elapsed}",
                ));
                bar.set_message(n.to_string());
                bar.reset_elapsed();
                bar.enable_steady_tick(Duration::from_millis(100));
            }
        }
    }
}

/// A spinner saying what is being searched for, until dropped.
pub fn spinner(what: &str) -> Finish {
    let bar = bar(None);
    if let Some(bar) = &bar {
        bar.set_style(style("{spinner} {msg}, {elapsed}"));
        bar.set_message(what.to_string());
        bar.enable_steady_tick(Duration::from_millis(100));
    }
    Finish(bar)
}

/// Clears its bar when dropped, so the output that follows starts on a
/// clean line.
pub struct Finish(Option<ProgressBar>);

impl Drop for Finish {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
