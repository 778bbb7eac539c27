//! The binary's exit codes tell a script what to do next: 2 for usage, 3 to retry later,
//! 4 for a refusal it must not retry as is, 5 for evidence that does not verify; under
//! `--json` a refusal is one JSON object on standard error; progress written to a pipe is
//! plain lines, not one long line of carriage returns.

mod common;

use std::process::{Command, Output};

use common::{programme, verifier_key, TestServer};

/// Runs the binary with `args` and returns what it printed and how it exited.
async fn run(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_matchledger"))
            .args(args)
            .env_remove("MATCHLEDGER_SERVER")
            .env_remove("MATCHLEDGER_TOKEN")
            .output()
            .expect("the binary runs")
    })
    .await
    .expect("join")
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|arg| arg.to_string()).collect()
}

#[tokio::test]
async fn an_unknown_flag_exits_with_the_usage_code() {
    let output = run(strings(&["balance", "phase", "--no-such-flag"])).await;
    assert_eq!(output.status.code(), Some(2));
}

#[tokio::test]
async fn an_unreachable_server_exits_with_the_retry_code() {
    // A port that was free a moment ago: nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let server = format!("http://127.0.0.1:{port}");
    let output = run(strings(&["--server", &server, "balance", "phase"])).await;
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn a_refused_posting_exits_with_the_refusal_code_and_json_names_the_reason() {
    let mut server = TestServer::start().await;
    let programme = programme(&mut server).await;
    // A contribution to a phase that does not exist is refused by a rule.
    let unknown_phase = uuid::Uuid::now_v7().to_string();
    let output = run(strings(&[
        "--server",
        &server.address,
        "--json",
        "contribute",
        "--phase",
        &unknown_phase,
        "--contributor",
        &programme.contributor,
        "--amount",
        "1000000",
        "--key",
        "exit-code-test-1",
    ]))
    .await;
    assert_eq!(output.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let failure: serde_json::Value = serde_json::from_str(stderr.trim())
        .unwrap_or_else(|error| panic!("{stderr:?} is not one JSON object: {error}"));
    assert_eq!(failure["exit_code"], 4);
    assert!(failure["code"].is_string(), "{failure}");
    assert!(failure["reason"].is_string(), "{failure}");
    assert_eq!(failure["idempotency_key"], "exit-code-test-1");
    // An amount that is not canonical is refused locally, before anything is sent.
    let output = run(strings(&[
        "--server",
        &server.address,
        "contribute",
        "--phase",
        &programme.phase,
        "--contributor",
        &programme.contributor,
        "--amount",
        "+5",
    ]))
    .await;
    assert_eq!(output.status.code(), Some(2));
    server.stop().await;
}

#[tokio::test]
async fn a_tampered_export_exits_with_the_verification_code() {
    let mut server = TestServer::start().await;
    programme(&mut server).await;
    let key = verifier_key(&mut server).await;
    let out = tempfile::tempdir().expect("temp dir");
    let dir = out.path().join("export");
    let dir_text = dir.display().to_string();
    let output = run(strings(&[
        "--server",
        &server.address,
        "export",
        "--out",
        &dir_text,
    ]))
    .await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let verified = run(strings(&["verify", "--public-key", &key, &dir_text])).await;
    assert_eq!(verified.status.code(), Some(0), "{verified:?}");

    let events = dir.join("events.jsonl");
    let text = std::fs::read_to_string(&events).expect("events");
    let tampered = text.replacen("Win-win", "Win-lose", 1);
    assert_ne!(text, tampered, "the phase name is in the export");
    std::fs::write(&events, tampered).expect("write");
    let output = run(strings(&["verify", "--public-key", &key, &dir_text])).await;
    assert_eq!(output.status.code(), Some(5), "{output:?}");
    server.stop().await;
}

#[tokio::test]
async fn check_off_a_terminal_writes_plain_progress_lines_and_exits_zero_on_a_sound_directory() {
    let mut server = TestServer::start().await;
    programme(&mut server).await;
    let dir = server.data_dir.clone();
    let temp = server.stop().await;
    let dir_text = dir.display().to_string();
    let output = run(strings(&["check", "--data-dir", &dir_text])).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains('\r'), "carriage return in {stderr:?}");
    assert!(
        stderr.lines().any(|line| line.starts_with("verifying: ")),
        "no progress line in {stderr:?}"
    );
    drop(temp);
}
