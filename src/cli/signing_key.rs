//! The server's tree-head signing key: created on first start in the data directory
//! (readable by its owner only) or loaded from a file the operator names.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::api::tree_heads::generate_key;
use crate::audit::SigningKey;

/// The key file's name inside the data directory.
pub const KEY_FILE: &str = "signing.key";

/// The key in `given`, or the one in `<data_dir>/signing.key`, created there (named
/// `origin`, mode 0600) if absent.
pub fn load_or_create(
    data_dir: &Path,
    given: Option<&Path>,
    origin: &str,
) -> anyhow::Result<SigningKey> {
    if let Some(path) = given {
        return load(path);
    }
    let path = data_dir.join(KEY_FILE);
    if path.exists() {
        return load(&path);
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let key = generate_key(origin)?;
    write_private(&path, &key)?;
    tracing::info!(path = %path.display(), verifier_key = %key.verifier_key(), "created the tree-head signing key");
    Ok(key)
}

/// Reads a signer key string (`PRIVATE+KEY+...`) from `path`.
pub fn load(path: &Path) -> anyhow::Result<SigningKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the signing key {}", path.display()))?;
    SigningKey::from_private_key(text.trim())
        .with_context(|| format!("{} is not a signing key", path.display()))
}

/// Writes `key` to a new file only its owner can read.
pub fn write_private(path: &PathBuf, key: &SigningKey) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    writeln!(file, "{}", key.to_private_key())?;
    file.sync_all()?;
    Ok(())
}
