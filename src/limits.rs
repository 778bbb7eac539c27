//! Every limit of the system, in one place, each with its reason.
//!
//! Names put the thing first and the unit last. A request over a limit is refused with
//! a status naming the limit; nothing over a limit is ever written.

use rust_decimal::Decimal;

/// Digits in an amount. 18 digits of won is a quintillion: far beyond any programme,
/// and it keeps every sum of a million such amounts inside `Decimal`'s 28 digits.
pub const AMOUNT_DIGITS_MAX: usize = 18;

/// Bytes in a name (phase, contributor, agency, SME). Korean company names are short;
/// 256 bytes is about 85 Hangul syllables.
pub const NAME_BYTES_MAX: usize = 256;

/// Bytes in a free-text field: a reason, a reference, a metadata value.
pub const TEXT_BYTES_MAX: usize = 1024;

/// Bytes in an idempotency key. A UUID is 36; 128 leaves room for composed keys.
pub const IDEMPOTENCY_KEY_BYTES_MAX: usize = 128;

/// Metadata pairs on one posting: enough for a voucher number, a cost centre and a few tags.
pub const METADATA_PAIRS_MAX: usize = 16;

/// Support types configured on one phase (the 2022 scheme has four).
pub const SUPPORT_TYPES_MAX: usize = 32;

/// Largest government match ratio a phase may set. Schemes match one-to-one (1); ten
/// to one leaves room for generous schemes while catching a ratio typed in percent.
pub const MATCH_RATIO_MAX: Decimal = Decimal::TEN;

/// Commands in one atomic batch. 1,000 commands of ~300 bytes is ~300 KB, which keeps
/// one batch inside one group commit and well under the message size limit.
pub const BATCH_COMMANDS_MAX: usize = 1000;

/// Bytes of one gRPC request: a full batch with generous metadata.
pub const REQUEST_BYTES_MAX: usize = 4 * 1024 * 1024;

/// Commands the writer drains into one group commit. Bounded so that one fsync never
/// waits on an unbounded amount of work (≈ 5 ms of decide+encode at 1 µs each).
pub const GROUP_COMMANDS_MAX: usize = 4096;

/// Pending commands queued for the writer; beyond this callers wait (backpressure).
pub const WRITER_QUEUE_MAX: usize = 8192;

/// How long opening a store waits for sled's file lock, which a store of this process
/// closed an instant before can still hold while sled's I/O threads let go of it. Another
/// process holding the store open is refused once this has passed. Under heavy I/O (the
/// whole test suite at once on two cores) sled's threads were seen to need more than two
/// seconds to let go.
pub const STORE_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Events packed into one stored sled value. 64 events of ~400 bytes is ~25 KB, below
/// the inline-value threshold of the segment size we configure (see `store`).
pub const BLOCK_EVENTS_MAX: usize = 64;

/// Bytes packed into one stored sled value, whatever the event count.
pub const BLOCK_BYTES_MAX: usize = 32 * 1024;

/// An append extends the last block only while it holds fewer events than this; past it
/// the append starts a block of its own. Rewriting a block on every group commit was most
/// of what sled wrote under load (a 64-event block is ≈ 14 KB, and sled rewrites the whole
/// leaf page holding it every few updates): a trickle of single events still packs into
/// blocks of at least 8, while groups under load each write their events once.
pub const BLOCK_REOPEN_EVENTS_MAX: usize = 8;
const _: () = assert!(BLOCK_REOPEN_EVENTS_MAX <= BLOCK_EVENTS_MAX);

/// Stored bytes of one event. The largest legitimate event (a phase with every support
/// type, or a posting with all its metadata, reference and reason at their limits) is
/// about 50 KB; this backstop keeps one event inside one inline sled page (see `store`),
/// and within the `u16` length prefix of a tlog-tiles entry bundle (65 535 bytes; it was
/// 65 536 before the log was served as tiles). An event over it is refused and nothing is
/// written.
pub const EVENT_BYTES_MAX: usize = u16::MAX as usize;

/// Milliseconds a match bundle waits for the projections to catch up with a tree head
/// signed between the writer's append and its publication (normally microseconds).
pub const BUNDLE_PUBLISH_WAIT_MS: u64 = 2_000;

/// Events returned by one page of a read; streams send pages of this size.
pub const PAGE_EVENTS_MAX: usize = 1000;

