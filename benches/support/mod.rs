//! What both benches share: CPU time read from `/proc`, so that a figure taken on a busy
//! machine can be told apart from one bounded by the code. Wall time says how fast it
//! went; CPU time per event says how much work it took, whoever else was running.

use std::time::Duration;

/// Clock ticks per second of `/proc/*/stat` (`USER_HZ`, 100 on every Linux we run on).
const TICKS_PER_SECOND: u64 = 100;

/// User + system CPU time of the `/proc` stat file at `path`, if it can be read.
fn cpu_of(path: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(path).ok()?;
    // The command name may hold spaces; the fields after it are fixed.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis(
        (user + system) * 1000 / TICKS_PER_SECOND,
    ))
}

/// CPU time of the calling thread so far.
#[allow(dead_code)]
pub fn this_thread() -> Duration {
    cpu_of("/proc/thread-self/stat").unwrap_or_default()
}

/// CPU time so far of this process's thread named `name` (the first one found).
#[allow(dead_code)]
pub fn thread_named(name: &str) -> Duration {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    for task in tasks.flatten() {
        let path = task.path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if comm.trim_end() == name {
            let stat = path.join("stat");
            return cpu_of(&stat.to_string_lossy()).unwrap_or_default();
        }
    }
    Duration::ZERO
}

/// CPU time of the whole process so far (every thread).
#[allow(dead_code)]
pub fn process() -> Duration {
    cpu_of("/proc/self/stat").unwrap_or_default()
}

/// Microseconds per event, for a report line.
#[allow(dead_code)]
pub fn micros_per(spent: Duration, events: u64) -> f64 {
    spent.as_secs_f64() * 1e6 / events.max(1) as f64
}

/// The 1-minute load average, to print beside the figures.
#[allow(dead_code)]
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".to_string())
}

/// Bench data cached in `dir` under the build's target directory: opened when a marker
/// file says an earlier run finished building it and `is_complete` agrees, otherwise
/// removed and built afresh by `build`, which returns how many items it holds. A build
/// cut short leaves no marker, so the next run starts over.
#[allow(dead_code)]
pub fn cached<T>(
    dir: &std::path::Path,
    what: &str,
    open: impl Fn(&std::path::Path) -> T,
    is_complete: impl Fn(&T) -> bool,
    build: impl FnOnce(&mut T) -> u64,
) -> T {
    let marker = dir.join("complete");
    if marker.exists() {
        let data = open(dir);
        if is_complete(&data) {
            return data;
        }
        drop(data);
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir).expect("stale cache removed");
    }
    let started = std::time::Instant::now();
    let mut data = open(dir);
    let items = build(&mut data);
    std::fs::write(&marker, items.to_string()).expect("marker written");
    eprintln!(
        "built {what} of {items} in {:.1} s at {}",
        started.elapsed().as_secs_f64(),
        dir.display()
    );
    data
}
