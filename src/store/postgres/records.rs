//! The records beside the log in PostgreSQL: idempotency and external-reference lookups,
//! what the log signed (tree heads, cosignatures, closing statements) and the projection
//! snapshot. Each write is one committed statement or transaction, durable when it
//! returns, as on sled.

use super::bridge::{self, block, from_bigint, hash32, to_bigint};
use super::Shared;
use crate::domain::PhaseId;
use crate::limits::POSTGRES_SNAPSHOT_CHUNK_BYTES;
use crate::store::{codec, ClosingStatement, Head, IdempotencyRecord, StoreError, StoredHead};

/// The record under a scoped idempotency key. The writer's own groups are committed
/// before it looks again, so it sees them.
pub(crate) fn idempotency(
    shared: &Shared,
    scoped_key: &str,
) -> Result<Option<IdempotencyRecord>, StoreError> {
    let key = scoped_key.as_bytes().to_vec();
    let row = shared.call(move |client| async move {
        client
            .query_opt(
                "SELECT fingerprint, first_sequence, event_count FROM idempotency \
                 WHERE scoped_key = $1",
                &[&key],
            )
            .await
    })?;
    let Some(row) = row else { return Ok(None) };
    let name = "idempotency record";
    Ok(Some(IdempotencyRecord {
        fingerprint: hash32(name, row.get(0))?,
        first_sequence: from_bigint(name, row.get(1))?,
        event_count: u32::try_from(row.get::<_, i32>(2))
            .map_err(|_| StoreError::record(name, "a negative event count"))?,
    }))
}

/// Sequences of up to `limit` events carrying `external_ref`, in log order, up to the
/// published head.
pub(crate) fn by_external_ref(
    shared: &Shared,
    external_ref: &str,
    limit: usize,
) -> Result<Vec<u64>, StoreError> {
    let reference = external_ref.as_bytes().to_vec();
    let head = to_bigint(shared.head().sequence)?;
    // A limit past bigint is no limit at all.
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = shared.call(move |client| async move {
        client
            .query(
                "SELECT sequence FROM external_refs WHERE external_ref = $1 AND sequence <= $2 \
                 ORDER BY sequence LIMIT $3",
                &[&reference, &head, &limit],
            )
            .await
    })?;
    rows.iter()
        .map(|row| from_bigint("external reference", row.get(0)))
        .collect()
}

/// Keeps the head signed at `tree_size`, replacing one kept for that size before.
pub(crate) fn put_signed_head(
    shared: &Shared,
    tree_size: u64,
    timestamp: u64,
    note: &str,
) -> Result<(), StoreError> {
    let (size, signed_at, note) = (
        to_bigint(tree_size)?,
        to_bigint(timestamp)?,
        note.to_string(),
    );
    shared.call(move |client| async move {
        client
            .execute(
                "INSERT INTO signed_heads (tree_size, signed_at, note) VALUES ($1, $2, $3) \
                 ON CONFLICT (tree_size) DO UPDATE SET signed_at = $2, note = $3",
                &[&size, &signed_at, &note],
            )
            .await
    })?;
    Ok(())
}

/// Keeps a witness's cosignature of the head at `tree_size`, replacing its earlier one.
pub(crate) fn add_cosignature(
    shared: &Shared,
    tree_size: u64,
    witness: &str,
    line: &str,
) -> Result<(), StoreError> {
    let (size, witness, line) = (to_bigint(tree_size)?, witness.to_string(), line.to_string());
    shared.call(move |client| async move {
        client
            .execute(
                "INSERT INTO cosignatures (tree_size, witness, line) VALUES ($1, $2, $3) \
                 ON CONFLICT (tree_size, witness) DO UPDATE SET line = $3",
                &[&size, &witness, &line],
            )
            .await
    })?;
    Ok(())
}

