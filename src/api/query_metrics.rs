//! Counts query and audit calls by gRPC method into the ledger's metrics, as a tower
//! layer over the tonic services: the gRPC listener and the HTTP listener's in-process
//! calls both pass through it, so a method is counted once however it was called.

use std::sync::Arc;
use std::task::{Context, Poll};

use tonic::codegen::http;
use tonic::codegen::Service;

use crate::metrics::Metrics;

/// The services whose calls are counted (postings are counted by the ledger itself).
const COUNTED_PREFIXES: [&str; 2] = [
    "/matchledger.v1.QueryService/",
    "/matchledger.v1.AuditService/",
];

/// Wraps services in a [`QueryCounter`].
#[derive(Debug, Clone)]
pub struct QueryMetricsLayer {
    metrics: Arc<Metrics>,
}

impl QueryMetricsLayer {
    /// A layer counting into `metrics`.
    pub fn new(metrics: Arc<Metrics>) -> QueryMetricsLayer {
        QueryMetricsLayer { metrics }
    }
}

impl<S> tower_layer::Layer<S> for QueryMetricsLayer {
    type Service = QueryCounter<S>;

    fn layer(&self, inner: S) -> QueryCounter<S> {
        QueryCounter {
            inner,
            metrics: Arc::clone(&self.metrics),
        }
    }
}

/// Counts each query or audit call, then passes it on unchanged.
#[derive(Debug, Clone)]
pub struct QueryCounter<S> {
    inner: S,
    metrics: Arc<Metrics>,
}

impl<S, B> Service<http::Request<B>> for QueryCounter<S>
where
    S: Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let path = request.uri().path();
        if COUNTED_PREFIXES
            .iter()
            .any(|prefix| path.starts_with(prefix))
        {
            self.metrics.query(path);
        }
        self.inner.call(request)
    }
}
