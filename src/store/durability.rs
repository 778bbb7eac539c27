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
