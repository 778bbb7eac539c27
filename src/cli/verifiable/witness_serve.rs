//! `matchledger witness-serve`: the witness as a C2SP tlog-witness server, so that our log
//! (`serve --witness`) and any log speaking the standard protocol can push heads to it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;

use crate::api::tree_heads::generate_key;
use crate::cli::serve::shutdown_signal;
use crate::cli::signing_key;
use crate::tlog::witness_server::{self, WitnessConfig, WitnessServer};

/// The name of a witness key created by `witness-serve` itself.
const DEFAULT_WITNESS_NAME: &str = "witness.local/matchledger";

/// Options of `witness-serve`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct WitnessServeArgs {
    /// Address to answer `POST /add-checkpoint` on.
    #[arg(long, default_value = "127.0.0.1:7380")]
    pub listen: SocketAddr,
    /// The log's verifier key (`name+hash+key`), obtained out of band; its name is the
    /// only origin this witness cosigns.
    #[arg(long)]
    pub log_key: String,
    /// The witness's own signing key file; created (mode 0600) if absent.
    #[arg(long)]
    pub witness_key: PathBuf,
    /// File keeping the last head cosigned (created on the first cosignature); the rule
    /// state is kept beside it (extension `.rules`).
    #[arg(long)]
    pub state: PathBuf,
    /// Replay each new head's events through the ledger's rules before cosigning, read
    /// from the log's tlog-tiles entry bundles at --log-tiles.
    #[arg(long, requires = "log_tiles")]
    pub check_rules: bool,
    /// The log's tlog-tiles URL prefix (`http://HOST:PORT/tlog`), for --check-rules.
    #[arg(long)]
    pub log_tiles: Option<String>,
}

/// Serves until SIGINT or SIGTERM.
pub async fn witness_serve(args: WitnessServeArgs) -> anyhow::Result<()> {
    let key = if args.witness_key.exists() {
        signing_key::load(&args.witness_key)?
    } else {
        let key = generate_key(DEFAULT_WITNESS_NAME)?;
        signing_key::write_private(&args.witness_key, &key)?;
        key
    };
    let server = WitnessServer::open(WitnessConfig {
        log_key: args.log_key.clone(),
        key,
        state: args.state.clone(),
        log_tiles: args.check_rules.then(|| args.log_tiles.clone()).flatten(),
    })
    .map_err(anyhow::Error::msg)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    tracing::info!(
        address = %listener.local_addr()?,
        cosignature_key = %server.cosignature_verifier_key(),
        check_rules = args.check_rules,
        "witness serving add-checkpoint"
    );
    witness_server::run(listener, Arc::new(server), shutdown_signal()).await?;
    Ok(())
}
