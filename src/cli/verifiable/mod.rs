//! Client commands for verifiable history: the signed tree head, inclusion proofs, and
//! the offline checks that need no trust in the server.

pub mod bundle;
pub mod export;
pub mod heads;
pub mod new_key;
pub mod statement;
pub mod witness;
pub mod witness_serve;

use clap::Subcommand;

/// Commands that prove the log's history.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum VerifiableCommand {
    /// Prints the server's latest signed tree head and its verifier key.
    TreeHead(heads::TreeHeadArgs),
    /// Fetches and checks the inclusion proof of one event against the signed tree head.
    ProveInclusion(heads::ProveInclusionArgs),
    /// Prints a contribution's match verification bundle (JSON) for offline checking.
    MatchBundle(bundle::MatchBundleArgs),
    /// Checks a match bundle offline: MATCHED / PARTIAL / UNMATCHED, or INVALID (exit 5).
    VerifyMatch(bundle::VerifyMatchArgs),
    /// Writes a self-verifying export: events.jsonl, balances.csv, smes.csv, manifest.json.
    Export(export::ExportArgs),
    /// Checks an export offline: hashes, chain, Merkle root, signature and balances.
    Verify(export::VerifyArgs),
    /// Prints a signed statement of a phase's totals at the current tree head.
    PhaseStatement(statement::PhaseStatementArgs),
    /// Checks a phase statement's signature offline and prints its totals.
    VerifyStatement(statement::VerifyStatementArgs),
    /// Checks the log only grew since the last trusted head, optionally replays its rules,
    /// then cosigns the head and hands the cosignature back.
    Witness(witness::WitnessArgs),
    /// Serves the witness as a C2SP tlog-witness (`POST /add-checkpoint`) for one log.
    WitnessServe(witness_serve::WitnessServeArgs),
    /// Creates a signing key file (for a key rotation or a witness) and prints its keys.
    NewSigningKey(new_key::NewKeyArgs),
}

/// Runs one command; `server` is used only by commands that talk to one.
pub async fn run(server: &str, json: bool, command: VerifiableCommand) -> anyhow::Result<()> {
    match command {
        VerifiableCommand::TreeHead(args) => heads::tree_head(server, json, args).await,
        VerifiableCommand::ProveInclusion(args) => heads::prove_inclusion(server, json, args).await,
        VerifiableCommand::MatchBundle(args) => bundle::match_bundle(server, args).await,
        VerifiableCommand::VerifyMatch(args) => bundle::verify_match(json, args),
        VerifiableCommand::Export(args) => export::export(server, args).await,
        VerifiableCommand::Verify(args) => export::verify(args),
        VerifiableCommand::PhaseStatement(args) => statement::phase_statement(server, args).await,
        VerifiableCommand::VerifyStatement(args) => statement::verify_statement(json, args),
        VerifiableCommand::Witness(args) => witness::witness(server, args).await.map(|_| ()),
        VerifiableCommand::WitnessServe(args) => witness_serve::witness_serve(args).await,
        VerifiableCommand::NewSigningKey(args) => new_key::new_signing_key(args),
    }
}
