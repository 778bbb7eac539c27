//! `check` never changes the directory it checks. sled has no read-only mode: opening a
//! directory recovers its log and may write a new `snap.*` file, and the store records
//! its verified checkpoint on open. So `check` copies the directory, under the same lock
//! the server takes (a running server's directory is refused, not copied half-written),
//! and checks the copy, which is deleted afterwards. The tree-head signing key is not
//! copied: the check does not need it, and a secret should not be duplicated.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use super::signing_key::KEY_FILE;

/// sled's data file, the one it locks (`Config::db_path` in sled 0.34.7).
const SLED_DATA_FILE: &str = "db";

/// A copy of a data directory, removed when dropped.
pub struct ScratchCopy {
    /// The copied directory, to open and check.
    pub dir: PathBuf,
    _temp: tempfile::TempDir,
}

/// Copies `dir` into a fresh private directory under `scratch` (the system's temporary
/// directory when `None`), holding sled's lock on `dir` while it copies.
pub fn copy_for_check(dir: &Path, scratch: Option<&Path>) -> anyhow::Result<ScratchCopy> {
    let _lock = lock(dir)?;
    let temp = match scratch {
        Some(scratch) => tempfile::Builder::new()
            .prefix("matchledger-check-")
            .tempdir_in(scratch),
        None => tempfile::Builder::new()
            .prefix("matchledger-check-")
            .tempdir(),
    }
    .context("making a scratch directory for the copy")?;
    let copy = temp.path().join("data");
    copy_tree(dir, &copy).with_context(|| {
        format!(
            "copying {} to {} (pass --scratch-dir to copy elsewhere)",
            dir.display(),
            copy.display()
        )
    })?;
    Ok(ScratchCopy {
        dir: copy,
        _temp: temp,
    })
}

/// Takes sled's own exclusive lock on its data file, so that no server writes while the
/// copy is made; released when the returned file is dropped.
fn lock(dir: &Path) -> anyhow::Result<File> {
    let path = dir.join(SLED_DATA_FILE);
    let file = File::open(&path).with_context(|| format!("opening {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // sled 0.34 locks with fs2's `try_lock_exclusive`, which is `flock(LOCK_EX |
        // LOCK_NB)` on Unix; the same call here conflicts with it. Only a descriptor
        // this function owns is passed.
        let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if locked != 0 {
            bail!(
                "{} is in use (a server has it open): stop the server, or check a backup",
                dir.display()
            );
        }
    }
    Ok(file)
}

/// Copies the files and directories under `from` into `to` (created), except the
/// signing key.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_file() && entry.file_name() != KEY_FILE {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
