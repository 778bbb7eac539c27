//! Backup and restore against the real server on loopback: a backup taken under load
//! restores to a ledger with the same events, bytes, root, signed heads, cosignatures,
//! idempotency answers and balances; `--follow` catches up and resumes; a directory whose
//! raw `db` bytes were damaged is restored from its backup with nothing lost; a backup or
//! export with one flipped byte is refused, naming the event, and nothing is written.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{contribute, options_with_key, programme, record_match, Programme, Setup, TestServer};
use matchledger::api::proto::{
    self, AsOf, ListPhaseBalancesRequest, ListSignedHeadsRequest, ReadStoredEventsRequest,
};
use matchledger::api::server::ServerConfig;
use matchledger::api::witness_keys::WitnessKeys;
use matchledger::audit::{self, SigningKey};
use matchledger::cli::backup::format::{BackupManifest, EVENTS_FILE};
use matchledger::cli::backup::source::Source;
use matchledger::cli::backup::{backup_until, restore, BackupArgs, RestoreArgs};
use matchledger::cli::check::{check, CheckArgs};
use matchledger::cli::signing_key;
use matchledger::cli::verifiable::export::{export, ExportArgs};
use matchledger::verifiable::export::verify_export;

const ORIGIN: &str = "ledger.example/backup";

fn witness() -> SigningKey {
    SigningKey::from_seed("witness.example/w1", [9; 32]).unwrap()
}

/// A server on `dir` signing with the key kept in `dir` and accepting the test witness.
async fn start(dir: &Path) -> (TestServer, SigningKey) {
    start_at(dir, "127.0.0.1:0").await
}

/// Like [`start`], listening on `address`.
async fn start_at(dir: &Path, address: &str) -> (TestServer, SigningKey) {
    let key = signing_key::load_or_create(dir, None, ORIGIN).unwrap();
    let setup = Setup {
        config: ServerConfig {
            signing_key: Some(key.clone()),
            witness_keys: Some(WitnessKeys::parse(&witness().cosignature_verifier_key()).unwrap()),
            ..ServerConfig::default()
        },
        client_tls: None,
    };
    (TestServer::start_at(dir, setup, address).await, key)
}

/// A one-shot backup of `server` into `out`.
async fn take(server: &TestServer, out: &Path) -> u64 {
    let args = BackupArgs {
        out: out.to_path_buf(),
        follow: false,
        public_key: None,
    };
    backup_until(&server.address, &args, std::future::pending())
        .await
        .expect("backup")
        .tree_size
}

fn restore_args(from: &Path, data_dir: &Path, key: &SigningKey) -> RestoreArgs {
    RestoreArgs {
        from: from.to_path_buf(),
        data_dir: data_dir.to_path_buf(),
        public_key: None,
        signing_key: Some(key_file(data_dir.parent().unwrap(), key)),
    }
}

/// The key written to a file of its own in `dir`.
fn key_file(dir: &Path, key: &SigningKey) -> PathBuf {
    let path = dir.join("log.key");
    if !path.exists() {
        signing_key::write_private(&path, key).unwrap();
    }
    path
}

async fn stored_events(server: &mut TestServer, count: u64) -> Vec<proto::StoredEvent> {
    let mut stream = server
        .audit
        .read_stored_events(ReadStoredEventsRequest {
            from_sequence: 1,
            limit: count,
        })
        .await
        .unwrap()
        .into_inner();
    let mut events = Vec::new();
    while let Some(event) = stream.message().await.unwrap() {
        events.push(event);
    }
    events
}

async fn signed_heads(server: &mut TestServer, to: u64) -> Vec<proto::KeptSignedHead> {
    let request = ListSignedHeadsRequest {
        from_tree_size: 0,
        to_tree_size: to,
    };
    let mut stream = server
        .audit
        .list_signed_heads(request)
        .await
        .unwrap()
        .into_inner();
    let mut heads = Vec::new();
    while let Some(head) = stream.message().await.unwrap() {
        heads.push(head);
    }
    heads
}

