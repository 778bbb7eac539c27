//! Progress of long commands (demo load, export, verify, check) on standard error: a bar
//! that stays on one line on a terminal, and plain periodic lines anywhere else, so that a
//! log file gets readable lines instead of one long line of carriage returns.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// At most one plain progress line per this interval (the last line is always written).
pub const PLAIN_LINE_INTERVAL: Duration = Duration::from_secs(5);

/// A progress display: `what` (e.g. "exporting") over `total` items called `unit`.
pub struct Progress {
    display: Display,
    position: AtomicU64,
    total: AtomicU64,
}

enum Display {
    Bar(ProgressBar),
    Plain {
        what: String,
        unit: &'static str,
        last: Mutex<Option<Instant>>,
    },
}

impl Progress {
    /// A bar when standard error is a terminal, plain lines otherwise.
    pub fn new(what: &str, unit: &'static str, total: u64) -> Progress {
        Progress::with_terminal(what, unit, total, std::io::stderr().is_terminal())
    }

    fn with_terminal(what: &str, unit: &'static str, total: u64, terminal: bool) -> Progress {
        let display = if terminal {
            let bar = ProgressBar::new(total);
            let template =
                format!("{{msg:>10}} [{{bar:40}}] {{pos}}/{{len}} {unit} ({{eta}} left)");
            if let Ok(style) = ProgressStyle::with_template(&template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(what.to_string());
            Display::Bar(bar)
        } else {
            Display::Plain {
                what: what.to_string(),
                unit,
                last: Mutex::new(None),
            }
        };
        Progress {
            display,
            position: AtomicU64::new(0),
            total: AtomicU64::new(total),
        }
    }

    /// Moves to `position`.
    pub fn set_position(&self, position: u64) {
        self.position.store(position, Ordering::Relaxed);
        match &self.display {
            Display::Bar(bar) => bar.set_position(position),
            Display::Plain { .. } => self.plain_line(false),
        }
    }

    /// Advances by `delta`.
    pub fn inc(&self, delta: u64) {
        let position = self.position.fetch_add(delta, Ordering::Relaxed) + delta;
        self.set_position(position);
    }

    /// Sets the total, when it becomes known.
    pub fn set_length(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
        if let Display::Bar(bar) = &self.display {
            bar.set_length(total);
        }
    }

    /// Ends the display: clears the bar, or writes the final plain line.
    pub fn finish(&self) {
        match &self.display {
            Display::Bar(bar) => bar.finish_and_clear(),
            Display::Plain { .. } => self.plain_line(true),
        }
    }

    /// The plain line for the current position, e.g. `exporting: 500/1000 events (50%)`.
    fn line(&self) -> Option<String> {
        let Display::Plain { what, unit, .. } = &self.display else {
            return None;
        };
        let done = self.position.load(Ordering::Relaxed);
        let total = self.total.load(Ordering::Relaxed);
        match (done.saturating_mul(100)).checked_div(total) {
            Some(percent) => Some(format!("{what}: {done}/{total} {unit} ({percent}%)")),
            None => Some(format!("{what}: {done} {unit}")),
        }
    }

    fn plain_line(&self, last_line: bool) {
        let Display::Plain { last, .. } = &self.display else {
            return;
        };
        let now = Instant::now();
        // A poisoned lock only means another thread panicked while printing: go on.
        let mut last = last.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let due = last.is_none_or(|at| now.duration_since(at) >= PLAIN_LINE_INTERVAL);
        if due || last_line {
            *last = Some(now);
            if let Some(line) = self.line() {
                eprintln!("{line}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_a_terminal_progress_is_a_plain_line_without_carriage_returns() {
        let progress = Progress::with_terminal("exporting", "events", 1000, false);
        progress.set_position(500);
        let line = progress.line().expect("plain display");
        assert_eq!(line, "exporting: 500/1000 events (50%)");
        assert!(!line.contains('\r'));
        progress.inc(500);
        assert_eq!(
            progress.line().as_deref(),
            Some("exporting: 1000/1000 events (100%)")
        );
    }

    #[test]
    fn an_unknown_total_does_not_divide_by_zero() {
        let progress = Progress::with_terminal("verifying", "events", 0, false);
        progress.set_position(7);
        assert_eq!(progress.line().as_deref(), Some("verifying: 7 events"));
    }
}
