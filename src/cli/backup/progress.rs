//! Progress of a backup or restore: a bar on a terminal, plain lines otherwise (a log
//! file or a pipe), so that an operator's cron job logs something readable.

use std::cell::Cell;
use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// Events between two plain progress lines: a line every few seconds on a large log.
const PROGRESS_LINE_EVENTS: u64 = 50_000;

/// One progress display for a count of events.
pub struct Progress {
    bar: Option<ProgressBar>,
    label: &'static str,
    total: u64,
    printed: Cell<u64>,
}

impl Progress {
    /// Progress of `label` over `total` events, on stderr.
    pub fn new(label: &'static str, total: u64) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            if let Ok(style) =
                ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} events ({eta})")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(label);
            bar
        });
        Progress {
            bar,
            label,
            total,
            printed: Cell::new(0),
        }
    }

    /// `done` events are done.
    pub fn set(&self, done: u64) {
        match &self.bar {
            Some(bar) => bar.set_position(done),
            None if done >= self.printed.get() + PROGRESS_LINE_EVENTS => {
                eprintln!("{}: {done}/{} events", self.label, self.total);
                self.printed.set(done);
            }
            None => {}
        }
    }

    /// Clears the bar, or prints the last line.
    pub fn finish(&self) {
        match &self.bar {
            Some(bar) => bar.finish_and_clear(),
            None if self.total > 0 && self.printed.get() < self.total => {
                eprintln!("{}: {}/{} events", self.label, self.total, self.total);
                self.printed.set(self.total);
            }
            None => {}
        }
    }
}
