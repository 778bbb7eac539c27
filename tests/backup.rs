//! Backup and restore against the real server on loopback: a backup taken under load
//! restores to a ledger with the same events, bytes, root, signed heads, cosignatures,
//! idempotency answers and balances; a directory whose raw `db` bytes were damaged is
//! restored from its backup with nothing lost; a backup with one flipped byte is refused,
//! naming the event, and nothing is written; an export restores too, and says what it
//! lacks.

mod common;

use std::time::Duration;

use common::backup::*;
use common::{contribute, options_with_key, programme, record_match};
use matchledger::api::proto;
use matchledger::cli::backup::format::{EVENTS_FILE, HEADS_FILE, IDEMPOTENCY_FILE};
use matchledger::cli::backup::restore;
use matchledger::cli::check::{check, CheckArgs};
use matchledger::cli::verifiable::export::{export, ExportArgs};
use matchledger::verifiable::export::verify_export;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_restores_to_an_identical_ledger() {
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("data");
    let (mut server, key) = start(&data).await;
    let programme = programme(&mut server).await;
    let contribution = contribute(&mut server, &programme, "5000000").await;
    let retried = proto::RecordMatchRequest {
        options: options_with_key("match-once"),
        command: Some(proto::RecordMatch {
            match_id: "0190f000-0000-7000-8000-000000000001".into(),
            contribution_id: contribution.clone(),
            agency_id: programme.agency.clone(),
            amount: common::krw("2000000"),
        }),
    };
    let first = server
        .posting
        .record_match(retried.clone())
        .await
        .unwrap()
        .into_inner();
    record_match(&mut server, &programme, &contribution, "1000000")
        .await
        .unwrap();
    let cosigned = cosign_latest(&mut server).await;

    let (stop, task) = load(&server, &programme);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let backup = temp.path().join("backup");
    let size = take(&server, &backup).await;
    stop.send(true).unwrap();
    let posted = task.await.unwrap();
    assert!(posted > 0, "the backup ran while postings committed");
    assert!(size > cosigned, "the backup is at a head taken under load");

    let restored_dir = temp.path().join("restored");
    let summary = restore(&restore_args(&backup, &restored_dir, &key)).expect("restore");
    assert_eq!(summary.events, size);
    assert_eq!(
        summary.fingerprints_unknown, 0,
        "every fingerprint was backed up"
    );
    assert!(summary.cosignatures >= 1);
    check(&CheckArgs {
        data_dir: restored_dir.clone(),
        scratch_dir: None,
    })
    .expect("check passes on the restored directory");

    let original_events = stored_events(&mut server, size).await;
    let original_heads = signed_heads(&mut server, size).await;
    let original_balances = balances(&mut server, size).await;
    let (mut restored, _) = start(&restored_dir).await;
    assert_eq!(common::head(&mut restored).await, size);
    assert_eq!(
        stored_events(&mut restored, 0).await,
        original_events,
        "every event byte"
    );
    assert_eq!(
        signed_heads(&mut restored, 0).await,
        original_heads,
        "heads and cosignatures"
    );
    assert!(original_heads
        .iter()
        .any(|head| head.tree_size == cosigned && head.cosignatures.len() == 1));
    assert_eq!(balances(&mut restored, size).await, original_balances);

    let replay = restored
        .posting
        .record_match(retried)
        .await
        .unwrap()
        .into_inner();
    assert!(
        replay.replayed,
        "a retry is answered with the original result"
    );
    assert_eq!(replay.events, first.events);

    let export_dir = temp.path().join("export");
    let export_args = ExportArgs {
        out: export_dir.clone(),
        data_dir: None,
        signing_key: None,
        public_key: Some(key.verifier_key()),
    };
    export(&restored.address, export_args)
        .await
        .expect("export");
    verify_export(&export_dir, &key.verifier_key(), |_| {}).expect("the export verifier passes");
    restored.stop().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_whose_db_bytes_were_damaged_is_restored_from_its_backup_losing_nothing() {
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("data");
    let (mut server, key) = start(&data).await;
    let programme = programme(&mut server).await;
    for _ in 0..40 {
        contribute(&mut server, &programme, "1000").await;
    }
    server
        .posting
        .close_phase(proto::ClosePhaseRequest {
            options: common::options(),
            command: Some(proto::ClosePhase {
                phase_id: programme.phase.clone(),
            }),
        })
        .await
        .expect("phase closed");
    let statement = closing_statement(&mut server, &programme.phase).await;
    let head = common::head(&mut server).await;
    let backup = temp.path().join("backup");
    assert_eq!(take(&server, &backup).await, head);
    let acknowledged = stored_events(&mut server, head).await;
    let balances_before = balances(&mut server, head).await;
    server.stop().await;

    let db = data.join("db");
    let length = std::fs::metadata(&db).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&db)
        .unwrap()
        .set_len(length / 2)
        .unwrap();
    let damaged = tokio::task::spawn_blocking({
        let data = data.clone();
        move || matchledger::ledger::Ledger::open_or_read_only(&data)
    })
    .await
    .unwrap();
    match damaged {
        Ok(ledger) => {
            assert!(
                ledger.store().damage().is_some(),
                "the cut log is found damaged"
            );
            ledger.shutdown().await;
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }

    let restored_dir = temp.path().join("restored");
    let summary = restore(&restore_args(&backup, &restored_dir, &key)).expect("restore");
    assert_eq!(summary.statements, 1);
    let (mut restored, _) = start(&restored_dir).await;
    assert_eq!(
        stored_events(&mut restored, 0).await,
        acknowledged,
        "nothing lost"
    );
    assert_eq!(balances(&mut restored, head).await, balances_before);
    assert_eq!(
        closing_statement(&mut restored, &programme.phase).await,
        statement,
        "the statement signed at close is the original's"
    );
    restored.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_with_one_flipped_event_byte_is_refused_naming_the_event_and_nothing_is_written() {
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("data");
    let (mut server, key) = start(&data).await;
    let programme = programme(&mut server).await;
    for _ in 0..10 {
        contribute(&mut server, &programme, "1000").await;
    }
    let backup = temp.path().join("backup");
    take(&server, &backup).await;
    server.stop().await;

    // Event 7's record: skip six length-prefixed records, then flip a byte inside it.
    let path = backup.join(EVENTS_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    let mut offset = 0;
    for _ in 0..6 {
        let length = u32::from_be_bytes(bytes[offset..offset + 4].try_into().unwrap()) as usize;
        offset += 4 + length;
    }
    let length = u32::from_be_bytes(bytes[offset..offset + 4].try_into().unwrap()) as usize;
    bytes[offset + 4 + length / 2] ^= 0x20;
    std::fs::write(&path, bytes).unwrap();

    let restored_dir = temp.path().join("restored");
    let error = restore(&restore_args(&backup, &restored_dir, &key)).unwrap_err();
    let message = format!("{error:#}");
    assert!(message.contains("event 7"), "names the event: {message}");
    assert!(message.contains("nothing was written"), "{message}");
    assert!(!restored_dir.exists(), "no directory is created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_whose_idempotency_record_or_kept_head_was_altered_is_refused_naming_it() {
    let temp = tempfile::tempdir().unwrap();
    let (mut server, key) = start(&temp.path().join("data")).await;
    let programme = programme(&mut server).await;
    for _ in 0..4 {
        contribute(&mut server, &programme, "1000").await;
    }
    let backup = temp.path().join("backup");
    let size = take(&server, &backup).await;
    server.stop().await;
    let restored_dir = temp.path().join("restored");

    // A record moved onto another command's events: a retry would replay the wrong ones.
    let path = backup.join(IDEMPOTENCY_FILE);
    let original = std::fs::read_to_string(&path).unwrap();
    let moved = original.replacen("\"first_sequence\":1,", "\"first_sequence\":2,", 1);
    assert_ne!(moved, original);
    std::fs::write(&path, &moved).unwrap();
    let message = format!(
        "{:#}",
        restore(&restore_args(&backup, &restored_dir, &key)).unwrap_err()
    );
    assert!(
        message.contains(IDEMPOTENCY_FILE) && message.contains("sequence 2"),
        "{message}"
    );
    std::fs::write(&path, &original).unwrap();

    // A kept head whose root is not the events': it would be served as the log's.
    let path = backup.join(HEADS_FILE);
    let heads = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<serde_json::Value> = heads
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let note = lines[0]["note"].as_str().unwrap().to_string();
    // The note's third line is the root, base64; 32 zero bytes take as many characters.
    let root = note.lines().nth(2).unwrap();
    let forged = note.replacen(root, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 1);
    lines[0]["note"] = serde_json::Value::String(forged);
    let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
    assert_eq!(
        text.len(),
        heads.len(),
        "same length: the manifest still covers it"
    );
    std::fs::write(&path, text).unwrap();
    let message = format!(
        "{:#}",
        restore(&restore_args(&backup, &restored_dir, &key)).unwrap_err()
    );
    assert!(
        message.contains(HEADS_FILE) && message.contains("root"),
        "{message}"
    );
    assert!(!restored_dir.exists(), "nothing was written");
    assert!(size >= 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_restores_the_same_events_and_root_and_a_retry_is_refused_not_posted_twice() {
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("data");
    let (mut server, key) = start(&data).await;
    let programme = programme(&mut server).await;
    let contribution = contribute(&mut server, &programme, "5000000").await;
    let retried = proto::RecordMatchRequest {
        options: options_with_key("match-from-export"),
        command: Some(proto::RecordMatch {
            match_id: "0190f000-0000-7000-8000-000000000002".into(),
            contribution_id: contribution,
            agency_id: programme.agency.clone(),
            amount: common::krw("1000000"),
        }),
    };
    server.posting.record_match(retried.clone()).await.unwrap();
    let head = common::head(&mut server).await;
    let export_dir = temp.path().join("export");
    let export_args = ExportArgs {
        out: export_dir.clone(),
        data_dir: None,
        signing_key: None,
        public_key: Some(key.verifier_key()),
    };
    export(&server.address, export_args).await.expect("export");
    let events = stored_events(&mut server, head).await;
    server.stop().await;

    let occupied = temp.path().join("occupied");
    std::fs::create_dir_all(&occupied).unwrap();
    std::fs::write(occupied.join("something"), b"kept").unwrap();
    let mut args = restore_args(&export_dir, &occupied, &key);
    args.public_key = Some(key.verifier_key());
    let refused = restore(&args).unwrap_err().to_string();
    assert!(refused.contains("not empty"), "{refused}");
    assert_eq!(std::fs::read(occupied.join("something")).unwrap(), b"kept");

    let restored_dir = temp.path().join("restored");
    let mut args = restore_args(&export_dir, &restored_dir, &key);
    args.public_key = Some(key.verifier_key());
    let summary = restore(&args).expect("restore from the export");
    assert_eq!(summary.events, head);
    assert!(summary.fingerprints_unknown > 0);
    let (mut restored, _) = start(&restored_dir).await;
    assert_eq!(stored_events(&mut restored, 0).await, events);
    let refused = restored
        .posting
        .record_match(retried)
        .await
        .expect_err("a retry of a command whose fingerprint the export lacks");
    assert_eq!(refused.code(), tonic::Code::AlreadyExists, "{refused:?}");
    assert_eq!(
        common::head(&mut restored).await,
        head,
        "nothing posted twice"
    );
    restored.stop().await;
}

/// The statement signed when `phase` closed, waiting while it is being produced.
async fn closing_statement(server: &mut common::TestServer, phase: &str) -> String {
    for _ in 0..100 {
        let reply = server
            .audit
            .get_phase_statement(proto::GetPhaseStatementRequest {
                phase_id: phase.to_string(),
                at_close: true,
            })
            .await;
        match reply {
            Ok(statement) => return statement.into_inner().note,
            Err(status) if status.code() == tonic::Code::Unavailable => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(status) => panic!("closing statement: {status:?}"),
        }
    }
    panic!("no closing statement was produced");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_written_in_format_v3_restores_into_a_ledger_with_its_events() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let key = matchledger::audit::SigningKey::from_seed("ledger.example/fixture", [7; 32]).unwrap();
    let temp = tempfile::TempDir::new().unwrap();
    let restored_dir = temp.path().join("restored");
    let mut args = restore_args(&fixtures.join("export-v3"), &restored_dir, &key);
    args.public_key = Some(key.verifier_key());
    let summary = restore(&args).expect("a v3 export restores");
    assert_eq!(summary.events, 9);
    let (mut restored, _) = start(&restored_dir).await;
    assert_eq!(common::head(&mut restored).await, 9);
    assert_eq!(stored_events(&mut restored, 0).await.len(), 9);
    restored.stop().await;
}
