//! `matchledger serve`: the ledger as a gRPC server, with the HTTP listener beside it.

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
use crate::tlog::push::WitnessUrl;
use crate::tlog::TlogListener;

/// Options of `serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Directory of the embedded database (created if absent).
    #[arg(long, env = "MATCHLEDGER_DATA_DIR", default_value = "matchledger-data")]
    pub data_dir: PathBuf,
    /// Address to listen on.
    #[arg(long, env = "MATCHLEDGER_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    /// Address of the HTTP listener (JSON API, OpenAPI, console), with the same TLS,
    /// principals and roles as gRPC; `off` for gRPC only.
    #[arg(
        long,
        env = "MATCHLEDGER_HTTP_LISTEN",
        default_value = "127.0.0.1:8080"
    )]
    pub http_listen: super::http_listen::HttpListen,
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
    /// During a key rotation, the key being retired (a `PRIVATE+KEY+...` file with the same
    /// name as the signing key): every note is signed by both keys, so verifiers holding
    /// either accept it (see docs/tlog.md, "Rotating the signing key").
    #[arg(long, env = "MATCHLEDGER_PREVIOUS_SIGNING_KEY")]
    pub previous_signing_key: Option<PathBuf>,
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
    /// Seconds between background verifications of the whole event log, the first at
    /// start-up (reads and postings go on meanwhile; damage found makes the server
    /// read-only). 0 turns background verification off.
    #[arg(
        long,
        env = "MATCHLEDGER_VERIFY_INTERVAL_SECS",
        default_value_t = crate::limits::VERIFICATION_INTERVAL_DEFAULT.as_secs()
    )]
    pub verify_interval_secs: u64,
    /// Also serve the log as C2SP tlog-tiles (checkpoint, hash tiles, entry bundles) on
    /// this address, under `/tlog/`. Unauthenticated: loopback only unless --tlog-public.
    #[arg(long, env = "MATCHLEDGER_TLOG_LISTEN")]
    pub tlog_listen: Option<SocketAddr>,
    /// The log's events are public: allow --tlog-listen on a non-loopback address.
    #[arg(long, requires = "tlog_listen")]
    pub tlog_public: bool,
    /// A C2SP tlog-witness to push each grown tree head to (its URL prefix; the log POSTs
    /// `<URL>/add-checkpoint`). Repeatable. Its key must be in --witness-keys.
    #[arg(long = "witness", value_name = "URL")]
    pub witnesses: Vec<String>,
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
        let previous_signing_key = match &self.previous_signing_key {
            Some(path) => Some(super::signing_key::load(path)?),
            None => None,
        };
        let witness_keys = match &self.witness_keys {
            Some(path) => {
                let keys = WitnessKeys::load(path)
                    .with_context(|| format!("reading witness keys from {}", path.display()))?;
                tracing::info!(path = %path.display(), witnesses = keys.len(), "witness keys loaded");
                Some(keys)
            }
            None => None,
        };
        let tlog = match self.tlog_listen {
            Some(address) => {
                crate::tlog::check_address(address, self.tlog_public)
                    .map_err(anyhow::Error::msg)?;
                Some(
                    TlogListener::bind(address, self.tlog_public)
                        .with_context(|| format!("listening for tlog-tiles on {address}"))?,
                )
            }
            None => None,
        };
        let witnesses = self
            .witnesses
            .iter()
            .map(|url| WitnessUrl::parse(url).map_err(anyhow::Error::msg))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(ServerConfig {
            authentication,
            tlog,
            witnesses,
            tls,
            insecure: self.insecure,
            signing_key: Some(signing_key),
            previous_signing_key,
            witness_keys,
            verification_interval: (self.verify_interval_secs > 0)
                .then(|| std::time::Duration::from_secs(self.verify_interval_secs)),
            ..ServerConfig::default()
        })
    }
}

/// Opens the ledger, serves until SIGINT or SIGTERM, then finishes in-flight commands,
/// flushes and exits.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = args.server_config()?;
    config.check(args.listen)?;
    if let super::http_listen::HttpListen::On(address) = args.http_listen {
        config.check(address)?;
    }
    let data_dir = args.data_dir.clone();
    let ledger = tokio::task::spawn_blocking(move || Ledger::open_or_read_only(&data_dir))
        .await?
        .with_context(|| format!("opening the ledger in {}", args.data_dir.display()))?;
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let http = args.http_listen.bind().await?;
    let http_address = match &http {
        Some(http) => http.local_addr()?.to_string(),
        None => "off".to_string(),
    };
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
        http_address = %http_address,
        read_only = ledger.damage().is_some(),
        data_dir = %args.data_dir.display(),
        head = ledger.head(),
        tls = config.tls.is_some(),
        mutual_tls = config.tls.as_ref().is_some_and(TlsSettings::is_mutual),
        authenticated = matches!(config.authentication, Authentication::Principals(_)),
        "matchledger serving"
    );
    server::run_with_http(listener, http, ledger, config, shutdown_signal()).await?;
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
