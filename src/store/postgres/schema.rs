//! The schema, as versioned migrations run on every start.
//!
//! `schema_version` lists the migrations applied. Opening the store takes a transaction
//! -scoped advisory lock (so two nodes starting at once migrate one after the other),
//! applies every migration newer than the recorded version in that one transaction, and
//! refuses a database whose version is newer than this build knows: a newer build wrote
//! it, and this one could misread it. A migration is never edited once released; a change
//! is a new migration at the end of [`MIGRATIONS`].
//!
//! The event table keeps the chain true by itself: the primary key refuses a sequence
//! already taken, the foreign key from `(sequence − 1, prev_hash)` to `(sequence, hash)`
//! refuses an event that does not link to the stored one before it (so there are no gaps
//! either), a check ties `hash` to SHA-256 of the stored bytes, and triggers refuse every
//! UPDATE, DELETE and TRUNCATE. A stale writer therefore cannot append, whatever it
//! believes the head to be.

use tokio_postgres::Client;

use super::bridge::{self, block};
use crate::store::StoreError;

/// Key of the advisory lock held while migrating ("matchled" in ASCII).
const MIGRATION_LOCK: i64 = 0x6d61_7463_686c_6564;

/// The migrations, in order: version `i + 1` is `MIGRATIONS[i]`.
pub(crate) const MIGRATIONS: &[&str] = &[V1_LOG];

/// The schema version this build writes and reads.
pub(crate) const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

/// Version 1: the log, its Merkle nodes and indexes, what the log signed, the snapshot.
const V1_LOG: &str = r"
CREATE FUNCTION matchledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'matchledger: % on % is refused: the event log is append-only',
        TG_OP, TG_TABLE_NAME;
END $$;

CREATE FUNCTION matchledger_require(holds boolean, message text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT holds THEN
        RAISE EXCEPTION 'matchledger: %', message;
    END IF;
END $$;

-- The stored bytes of every event, exactly as the Merkle tree's leaves.
CREATE TABLE events (
    sequence bigint PRIMARY KEY CHECK (sequence > 0),
    prev_sequence bigint GENERATED ALWAYS AS (NULLIF(sequence - 1, 0)) STORED,
    prev_hash bytea NOT NULL,
    hash bytea NOT NULL CHECK (hash = sha256(bytes)),
    bytes bytea NOT NULL,
    UNIQUE (sequence, hash),
    CHECK (sequence > 1 OR prev_hash = '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea),
    FOREIGN KEY (prev_sequence, prev_hash) REFERENCES events (sequence, hash)
);
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION matchledger_refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION matchledger_refuse_change();

-- Complete-subtree hashes from level 3 up, as sled keeps them; lower levels are hashed
-- from the events.
CREATE TABLE merkle_nodes (
    level smallint NOT NULL CHECK (level >= 0 AND level < 64),
    index bigint NOT NULL CHECK (index >= 0),
    hash bytea NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, index)
);

-- One row: the tree at the head, and the last position verified on open.
CREATE TABLE log_state (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    tree_size bigint NOT NULL CHECK (tree_size >= 0),
    tree_root bytea NOT NULL CHECK (length(tree_root) = 32),
    verified_sequence bigint NOT NULL CHECK (verified_sequence >= 0),
    verified_hash bytea NOT NULL CHECK (length(verified_hash) = 32)
);
INSERT INTO log_state (tree_size, tree_root, verified_sequence, verified_hash)
VALUES (0, sha256(''::bytea), 0, '\x0000000000000000000000000000000000000000000000000000000000000000');

-- Keys are bytes: an actor-scoped key or a reference is whatever the client sent.
CREATE TABLE idempotency (
    scoped_key bytea PRIMARY KEY,
    fingerprint bytea NOT NULL CHECK (length(fingerprint) = 32),
    first_sequence bigint NOT NULL,
    event_count integer NOT NULL CHECK (event_count >= 0)
);

CREATE TABLE external_refs (
    external_ref bytea NOT NULL,
    sequence bigint NOT NULL REFERENCES events (sequence),
    PRIMARY KEY (external_ref, sequence)
);

CREATE TABLE signed_heads (
    tree_size bigint PRIMARY KEY CHECK (tree_size >= 0),
    signed_at bigint NOT NULL,
    note text NOT NULL
);

CREATE TABLE cosignatures (
    tree_size bigint NOT NULL,
    witness text NOT NULL,
    line text NOT NULL,
    PRIMARY KEY (tree_size, witness)
);

CREATE TABLE closing_statements (
    phase_id uuid PRIMARY KEY,
    tree_size bigint NOT NULL,
    note text NOT NULL
);

-- The projection snapshot: a manifest row and its chunks, replaced in one transaction.
CREATE TABLE snapshot (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    sequence bigint NOT NULL,
    event_hash bytea NOT NULL,
    content_hash bytea NOT NULL,
    total_bytes bigint NOT NULL,
    chunk_count integer NOT NULL
);
CREATE TABLE snapshot_chunks (
    chunk_index integer PRIMARY KEY,
    bytes bytea NOT NULL
);
";

/// Brings the database to [`SCHEMA_VERSION`], or refuses a newer one; hands the client
/// back (the future that migrates must own it).
pub(crate) fn migrate(mut client: Client) -> Result<Client, StoreError> {
    block(async move {
        migrate_async(&mut client).await?;
        Ok(client)
    })?
}

async fn migrate_async(client: &mut Client) -> Result<(), StoreError> {
    let transaction = client.transaction().await.map_err(bridge::error)?;
    transaction
        .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(bridge::error)?;
    transaction
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_version (
                 version integer PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now()
             )",
        )
        .await
        .map_err(bridge::error)?;
    let row = transaction
        .query_one("SELECT coalesce(max(version), 0) FROM schema_version", &[])
        .await
        .map_err(bridge::error)?;
    let found: i32 = row.get(0);
    if found > SCHEMA_VERSION {
        return Err(StoreError::UnsupportedFormat {
            found: found.unsigned_abs(),
            supported: SCHEMA_VERSION.unsigned_abs(),
        });
    }
    for (version, migration) in (1..)
        .zip(MIGRATIONS.iter())
        .skip(found.unsigned_abs() as usize)
    {
        transaction
            .batch_execute(migration)
            .await
            .map_err(bridge::error)?;
        transaction
            .execute(
                "INSERT INTO schema_version (version) VALUES ($1)",
                &[&version],
            )
            .await
            .map_err(bridge::error)?;
        tracing::info!(version, "database schema migrated");
    }
    transaction.commit().await.map_err(bridge::error)
}
