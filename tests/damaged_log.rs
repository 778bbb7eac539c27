//! A damaged event log through the real server: the server starts read-only, answers
//! reads up to the last good event, refuses every posting naming the damaged sequence,
//! and reports the posting service as not serving.

mod common;

use std::path::Path;

use common::*;
use matchledger::api::proto;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_types::StatusExt;

/// The idempotency key of the posting whose stored event the test damages.
const TARGET_KEY: &str = "damage-me-7f3a";

/// sled's segment size as the store configures it (part of the on-disk format).
const SLED_SEGMENT_BYTES: usize = 8 * 1024 * 1024;

/// Flips one byte of the stored event carrying `TARGET_KEY`, bypassing the server, as
/// damage on disk would: the event still decodes, but it is not what was written.
fn flip_a_byte_of_the_target_event(dir: &Path) {
    // The stopped server's sled may hold its file lock for an instant longer, as the
    // store's own open allows for.
    let deadline = std::time::Instant::now() + matchledger::limits::STORE_LOCK_WAIT;
    let db = loop {
        match sled::Config::new()
            .path(dir)
            .segment_size(SLED_SEGMENT_BYTES)
            .open()
        {
            Err(_) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            opened => break opened.expect("sled opens"),
        }
    };
    let mut damaged = 0;
    for entry in db.iter() {
        let (key, value) = entry.expect("readable");
        if key.first() != Some(&b'e') {
            continue;
        }
        if let Some(at) = value
            .windows(TARGET_KEY.len())
            .position(|w| w == TARGET_KEY.as_bytes())
        {
            let mut bytes = value.to_vec();
            bytes[at] ^= 0x01;
            db.insert(key, bytes).expect("rewritten");
            damaged += 1;
        }
    }
    assert_eq!(
        damaged, 1,
        "exactly one stored block holds the target event"
    );
    db.flush().expect("flushed");
}

#[tokio::test]
async fn a_flipped_byte_starts_the_server_read_only_up_to_the_last_good_event() {
    // Given a ledger with a contribution in the middle of its history.
    let mut server = TestServer::start().await;
    let programme = programme(&mut server).await;
    contribute(&mut server, &programme, "100000000").await;
    let before_target = head(&mut server).await;
    let target = server
        .posting
        .record_contribution(proto::RecordContributionRequest {
            options: options_with_key(TARGET_KEY),
            command: Some(proto::RecordContribution {
                contribution_id: String::new(),
                phase_id: programme.phase.clone(),
                contributor_id: programme.contributor.clone(),
                amount: krw("50000000"),
            }),
        })
        .await
        .expect("accepted")
        .into_inner()
        .events[0]
        .sequence;
    assert_eq!(target, before_target + 1);
    contribute(&mut server, &programme, "70000000").await;
    contribute(&mut server, &programme, "80000000").await;
    let temp = server.stop().await.expect("temp dir");

    // When one byte of the target event is flipped on disk and the server restarts.
    flip_a_byte_of_the_target_event(temp.path());
    let mut server = TestServer::start_in(temp.path()).await;

    // Then reads answer as of the last good event, before the damaged one.
    let phase = server
        .query
        .get_phase_balances(proto::GetPhaseBalancesRequest {
            phase_id: programme.phase.clone(),
            as_of: None,
        })
        .await
        .expect("reads are served")
        .into_inner();
    assert_eq!(phase.answered_at_sequence, target - 1);
    let contributed = phase.phase.expect("phase").contributed;
    assert_eq!(
        contributed, "100000000",
        "only the contribution before the damage"
    );

    // And every posting is refused, naming the damaged sequence.
    let refused = server
        .posting
        .record_contribution(proto::RecordContributionRequest {
            options: options(),
            command: Some(proto::RecordContribution {
                contribution_id: String::new(),
                phase_id: programme.phase.clone(),
                contributor_id: programme.contributor.clone(),
                amount: krw("1000"),
            }),
        })
        .await
        .expect_err("writes are refused");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused.message().contains(&format!("sequence {target}")),
        "{}",
        refused.message()
    );
    let info = refused.get_details_error_info().expect("error info");
    assert_eq!(info.reason, "LEDGER_READ_ONLY");
    assert_eq!(info.metadata["damaged_sequence"], target.to_string());

    // And health says the posting service is not serving.
    assert_eq!(
        posting_health(&server.address).await,
        ServingStatus::NotServing
    );
    server.stop().await;
}

#[tokio::test]
async fn an_undamaged_ledger_reports_the_posting_service_serving() {
    let server = TestServer::start().await;
    assert_eq!(
        posting_health(&server.address).await,
        ServingStatus::Serving
    );
    server.stop().await;
}

/// Runs `matchledger check` on `dir`: (success, stdout, stderr).
fn run_check(dir: &Path) -> (bool, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_matchledger"))
        .args(["check", "--data-dir"])
        .arg(dir)
        .output()
        .expect("the binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A stopped ledger's directory with a small programme and the target contribution at
/// the returned sequence, with events after it.
async fn ledger_with_target() -> (tempfile::TempDir, u64) {
    let mut server = TestServer::start().await;
    let programme = programme(&mut server).await;
    contribute(&mut server, &programme, "100000000").await;
    let target = server
        .posting
        .record_contribution(proto::RecordContributionRequest {
            options: options_with_key(TARGET_KEY),
            command: Some(proto::RecordContribution {
                contribution_id: String::new(),
                phase_id: programme.phase.clone(),
                contributor_id: programme.contributor.clone(),
                amount: krw("50000000"),
            }),
        })
        .await
        .expect("accepted")
        .into_inner()
        .events[0]
        .sequence;
    contribute(&mut server, &programme, "70000000").await;
    (server.stop().await.expect("temp dir"), target)
}

#[tokio::test]
async fn check_passes_an_intact_data_directory() {
    let (temp, target) = ledger_with_target().await;

    let (ok, stdout, stderr) = run_check(temp.path());

    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("{} events", target + 1)),
        "{stdout}"
    );
    assert!(stdout.contains("trial balance zero"), "{stdout}");
    assert!(stdout.contains("result: OK"), "{stdout}");
    assert!(
        stderr.contains("verifying:"),
        "progress goes to stderr: {stderr}"
    );
}

#[tokio::test]
async fn check_fails_naming_the_first_bad_sequence_even_before_the_checkpoint() {
    let (temp, target) = ledger_with_target().await;
    // A clean restart makes the whole log the verified checkpoint, which open trusts.
    TestServer::start_in(temp.path()).await.stop().await;
    flip_a_byte_of_the_target_event(temp.path());

    let (ok, stdout, stderr) = run_check(temp.path());

    assert!(!ok, "{stdout}");
    assert!(
        stdout.contains(&format!("DAMAGED at sequence {target}")),
        "{stdout}"
    );
    assert!(stderr.contains(&format!("sequence {target}")), "{stderr}");
}

#[test]
fn check_refuses_a_directory_without_data() {
    let temp = tempfile::tempdir().expect("temp dir");

    let (ok, _, stderr) = run_check(&temp.path().join("nothing-here"));

    assert!(!ok);
    assert!(stderr.contains("holds no matchledger data"), "{stderr}");
}
