//! Surviving the loss of the writer's connection: a database restart, a terminated
//! backend, a network cut. The group caught in flight may or may not have committed;
//! only the database can tell, and only once this node holds the writer's lease again.
//!
//! [`reconnect`] tries again, with a backoff doubling from `POSTGRES_RECONNECT_BACKOFF_MIN`
//! to `POSTGRES_RECONNECT_BACKOFF_MAX`, for as long as the outage lasts: a new connection,
//! the lease retaken on it, the group statement prepared again and the stored head read.
//! The writer (`append.rs`) then resolves the group by that head: the group's own last
//! event means it committed, the head it started from means it did not (and is sent
//! again), anything else means another node wrote, and this one stops writing.
//!
//! While it tries, the store's outage signal says so: health turns NOT_SERVING and
//! postings are refused as UNAVAILABLE, so that clients retry with their idempotency keys.

use std::sync::Arc;

use tokio::sync::watch;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Statement};

use super::bridge::{self, block};
use super::{lease, read};
use crate::limits::{POSTGRES_RECONNECT_BACKOFF_MAX, POSTGRES_RECONNECT_BACKOFF_MIN};
use crate::store::{Head, StoreError};

/// Where the writer reconnects to, and whom it tells while it does.
pub(crate) struct Link<'a> {
    pub(crate) url: &'a str,
    /// `Some(reason)` while the writer is reconnecting.
    pub(crate) outage: &'a watch::Sender<Option<String>>,
}

/// The writer's new connection, on which it holds the lease again.
pub(crate) struct Reconnected {
    pub(crate) client: Arc<Client>,
    pub(crate) statement: Statement,
    /// The server process of the new session (to recognise it as the lease holder).
    pub(crate) process: i32,
    /// The head stored in the database, read under the lease.
    pub(crate) stored: Head,
}

/// Whether `error` on `client` means the session is gone (so the outcome of the
/// statement in flight is unknown), rather than the database refusing the statement on a
/// session that lives on (which still holds the lease: reconnecting could never take it).
pub(crate) fn is_connection_lost(error: &tokio_postgres::Error, client: &Client) -> bool {
    if client.is_closed() {
        return true;
    }
    error.code().is_some_and(|code| {
        code.code().starts_with("08")
            || [
                SqlState::ADMIN_SHUTDOWN,
                SqlState::CRASH_SHUTDOWN,
                SqlState::CANNOT_CONNECT_NOW,
            ]
            .contains(code)
    })
}

/// Connects again until this node holds the writer's lease on a new session, and reads
/// the stored head (see the module documentation). `lost` is the server process of the
/// session that was lost: while the database still shows it holding the lease (it has
/// not noticed yet that the session is gone), this waits; when another session holds
/// it, another node has taken over and this fails.
pub(crate) fn reconnect(
    link: &Link<'_>,
    lost: i32,
    cause: &str,
) -> Result<Reconnected, StoreError> {
    let reason = format!("the writer lost its database connection ({cause}); reconnecting");
    tracing::warn!(%reason, "writer waiting for the database");
    link.outage.send_replace(Some(reason));
    let mut pause = POSTGRES_RECONNECT_BACKOFF_MIN;
    let mut attempts = 0u64;
    let outcome = loop {
        attempts += 1;
        match attempt(link.url, lost) {
            Ok(Attempt::Reconnected(reconnected)) => break Ok(*reconnected),
            Ok(Attempt::LeaseStillHeld) => {}
            Ok(Attempt::TakenOver(holder)) => {
                break Err(StoreError::Refused(format!(
                    "another node took the writer's lease (server process {holder}) while \
                     this one was reconnecting: this node stops writing"
                )))
            }
            Err(error) => {
                if attempts % 10 == 1 {
                    tracing::warn!(%error, attempts, "the database cannot be reached yet");
                }
            }
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(POSTGRES_RECONNECT_BACKOFF_MAX);
    };
    link.outage.send_replace(None);
    if let Ok(reconnected) = &outcome {
        tracing::info!(
            attempts,
            head = reconnected.stored.sequence,
            "writer reconnected and holds the lease again"
        );
    }
    outcome
}

/// What one attempt to reconnect found.
enum Attempt {
    Reconnected(Box<Reconnected>),
    /// The lost session still holds the lease (or one that just let go did).
    LeaseStillHeld,
    /// Another session, the server process named, holds the lease.
    TakenOver(i32),
}

/// One attempt; an error means the database could not be reached (try again).
fn attempt(url: &str, lost: i32) -> Result<Attempt, StoreError> {
    let client = Arc::new(bridge::connect(url, "writer")?);
    if !lease::try_take(&client)? {
        return Ok(match lease::holder_process(&client)? {
            Some(holder) if holder != lost => Attempt::TakenOver(holder),
            _ => Attempt::LeaseStillHeld,
        });
    }
    let process = lease::own_process(&client)?;
    let stored = read::stored_head(&client)?;
    let preparing = Arc::clone(&client);
    let statement = block(async move { preparing.prepare(super::append::APPEND_GROUP).await })?
        .map_err(bridge::error)?;
    Ok(Attempt::Reconnected(Box::new(Reconnected {
        client,
        statement,
        process,
        stored,
    })))
}
