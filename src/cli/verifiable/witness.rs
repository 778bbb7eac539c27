//! `matchledger witness`: run daily by a counterpart. Keeps the last head it trusted,
//! refuses loudly a head that does not extend it, optionally replays the log through the
//! ledger's rules, then cosigns the head (cosignature/v1) and hands the cosignature back.

use crate::cli::exit::verification_failed;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::heads::{fetch_verified_head, to_hashes};
use crate::api::proto::audit_service_client::AuditServiceClient;
use crate::api::proto::{
    AddCosignatureRequest, GetConsistencyProofRequest, ReadStoredEventsRequest,
};
use crate::api::tree_heads::{generate_key, now_seconds};
use crate::audit::{self, Checkpoint, SigningKey};
use crate::cli::client::{connect, AuthChannel};
use crate::cli::signing_key;
use crate::verifiable::witness::{check_growth, RuleChecker};

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
    /// Also fetch the events, check them against the head and replay them through the
    /// ledger's rules; refuse to cosign on any violation. The folded rule state is kept
    /// beside the state file (same name, extension `.rules`), so a later run fetches and
    /// replays only the events after the trusted head.
    #[arg(long)]
    pub check_rules: bool,
}

/// What one witness run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessReport {
    /// The head now trusted.
    pub size: u64,
    /// Events fetched and replayed by the rule check (0 without `--check-rules`).
    pub events_fetched: u64,
    /// Whether the rule check resumed from the saved state rather than replaying all.
    pub resumed: bool,
}

/// The file the rule check's state is kept in, beside the state file.
pub fn rules_path(state: &Path) -> PathBuf {
    state.with_extension("rules")
}

/// Writes `bytes` to `path` through a temporary file and a rename, so a crash leaves the
/// old file or the new one, never half of one.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, bytes)
        .and_then(|()| std::fs::rename(&temporary, path))
        .with_context(|| format!("saving {}", path.display()))
}

/// The rule check to continue: the saved one if it belongs to the trusted head, else a
/// fresh one (a full replay).
fn resume_rules(path: &Path, trusted: Option<&Checkpoint>) -> RuleChecker {
    let Some(trusted) = trusted else {
        return RuleChecker::new();
    };
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            if error.kind() != std::io::ErrorKind::NotFound {
                eprintln!(
                    "cannot read {}: {error}; replaying the whole log",
                    path.display()
                );
            }
            return RuleChecker::new();
        }
    };
    match RuleChecker::resume(&bytes, trusted) {
        Ok(checker) => checker,
        Err(reason) => {
            eprintln!(
                "the saved rule check {} is not usable ({reason}); replaying the whole log",
                path.display()
            );
            RuleChecker::new()
        }
    }
}

/// Fetches the events after the checker's size up to `checkpoint` and folds them.
async fn fetch_and_fold(
    audit: &mut AuditServiceClient<AuthChannel>,
    checker: &mut RuleChecker,
    checkpoint: &Checkpoint,
) -> anyhow::Result<u64> {
    let from = checker.size() + 1;
    if checkpoint.size < from {
        return Ok(0);
    }
    let mut stream = audit
        .read_stored_events(ReadStoredEventsRequest {
            from_sequence: from,
            limit: checkpoint.size - checker.size(),
        })
        .await
        .context("reading the events")?
        .into_inner();
    let mut fetched = 0u64;
    while let Some(event) = stream.message().await.context("reading the events")? {
        checker.fold([event.stored_bytes.as_slice()]);
        fetched += 1;
    }
    Ok(fetched)
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

/// `matchledger witness`: returns what it checked.
pub async fn witness(server: &str, args: WitnessArgs) -> anyhow::Result<WitnessReport> {
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
            return Err(verification_failed(format!(
                "the log is not consistent with the head trusted in {}",
                args.state.display()
            )));
        }
    }
    let mut report = WitnessReport {
        size: checkpoint.size,
        events_fetched: 0,
        resumed: false,
    };
    let mut checked = None;
    if args.check_rules {
        let rules = rules_path(&args.state);
        let mut checker = resume_rules(&rules, trusted.as_ref());
        report.resumed = checker.size() > 0;
        report.events_fetched =
            fetch_and_fold(&mut clients.audit, &mut checker, &checkpoint).await?;
        match checker.finish(&checkpoint) {
            Ok(rules) => eprintln!(
                "rules hold: {} events replayed from sequence {}{}, {} matches within their limits, no phase cash negative",
                rules.events,
                rules.from,
                if report.resumed { " (resumed at the trusted head)" } else { "" },
                rules.matches
            ),
            Err(problems) => {
                for problem in &problems {
                    eprintln!("!!! {problem}");
                }
                return Err(verification_failed(format!(
                    "the log breaks the ledger's rules, refusing to cosign: {}",
                    problems.join("; ")
                )));
            }
        }
        checked = Some((rules, checker));
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
    // The rule state first: should the head not be saved after it, the next run finds
    // it at another size than the trusted head and replays in full — slower, never wrong.
    if let Some((path, checker)) = &checked {
        let bytes = checker
            .to_bytes()
            .map_err(|error| anyhow::anyhow!("encoding the rule state: {error}"))?;
        write_atomically(path, &bytes)?;
    }
    write_atomically(&args.state, head.note.as_bytes())?;
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
    Ok(report)
}
