//! Wires the services into one tonic server with health and reflection, and shuts it
//! down gracefully: in-flight requests finish, then the writer flushes and stops.

use std::future::Future;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Server;

use super::audit::AuditApi;
use super::posting::PostingApi;
use super::proto::audit_service_server::AuditServiceServer;
use super::proto::posting_service_server::PostingServiceServer;
use super::proto::query_service_server::QueryServiceServer;
use super::proto::FILE_DESCRIPTOR_SET;
use super::query::QueryApi;
use crate::ledger::Ledger;
use crate::limits::REQUEST_BYTES_MAX;

/// Why the server stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("gRPC transport: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error("reflection service: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
}

/// Serves the ledger on `listener` until `shutdown` resolves, then stops the writer.
pub async fn run(
    listener: TcpListener,
    ledger: Ledger,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    let (health, health_service) = tonic_health::server::health_reporter();
    // A read-only ledger (damaged log) answers queries but takes no postings.
    if ledger.damage().is_some() {
        health
            .set_not_serving::<PostingServiceServer<PostingApi>>()
            .await;
    } else {
        health
            .set_serving::<PostingServiceServer<PostingApi>>()
            .await;
    }
    health.set_serving::<QueryServiceServer<QueryApi>>().await;
    health.set_serving::<AuditServiceServer<AuditApi>>().await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let posting = PostingServiceServer::new(PostingApi::new(ledger.clone()))
        .max_decoding_message_size(REQUEST_BYTES_MAX);
    let query = QueryServiceServer::new(QueryApi::new(ledger.clone()))
        .max_decoding_message_size(REQUEST_BYTES_MAX);
    let audit = AuditServiceServer::new(AuditApi::new(ledger.clone()))
        .max_decoding_message_size(REQUEST_BYTES_MAX);
    let result = Server::builder()
        .add_service(health_service)
        .add_service(reflection)
        .add_service(posting)
        .add_service(query)
        .add_service(audit)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown)
        .await;
    ledger.shutdown().await;
    result.map_err(ServeError::from)
}
