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

/// Flips a bit of every stored Merkle subtree hash (keys starting `n`) through sled.
fn flip_every_stored_subtree_hash(dir: &Path) {
    let db = common::damage::open_sled_directly(dir);
    let nodes: Vec<_> = db
        .scan_prefix(b"n")
        .map(|entry| entry.expect("readable"))
        .collect();
    assert!(!nodes.is_empty(), "the ledger stores subtree hashes");
    for (key, value) in nodes {
        let mut bytes = value.to_vec();
        bytes[0] ^= 0x01;
        db.insert(key, bytes).expect("rewritten");
    }
    db.flush().expect("flushed");
}

/// Flips one byte of the stored event carrying `TARGET_KEY`, bypassing the server, as
/// damage on disk would: the event still decodes, but it is not what was written.
fn flip_a_byte_of_the_target_event(dir: &Path) {
    common::damage::flip_a_byte_of_the_event_holding(dir, TARGET_KEY);
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

/// Events enough that a clean stop saves a snapshot at the head (so the next start
/// replays, and open re-verifies, nothing) with the target event early in the log, past
/// the first hundred events. Returns the directory, the target's sequence and the head.
async fn large_ledger_with_early_target() -> (tempfile::TempDir, u64, u64) {
    use matchledger::domain::command::Command;
    use matchledger::generator::{generate, GeneratedCommand, ProgrammeConfig};
    use matchledger::ledger::{Ledger, Submission};
    use matchledger::limits::{BATCH_COMMANDS_MAX, SHUTDOWN_SNAPSHOT_EVENTS_MIN};

    let temp = tempfile::tempdir().expect("temp dir");
    let ledger = Ledger::open(temp.path()).expect("opens");
    // Without closes: at start-up the server reads the log for closes that have no
    // statement yet, and that reader would find the damage before the one under test.
    let mut programme = generate(&ProgrammeConfig::default())
        .into_iter()
        .filter(|generated| !matches!(generated.command, Command::ClosePhase { .. }));
    let submit = |commands: Vec<GeneratedCommand>, key: String| {
        let context = matchledger::domain::command::CommandContext {
            idempotency_key: key,
            ..commands
                .first()
                .expect("the programme is long enough")
                .context("finance")
        };
        let commands = commands
            .into_iter()
            .map(|generated| generated.command)
            .collect();
        Submission::new(commands, context)
    };
    let first = submit(programme.by_ref().take(100).collect(), "first".into());
    ledger.submit(first).await.expect("accepted");
    let target = submit(programme.by_ref().take(1).collect(), TARGET_KEY.into());
    let target = ledger.submit(target).await.expect("accepted").events[0].sequence;
    let mut batch = 0;
    while ledger.head() < SHUTDOWN_SNAPSHOT_EVENTS_MIN + target {
        let commands = programme.by_ref().take(BATCH_COMMANDS_MAX).collect();
        ledger
            .submit(submit(commands, format!("batch-{batch}")))
            .await
            .expect("accepted");
        batch += 1;
    }
    let head = ledger.head();
    ledger.shutdown().await;
    drop(ledger);
    (temp, target, head)
}

/// A server on `dir` with background verification every `interval`, or none.
async fn server_verifying(dir: &Path, interval: Option<std::time::Duration>) -> TestServer {
    let setup = Setup {
        config: matchledger::api::server::ServerConfig {
            verification_interval: interval,
            ..Default::default()
        },
        client_tls: None,
    };
    TestServer::start_in_with(dir, setup).await
}

/// Every posting is refused, naming the damaged target.
async fn assert_postings_refused_naming(server: &mut TestServer, target: u64) {
    let refused = server
        .posting
        .open_phase(proto::OpenPhaseRequest {
            options: options(),
            command: Some(proto::OpenPhase {
                phase_id: String::new(),
                name: "after the damage".into(),
                currency: "KRW".into(),
                starts_on: "2024-01-01".into(),
                ends_on: "2028-12-31".into(),
                match_ratio: "1".into(),
                support_types: Vec::new(),
            }),
        })
        .await
        .expect_err("writes are refused");
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    let info = refused.get_details_error_info().expect("error info");
    assert_eq!(info.reason, "LEDGER_READ_ONLY");
    let damaged: u64 = info.metadata["damaged_sequence"]
        .parse()
        .expect("a sequence");
    // A broken link may be noticed at the event before the altered one (never after).
    assert!(
        damaged == target || damaged + 1 == target,
        "{damaged} for {target}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_that_meets_damaged_history_answers_data_loss_and_turns_the_server_read_only() {
    // Given a large ledger whose open trusts its history (verified checkpoint and snapshot
    // at the head), with one byte of an early event flipped on disk.
    let (temp, target, head_before) = large_ledger_with_early_target().await;
    flip_a_byte_of_the_target_event(temp.path());
    let mut server = server_verifying(temp.path(), None).await;
    assert_eq!(
        head(&mut server).await,
        head_before,
        "open does not re-read it"
    );
    assert_eq!(
        posting_health(&server.address).await,
        ServingStatus::Serving
    );

    // When a reader reaches the damaged event.
    let mut stream = server
        .audit
        .read_events(proto::ReadEventsRequest {
            from_sequence: 1,
            limit: 0,
            filter: None,
        })
        .await
        .expect("the stream starts")
        .into_inner();
    let failure = loop {
        match stream.message().await {
            Ok(Some(_)) => {}
            Ok(None) => panic!("the damaged history was streamed to the end"),
            Err(status) => break status,
        }
    };

    // Then the read fails as data loss, and the server is read-only from that moment.
    assert_eq!(failure.code(), Code::DataLoss, "{failure:?}");
    // And a reader after it is not handed a shorter history as if it were all.
    let mut again = server
        .audit
        .read_events(proto::ReadEventsRequest {
            from_sequence: 1,
            limit: 0,
            filter: None,
        })
        .await
        .expect("the stream starts")
        .into_inner();
    let mut served = 0;
    let failure = loop {
        match again.message().await {
            Ok(Some(_)) => served += 1,
            Ok(None) => panic!("{served} events served as the whole history"),
            Err(status) => break status,
        }
    };
    assert_eq!(failure.code(), Code::DataLoss, "{failure:?}");
    assert!(
        served < target,
        "{served} events before the damage at {target}"
    );
    assert_eq!(
        posting_health(&server.address).await,
        ServingStatus::NotServing
    );
    assert_postings_refused_naming(&mut server, target).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_verification_finds_damage_no_reader_reached_and_turns_the_server_read_only() {
    // Given the same damage, and a server verifying its whole chain in the background.
    let (temp, target, _) = large_ledger_with_early_target().await;
    flip_a_byte_of_the_target_event(temp.path());
    let mut server =
        server_verifying(temp.path(), Some(std::time::Duration::from_secs(3600))).await;

    // When nobody reads, the verification at start-up finds it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while posting_health(&server.address).await == ServingStatus::Serving {
        assert!(
            std::time::Instant::now() < deadline,
            "the background verification did not find the damage"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // Then postings are refused naming it.
    assert_postings_refused_naming(&mut server, target).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_verification_of_an_intact_log_leaves_the_server_serving() {
    let (temp, _, head_before) = large_ledger_with_early_target().await;
    let mut server =
        server_verifying(temp.path(), Some(std::time::Duration::from_millis(200))).await;

    // Several walks of the whole chain, with postings going on meanwhile.
    let programme = programme(&mut server).await;
    for _ in 0..10 {
        contribute(&mut server, &programme, "1000000").await;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    assert_eq!(
        posting_health(&server.address).await,
        ServingStatus::Serving
    );
    assert!(head(&mut server).await > head_before);
    server.stop().await;
}

/// Every file under `dir`, by path relative to it, with its bytes.
fn every_file(dir: &Path) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(at) = pending.pop() {
        for entry in std::fs::read_dir(&at).expect("readable directory") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("readable file");
                let relative = path.strip_prefix(dir).expect("under dir").to_path_buf();
                files.insert(relative, bytes);
            }
        }
    }
    files
}

#[tokio::test]
async fn check_leaves_the_directory_it_checks_unchanged_file_for_file_byte_for_byte() {
    let (temp, _) = ledger_with_target().await;
    for damaged in [false, true] {
        if damaged {
            flip_a_byte_of_the_target_event(temp.path());
        }
        let before = every_file(temp.path());

        let (ok, stdout, _) = run_check(temp.path());

        assert_eq!(ok, !damaged, "{stdout}");
        assert!(stdout.contains("working on a copy"), "{stdout}");
        let after = every_file(temp.path());
        assert_eq!(
            before.keys().collect::<Vec<_>>(),
            after.keys().collect::<Vec<_>>(),
            "no file added or removed"
        );
        assert!(before == after, "no file changed");
    }
}

#[tokio::test]
async fn check_refuses_a_directory_a_running_server_holds() {
    let server = TestServer::start().await;

    let (ok, _, stderr) = run_check(&server.data_dir);

    assert!(!ok);
    assert!(stderr.contains("is in use"), "{stderr}");
    server.stop().await;
}

/// Damages a stopped ledger's directory on disk.
type Damaging = fn(&Path);

#[tokio::test]
async fn check_fails_on_every_kind_of_damage_on_disk() {
    let damages: [(&str, Damaging); 4] = [
        (
            "a flipped byte of an event",
            flip_a_byte_of_the_target_event,
        ),
        (
            "the stored Merkle subtree hashes altered",
            flip_every_stored_subtree_hash,
        ),
        ("sled's data file cut short", |dir| {
            let path = dir.join("db");
            let length = std::fs::metadata(&path).expect("db").len();
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .expect("db opens");
            file.set_len(length / 2).expect("truncated");
        }),
        ("the acknowledged-head evidence altered", |dir| {
            let path = dir.join("acknowledged.head");
            let mut bytes = std::fs::read(&path).expect("evidence");
            bytes[10] ^= 0x40;
            std::fs::write(&path, bytes).expect("rewritten");
        }),
    ];
    for (what, damage) in damages {
        let (temp, _) = ledger_with_target().await;
        damage(temp.path());

        let (ok, stdout, stderr) = run_check(temp.path());

        assert!(!ok, "{what}: check passed\n{stdout}\n{stderr}");
    }
}
