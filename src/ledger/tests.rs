//! The writer at its edges: when the disk fails, a write whose sync failed is never
//! acknowledged nor seen by readers, the ledger stops taking writes, and a retry after the
//! restart is posted exactly once, whether or not the failed write reached the disk; on a
//! clean stop, a long enough tail is snapshotted so that the next start replays nothing.

use super::{Ledger, LedgerError, Submission};
use crate::domain::CommandContext;
use crate::generator::{generate, GeneratedCommand, ProgrammeConfig};
use crate::limits::{BATCH_COMMANDS_MAX, SHUTDOWN_SNAPSHOT_EVENTS_MIN};
use crate::store::Store;

/// The first `count` commands of the seeded programme, each as its own submission.
fn submissions(count: usize) -> Vec<Submission> {
    generate(&ProgrammeConfig::default())
        .into_iter()
        .take(count)
        .map(|generated: GeneratedCommand| {
            let context = generated.context("finance");
            Submission::new(vec![generated.command], context)
        })
        .collect()
}

/// How many stored events the submission's idempotency key produced.
fn events_posted_for(ledger: &Ledger, submission: &Submission) -> usize {
    ledger
        .store()
        .iter_from(1)
        .map(|event| event.expect("readable"))
        .filter(|event| event.meta.idempotency_key == submission.context.idempotency_key)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_sync_is_never_acknowledged_stops_writes_and_a_retry_after_restart_posts_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut submissions = submissions(12);
    let (after, failed) = (
        submissions.pop().expect("12"),
        submissions.pop().expect("11"),
    );
    let ledger = Ledger::open(dir.path()).expect("opens");
    for submission in submissions {
        ledger.submit(submission).await.expect("accepted");
    }
    let head_before = ledger.head();

    ledger.store().fail_syncs();
    let outcome = ledger.submit(failed.clone()).await;
    assert!(
        matches!(outcome, Err(LedgerError::Unavailable(_))),
        "{outcome:?}"
    );
    // Nothing of the failed group is visible, and the writer takes nothing more.
    assert_eq!(ledger.head(), head_before);
    assert_eq!(ledger.store().head().sequence, head_before);
    // A posting after the failure is refused outright, naming it.
    let outcome = ledger.submit(after.clone()).await;
    assert!(
        matches!(&outcome, Err(LedgerError::WriterFailed(reason)) if reason.contains("injected sync failure")),
        "{outcome:?}"
    );
    assert!(matches!(ledger.status(), super::WriteStatus::Failed(_)));
    ledger.shutdown().await;
    drop(ledger);

    let ledger = Ledger::open(dir.path()).expect("reopens");
    let retried = ledger.submit(failed.clone()).await.expect("retry accepted");
    assert!(!retried.events.is_empty());
    assert_eq!(events_posted_for(&ledger, &failed), retried.events.len());
    let again = ledger.submit(failed.clone()).await.expect("replayed");
    assert!(again.replayed);
    assert_eq!(events_posted_for(&ledger, &failed), retried.events.len());
    ledger
        .submit(after)
        .await
        .expect("writes go on after the restart");
    ledger.shutdown().await;
}

/// Posts the programme in atomic batches until the log holds at least `events` events.
async fn post_batches_until(ledger: &Ledger, events: u64) {
    let mut programme = generate(&ProgrammeConfig::default()).into_iter();
    let mut batch = 0;
    while ledger.head() < events {
        let commands: Vec<GeneratedCommand> = programme.by_ref().take(BATCH_COMMANDS_MAX).collect();
        let context = CommandContext {
            idempotency_key: format!("batch-{batch}"),
            ..commands
                .first()
                .expect("the programme is long enough")
                .context("finance")
        };
        let commands = commands.into_iter().map(|g| g.command).collect();
        ledger
            .submit(Submission::new(commands, context))
            .await
            .expect("accepted");
        batch += 1;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_shutdown_snapshots_a_long_tail_so_the_next_start_replays_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ledger = Ledger::open(dir.path()).expect("opens");
    post_batches_until(&ledger, SHUTDOWN_SNAPSHOT_EVENTS_MIN).await;
    let head = ledger.head();
    ledger.shutdown().await;
    drop(ledger);

    let store = Store::open(dir.path()).expect("reopens");
    let (sequence, _) = store
        .load_snapshot()
        .expect("readable")
        .expect("a snapshot was saved at shutdown");
    assert_eq!(sequence, head);
    drop(store);
    let ledger = Ledger::open(dir.path()).expect("starts from the snapshot");
    assert_eq!(ledger.head(), head);
    ledger.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_shutdown_after_a_short_tail_writes_no_snapshot() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ledger = Ledger::open(dir.path()).expect("opens");
    for submission in submissions(20) {
        ledger.submit(submission).await.expect("accepted");
    }
    ledger.shutdown().await;
    drop(ledger);
    let store = Store::open(dir.path()).expect("reopens");
    assert!(store.load_snapshot().expect("readable").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_chain_walk_verifies_every_event_up_to_the_published_head() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ledger = Ledger::open(dir.path()).expect("opens");
    for submission in submissions(30) {
        ledger.submit(submission).await.expect("accepted");
    }
    let (_keep, stopped) = std::sync::mpsc::channel::<()>();

    let walk = super::verification::verify_whole_chain(ledger.store(), &stopped);

    assert_eq!(
        walk,
        super::verification::Walk::Verified(ledger.store().head())
    );
    assert_eq!(ledger.store().head().sequence, ledger.head());
    assert!(ledger.status().is_writable());
    ledger.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_the_background_verification_so_the_directory_reopens() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ledger = Ledger::open(dir.path()).expect("opens");
    for submission in submissions(10) {
        ledger.submit(submission).await.expect("accepted");
    }
    ledger.start_verification(std::time::Duration::from_millis(1));
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;

    ledger.shutdown().await;
    drop(ledger);

    let reopened = Ledger::open(dir.path()).expect("nothing holds the store any more");
    assert_eq!(reopened.status(), super::WriteStatus::Writable);
    reopened.shutdown().await;
}
