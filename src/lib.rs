//! matchledger: an event-sourced, verifiable ledger for matched SME support funds.
//!
//! # Layout
//!
//! - [`domain`]: money, ids, events, commands and the rules (`decide`), pure.
//! - [`store`]: the durable event log on sled: blocks of events, hash chain, idempotency index.
//! - [`projection`]: balances folded from events, answerable as of any sequence number.
//! - [`audit`]: the Merkle tree over the events, its proofs, and signed tree heads, pure.
//! - [`ledger`]: the single writer (group commit) and the read side.
//! - [`api`]: the tonic gRPC services; the only module that knows protobuf API types.
//! - [`http`]: the HTTP listener: the JSON API over the same services, OpenAPI, the console.
//! - [`tlog`]: the log as C2SP tlog-tiles over HTTP (checkpoint, hash tiles, entry bundles).
//! - [`cli`]: the command-line client, server start-up and demo.
//! - [`generator`]: a seeded, realistic programme for tests, benches and the demo.
//! - [`limits`]: every bound of the system, with its reason.
//!
//! Dependencies point one way: api → ledger → {store, projection, audit} → domain.

pub mod api;
pub mod audit;
pub mod cli;
pub mod domain;
pub mod generator;
pub mod http;
pub mod ledger;
pub mod limits;
pub mod metrics;
pub mod projection;
pub mod store;
pub mod tlog;
pub mod verifiable;
