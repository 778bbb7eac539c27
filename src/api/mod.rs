//! The gRPC edge: tonic services, proto⇄domain conversion, error mapping.
//!
//! Handlers convert, call the ledger, convert back; nothing else. This is the only module
//! that knows the API's protobuf types.

pub mod audit;
pub mod auth;
pub mod backup;
pub mod closing;
pub mod convert;
pub mod guard;
pub mod health;
pub mod posting;
pub mod principals;
pub mod proofs;
pub mod query;
pub mod query_metrics;
pub mod server;
pub mod status;
pub mod tls;
pub mod tree_heads;
pub mod witness_keys;

/// Generated protobuf types and service stubs of `matchledger.v1`.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod proto {
    tonic::include_proto!("matchledger.v1");

    /// Encoded descriptor set of every proto file, served by reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/matchledger_descriptor.bin"));
}