/// Up to `limit` signed heads from `from` (up to `to` when given), smallest first, each
/// with its cosignatures in witness byte order (as sled's keys sort them).
pub(crate) fn signed_heads(
    shared: &Shared,
    from: u64,
    to: Option<u64>,
    limit: usize,
) -> Result<Vec<StoredHead>, StoreError> {
    // No head was signed past bigint: a size beyond it finds nothing, as on sled.
    let Ok(from) = i64::try_from(from) else {
        return Ok(Vec::new());
    };
    let to = i64::try_from(to.unwrap_or(u64::MAX)).unwrap_or(i64::MAX);
    // A limit past bigint is no limit at all.
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let (heads, cosignatures) = shared.call(move |client| async move {
        let heads = client
            .query(
                "SELECT tree_size, signed_at, note FROM signed_heads \
                 WHERE tree_size BETWEEN $1 AND $2 ORDER BY tree_size LIMIT $3",
                &[&from, &to, &limit],
            )
            .await?;
        let sizes: Vec<i64> = heads.iter().map(|row| row.get(0)).collect();
        let cosignatures = client
            .query(
                "SELECT tree_size, line FROM cosignatures WHERE tree_size = ANY($1) \
                 ORDER BY tree_size, witness COLLATE \"C\"",
                &[&sizes],
            )
            .await?;
        Ok((heads, cosignatures))
    })?;
    let name = "signed head";
    let mut stored = Vec::with_capacity(heads.len());
    for row in heads {
        stored.push(StoredHead {
            tree_size: from_bigint(name, row.get(0))?,
            timestamp: from_bigint(name, row.get(1))?,
            note: row.get(2),
            cosignatures: Vec::new(),
        });
    }
    for row in cosignatures {
        let size = from_bigint("cosignature", row.get(0))?;
        if let Some(head) = stored.iter_mut().find(|head| head.tree_size == size) {
            head.cosignatures.push(row.get(1));
        }
    }
    Ok(stored)
}

/// The size of the largest signed head.
pub(crate) fn latest_signed_size(shared: &Shared) -> Result<Option<u64>, StoreError> {
    let row = shared.call(move |client| async move {
        client
            .query_one("SELECT max(tree_size) FROM signed_heads", &[])
            .await
    })?;
    row.get::<_, Option<i64>>(0)
        .map(|size| from_bigint("signed head", size))
        .transpose()
}

/// Keeps the statement signed when `phase` closed.
pub(crate) fn put_closing_statement(
    shared: &Shared,
    phase: PhaseId,
    statement: &ClosingStatement,
) -> Result<(), StoreError> {
    let phase = phase.as_uuid();
    let (size, note) = (to_bigint(statement.tree_size)?, statement.note.clone());
    shared.call(move |client| async move {
        client
            .execute(
                "INSERT INTO closing_statements (phase_id, tree_size, note) VALUES ($1, $2, $3) \
                 ON CONFLICT (phase_id) DO UPDATE SET tree_size = $2, note = $3",
                &[&phase, &size, &note],
            )
            .await
    })?;
    Ok(())
}

/// The statement signed when `phase` closed.
pub(crate) fn closing_statement(
    shared: &Shared,
    phase: PhaseId,
) -> Result<Option<ClosingStatement>, StoreError> {
    let phase = phase.as_uuid();
    let row = shared.call(move |client| async move {
        client
            .query_opt(
                "SELECT tree_size, note FROM closing_statements WHERE phase_id = $1",
                &[&phase],
            )
            .await
    })?;
    row.map(|row| {
        Ok(ClosingStatement {
            tree_size: from_bigint("closing statement", row.get(0))?,
            note: row.get(1),
        })
    })
    .transpose()
}

/// Every closing statement, in phase-id order.
pub(crate) fn closing_statements(
    shared: &Shared,
) -> Result<Vec<(PhaseId, ClosingStatement)>, StoreError> {
    let rows = shared.call(move |client| async move {
        client
            .query(
                "SELECT phase_id, tree_size, note FROM closing_statements ORDER BY phase_id",
                &[],
            )
            .await
    })?;
    rows.iter()
        .map(|row| {
            Ok((
                PhaseId::from_uuid(row.get(0)),
                ClosingStatement {
                    tree_size: from_bigint("closing statement", row.get(1))?,
                    note: row.get(2),
                },
            ))
        })
        .collect()
}

/// The idempotency records whose first event is in `from..=to`, in key order.
pub(crate) fn idempotency_between(
    shared: &Shared,
    from: u64,
    to: u64,
) -> Result<Vec<(String, IdempotencyRecord)>, StoreError> {
    let (from, to) = (to_bigint(from)?, to_bigint(to)?);
    let rows = shared.call(move |client| async move {
        client
            .query(
                "SELECT scoped_key, fingerprint, first_sequence, event_count FROM idempotency \
                 WHERE first_sequence BETWEEN $1 AND $2 ORDER BY scoped_key",
                &[&from, &to],
            )
            .await
    })?;
    let name = "idempotency record";
    rows.iter()
        .map(|row| {
            let key = String::from_utf8(row.get::<_, Vec<u8>>(0))
                .map_err(|_| StoreError::record(name, "key is not UTF-8"))?;
            Ok((
                key,
                IdempotencyRecord {
                    fingerprint: hash32(name, row.get(1))?,
                    first_sequence: from_bigint(name, row.get(2))?,
                    event_count: u32::try_from(row.get::<_, i32>(3))
                        .map_err(|_| StoreError::record(name, "a negative event count"))?,
                },
            ))
        })
        .collect()
}