/// Items in one page of a list query (SMEs, contributions).
pub const PAGE_ITEMS_MAX: usize = 1000;

/// Events between in-memory projection checkpoints used to answer as-of queries:
/// an as-of query replays at most this many events.
pub const CHECKPOINT_EVENTS_INTERVAL: u64 = 16_384;

/// Events between persisted projection snapshots; startup replays at most this tail.
pub const SNAPSHOT_EVENTS_INTERVAL: u64 = 100_000;

/// A clean shutdown saves a snapshot when at least this many events came after the last
/// one, so that the next start replays nothing (a 100,000-event tail takes ≈ 2 s to
/// replay). A shorter tail replays in well under 0.2 s, less than writing the snapshot.
pub const SHUTDOWN_SNAPSHOT_EVENTS_MIN: u64 = 10_000;
const _: () = assert!(SHUTDOWN_SNAPSHOT_EVENTS_MIN <= SNAPSHOT_EVENTS_INTERVAL);

/// How often a running server re-verifies its whole event log in the background (and once
/// at start-up), by default (`serve --verify-interval-secs`). A walk reads and hashes every
/// event at low priority, about 1 s of one core per 100,000 events in a release build, so
/// hourly costs little and bounds how long damage to old history can go unnoticed.
pub const VERIFICATION_INTERVAL_DEFAULT: std::time::Duration = std::time::Duration::from_secs(3600);

/// How often the background verification logs its progress during a walk.
pub const VERIFY_PROGRESS_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);

/// Events the background verification walks between looks at whether it was asked to
/// stop: a few milliseconds of reading, so a shutdown never waits on it for long.
pub const VERIFY_STOP_CHECK_EVENTS: u64 = 1024;

/// Largest scale the programme generator accepts (larger requests are clamped). Scale
/// 10,000 is 200 five-year phases of ~88k SMEs each, some 150 million commands, and keeps
/// every generated date inside year 3100.
pub const GENERATOR_SCALE_MAX: u32 = 10_000;

/// Bytes of one response a client accepts: a full page of SME balances or every posting
/// under one reference can pass the 4 MiB gRPC default; 64 MiB still bounds memory.
pub const CLIENT_RESPONSE_BYTES_MAX: usize = 64 * 1024 * 1024;

/// Milliseconds a client waits for a connection before giving up: long enough for a
/// remote server, short enough that a wrong address fails fast.
pub const CLIENT_CONNECT_TIMEOUT_MS: u64 = 5_000;

/// Bytes of the message of an error status. Messages quote what was wrong with a request;
/// a 1 MB field quoted back would not fit in the HTTP/2 headers that carry the status.
pub const STATUS_MESSAGE_BYTES_MAX: usize = 1024;

/// Bytes of a bearer token as presented. Tokens are 43 characters; anything far longer is
/// refused before it is hashed.
pub const TOKEN_BYTES_MAX: usize = 256;

/// Principals in one principals file: one per finance system, agency, auditor and operator,
/// with ample room. Authentication compares a token against every one, in constant time.
pub const PRINCIPALS_MAX: usize = 1024;

/// Bytes of a principals file read at start.
pub const PRINCIPALS_FILE_BYTES_MAX: usize = 1024 * 1024;

/// Concurrent HTTP/2 streams (calls) on one client connection. Enough for a busy finance
/// system multiplexing postings; stops one connection from tying up the server.
pub const CONNECTION_STREAMS_MAX: u32 = 128;

/// Live `Subscribe` streams open at once over the whole server. Each holds a task and a
/// buffer of `STREAM_BUFFER_EVENTS` events (~100 KB); 256 of them stay within ~25 MB.
pub const SUBSCRIPTIONS_MAX: usize = 256;

/// Signature lines in one signed note: the log's own plus its witnesses'. The signed-note
/// format asks verifiers to take at least 16; Go's `sumdb/note` stops at 100, as we do.
pub const NOTE_SIGNATURES_MAX: usize = 100;

/// Bytes in one signed note. A checkpoint body is about 100 bytes and an Ed25519 signature
/// line about 130, so 100 signatures fit in 16 KB; 64 KB leaves room for extension lines.
pub const NOTE_BYTES_MAX: usize = 64 * 1024;

/// Concurrent clients (or readers) of one `bench-load` run: far beyond what saturates a
/// server, and a bound on the tasks and SMEs a run creates.
pub const LOAD_CLIENTS_MAX: usize = 1024;

