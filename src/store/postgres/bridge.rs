//! The bridge between the synchronous store API and the async PostgreSQL client.
//!
//! The store is called from the writer's and the sync stage's OS threads, from blocking
//! tasks and, for short reads, from async handlers. tokio-postgres needs a runtime to
//! drive its connections, and `block_on` inside another runtime panics; so the client
//! lives on a small runtime of its own ([`runtime`], two threads for the whole process),
//! and a call hands its future to it and waits on a plain channel ([`block`]). The
//! waiting thread is never one of that runtime's, so the connection keeps being driven.

use std::future::Future;
use std::sync::OnceLock;

use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config, NoTls};

use crate::limits::POSTGRES_CONNECT_TIMEOUT;
use crate::store::StoreError;

/// Threads of the client runtime: one drives the writer's connection while the other
/// serves readers; the work is network I/O, not CPU.
const CLIENT_THREADS: usize = 2;

/// The process-wide runtime of PostgreSQL connections, built on first use and never
/// dropped (dropping a runtime inside an async context panics; this one lives as long as
/// the process).
fn runtime() -> Result<&'static tokio::runtime::Runtime, StoreError> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(CLIENT_THREADS)
                .thread_name("postgres-client")
                .enable_all()
                .build()
                .map_err(|error| format!("cannot start the client runtime: {error}"))
        })
        .as_ref()
        .map_err(|error| StoreError::Postgres(error.clone()))
}

/// Runs `future` on the client runtime and waits for its output on this thread.
pub(crate) fn block<T: Send + 'static>(
    future: impl Future<Output = T> + Send + 'static,
) -> Result<T, StoreError> {
    let (sender, receiver) = std::sync::mpsc::sync_channel(1);
    runtime()?.spawn(async move {
        // The caller may have gone (it never does: it waits below); nothing to tell then.
        let _ = sender.send(future.await);
    });
    receiver
        .recv()
        .map_err(|_| StoreError::Postgres("the database call was dropped unanswered".into()))
}

/// Connects to `url` and drives the connection on the client runtime. `role` names the
/// connection in `pg_stat_activity` (`matchledger writer`, `matchledger reader`).
pub(crate) fn connect(url: &str, role: &str) -> Result<Client, StoreError> {
    let mut config: Config = url
        .parse()
        .map_err(|error| StoreError::Postgres(format!("the database URL is invalid: {error}")))?;
    config
        .application_name(format!("matchledger {role}"))
        .connect_timeout(POSTGRES_CONNECT_TIMEOUT);
    let role = role.to_string();
    block(async move {
        let (client, connection) = config.connect(NoTls).await?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::warn!(connection = %role, error = %describe(&error), "database connection lost");
            }
        });
        Ok::<Client, tokio_postgres::Error>(client)
    })?
    .map_err(error)
}

/// A client error as a store error, with the server's message and detail when it sent one.
pub(crate) fn error(error: tokio_postgres::Error) -> StoreError {
    StoreError::Postgres(describe(&error))
}

/// The server's message, detail and constraint, or the client's own description.
pub(crate) fn describe(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => {
            let mut text = format!("{}: {}", db.code().code(), db.message());
            if let Some(detail) = db.detail() {
                text.push_str(&format!(" ({detail})"));
            }
            text
        }
        None => error.to_string(),
    }
}

/// Whether `error` is the database refusing rows that would not continue the log: a
/// sequence already taken (another writer appended) or a link to an event that is not
/// the stored one.
pub(crate) fn is_chain_refusal(error: &tokio_postgres::Error) -> bool {
    matches!(
        error.code(),
        Some(code) if *code == SqlState::UNIQUE_VIOLATION
            || *code == SqlState::FOREIGN_KEY_VIOLATION
            || *code == SqlState::RAISE_EXCEPTION
    )
}

/// A sequence or count as PostgreSQL's `bigint`.
pub(crate) fn to_bigint(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value)
        .map_err(|_| StoreError::Refused(format!("{value} does not fit a PostgreSQL bigint")))
}

/// A stored `bigint` that must not be negative, as `u64`.
pub(crate) fn from_bigint(record: &'static str, value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::record(record, format!("negative value {value}")))
}

/// A stored 32-byte hash.
pub(crate) fn hash32(record: &'static str, bytes: &[u8]) -> Result<[u8; 32], StoreError> {
    <[u8; 32]>::try_from(bytes)
        .map_err(|_| StoreError::record(record, format!("a hash of {} bytes", bytes.len())))
}
