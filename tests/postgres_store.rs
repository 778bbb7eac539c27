//! The PostgreSQL engine through the store interface, on a throw-away cluster: the same
//! stored bytes, hashes, root and proofs as sled; one writer at a time (a second node
//! waits for the lease and takes over); rows a stale writer or a forger adds refused by the
//! database, and rows that cannot be rewritten; what is kept beside the log survives a reopen; a
//! database from a newer build is refused.

mod common;

use common::postgres::PostgresCluster;
use matchledger::audit;
use matchledger::domain::event::{ContributorRegistered, Event};
use matchledger::domain::{ContributorId, EventId, EventMeta, PhaseId};
use matchledger::store::{ClosingStatement, IdempotencyRecord, PendingEvent, Store, StoreError};

/// `count` events registering contributors, every third with an external reference,
/// identical on every call (fixed ids and times) so two engines store the same bytes.
fn pending(first: u64, count: u64) -> Vec<PendingEvent> {
    (first..first + count)
        .map(|n| PendingEvent {
            meta: EventMeta {
                id: EventId::from_uuid(uuid::Uuid::from_u128(
                    0x0190_0000_0000_7000_8000_0000_0000_0000 | u128::from(n),
                )),
                recorded_at: chrono::DateTime::from_timestamp(1_700_000_000 + n as i64, 0)
                    .expect("a time"),
                effective_date: chrono::NaiveDate::from_ymd_opt(2024, 3, 1).expect("a date"),
                actor: "operator".into(),
                idempotency_key: format!("key-{n}"),
                external_ref: (n % 3 == 0).then(|| format!("voucher-{}", n / 3)),
                metadata: Vec::new(),
            },
            event: Event::ContributorRegistered(ContributorRegistered {
                contributor: ContributorId::from_uuid(uuid::Uuid::from_u128(
                    u128::from(n) << 64 | 1,
                )),
                name: format!("Sponsor {n}"),
            }),
        })
        .collect()
}

fn record(first: u64, count: u32) -> IdempotencyRecord {
    IdempotencyRecord {
        fingerprint: [first as u8; 32],
        first_sequence: first,
        event_count: count,
    }
}

/// Opens the store off the test's runtime, as the server does.
async fn open(url: &str) -> Result<Store, StoreError> {
    let url = url.to_string();
    tokio::task::spawn_blocking(move || Store::open_postgres(&url))
        .await
        .expect("join")
}

