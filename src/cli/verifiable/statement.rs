//! `phase-statement` fetches a signed statement of a phase's totals (current, or signed
//! when the phase closed); `verify-statement`
//! checks one offline.

use std::path::PathBuf;

use anyhow::Context;

use crate::api::proto::GetPhaseStatementRequest;
use crate::cli::client::connect;
use crate::verifiable::statement::verify_statement as verify_note;

/// Options of `phase-statement`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct PhaseStatementArgs {
    /// The phase's id.
    pub phase: String,
    /// The statement the server signed when the phase closed (at the tree ending with
    /// its PhaseClosed event), instead of one of its current totals.
    #[arg(long)]
    pub at_close: bool,
}

/// Options of `verify-statement`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct VerifyStatementArgs {
    /// The statement file written by `phase-statement`.
    pub file: PathBuf,
    /// The log's verifier key (`name+hash+key`), obtained out of band.
    #[arg(long)]
    pub public_key: String,
}

/// `matchledger phase-statement PHASE`: prints the signed note.
pub async fn phase_statement(server: &str, args: PhaseStatementArgs) -> anyhow::Result<()> {
    let mut clients = connect(server).await?;
    let statement = clients
        .audit
        .get_phase_statement(GetPhaseStatementRequest {
            phase_id: args.phase,
            at_close: args.at_close,
        })
        .await
        .context("fetching the phase statement")?
        .into_inner();
    print!("{}", statement.note);
    Ok(())
}

/// `matchledger verify-statement FILE --public-key K`: no server involved.
pub fn verify_statement(json: bool, args: VerifyStatementArgs) -> anyhow::Result<()> {
    let note = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let lines = verify_note(&note, &args.public_key)
        .context("INVALID: the statement is not signed by the given key")?;
    if json {
        let map: serde_json::Map<String, serde_json::Value> = lines
            .into_iter()
            .map(|(key, value)| (key, serde_json::Value::String(value)))
            .collect();
        println!("{}", serde_json::to_string_pretty(&map)?);
    } else {
        println!("VALID: signed by {}", args.public_key);
        for (key, value) in lines {
            println!("  {key:<20} {value}");
        }
    }
    Ok(())
}
