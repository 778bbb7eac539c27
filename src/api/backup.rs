//! The audit service's backup reads: every kept signed head with its cosignatures, every
//! closing statement and the idempotency records of a range of sequences, streamed from
//! the store by a blocking thread that waits when the client is slow.

use std::pin::Pin;

use futures::Stream;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Code, Status};

use super::proto::{
    KeptClosingStatement, KeptIdempotencyRecord, KeptSignedHead, ListClosingStatementsRequest,
    ListSignedHeadsRequest, ReadIdempotencyRecordsRequest,
};
use super::status::over_limit;
use crate::limits::{BACKUP_HEADS_PAGE_MAX, BACKUP_IDEMPOTENCY_KEYS_MAX};
use crate::store::{IdempotencyRecord, Store};

/// Records buffered per stream before the reading thread waits for the client.
const STREAM_BUFFER_RECORDS: usize = 256;

/// A server stream of one kind of kept record.
pub type RecordStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// Runs `produce` on a blocking thread feeding a stream; it gets a `send` that returns
/// false once the client has gone, and its error ends the stream.
fn stream_from<T: Send + 'static>(
    produce: impl FnOnce(&dyn Fn(T) -> bool) -> Result<(), Status> + Send + 'static,
) -> RecordStream<T> {
    let (sender, receiver) = mpsc::channel(STREAM_BUFFER_RECORDS);
    tokio::task::spawn_blocking(move || {
        let send = |item: T| sender.blocking_send(Ok(item)).is_ok();
        if let Err(status) = produce(&send) {
            let _ = sender.blocking_send(Err(status));
        }
    });
    Box::pin(ReceiverStream::new(receiver))
}

fn internal(error: crate::store::StoreError) -> Status {
    Status::internal(error.to_string())
}

/// `ListSignedHeads`: heads of size `from_tree_size..=to_tree_size` (every one above
/// `from` when `to` is zero), smallest first, read a page at a time.
pub fn signed_heads(store: Store, request: ListSignedHeadsRequest) -> RecordStream<KeptSignedHead> {
    let to = match request.to_tree_size {
        0 => u64::MAX,
        to => to,
    };
    stream_from(move |send| {
        let mut from = request.from_tree_size;
        loop {
            let page = store
                .signed_heads_since(from, BACKUP_HEADS_PAGE_MAX)
                .map_err(internal)?;
            let full = page.len() == BACKUP_HEADS_PAGE_MAX;
            for head in page {
                if head.tree_size > to {
                    return Ok(());
                }
                from = head.tree_size.saturating_add(1);
                let kept = KeptSignedHead {
                    tree_size: head.tree_size,
                    timestamp: head.timestamp,
                    note: head.note,
                    cosignatures: head.cosignatures,
                };
                if !send(kept) {
                    return Ok(());
                }
            }
            if !full {
                return Ok(());
            }
        }
    })
}

/// `ListClosingStatements`: every kept statement at `to_tree_size` or below (all when zero).
pub fn closing_statements(
    store: Store,
    request: ListClosingStatementsRequest,
) -> RecordStream<KeptClosingStatement> {
    let to = match request.to_tree_size {
        0 => u64::MAX,
        to => to,
    };
    stream_from(move |send| {
        for (phase, statement) in store.closing_statements().map_err(internal)? {
            if statement.tree_size > to {
                continue;
            }
            let kept = KeptClosingStatement {
                phase_id: phase.to_string(),
                tree_size: statement.tree_size,
                note: statement.note,
            };
            if !send(kept) {
                break;
            }
        }
        Ok(())
    })
}

/// `ReadIdempotencyRecords`: the records of commands whose first event is in the range
/// asked for, up to the durable head; of the keys named, or of every key when none is.
pub fn idempotency_records(
    store: Store,
    request: ReadIdempotencyRecordsRequest,
) -> Result<RecordStream<KeptIdempotencyRecord>, Status> {
    if request.scoped_keys.len() > BACKUP_IDEMPOTENCY_KEYS_MAX {
        return Err(over_limit(
            Code::InvalidArgument,
            "BACKUP_IDEMPOTENCY_KEYS_MAX",
            format!(
                "{} scoped keys named; at most {BACKUP_IDEMPOTENCY_KEYS_MAX} per request",
                request.scoped_keys.len()
            ),
        ));
    }
    let from = request.from_sequence.max(1);
    let to = match request.to_sequence {
        0 => u64::MAX,
        to => to,
    };
    let kept = |scoped_key: String, record: IdempotencyRecord| KeptIdempotencyRecord {
        scoped_key,
        fingerprint: record.fingerprint.to_vec(),
        first_sequence: record.first_sequence,
        event_count: record.event_count,
    };
    Ok(stream_from(move |send| {
        if request.scoped_keys.is_empty() {
            return store
                .visit_idempotency(from, to, |key, record| send(kept(key, record)))
                .map_err(internal);
        }
        let to = to.min(store.head().sequence);
        for key in request.scoped_keys {
            let Some(record) = store.idempotency(&key).map_err(internal)? else {
                continue;
            };
            if (from..=to).contains(&record.first_sequence) && !send(kept(key, record)) {
                break;
            }
        }
        Ok(())
    }))
}
