//! `GET /metrics`: the ledger's metrics in the Prometheus (OpenMetrics) text format, for
//! a Prometheus server to scrape. See `docs/operations.md` for the metrics and alerts.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use super::HttpState;

/// The route of the metrics endpoint.
pub fn router() -> Router<HttpState> {
    Router::new().route("/metrics", get(scrape))
}

async fn scrape(State(state): State<HttpState>) -> impl IntoResponse {
    let ledger = &state.ledger;
    let text = ledger.metrics().encode(ledger.metric_readings());
    ([(CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], text)
}
