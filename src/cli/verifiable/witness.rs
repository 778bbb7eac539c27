//! `matchledger witness`: run daily by a counterpart. Keeps the last head it trusted,
//! refuses loudly a head that does not extend it, optionally replays the log through the
//! ledger's rules, then cosigns the head (cosignature/v1) and hands the cosignature back.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use super::heads::{fetch_verified_head, to_hashes};
use crate::api::proto::{
    AddCosignatureRequest, GetConsistencyProofRequest, ReadStoredEventsRequest,
};
use crate::api::tree_heads::{generate_key, now_seconds};
use crate::audit::{self, SigningKey};
use crate::cli::client::connect;
use crate::cli::signing_key;
use crate::verifiable::witness::{check_growth, check_rules};

/// The name of a witness key created by `witness` itself.
const DEFAULT_WITNESS_NAME: &str = "witness.local/matchledger";

/// Options of `witness`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct WitnessArgs {
    /// File keeping the last trusted signed head (created on the first run).
    #[arg(long)]
    pub state: PathBuf,
    /// The log's verifier key (`name+hash+key`), obtained out of band.
    #[arg(long)]
    pub public_key: String,
    /// The witness's own signing key file; created (mode 0600) if absent. Without it the
    /// head is checked but not cosigned.
    #[arg(long)]
    pub witness_key: Option<PathBuf>,
    /// Also fetch every event, check it against the head and replay it through the
    /// ledger's rules; refuse to cosign on any violation.
    #[arg(long)]
    pub check_rules: bool,
}

fn witness_key(path: &Path) -> anyhow::Result<SigningKey> {
    if path.exists() {
        return signing_key::load(path);
    }
    let key = generate_key(DEFAULT_WITNESS_NAME)?;
    signing_key::write_private(&path.to_path_buf(), &key)?;
    eprintln!(
        "created witness key {}; its cosignature verifier key: {}",
        path.display(),
        key.cosignature_verifier_key()
    );
    Ok(key)
}

/// `matchledger witness`.
pub async fn witness(server: &str, args: WitnessArgs) -> anyhow::Result<()> {
    let mut clients = connect(server).await?;
    let (head, checkpoint) =
        fetch_verified_head(&mut clients.audit, Some(&args.public_key)).await?;
    let trusted = match std::fs::read_to_string(&args.state) {
        Ok(note) => Some(
            audit::verify_checkpoint(&note, &args.public_key).with_context(|| {
                format!(
                    "the state file {} is not a head signed by the log",
                    args.state.display()
                )
            })?,
        ),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => {
            return Err(error).with_context(|| format!("reading {}", args.state.display()))
        }
    };
    if let Some(old) = &trusted {
        let proof = if old.size <= checkpoint.size {
            clients
                .audit
                .get_consistency_proof(GetConsistencyProofRequest {
                    old_size: old.size,
                    new_size: checkpoint.size,
                })
                .await
                .context("fetching the consistency proof")?
                .into_inner()
                .hashes
        } else {
            Vec::new()
        };
        if let Err(problem) = check_growth(old, &checkpoint, &to_hashes(&proof)?) {
            eprintln!("!!! {problem}");
            bail!(
                "the log is not consistent with the head trusted in {}",
                args.state.display()
            );
        }
    }
    if args.check_rules {
        let mut leaves = Vec::new();
        if checkpoint.size > 0 {
            let mut stream = clients
                .audit
                .read_stored_events(ReadStoredEventsRequest {
                    from_sequence: 1,
                    limit: checkpoint.size,
                })
                .await
                .context("reading the events")?
                .into_inner();
            while let Some(event) = stream.message().await.context("reading the events")? {
                leaves.push(event.stored_bytes);
            }
        }
        match check_rules(&leaves, &checkpoint) {
            Ok(report) => eprintln!(
                "rules hold: {} events replayed, {} matches within their limits, no phase cash negative",
                report.events, report.matches
            ),
            Err(problems) => {
                for problem in &problems {
                    eprintln!("!!! {problem}");
                }
                bail!("the log breaks the ledger's rules: refusing to cosign");
            }
        }
    }
    if let Some(path) = &args.witness_key {
        let key = witness_key(path)?;
        let line = audit::cosign(&checkpoint, &key, now_seconds())?;
        clients
            .audit
            .add_cosignature(AddCosignatureRequest {
                checkpoint: checkpoint.to_body(),
                cosignature: line,
            })
            .await
            .context("handing the cosignature back")?;
        eprintln!("cosigned as {}", key.cosignature_verifier_key());
    }
    let temporary = args.state.with_extension("tmp");
    std::fs::write(&temporary, &head.note)
        .and_then(|()| std::fs::rename(&temporary, &args.state))
        .with_context(|| format!("saving {}", args.state.display()))?;
    println!(
        "OK: {} has {} events, root {}{}",
        checkpoint.origin,
        checkpoint.size,
        hex::encode(checkpoint.root),
        trusted.map_or(String::from(" (first head trusted)"), |old| format!(
            ", consistent with the trusted head of size {}",
            old.size
        ))
    );
    Ok(())
}
