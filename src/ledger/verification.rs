//! Background verification of the whole chain: at start-up and then every interval, a
//! low-priority thread re-reads every event up to the published head, recomputing each
//! hash, checking each link and payload, and checking that the chain ends at the head's
//! hash. Open re-checks only the events after the last verified checkpoint, so this is
//! what finds damage in the rest without waiting for a reader to reach it. Damage found
//! turns the store read-only (`store/read_damage.rs`) and so the posting service's health
//! to NOT_SERVING. Readers and the writer go on meanwhile: the walk reads up to the head
//! published when it started, like any reader.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::limits::{VERIFY_PROGRESS_INTERVAL, VERIFY_STOP_CHECK_EVENTS};
use crate::store::{Head, Store, StoreError};

/// The running verification thread, stopped and joined by [`Verifier::stop`].
pub(crate) struct Verifier {
    stop: mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Verifier {
    /// Starts verifying `store` now and then every `interval`; `None` when the thread
    /// could not start (logged: the log stays verified at open and by readers).
    pub(crate) fn start(store: Store, interval: Duration) -> Option<Verifier> {
        let (stop, stopped) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("ledger-verify".into())
            .spawn(move || {
                super::snapshot::yield_to_the_writer();
                run(&store, interval, &stopped);
            });
        match spawned {
            Ok(thread) => Some(Verifier { stop, thread }),
            Err(error) => {
                tracing::warn!(%error, "background verification not started");
                None
            }
        }
    }

    /// Stops the walk at the next check and waits for the thread, which then holds the
    /// store no longer.
    pub(crate) fn stop(self) {
        drop(self.stop);
        let _ = self.thread.join();
    }
}

/// How one walk ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Walk {
    /// Every event up to this head verified.
    Verified(Head),
    /// The store is read-only: damage was found now or before.
    Damaged,
    /// A failure that is not damage (an I/O error); tried again at the next interval.
    Failed(String),
    /// Asked to stop.
    Stopped,
}

fn run(store: &Store, interval: Duration, stopped: &mpsc::Receiver<()>) {
    loop {
        match verify_whole_chain(store, stopped) {
            Walk::Stopped | Walk::Damaged => return,
            Walk::Verified(_) | Walk::Failed(_) => {}
        }
        match stopped.recv_timeout(interval) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Walks the chain from the first event to the head published now, logging progress.
pub(crate) fn verify_whole_chain(store: &Store, stopped: &mpsc::Receiver<()>) -> Walk {
    if store.damage().is_some() {
        return Walk::Damaged;
    }
    let head = store.head();
    let started = Instant::now();
    let mut logged = started;
    tracing::info!(head = head.sequence, "verifying the whole event log");
    let mut last = Head::EMPTY;
    for event in store.iter_from(1) {
        // A read error that is damage has made the store read-only already.
        let event = match event {
            Ok(event) => event,
            Err(error) => return failed(store, &error),
        };
        last = Head {
            sequence: event.sequence,
            hash: event.hash,
        };
        if last.sequence % VERIFY_STOP_CHECK_EVENTS == 0 {
            if asked_to_stop(stopped) {
                return Walk::Stopped;
            }
            if logged.elapsed() >= VERIFY_PROGRESS_INTERVAL {
                logged = Instant::now();
                tracing::info!(
                    verified = last.sequence,
                    head = head.sequence,
                    "verifying the whole event log"
                );
            }
        }
        if last.sequence == head.sequence {
            break;
        }
    }
    if last != head {
        let error = StoreError::corrupt(
            head.sequence,
            format!(
                "the chain ends at sequence {} with hash {}, not at the published head",
                last.sequence,
                hex::encode(last.hash)
            ),
        );
        store.note_read_failure(&error);
        return failed(store, &error);
    }
    tracing::info!(
        head = head.sequence,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "whole event log verified"
    );
    Walk::Verified(head)
}

fn failed(store: &Store, error: &StoreError) -> Walk {
    match store.damage() {
        Some(damage) => {
            tracing::error!(%damage, "background verification found the event log damaged");
            Walk::Damaged
        }
        None => {
            tracing::warn!(%error, "background verification could not finish; it will retry");
            Walk::Failed(error.to_string())
        }
    }
}

fn asked_to_stop(stopped: &mpsc::Receiver<()>) -> bool {
    !matches!(stopped.try_recv(), Err(mpsc::TryRecvError::Empty))
}
