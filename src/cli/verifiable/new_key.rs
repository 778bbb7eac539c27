//! `matchledger new-signing-key`: makes a signing key file for a key rotation (the same
//! name as the log's current key) or for a witness, and prints its verifier keys.

use std::path::PathBuf;

use crate::api::tree_heads::generate_key;
use crate::cli::signing_key;

/// Options of `new-signing-key`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct NewKeyArgs {
    /// The key's name: for a rotation, the log's origin (its current key's name).
    #[arg(long)]
    pub name: String,
    /// The file to create (mode 0600); an existing file is never overwritten.
    #[arg(long)]
    pub out: PathBuf,
}

/// Creates the key and prints its verifier key and cosignature verifier key.
pub fn new_signing_key(args: NewKeyArgs) -> anyhow::Result<()> {
    let key = generate_key(&args.name)?;
    signing_key::write_private(&args.out, &key)?;
    println!("verifier key: {}", key.verifier_key());
    println!(
        "cosignature verifier key: {}",
        key.cosignature_verifier_key()
    );
    Ok(())
}