async fn balances(server: &mut TestServer, sequence: u64) -> ListPhaseBalancesResponseView {
    let reply = server
        .query
        .list_phase_balances(ListPhaseBalancesRequest {
            as_of: Some(AsOf {
                point: Some(proto::as_of::Point::Sequence(sequence)),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    format!("{:?}", reply.phases)
}

/// Balances compared as their debug text: every field of every phase.
type ListPhaseBalancesResponseView = String;

/// Contributions posted one after another until told to stop; returns how many.
fn load(
    server: &TestServer,
    programme: &Programme,
) -> (
    tokio::sync::watch::Sender<bool>,
    tokio::task::JoinHandle<u64>,
) {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut posting = server.posting.clone();
    let (phase, contributor) = (programme.phase.clone(), programme.contributor.clone());
    let task = tokio::spawn(async move {
        let mut posted = 0;
        while !*stopped.borrow() {
            posting
                .record_contribution(proto::RecordContributionRequest {
                    options: common::options(),
                    command: Some(proto::RecordContribution {
                        contribution_id: String::new(),
                        phase_id: phase.clone(),
                        contributor_id: contributor.clone(),
                        amount: common::krw("1000"),
                    }),
                })
                .await
                .expect("posted under load");
            posted += 1;
        }
        posted
    });
    (stop, task)
}

/// Hands a witness cosignature of the latest head to the server; returns its size.
async fn cosign_latest(server: &mut TestServer) -> u64 {
    let head = server
        .audit
        .get_tree_head(proto::GetTreeHeadRequest { tree_size: 0 })
        .await
        .unwrap()
        .into_inner();
    let checkpoint =
        audit::Checkpoint::parse_body(&audit::SignedNote::parse(&head.note).unwrap().text).unwrap();
    let line = audit::cosign(&checkpoint, &witness(), 1_700_000_000).unwrap();
    server
        .audit
        .add_cosignature(proto::AddCosignatureRequest {
            checkpoint: checkpoint.to_body(),
            cosignature: line,
        })
        .await
        .expect("cosignature kept");
    head.size
}

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
async fn follow_catches_up_as_events_commit_and_resumes_after_both_sides_restart() {
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("data");
    let backup = temp.path().join("backup");
    let (mut server, _key) = start(&data).await;
    let programme = programme(&mut server).await;
    let follower = follow(&server, &backup);
    for _ in 0..5 {
        contribute(&mut server, &programme, "1000").await;
    }
    let head = common::head(&mut server).await;
    wait_for_size(&backup, head).await;
    let held = std::fs::read(backup.join(EVENTS_FILE)).unwrap();
    // A witness cosigns the head the backup is at, after the backup took it.
    let cosigned = cosign_latest(&mut server).await;
    assert_eq!(cosigned, head);

    // The server restarts under the running follower, on the same address.
    let address = server.address.trim_start_matches("http://").to_string();
    server.stop().await;
    let (mut server, _key) = start_at(&data, &address).await;
    for _ in 0..3 {
        contribute(&mut server, &programme, "1000").await;
    }
    let head = common::head(&mut server).await;
    wait_for_size(&backup, head).await;

    let source = Source::open(&backup, None).unwrap();
    let kept = source
        .heads
        .iter()
        .find(|h| h.tree_size == cosigned)
        .unwrap();
    assert_eq!(
        kept.cosignatures.len(),
        1,
        "the next round took the cosignature"
    );

    // The follower restarts and resumes from the backup's own head.
    follower.stop().await;
    let follower = follow(&server, &backup);
    for _ in 0..3 {
        contribute(&mut server, &programme, "1000").await;
    }
    let head = common::head(&mut server).await;
    wait_for_size(&backup, head).await;
    let grown = std::fs::read(backup.join(EVENTS_FILE)).unwrap();
    assert!(grown.len() > held.len());
    assert_eq!(
        &grown[..held.len()],
        &held[..],
        "what was held is never rewritten"
    );
    follower.stop().await;
    server.stop().await;
    let source = Source::open(&backup, None).unwrap();
    let verified = source.verify(|_| {}).unwrap();
    assert_eq!(verified.events, head, "the followed backup verifies");
    assert_eq!(
        verified.fingerprints_unknown, 0,
        "every round took its commands' records"
    );
    let kept = source
        .heads
        .iter()
        .find(|h| h.tree_size == cosigned)
        .unwrap();
    assert_eq!(
        kept.cosignatures.len(),
        1,
        "a later cosignature is backed up too"
    );
}

/// A `backup --follow` running in the background.
struct Follower {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<matchledger::cli::backup::RoundReport>>,
}

impl Follower {
    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap().expect("follow ends cleanly");
    }
}

fn follow(server: &TestServer, out: &Path) -> Follower {
    let args = BackupArgs {
        out: out.to_path_buf(),
        follow: true,
        public_key: None,
    };
    let address = server.address.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        backup_until(&address, &args, async {
            let _ = stopped.await;
        })
        .await
    });
    Follower { stop, task }
}

async fn wait_for_size(backup: &Path, size: u64) {
    for _ in 0..300 {
        if let Ok(Some(manifest)) = BackupManifest::read(backup) {
            if manifest.tree_size >= size {
                assert_eq!(manifest.tree_size, size);
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the backup did not reach size {size}");
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
    restore(&restore_args(&backup, &restored_dir, &key)).expect("restore");
    let (mut restored, _) = start(&restored_dir).await;
    assert_eq!(
        stored_events(&mut restored, 0).await,
        acknowledged,
        "nothing lost"
    );
    assert_eq!(balances(&mut restored, head).await, balances_before);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_records_of_more_keys_than_the_limit_are_refused_naming_it() {
    let mut server = TestServer::start().await;
    let keys =
        vec![String::from("local\u{0}k"); matchledger::limits::BACKUP_IDEMPOTENCY_KEYS_MAX + 1];
    let refused = server
        .audit
        .read_idempotency_records(proto::ReadIdempotencyRecordsRequest {
            from_sequence: 1,
            to_sequence: 0,
            scoped_keys: keys,
        })
        .await
        .expect_err("too many keys");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(
        refused.message().contains("BACKUP_IDEMPOTENCY_KEYS_MAX")
            || format!("{refused:?}").contains("BACKUP_IDEMPOTENCY_KEYS_MAX"),
        "{refused:?}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_token_reads_everything_a_backup_needs_and_no_token_reads_nothing() {
    use matchledger::api::guard::Authentication;
    use matchledger::api::principals::{add_principal, Principals};
    use matchledger::domain::Role;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("principals.toml");
    let token = add_principal(&path, "external-auditor", &[Role::Auditor], false)
        .unwrap()
        .unwrap();
    let principals = Principals::load(&path).unwrap();
    let server = TestServer::start_with(Setup {
        config: ServerConfig {
            authentication: Authentication::Principals(std::sync::Arc::new(principals)),
            ..ServerConfig::default()
        },
        client_tls: None,
    })
    .await;
    let mut auditor = server.clients(Some(&token)).audit;
    auditor
        .get_tree_head(proto::GetTreeHeadRequest { tree_size: 0 })
        .await
        .expect("an auditor gets the head");
    let heads = auditor
        .list_signed_heads(ListSignedHeadsRequest::default())
        .await
        .expect("an auditor lists the heads");
    assert!(heads.into_inner().message().await.unwrap().is_some());
    auditor
        .list_closing_statements(proto::ListClosingStatementsRequest::default())
        .await
        .expect("an auditor lists the statements");
    auditor
        .read_idempotency_records(proto::ReadIdempotencyRecordsRequest::default())
        .await
        .expect("an auditor reads the idempotency records");

    let mut anonymous = server.clients(None).audit;
    let refused = anonymous
        .list_signed_heads(ListSignedHeadsRequest::default())
        .await
        .expect_err("no token");
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    let refused = anonymous
        .read_idempotency_records(proto::ReadIdempotencyRecordsRequest::default())
        .await
        .expect_err("no token");
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    server.stop().await;
}
