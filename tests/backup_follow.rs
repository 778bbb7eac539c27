//! `backup --follow` against the real server on loopback: it catches up as events
//! commit, takes a cosignature added after its round, survives a server restart under it
//! and resumes after its own restart without rewriting what it held; a second backup of
//! the same directory is refused meanwhile. And the reads a backup makes: open to an
//! auditor's token, closed without one, bounded in the keys one request may name.

mod common;

use std::path::Path;
use std::time::Duration;

use common::backup::*;
use common::{contribute, programme, Setup, TestServer};
use matchledger::api::proto::{self, ListSignedHeadsRequest};
use matchledger::api::server::ServerConfig;
use matchledger::cli::backup::format::{BackupManifest, EVENTS_FILE};
use matchledger::cli::backup::source::Source;
use matchledger::cli::backup::{backup_until, BackupArgs};

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
    let second = BackupArgs {
        out: backup.clone(),
        follow: false,
        public_key: None,
    };
    let refused = backup_until(&server.address, &second, std::future::pending())
        .await
        .expect_err("a second backup of the same directory");
    assert!(
        refused.to_string().contains("another backup"),
        "{refused:#}"
    );

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_started_before_its_server_waits_for_it_and_catches_up() {
    let temp = tempfile::tempdir().unwrap();
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = free.local_addr().unwrap().to_string();
    drop(free);
    let backup = temp.path().join("backup");
    let args = BackupArgs {
        out: backup.clone(),
        follow: true,
        public_key: None,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let target = format!("http://{address}");
    let task = tokio::spawn(async move {
        backup_until(&target, &args, async {
            let _ = stopped.await;
        })
        .await
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (mut server, _key) = start_at(&temp.path().join("data"), &address).await;
    let programme = programme(&mut server).await;
    contribute(&mut server, &programme, "1000").await;
    let head = common::head(&mut server).await;
    wait_for_size(&backup, head).await;
    let _ = stop.send(());
    assert_eq!(task.await.unwrap().unwrap().tree_size, head);
    server.stop().await;
}