/// HTTP/2 connections of one `bench-load` run.
pub const LOAD_CONNECTIONS_MAX: usize = 64;

/// Longest `bench-load` run, in seconds: every load run stops by itself.
pub const LOAD_SECONDS_MAX: u64 = 600;

/// Most commands one `bench-load` run posts (ten minutes at 150 k commands/s).
pub const LOAD_COMMANDS_MAX: u64 = 100_000_000;

/// Witness keys a server may be told to accept cosignatures from; far more than any
/// deployment's witnesses, small enough to check each cosignature against all of them.
pub const WITNESS_KEYS_MAX: usize = 256;

/// Largest witness keys file read, so a wrong path cannot load a huge file.
pub const WITNESS_KEYS_FILE_BYTES_MAX: usize = 256 * 1024;

/// Export manifests the server builds at once: each reads and folds the whole log, so a
/// second request is refused (RESOURCE_EXHAUSTED) rather than queued behind the first.
pub const EXPORT_MANIFEST_BUILDS_MAX: usize = 1;

/// Signed tree heads the server keeps in memory; older ones are read back from the store
/// when asked for, so this bounds memory, not history.
pub const HEADS_KEPT: usize = 64;

/// Cosignatures held per signed head: one per witness key, at most this many, so that
/// callers of the audit service cannot grow a head without bound.
pub const COSIGNATURES_PER_HEAD_MAX: usize = 32;

/// Bytes of one JSON request body on the HTTP listener. Proto3 JSON is at most about twice
/// its protobuf size (base64, quoted 64-bit numbers, field names), so a full batch that
/// fits `REQUEST_BYTES_MAX` as protobuf fits here as JSON; the transcoded message must
/// still fit `REQUEST_BYTES_MAX` at the service.
pub const HTTP_REQUEST_BYTES_MAX: usize = 2 * REQUEST_BYTES_MAX;

/// Bytes of one protobuf message the HTTP listener accepts back from a service before it
/// turns it into JSON: the same bound a gRPC client of ours accepts.
pub const HTTP_RESPONSE_MESSAGE_BYTES_MAX: usize = CLIENT_RESPONSE_BYTES_MAX;

/// Messages one HTTP stream (NDJSON) sends; past it the stream ends with a
/// RESOURCE_EXHAUSTED error line and the client continues from the last sequence it got.
/// Ten million events of ~500 bytes of JSON is ~5 GB: a whole-log read still fits, and no
/// single response grows without bound.
pub const HTTP_STREAM_MESSAGES_MAX: u64 = 10_000_000;

/// Connections open at once on the HTTP listener; past it new connections wait to be
/// accepted. Each costs a task and buffers of a few KB: 1,024 is ~ 10 MB, far beyond the
/// browsers and finance systems of one programme.
pub const HTTP_CONNECTIONS_MAX: usize = 1024;

/// Seconds a client has to send a request's headers (and, over TLS, to finish the
/// handshake), so that slow or half-open connections cannot pile up.
pub const HTTP_HEADER_READ_SECONDS_MAX: u64 = 10;

/// Seconds the HTTP listener waits, on shutdown, for requests in flight to finish before
/// it drops their connections.
pub const HTTP_SHUTDOWN_SECONDS_MAX: u64 = 10;
/// Tiles and entry bundles the tlog-tiles face reads from the store at once; more requests
/// wait their turn. A full entry bundle is 256 events (≈ 100 KB, at most 16 MB) read from
/// four blocks, a hash tile above level 0 is 256 stored hashes: 16 readers keep the two
/// cores busy without letting a crawler hold every blocking thread.
pub const TLOG_TILE_READS_MAX: usize = 16;

/// Seconds a cache may keep a partial tile (the right edge of the tree). Its bytes never
/// change, but the spec lets a log stop serving it once the full tile exists, and a client
/// wants the wider tile soon after the tree grows.
pub const TLOG_PARTIAL_TILE_MAX_AGE_SECONDS: u64 = 60;

/// Hashes in the consistency proof of one tlog-witness `add-checkpoint` request: a proof
/// between two trees of at most 2^64 leaves has at most 2 · 64.
pub const WITNESS_PROOF_HASHES_MAX: usize = 128;

