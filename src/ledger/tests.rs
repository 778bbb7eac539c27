//! The writer when the disk fails: a write whose sync failed is never acknowledged nor
//! seen by readers, the ledger stops taking writes, and a retry after the restart is
//! posted exactly once, whether or not the failed write reached the disk.

use super::{Ledger, LedgerError, Submission};
use crate::generator::{generate, GeneratedCommand, ProgrammeConfig};

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
    let outcome = ledger.submit(after.clone()).await;
    assert!(
        matches!(outcome, Err(LedgerError::Unavailable(_))),
        "{outcome:?}"
    );
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
