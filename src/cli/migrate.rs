//! `matchledger migrate`: moves a stopped ledger from its sled data directory into an
//! empty PostgreSQL database, with identical events, hashes, root and signed heads, and
//! verifies the copy (see `store::migrate` and docs/postgresql.md).

use std::path::PathBuf;

use anyhow::Context;

use crate::store::migrate::sled_to_postgres;

/// Options of `migrate`.
#[derive(Debug, Clone, clap::Args)]
pub struct MigrateArgs {
    /// The data directory of the ledger to move (its server must be stopped).
    #[arg(long)]
    pub data_dir: PathBuf,
    /// The empty PostgreSQL database to move it into
    /// (`postgresql://USER@HOST:PORT/DB`).
    #[arg(long, env = "MATCHLEDGER_POSTGRES")]
    pub postgres: String,
}

/// Copies and verifies; prints what was moved. The data directory is left as it was
/// (it keeps the signing key, which `serve --postgres` reads from there).
pub fn migrate(args: &MigrateArgs) -> anyhow::Result<()> {
    let mut last_report = std::time::Instant::now();
    let migrated = sled_to_postgres(&args.data_dir, &args.postgres, |sequence| {
        if last_report.elapsed() >= std::time::Duration::from_secs(2) {
            eprintln!("copied events up to sequence {sequence}");
            last_report = std::time::Instant::now();
        }
    })
    // The URL may carry a password, so only the directory is named.
    .with_context(|| {
        format!(
            "moving the ledger in {} to PostgreSQL",
            args.data_dir.display()
        )
    })?;
    println!(
        "moved and verified: {} events (root {}), {} idempotency records, {} signed heads \
         with {} cosignatures, {} closing statements, snapshot {}",
        migrated.head.sequence,
        hex::encode(migrated.root),
        migrated.idempotency_records,
        migrated.signed_heads,
        migrated.cosignatures,
        migrated.closing_statements,
        migrated
            .snapshot
            .map_or("none".to_string(), |sequence| format!("at {sequence}")),
    );
    Ok(())
}
