//! `match-bundle` fetches a contribution's verification bundle; `verify-match` checks one
//! offline and prints MATCHED / PARTIAL / UNMATCHED, or INVALID with its reasons.

use crate::cli::exit::verification_failed;
use std::path::PathBuf;

use anyhow::Context;

use crate::api::proto::GetMatchBundleRequest;
use crate::cli::client::connect;
use crate::verifiable::{verify_bundle, BundleVerdict, MatchBundle};

/// Options of `match-bundle`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct MatchBundleArgs {
    /// The contribution's id.
    pub contribution: String,
}

/// Options of `verify-match`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct VerifyMatchArgs {
    /// The bundle file written by `match-bundle`.
    pub bundle: PathBuf,
    /// The log's verifier key (`name+hash+key`), obtained out of band.
    #[arg(long)]
    pub public_key: String,
}

/// `matchledger match-bundle CONTRIBUTION`: prints the bundle JSON.
pub async fn match_bundle(server: &str, args: MatchBundleArgs) -> anyhow::Result<()> {
    let mut clients = connect(server).await?;
    let bundle = clients
        .audit
        .get_match_bundle(GetMatchBundleRequest {
            contribution_id: args.contribution,
        })
        .await
        .context("fetching the match bundle")?
        .into_inner();
    println!("{}", bundle.json);
    Ok(())
}

/// `matchledger verify-match BUNDLE --public-key K`: no server involved.
pub fn verify_match(json: bool, args: VerifyMatchArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.bundle)
        .with_context(|| format!("reading {}", args.bundle.display()))?;
    let verdict = match serde_json::from_str::<MatchBundle>(&text) {
        Ok(bundle) => verify_bundle(&bundle, &args.public_key),
        Err(error) => BundleVerdict::Invalid(vec![format!("not a match bundle: {error}")]),
    };
    match verdict {
        BundleVerdict::Valid(status) => {
            if json {
                println!("{}", serde_json::to_string_pretty(&status)?);
            } else {
                println!(
                    "{}: matched {} of a limit of {} (contribution {} × ratio {}){}",
                    status.status,
                    status.matched,
                    status.limit,
                    status.contributed,
                    status.match_ratio,
                    if status.contribution_reversed {
                        "; the contribution was reversed"
                    } else {
                        ""
                    }
                );
            }
            Ok(())
        }
        BundleVerdict::Invalid(reasons) => {
            println!("INVALID");
            for reason in &reasons {
                println!("  - {reason}");
            }
            Err(verification_failed(format!(
                "the bundle does not verify ({} problems)",
                reasons.len()
            )))
        }
    }
}
