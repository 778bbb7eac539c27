//! `matchledger serve`: the ledger as a gRPC server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::api::guard::Authentication;
use crate::api::principals::Principals;
use crate::api::server::{self, ServerConfig};
use crate::api::tls::TlsSettings;
use crate::api::witness_keys::WitnessKeys;
use crate::ledger::Ledger;

/// Options of `serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Directory of the embedded database (created if absent).
    #[arg(long, env = "MATCHLEDGER_DATA_DIR", default_value = "matchledger-data")]
    pub data_dir: PathBuf,
    /// Keep the event log in this PostgreSQL database
    /// (`postgresql://USER@HOST:PORT/DB`) instead of sled in the data directory, which
    /// then holds only the signing key. See docs/postgresql.md.
    #[arg(long, env = "MATCHLEDGER_POSTGRES")]
    pub postgres: Option<String>,
    /// Address to listen on.
    #[arg(long, env = "MATCHLEDGER_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    /// Principals file (see `matchledger principal add`). Without it the server runs
    /// without authentication, and only on a loopback address.
    #[arg(long, env = "MATCHLEDGER_PRINCIPALS")]
    pub principals: Option<PathBuf>,
    /// Server certificate chain (PEM): serve over TLS.
    #[arg(long, env = "MATCHLEDGER_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// Server private key (PEM).
    #[arg(long, env = "MATCHLEDGER_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// CA certificate (PEM) of client certificates: require mutual TLS.
    #[arg(
        long,
        env = "MATCHLEDGER_CLIENT_CA",
        requires = "tls_cert",
        requires = "principals"
    )]
    pub client_ca: Option<PathBuf>,
    /// Serve without authentication on a non-loopback address anyway.
    #[arg(long)]
    pub insecure: bool,
    /// The tree-head signing key (a `PRIVATE+KEY+...` file); by default
    /// `<data-dir>/signing.key`, created on first start.
    #[arg(long, env = "MATCHLEDGER_SIGNING_KEY")]
    pub signing_key: Option<PathBuf>,
    /// The checkpoint origin (the signing key's name) of a key created on first start.
    #[arg(long, env = "MATCHLEDGER_ORIGIN", default_value = crate::api::tree_heads::DEFAULT_ORIGIN)]
    pub origin: String,
    /// Witness keys file: one signed-note verifier key (`name+hash+key`) per line, `#`
    /// comments allowed. With it, a cosignature handed back is kept only if it verifies
    /// under one of these keys (PERMISSION_DENIED for an unknown key, INVALID_ARGUMENT for
    /// a bad signature). Without it, every cosignature is refused: the server keeps
    /// cosignatures only from witnesses it can verify. A line under the log's own key
    /// name or key hash is always refused.
    #[arg(long, env = "MATCHLEDGER_WITNESS_KEYS")]
    pub witness_keys: Option<PathBuf>,
}

impl ServeArgs {
    /// The server configuration these options describe, with its files read.
    pub fn server_config(&self) -> anyhow::Result<ServerConfig> {
        let authentication = match &self.principals {
            Some(path) => {
                let principals = Principals::load(path)?;
                tracing::info!(path = %path.display(), principals = principals.len(), "principals loaded");
                Authentication::Principals(Arc::new(principals))
            }
            None => Authentication::Open,
        };
        let tls = match (&self.tls_cert, &self.tls_key) {
            (Some(certificate), Some(key)) => Some(TlsSettings::from_files(
                certificate,
                key,
                self.client_ca.as_deref(),
            )?),
            _ => None,
        };
        let signing_key = super::signing_key::load_or_create(
            &self.data_dir,
            self.signing_key.as_deref(),
            &self.origin,
        )?;
        tracing::info!(verifier_key = %signing_key.verifier_key(), "tree heads are signed");
        let witness_keys = match &self.witness_keys {
            Some(path) => {
                let keys = WitnessKeys::load(path)
                    .with_context(|| format!("reading witness keys from {}", path.display()))?;
                tracing::info!(path = %path.display(), witnesses = keys.len(), "witness keys loaded");
                Some(keys)
            }
            None => None,
        };
        Ok(ServerConfig {
            authentication,
            tls,
            insecure: self.insecure,
            signing_key: Some(signing_key),
            witness_keys,
            ..ServerConfig::default()
        })
    }
}

/// Opens the ledger, serves until SIGINT or SIGTERM, then finishes in-flight commands,
/// flushes and exits.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = args.server_config()?;
    config.check(args.listen)?;
    let ledger = open_ledger(&args).await?;
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
        engine = ledger.store().engine_name(),
        head = ledger.head(),
        tls = config.tls.is_some(),
        mutual_tls = config.tls.as_ref().is_some_and(TlsSettings::is_mutual),
        authenticated = matches!(config.authentication, Authentication::Principals(_)),
        "matchledger serving"
    );
    server::run_with(listener, ledger, config, shutdown_signal()).await?;
    tracing::info!("matchledger stopped cleanly");
    Ok(())
}

/// Opens the ledger on PostgreSQL when `--postgres` is given, else on sled in the data
/// directory (read-only when its log is damaged).
async fn open_ledger(args: &ServeArgs) -> anyhow::Result<Ledger> {
    let data_dir = args.data_dir.clone();
    match args.postgres.clone() {
        // The URL may carry a password, so it is never logged or put in an error.
        Some(url) => tokio::task::spawn_blocking(move || Ledger::open_postgres(&url))
            .await?
            .context("opening the ledger in PostgreSQL"),
        None => tokio::task::spawn_blocking(move || Ledger::open_or_read_only(&data_dir))
            .await?
            .with_context(|| format!("opening the ledger in {}", args.data_dir.display())),
    }
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
