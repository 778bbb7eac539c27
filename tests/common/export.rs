//! The export tests' one way to export a running server's ledger into a fresh directory,
//! with the public key the server signs with, so the manifest's signature is checked.

use matchledger::cli::verifiable::export::{export, ExportArgs};
use tempfile::TempDir;

/// Exports the ledger served at `address` into a new temporary directory.
pub async fn export_from_server(address: &str, public_key: String) -> TempDir {
    let out = TempDir::new().expect("temp dir");
    export(
        address,
        ExportArgs {
            out: out.path().to_path_buf(),
            data_dir: None,
            signing_key: None,
            public_key: Some(public_key),
        },
    )
    .await
    .expect("export from the server");
    out
}
