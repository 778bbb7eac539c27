//! `matchledger principal add`: creates a principal in a principals file and prints its
//! bearer token, once; only the token's SHA-256 is written to the file.

use std::path::PathBuf;

use anyhow::Context;

use crate::api::principals::add_principal;
use crate::domain::Role;

/// Options of `principal`.
#[derive(Debug, Clone, clap::Args)]
pub struct PrincipalArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: PrincipalAction,
}

/// Subcommands of `principal`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum PrincipalAction {
    /// Add a principal and print its new token.
    Add(AddArgs),
}

/// Options of `principal add`.
#[derive(Debug, Clone, clap::Args)]
pub struct AddArgs {
    /// The principals file (created with mode 0600 if absent).
    #[arg(long, env = "MATCHLEDGER_PRINCIPALS")]
    pub file: PathBuf,
    /// The principal's name, recorded as the actor of its events (with --mtls: the subject
    /// common name of its client certificate).
    #[arg(long)]
    pub name: String,
    /// A role: finance, government, auditor or admin. Repeat for several.
    #[arg(long = "role", required = true, value_parser = parse_role)]
    pub roles: Vec<Role>,
    /// Sign in with a client certificate only: no token is created.
    #[arg(long)]
    pub mtls: bool,
}

fn parse_role(text: &str) -> Result<Role, String> {
    text.parse::<Role>().map_err(|error| error.to_string())
}

/// Runs `principal`.
pub fn principal(args: PrincipalArgs) -> anyhow::Result<()> {
    match args.action {
        PrincipalAction::Add(add) => {
            let token = add_principal(&add.file, &add.name, &add.roles, add.mtls)
                .with_context(|| format!("adding {:?} to {}", add.name, add.file.display()))?;
            let roles: Vec<&str> = add.roles.iter().map(|role| role.as_str()).collect();
            match token {
                Some(token) => {
                    eprintln!(
                        "added {} ({}) to {}; its token is shown once, store it now:",
                        add.name,
                        roles.join(", "),
                        add.file.display()
                    );
                    println!("{token}");
                }
                None => eprintln!(
                    "added {} ({}) to {}; it signs in with a client certificate whose subject CN is {:?}",
                    add.name,
                    roles.join(", "),
                    add.file.display(),
                    add.name
                ),
            }
            Ok(())
        }
    }
}
