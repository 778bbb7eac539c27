//! The posting service's health follows the ledger: SERVING while it takes postings,
//! NOT_SERVING from the moment it cannot (damage found at open, by a read or by the
//! background verification; a storage failure that stopped the writer; a shutdown), so
//! a load balancer or an operator's probe sees what every refused posting says.

use tokio::sync::watch;
use tonic_health::server::HealthReporter;

use super::posting::PostingApi;
use super::proto::posting_service_server::PostingServiceServer;
use crate::ledger::{StatusWatch, WriteStatus};

/// Sets the posting service's health from the ledger's status now.
pub async fn set_posting_health(health: &HealthReporter, status: &WriteStatus) {
    if status.is_writable() {
        health
            .set_serving::<PostingServiceServer<PostingApi>>()
            .await;
    } else {
        health
            .set_not_serving::<PostingServiceServer<PostingApi>>()
            .await;
    }
}

/// Keeps the posting service's health in step with the ledger `status` follows until `stop`
/// turns true or the ledger is gone. Holds no handle on the ledger itself, so the store
/// closes when the server is done with it.
pub async fn follow_ledger(
    health: HealthReporter,
    mut status: StatusWatch,
    mut stop: watch::Receiver<bool>,
) {
    set_posting_health(&health, &status.current()).await;
    loop {
        let changed = tokio::select! {
            changed = status.changed() => changed,
            _ = stop.wait_for(|stopping| *stopping) => return,
        };
        let Some(now) = changed else {
            return;
        };
        if !now.is_writable() {
            tracing::error!(status = %now, "the posting service is NOT_SERVING");
        }
        set_posting_health(&health, &now).await;
    }
}
