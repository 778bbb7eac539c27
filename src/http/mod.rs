//! The HTTP listener beside gRPC: the JSON API (the Connect protocol's JSON form of every
//! RPC, derived from the proto descriptors), `GET /openapi.json`, and the mount point of
//! the other HTTP features (console, metrics, tiles).
//!
//! `http` never re-implements what `api` does: every JSON call is transcoded to protobuf
//! and handed in-process to the same guarded tonic services the gRPC listener serves, so
//! authentication, roles, idempotency, limits and errors are the gRPC ones.
//!
//! # Layout
//!
//! - [`server`]: the listener (plain or TLS, the same certificates as gRPC), connection
//!   limits, graceful shutdown.
//! - [`connect`]: routes every method to the unary JSON handler; [`stream`]: NDJSON and
//!   Connect streaming for server streams.
//! - [`grpc`]: the in-process gRPC call; [`transcode`]: proto3 JSON ⇄ protobuf;
//!   [`error`]: gRPC statuses as Connect errors.
//! - [`descriptors`]: the services and messages everything above is derived from.
//! - [`console`]: the read-only web console at `/`, which calls the JSON API.
//! - [`host`]: without authentication, only requests addressed to loopback names.
//! - [`openapi`]: `GET /openapi.json`, the OpenAPI 3 document of every method.
//! - [`metrics`]: `GET /metrics`, the Prometheus metrics of the ledger.

pub mod connect;
pub mod console;
pub mod descriptors;
pub mod error;
pub mod grpc;
pub mod host;
pub mod metrics;
pub mod openapi;
pub mod server;
pub mod stream;
pub mod transcode;

use std::sync::Arc;

use axum::Router;

use crate::ledger::Ledger;
use descriptors::Descriptors;
use grpc::GrpcClient;

/// What every HTTP handler may use: the ledger (for read-only pages), the gRPC services
/// behind the guard (for anything that must behave as the API does) and the descriptors.
#[derive(Clone)]
pub struct HttpState {
    /// The ledger the services serve; read it, never write through it.
    pub ledger: Ledger,
    /// The guarded gRPC services, called in-process.
    pub grpc: GrpcClient,
    /// The API's descriptors.
    pub descriptors: Arc<Descriptors>,
}

impl std::fmt::Debug for HttpState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpState").finish_non_exhaustive()
    }
}

/// Every route of the HTTP listener. Each feature keeps its routes in its own module and
/// is merged here, one line each:
///
/// ```text
/// Router::new()
///     .merge(connect::router(&state))   // POST /matchledger.v1.<Service>/<Method>
///     .merge(openapi::router())         // GET /openapi.json
///     .merge(console::router())         // GET / and the console pages
///     .merge(metrics::router())         // GET /metrics
/// ```
///
/// A feature router is a `Router<HttpState>` (or a stateless `Router`), so its handlers
/// can take `State<HttpState>`; its paths must not start with `/matchledger.`.
pub fn router(state: HttpState) -> Router {
    Router::new()
        .merge(connect::router(&state))
        .merge(openapi::router())
        .merge(metrics::router())
        .with_state(state)
        .merge(console::router())
}

/// Prepares the HTTP listener on `listener` over the tonic `services` of the gRPC
/// listener, behind a guard of its own with the same `authentication`, over TLS when
/// `tls` is given. The returned future serves until `stop` turns true.
pub fn listen(
    listener: tokio::net::TcpListener,
    ledger: Ledger,
    services: tonic::service::Routes,
    authentication: crate::api::guard::Authentication,
    tls: Option<&crate::api::tls::TlsSettings>,
    stop: tokio::sync::watch::Receiver<bool>,
    tlog: Option<crate::tlog::TlogState>,
) -> Result<impl std::future::Future<Output = ()>, server::HttpServeError> {
    let acceptor = tls.map(server::tls_acceptor).transpose()?;
    let descriptors = Descriptors::load()?;
    let loopback_names_only = matches!(authentication, crate::api::guard::Authentication::Open)
        && listener
            .local_addr()
            .is_ok_and(|address| address.ip().is_loopback());
    let counted = tower_layer::Layer::layer(
        &crate::api::query_metrics::QueryMetricsLayer::new(Arc::clone(ledger.metrics())),
        services,
    );
    let guarded =
        tower_layer::Layer::layer(&crate::api::guard::GuardLayer::new(authentication), counted);
    let state = HttpState {
        ledger,
        grpc: GrpcClient::new(tower::util::BoxCloneSyncService::new(guarded)),
        descriptors: Arc::new(descriptors),
    };
    let mut app = router(state.clone());
    // The log as C2SP tlog-tiles, unauthenticated by design (`docs/tlog.md`).
    if let Some(tlog) = tlog {
        app = app.nest(crate::tlog::PREFIX, crate::tlog::router(tlog));
    }
    if loopback_names_only {
        app = app.layer(axum::middleware::from_fn_with_state(
            state,
            host::loopback_names_only,
        ));
    }
    Ok(server::serve(listener, app, acceptor, stop))
}