/// Bytes of a witness's answer the log reads: its cosignature lines (≈ 130 bytes each, at
/// most `NOTE_SIGNATURES_MAX`) or its size.
pub const WITNESS_RESPONSE_BYTES_MAX: usize = 64 * 1024;

/// How long the log waits for one witness to answer before trying again later.
pub const WITNESS_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// How often the log looks for a grown tree to push to its witnesses. Each push signs (and
/// keeps) a head, so this bounds the heads signed for witnesses to one per interval: 17 280
/// a day, ≈ 4 MB of kept heads.
pub const WITNESS_PUSH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// Attempts of one push to one witness: the first, and one retry from the size a 409 named.
pub const WITNESS_PUSH_ATTEMPTS_MAX: usize = 2;

/// Bytes of one entry bundle the witness reads from a log: 256 entries at their largest,
/// each with its two-byte length.
pub const TLOG_BUNDLE_BYTES_MAX: usize = 256 * (2 + EVENT_BYTES_MAX);
/// Signed heads read from the store per page while streaming them to a backup: a page
/// of notes (≈ 300 bytes each, with a few cosignatures) stays well under a megabyte.
pub const BACKUP_HEADS_PAGE_MAX: usize = 1000;

/// Events a restore appends per atomic batch: one fsync per batch keeps a restore of a
/// million events to a thousand syncs, and a batch of 1000 events of at most
/// `EVENT_BYTES_MAX` each stays within memory a restore can afford.
pub const RESTORE_BATCH_EVENTS: usize = 1000;

/// How long `backup --follow` waits between rounds when no event committed, in
/// milliseconds: new events are picked up from the live feed at once, this only paces
/// the refresh of cosignatures and statements added without a new event.
pub const BACKUP_FOLLOW_IDLE_MS: u64 = 2000;

/// Shortest time between two rounds of `backup --follow`, in milliseconds: each round asks
/// for a signed head, which the server signs and keeps when the tree grew, so this bounds
/// the heads a follower adds to the log's keeping at one a second under any load.
pub const BACKUP_FOLLOW_ROUND_MS: u64 = 1000;

/// Rounds of `backup --follow` between two full listings of the kept heads: in between a
/// round lists only heads from the previous round's size on, so its cost does not grow
/// with the log's history; a full listing (every ten minutes at one round a second) picks
/// up cosignatures a witness added to an older head.
pub const BACKUP_HEADS_REFRESH_ROUNDS: u64 = 600;

/// Scoped keys one `ReadIdempotencyRecords` request may name: a follow round names the
/// commands it received (a few thousand a second under load); 10 000 lookups are a few
/// milliseconds of sled reads, and the request stays under a megabyte.
pub const BACKUP_IDEMPOTENCY_KEYS_MAX: usize = 10_000;
/// Events one PostgreSQL read fetches while walking the log (replay, export, proofs):
/// 1,024 events of ≈ 400 bytes is ≈ 400 KB per round trip, so a walk of a million events
/// takes about a thousand round trips and holds one page in memory at a time.
pub const POSTGRES_READ_PAGE_EVENTS: u64 = 1024;

/// Bytes of one stored snapshot chunk in PostgreSQL: one row and one message each, far
/// under `bytea`'s 1 GB, so a snapshot of a few hundred megabytes is a few dozen rows.
pub const POSTGRES_SNAPSHOT_CHUNK_BYTES: usize = 8 * 1024 * 1024;

/// How long connecting to PostgreSQL may take before opening the store fails.
pub const POSTGRES_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Largest power of ten of the minor unit a phase may round its returns to. The treasury
/// drops amounts under 10 won (10^1); 10^6 (a million won) catches a unit typed in the
/// wrong place while leaving room for programmes that settle in thousands.
pub const ROUNDING_UNIT_EXPONENT_MAX: u32 = 6;

/// Upper bound of the first latency bucket of the metrics histograms: 50 µs, doubling
/// from there.
pub const METRICS_LATENCY_BUCKET_FIRST_SECONDS: f64 = 0.000_05;

/// Latency buckets of the metrics histograms: 50 µs doubled 18 times reaches about 6.5 s,
/// past any fsync or acknowledgement an operator would not already be alerting on.
pub const METRICS_LATENCY_BUCKETS: u16 = 18;

/// Distinct methods the query metrics label by name; the services have a few dozen, and
/// any further path a client invents is counted as `other`.
pub const METRICS_QUERY_METHODS_MAX: usize = 64;