#[tokio::test]
async fn groups_written_to_postgres_store_the_same_bytes_hashes_root_and_proofs_as_sled() {
    let cluster = PostgresCluster::start();
    let url = cluster.create_database("ledger");
    let dir = tempfile::tempdir().expect("temp dir");
    let sled = Store::open(dir.path()).expect("sled opens");
    let postgres = open(&url).await.expect("postgres opens");

    for (first, count) in [(1, 1), (2, 7), (9, 30), (39, 1), (40, 25)] {
        let key = vec![(format!("key-{first}"), record(first, count as u32))];
        let on_sled = sled
            .append(pending(first, count), key.clone())
            .expect("sled appends");
        let on_postgres = postgres
            .append(pending(first, count), key)
            .expect("postgres appends");
        assert_eq!(
            on_sled, on_postgres,
            "the same recorded events from {first}"
        );
    }
    assert_eq!(sled.head(), postgres.head());
    assert_eq!(postgres.head().sequence, 64);
    assert_eq!(sled.tree_head().unwrap(), postgres.tree_head().unwrap());
    for sequence in [1, 8, 33, 64] {
        assert_eq!(sled.raw(sequence).unwrap(), postgres.raw(sequence).unwrap());
        assert_eq!(sled.get(sequence).unwrap(), postgres.get(sequence).unwrap());
    }
    assert_eq!(postgres.raw(65).unwrap(), None);
    for size in [1, 5, 17, 64] {
        assert_eq!(
            audit::inclusion_proof((size - 1).min(3), size, &sled).unwrap(),
            audit::inclusion_proof((size - 1).min(3), size, &postgres).unwrap(),
        );
        assert_eq!(
            audit::consistency_proof(size / 2 + 1, size, &sled).unwrap(),
            audit::consistency_proof(size / 2 + 1, size, &postgres).unwrap(),
        );
    }
    let sled_all: Vec<_> = sled.iter_from(1).collect::<Result<_, _>>().unwrap();
    let postgres_all: Vec<_> = postgres.iter_from(1).collect::<Result<_, _>>().unwrap();
    assert_eq!(sled_all, postgres_all);
    assert_eq!(sled.read(30, 10).unwrap(), postgres.read(30, 10).unwrap());
    assert_eq!(
        sled.by_external_ref("voucher-4", 10).unwrap(),
        postgres.by_external_ref("voucher-4", 10).unwrap()
    );
    assert_eq!(postgres.by_external_ref("voucher-4", 10).unwrap(), vec![12]);
    assert_eq!(
        postgres.idempotency("key-9").unwrap(),
        Some(record(9, 30)),
        "the writer's record reads back"
    );
    assert_eq!(postgres.idempotency("key-10").unwrap(), None);
    assert_eq!(postgres.verify_all(|_| {}).unwrap(), sled.head());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_node_waits_for_the_writer_lease_and_takes_over_where_the_first_stopped() {
    let cluster = PostgresCluster::start();
    let url = cluster.create_database("ledger");
    // Given a writer that holds the lease.
    let first = open(&url).await.expect("opens");
    first.append(pending(1, 2), Vec::new()).expect("appends");

    // When a second node opens the same database, it waits.
    let second_url = url.clone();
    let second = tokio::task::spawn_blocking(move || Store::open_postgres(&second_url));
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(
        !second.is_finished(),
        "the second node must wait for the lease"
    );
    first
        .append(pending(3, 1), Vec::new())
        .expect("the first still writes");

    // Then when the first stops, the second takes over at the head the first left.
    let stopped = std::time::Instant::now();
    drop(first);
    let second = second.await.expect("join").expect("the second opens");
    assert!(stopped.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(second.head().sequence, 3);
    second
        .append(pending(4, 1), Vec::new())
        .expect("and writes on");
    assert_eq!(second.verify_all(|_| {}).unwrap().sequence, 4);
}

#[tokio::test]
async fn stored_events_cannot_be_updated_deleted_or_truncated() {
    let cluster = PostgresCluster::start();
    let url = cluster.create_database("ledger");
    let store = open(&url).await.expect("opens");
    store.append(pending(1, 2), Vec::new()).expect("appends");
    let before = store.raw(1).unwrap();

    for sql in [
        "UPDATE events SET bytes = 'x' WHERE sequence = 1",
        "DELETE FROM events WHERE sequence = 2",
        "TRUNCATE events CASCADE",
    ] {
        let refused = cluster.psql("ledger", sql).expect_err(sql);
        assert!(refused.contains("append-only"), "{sql}: {refused}");
    }
    // A stale writer's row at a sequence already taken is refused.
    let stale = cluster
        .psql(
            "ledger",
            "INSERT INTO events (sequence, prev_hash, hash, bytes) \
             SELECT 2, hash, sha256('x'), 'x' FROM events WHERE sequence = 1",
        )
        .expect_err("a taken sequence is refused");
    assert!(stale.contains("duplicate key"), "{stale}");
    // A row forged past the writer must link to the stored event before it.
    let forged = cluster
        .psql(
            "ledger",
            "INSERT INTO events (sequence, prev_hash, hash, bytes) \
             VALUES (3, sha256('other'), sha256('x'), 'x')",
        )
        .expect_err("a row that does not link is refused");
    assert!(forged.contains("foreign key"), "{forged}");
    assert_eq!(store.raw(1).unwrap(), before);
}

#[tokio::test]
async fn signed_heads_cosignatures_statements_and_the_snapshot_survive_a_reopen() {
    let cluster = PostgresCluster::start();
    let url = cluster.create_database("ledger");
    let store = open(&url).await.expect("opens");
    store.append(pending(1, 5), Vec::new()).expect("appends");
    store.put_signed_head(3, 100, "note 3\n").unwrap();
    store.put_signed_head(5, 200, "note 5\n").unwrap();
    store.add_cosignature(3, "w2 0000000b", "line b\n").unwrap();
    store.add_cosignature(3, "w1 0000000a", "line a\n").unwrap();
    store
        .add_cosignature(3, "w1 0000000a", "line a2\n")
        .unwrap();
    let phase = PhaseId::generate();
    let statement = ClosingStatement {
        tree_size: 5,
        note: "statement\n".into(),
    };
    store.put_closing_statement(phase, &statement).unwrap();
    let snapshot: Vec<u8> = (0..20_000_000u32).map(|i| (i % 251) as u8).collect();
    store.save_snapshot(4, &snapshot).unwrap();
    drop(store);

    let store = open(&url).await.expect("reopens");
    let three = store.signed_head(3).unwrap().expect("kept");
    assert_eq!((three.timestamp, three.note.as_str()), (100, "note 3\n"));
    assert_eq!(three.cosignatures, vec!["line a2\n", "line b\n"]);
    assert_eq!(store.signed_head(4).unwrap(), None);
    assert_eq!(store.latest_signed_head().unwrap().unwrap().tree_size, 5);
    let since: Vec<u64> = store
        .signed_heads_since(4, 10)
        .unwrap()
        .iter()
        .map(|head| head.tree_size)
        .collect();
    assert_eq!(since, vec![5]);
    assert_eq!(store.closing_statement(phase).unwrap(), Some(statement));
    assert_eq!(store.closing_statement(PhaseId::generate()).unwrap(), None);
    assert_eq!(store.load_snapshot().unwrap(), Some((4, snapshot)));
}

#[tokio::test]
async fn a_database_migrated_by_a_newer_build_is_refused() {
    let cluster = PostgresCluster::start();
    let url = cluster.create_database("ledger");
    drop(open(&url).await.expect("creates the schema"));
    cluster
        .psql("ledger", "INSERT INTO schema_version (version) VALUES (99)")
        .expect("a newer version recorded");

    match open(&url).await {
        Err(StoreError::UnsupportedFormat { found: 99, .. }) => {}
        other => panic!("a newer schema must be refused, got {other:?}"),
    }
}

#[tokio::test]
async fn an_event_altered_in_the_database_is_found_on_open() {
    let cluster = PostgresCluster::start();
    let url = cluster.create_database("ledger");
    let store = open(&url).await.expect("opens");
    store.append(pending(1, 4), Vec::new()).expect("appends");
    drop(store);
    // An operator with superuser rights disables the guards and rewrites event 3's bytes
    // and hash consistently; only the next event's link and the verified chain betray it.
    let tamper = "ALTER TABLE events DISABLE TRIGGER USER; \
                  SET session_replication_role = replica; \
                  UPDATE events SET bytes = bytes || '\\x00'::bytea, \
                  hash = sha256(bytes || '\\x00'::bytea) WHERE sequence = 3;";
    cluster.psql("ledger", tamper).expect("tampered");
    cluster
        .psql("ledger", "UPDATE log_state SET verified_sequence = 0, verified_hash = '\\x0000000000000000000000000000000000000000000000000000000000000000'")
        .expect("checkpoint reset");

    match open(&url).await {
        Err(StoreError::Corrupt { sequence, .. }) => {
            assert!(sequence == 3 || sequence == 2, "{sequence}")
        }
        other => panic!("an altered event must be found, got {other:?}"),
    }
}
