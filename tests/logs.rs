//! Log lines fit for files and log shippers: no ANSI escapes when stderr is not a terminal,
//! and one JSON object per line with `--log-format json`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How many log lines the server's start-up must write before we look at them.
const LINES_WANTED: usize = 3;

/// Starts `serve` on a fresh directory with stderr piped, collects its first log lines,
/// then kills it.
fn startup_log_lines(extra: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_matchledger"))
        .args(extra)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .args(["--http-listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let stderr = child.stderr.take().expect("piped stderr");
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut lines = Vec::new();
    while lines.len() < LINES_WANTED && Instant::now() < deadline {
        if let Ok(line) = receiver.recv_timeout(Duration::from_millis(200)) {
            lines.push(line);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        lines.len() >= LINES_WANTED,
        "the server wrote only {lines:?}"
    );
    lines
}

#[test]
fn text_logs_written_to_a_pipe_carry_no_colour_escapes() {
    for line in startup_log_lines(&[]) {
        assert!(!line.contains('\u{1b}'), "ANSI escape in {line:?}");
    }
}

#[test]
fn json_logs_are_one_object_per_line_with_level_and_message() {
    for line in startup_log_lines(&["--log-format", "json"]) {
        let value: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line:?} is not JSON: {e}"));
        assert!(value.get("level").is_some(), "no level in {line}");
        assert!(value.get("fields").is_some(), "no fields in {line}");
        assert!(!line.contains('\u{1b}'), "ANSI escape in {line:?}");
    }
}
