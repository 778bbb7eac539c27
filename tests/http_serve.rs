//! `matchledger serve` as an operator runs it: the HTTP listener is on with the address
//! it logs, `--http-listen off` turns it off, and a wrong value is refused at start.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Starts `serve` with `http_listen` and JSON logs; the child and its "serving" log line.
fn serve(dir: &std::path::Path, http_listen: &str) -> (Child, Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_matchledger"))
        .args(["--log-format", "json", "serve", "--listen", "127.0.0.1:0"])
        .args(["--http-listen", http_listen, "--data-dir"])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let stderr = child.stderr.take().expect("piped stderr");
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            // Keep draining: a server whose log pipe closes is not how operators run it.
            let _ = sender.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let Ok(line) = receiver.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        let value: Value = serde_json::from_str(&line).expect("a JSON log line");
        if value["fields"]["message"] == "matchledger serving" {
            return (child, value);
        }
    }
    stop(child);
    panic!("the server never said it was serving");
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn serve_logs_the_http_address_and_answers_json_there() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (child, line) = serve(dir.path(), "127.0.0.1:0");
    let address = line["fields"]["http_address"]
        .as_str()
        .expect("http_address")
        .to_string();
    assert!(address.starts_with("127.0.0.1:"), "{address}");
    let output = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "20", "-X", "POST"])
        .args(["-H", "Content-Type: application/json", "-d", "{}"])
        .arg(format!(
            "http://{address}/matchledger.v1.QueryService/ListPhaseBalances"
        ))
        .output()
        .expect("curl is installed (apt-get install curl)");
    let mut child = child;
    let exited = child.try_wait().ok().flatten();
    stop(child);
    let answer: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "curl's answer is not JSON ({error}): {}; server exited: {exited:?}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_eq!(answer["answeredAtSequence"], "0", "{answer}");
}

#[test]
fn http_listen_off_serves_grpc_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (child, line) = serve(dir.path(), "off");
    stop(child);
    assert_eq!(line["fields"]["http_address"], "off");
}

#[test]
fn a_wrong_http_listen_value_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = Command::new(env!("CARGO_BIN_EXE_matchledger"))
        .args(["serve", "--http-listen", "localhost", "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--http-listen"), "{stderr}");
    assert!(stderr.contains("off"), "{stderr}");
}
