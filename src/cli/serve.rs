//! `matchledger serve`: the ledger as a gRPC server.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::api::server;
use crate::ledger::Ledger;

/// Options of `serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Directory of the embedded database (created if absent).
    #[arg(long, env = "MATCHLEDGER_DATA_DIR", default_value = "matchledger-data")]
    pub data_dir: PathBuf,
    /// Address to listen on.
    #[arg(long, env = "MATCHLEDGER_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
}

/// Opens the ledger, serves until SIGINT or SIGTERM, then finishes in-flight commands,
/// flushes and exits.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let data_dir = args.data_dir.clone();
    let ledger = tokio::task::spawn_blocking(move || Ledger::open_or_read_only(&data_dir))
        .await?
        .with_context(|| format!("opening the ledger in {}", args.data_dir.display()))?;
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    if let Some(damage) = ledger.damage() {
        tracing::error!(
            damaged_sequence = damage.sequence,
            last_good_sequence = damage.last_good.sequence,
            reason = %damage.reason,
            "READ-ONLY MODE: the event log is damaged; serving reads up to the last good \
             event and refusing every posting. Run `matchledger check` and restore the data \
             directory from a backup."
        );
    }
    tracing::info!(
        address = %listener.local_addr()?,
        read_only = ledger.damage().is_some(),
        data_dir = %args.data_dir.display(),
        head = ledger.head(),
        "matchledger serving"
    );
    server::run(listener, ledger, shutdown_signal()).await?;
    tracing::info!("matchledger stopped cleanly");
    Ok(())
}

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("interrupt received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}
