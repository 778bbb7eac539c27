//! Making an acknowledged write survive `kill -9` and power loss.
//!
//! `sled::Db::flush` writes sled's log buffers and, on Linux, ends in
//! `sync_file_range(WAIT_BEFORE | WRITE | WAIT_AFTER)` (sled issue #1452). That call
//! neither flushes the drive's write cache nor the file's metadata (its new length), so
//! after a power loss a flushed write can still be lost. Each commit therefore follows
//! the flush with a real `fdatasync` of sled's single data file, `<dir>/db` in sled
//! 0.34.7 (`Config::db_path`), through a handle kept open for the life of the store. The
//! sync is of the file, not of the handle, so it covers sled's writes made through its
//! own handle. Large values would escape it (sled writes them as unsynced files under
//! `blobs/`); the segment size in `layout` keeps every value inline.

use std::fs::{File, OpenOptions};
use std::path::Path;

use super::error::StoreError;

/// sled 0.34.7's data file inside the store directory.
const DATA_FILE_NAME: &str = "db";

/// sled 0.34.7's configuration file inside the store directory.
const SLED_CONF_FILE_NAME: &str = "conf";

/// An open handle on sled's data file, used only to fsync it.
pub(crate) struct DataFile {
    file: File,
    /// Makes every commit fail after sled's flush, as a failing disk would: the seam the
    /// ledger's tests use to prove that a write whose sync failed is never acknowledged.
    #[cfg(test)]
    pub(crate) fail_commits: std::sync::atomic::AtomicBool,
}

impl DataFile {
    /// Opens the data file sled has just created or opened in `dir`, and makes the
    /// directory entries of a new store durable.
    pub(crate) fn open(dir: &Path) -> Result<DataFile, StoreError> {
        let path = dir.join(DATA_FILE_NAME);
        // Writable, because some platforms refuse to sync a read-only handle; never
        // created here: if sled did not make it, this is not the file sled writes.
        let file = OpenOptions::new().read(true).write(true).open(&path)?;
        sync_sled_conf(dir)?;
        sync_directory(dir)?;
        Ok(DataFile {
            file,
            #[cfg(test)]
            fail_commits: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Flushes sled and then fsyncs its data file: when this returns, every write
    /// applied before the call is on stable storage.
    pub(crate) fn commit(&self, db: &sled::Db) -> Result<(), StoreError> {
        db.flush()?;
        #[cfg(test)]
        if self.fail_commits.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(std::io::Error::other("injected sync failure").into());
        }
        // fdatasync also writes the metadata needed to read the data back (the file
        // length, which grows as sled appends), which is all recovery needs.
        self.file.sync_data()?;
        Ok(())
    }
}

/// sled writes its `conf` file (the settings a store was created with, which it checks
/// on every open) and never syncs it: after a power cut soon after the first start it can
/// be found empty, and sled then refuses the directory. Synced on every open; cheap.
fn sync_sled_conf(dir: &Path) -> Result<(), StoreError> {
    let path = dir.join(SLED_CONF_FILE_NAME);
    if path.is_file() {
        // Writable for the same reason as the data file's handle.
        OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)?
            .sync_all()?;
    }
    Ok(())
}

/// Creates `dir` and every missing directory above it, and makes each new entry durable
/// by fsyncing the directory that holds it: syncing the new directory alone does not
/// record its name in its parent, so a power cut soon after the first start could lose
/// the whole data directory on some file systems.
pub(crate) fn create_dir_durably(dir: &Path) -> Result<(), StoreError> {
    let holders = holders_of_missing(dir);
    std::fs::create_dir_all(dir)?;
    for holder in &holders {
        sync_directory(holder)?;
    }
    Ok(())
}

/// The directories that will hold a new entry when `dir` is created: the parent of
/// each missing directory from `dir` up, nearest first (`.` for a relative top).
pub(crate) fn holders_of_missing(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut holders = Vec::new();
    let mut at = dir;
    while !at.exists() {
        let Some(parent) = at.parent() else {
            break;
        };
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        holders.push(parent.to_path_buf());
        at = parent;
    }
    holders
}

/// Fsyncs the directory so that a newly created data file and its siblings survive a
/// power loss. Directories cannot be opened as files on Windows; there the entry is
/// durable once the file itself is.
fn sync_directory(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creating_a_nested_directory_syncs_every_directory_that_gains_an_entry() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("a").join("b").join("c");

        let holders = holders_of_missing(&dir);
        create_dir_durably(&dir).unwrap();

        assert_eq!(
            holders,
            vec![
                temp.path().join("a").join("b"),
                temp.path().join("a"),
                temp.path().to_path_buf()
            ]
        );
        assert!(dir.is_dir());
        assert!(
            holders_of_missing(&dir).is_empty(),
            "nothing left to create"
        );
    }

    #[test]
    fn a_relative_directory_is_held_by_the_working_directory() {
        let holders = holders_of_missing(Path::new("no-such-data-dir-7c1e"));

        assert_eq!(holders, vec![std::path::PathBuf::from(".")]);
    }

    #[test]
    fn a_store_opens_in_a_fresh_nested_directory_and_reopens_with_its_conf() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("x").join("data");

        let store = crate::store::Store::open(&dir).unwrap();

        let conf = std::fs::read(dir.join(SLED_CONF_FILE_NAME)).unwrap();
        assert!(!conf.is_empty(), "sled wrote its settings");
        drop(store);
        assert!(crate::store::Store::open(&dir).is_ok());
    }
}