/// Replaces the snapshot with `bytes`, the state after event `sequence`, in one
/// transaction on a connection of its own (a snapshot is rare and large; the readers'
/// connection stays free meanwhile).
pub(crate) fn save_snapshot(
    shared: &Shared,
    head: Head,
    sequence: u64,
    bytes: &[u8],
) -> Result<(), StoreError> {
    if sequence > head.sequence {
        return Err(StoreError::Refused(format!(
            "snapshot at {sequence} is beyond the head {}",
            head.sequence
        )));
    }
    let event_hash = event_hash(shared, sequence, head)?.to_vec();
    let content_hash = codec::hash(bytes).to_vec();
    let chunks: Vec<Vec<u8>> = bytes
        .chunks(POSTGRES_SNAPSHOT_CHUNK_BYTES)
        .map(<[u8]>::to_vec)
        .collect();
    let chunk_count = i32::try_from(chunks.len())
        .map_err(|_| StoreError::Refused("a snapshot of too many chunks".into()))?;
    let (sequence, total) = (to_bigint(sequence)?, to_bigint(bytes.len() as u64)?);
    let mut client = bridge::connect(&shared.url, "snapshot")?;
    block(async move {
        let transaction = client.transaction().await?;
        transaction.execute("DELETE FROM snapshot_chunks", &[]).await?;
        for (index, chunk) in (0i32..).zip(&chunks) {
            transaction
                .execute(
                    "INSERT INTO snapshot_chunks (chunk_index, bytes) VALUES ($1, $2)",
                    &[&index, chunk],
                )
                .await?;
        }
        transaction
            .execute(
                "INSERT INTO snapshot (sequence, event_hash, content_hash, total_bytes, chunk_count) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (singleton) DO UPDATE SET \
                 sequence = $1, event_hash = $2, content_hash = $3, total_bytes = $4, chunk_count = $5",
                &[&sequence, &event_hash, &content_hash, &total, &chunk_count],
            )
            .await?;
        transaction.commit().await
    })?
    .map_err(bridge::error)
}

/// The hash of event `sequence` as stored (the genesis hash for 0).
fn event_hash(shared: &Shared, sequence: u64, head: Head) -> Result<[u8; 32], StoreError> {
    if sequence == 0 {
        return Ok(codec::GENESIS_HASH);
    }
    let events = super::read::raw_range(&shared.reader()?, sequence, sequence, head.sequence)?;
    Ok(events
        .first()
        .map_or(codec::GENESIS_HASH, |(_, bytes)| codec::hash(bytes)))
}

/// The saved snapshot and its sequence, if it still belongs to this log; a stale or
/// damaged one gives `None` and a warning saying why.
pub(crate) fn load_snapshot(
    shared: &Shared,
    head: Head,
) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
    let (manifest, chunks) = shared.call(move |client| async move {
        let manifest = client
            .query_opt(
                "SELECT sequence, event_hash, content_hash, total_bytes, chunk_count FROM snapshot",
                &[],
            )
            .await?;
        let chunks = client
            .query(
                "SELECT chunk_index, bytes FROM snapshot_chunks ORDER BY chunk_index",
                &[],
            )
            .await?;
        Ok((manifest, chunks))
    })?;
    let Some(manifest) = manifest else {
        return Ok(None);
    };
    let name = "snapshot";
    let sequence = from_bigint(name, manifest.get(0))?;
    if sequence > head.sequence {
        return Ok(ignore(format_args!(
            "snapshot at {sequence} is beyond the head {}",
            head.sequence
        )));
    }
    if event_hash(shared, sequence, head)? != hash32(name, manifest.get(1))? {
        return Ok(ignore(format_args!(
            "snapshot was taken after an event {sequence} that is not the log's"
        )));
    }
    let chunk_count = manifest.get::<_, i32>(4);
    let mut content = Vec::new();
    for (row, expected) in chunks.iter().zip(0i32..) {
        if row.get::<_, i32>(0) != expected {
            return Ok(ignore(format_args!("snapshot chunk {expected} is missing")));
        }
        content.extend_from_slice(row.get::<_, &[u8]>(1));
    }
    if chunks.len() != chunk_count.unsigned_abs() as usize
        || content.len() as u64 != from_bigint(name, manifest.get(3))?
        || codec::hash(&content) != hash32(name, manifest.get(2))?
    {
        return Ok(ignore(format_args!(
            "snapshot bytes do not hash to the saved content hash"
        )));
    }
    Ok(Some((sequence, content)))
}

/// Logs why the stored snapshot is not used.
fn ignore<T>(reason: std::fmt::Arguments<'_>) -> Option<T> {
    tracing::warn!("ignoring the stored snapshot: {reason}; replaying from the start");
    None
}
