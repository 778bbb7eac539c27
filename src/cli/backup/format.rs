//! The backup directory, version 1:
//!
//! | file | holds | written |
//! |---|---|---|
//! | `manifest.json` | format, tree size, root, head hash, the signed tree head, the verifier key, and how many bytes of each append-only file the backup covers | replaced atomically (temporary file, fsync, rename) at the end of every round |
//! | `events.bin` | each event's exact stored bytes, in sequence order, each as a 4-byte big-endian length and the bytes | appended, never rewritten |
//! | `idempotency.jsonl` | one [`IdempotencyLine`] per command: its scoped key, request fingerprint, first sequence and event count | appended, never rewritten |
//! | `signed_heads.jsonl` | one [`HeadLine`] per tree head the log kept, with its cosignatures; a later line for the same size (more cosignatures) supersedes an earlier one | appended, never rewritten |
//! | `closing_statements.jsonl` | one [`StatementLine`] per closing phase statement | replaced atomically |
//! | `backup.lock` | nothing: the process extending the backup holds a `flock` on it | created once |
//!
//! The manifest is the commit point: bytes of the append-only files past the lengths it
//! names were written by a round that did not finish, and are cut off when a backup
//! resumes. A reader uses only what the manifest covers.

use std::io::{Read, Write};
use std::path::Path;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use crate::limits::EVENT_BYTES_MAX;

/// The manifest's name.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The events file's name.
pub const EVENTS_FILE: &str = "events.bin";
/// The idempotency records file's name.
pub const IDEMPOTENCY_FILE: &str = "idempotency.jsonl";
/// The signed heads file's name.
pub const HEADS_FILE: &str = "signed_heads.jsonl";
/// The closing statements file's name.
pub const STATEMENTS_FILE: &str = "closing_statements.jsonl";
/// The format tag of backups this build writes and reads.
pub const BACKUP_FORMAT: &str = "matchledger-backup/v1";

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupManifest {
    /// [`BACKUP_FORMAT`].
    pub format: String,
    /// Events the backup holds: the signed head's tree size.
    pub tree_size: u64,
    /// The RFC 6962 root of those events, hex.
    pub root: String,
    /// The last event's hash, hex (zeros when empty).
    pub head_hash: String,
    /// The signed tree head (a C2SP checkpoint in a signed note) the backup is at.
    pub tree_head: String,
    /// The log's verifier key as the server gave it.
    pub verifier_key: String,
    /// Bytes of `events.bin` the backup covers.
    pub events_bytes: u64,
    /// Bytes of `idempotency.jsonl` the backup covers.
    pub idempotency_bytes: u64,
    /// Bytes of `signed_heads.jsonl` the backup covers.
    pub heads_bytes: u64,
    /// When the backup last finished a round, POSIX seconds.
    pub updated_at: u64,
}

/// One line of `idempotency.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyLine {
    /// The principal and its idempotency key, joined by one NUL.
    pub scoped_key: String,
    /// SHA-256 of the request as sent, hex.
    pub fingerprint: String,
    /// The sequence of the command's first event.
    pub first_sequence: u64,
    /// How many events the command produced.
    pub event_count: u32,
}

/// One line of `signed_heads.jsonl`; the last line of a size is the one that counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadLine {
    /// Events in the signed tree.
    pub tree_size: u64,
    /// When the log signed it, POSIX seconds.
    pub timestamp: u64,
    /// The signed note with the log's signature only.
    pub note: String,
    /// The witness cosignature lines kept for it.
    pub cosignatures: Vec<String>,
}

/// One line of `closing_statements.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    /// The phase's id.
    pub phase_id: String,
    /// The tree size the statement is at.
    pub tree_size: u64,
    /// The signed note.
    pub note: String,
}

impl BackupManifest {
    /// Reads the manifest of the backup in `dir`, `None` when there is none yet.
    pub fn read(dir: &Path) -> anyhow::Result<Option<BackupManifest>> {
        let path = dir.join(MANIFEST_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
        };
        let manifest: BackupManifest = serde_json::from_slice(&bytes)
            .with_context(|| format!("{MANIFEST_FILE}: not a backup manifest"))?;
        if manifest.format != BACKUP_FORMAT {
            bail!(
                "{MANIFEST_FILE}: format {:?} is not one this build reads ({BACKUP_FORMAT})",
                manifest.format
            );
        }
        Ok(Some(manifest))
    }

    /// Writes the manifest atomically: the old one stays until the new one is durable.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(self)? + "\n";
        replace_file(dir, MANIFEST_FILE, text.as_bytes())
    }
}

/// Writes `name` in `dir` through a temporary file that is fsynced and renamed over it,
/// then fsyncs the directory, so a crash leaves either the old file or the new one.
pub fn replace_file(dir: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let temporary = dir.join(format!("{name}.tmp"));
    let mut file = std::fs::File::create(&temporary)
        .with_context(|| format!("creating {}", temporary.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temporary, dir.join(name))
        .with_context(|| format!("replacing {name} in {}", dir.display()))?;
    sync_dir(dir)
}

/// Fsyncs a directory, so that files created or renamed in it survive a power cut.
pub fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::File::open(dir)
        .and_then(|handle| handle.sync_all())
        .with_context(|| format!("syncing the directory {}", dir.display()))
}

/// The lock file's name: held (flock) by the one process extending the backup.
pub const LOCK_FILE: &str = "backup.lock";

/// An exclusive lock on a backup directory, released when dropped or when the process
/// dies (kill -9 included), so two backups never extend one directory at once.
pub struct BackupLock {
    _file: std::fs::File,
}

impl BackupLock {
    /// Takes the lock of the backup in `dir`, or fails at once if another process holds it.
    pub fn take(dir: &Path) -> anyhow::Result<BackupLock> {
        let path = dir.join(LOCK_FILE);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::io::AsRawFd;
            // SAFETY: flock takes a file descriptor this function owns (open until the
            // lock is dropped) and no pointers.
            let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
            if locked != 0 {
                bail!(
                    "another backup is extending {} (it holds {LOCK_FILE}); stop it first",
                    dir.display()
                );
            }
        }
        Ok(BackupLock { _file: file })
    }
}

/// Encodes one event record of `events.bin`.
pub fn event_record(stored_bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let length = u32::try_from(stored_bytes.len()).context("an event larger than 4 GiB")?;
    let mut record = Vec::with_capacity(4 + stored_bytes.len());
    record.extend_from_slice(&length.to_be_bytes());
    record.extend_from_slice(stored_bytes);
    Ok(record)
}

/// Reads the event records of `events.bin` one at a time, from the start, up to a byte
/// length (the manifest's `events_bytes`).
pub struct EventRecords<R> {
    reader: R,
    offset: u64,
    end: u64,
}

impl EventRecords<std::io::BufReader<std::fs::File>> {
    /// The records of the first `end` bytes of the events file in `dir`.
    pub fn open(dir: &Path, end: u64) -> anyhow::Result<Self> {
        let path = dir.join(EVENTS_FILE);
        let file =
            std::fs::File::open(&path).with_context(|| format!("opening {}", path.display()))?;
        let length = file.metadata()?.len();
        if length < end {
            bail!(
                "{EVENTS_FILE}: {length} bytes, the manifest covers {end}: the file was cut short"
            );
        }
        Ok(EventRecords {
            reader: std::io::BufReader::new(file),
            offset: 0,
            end,
        })
    }
}

impl<R: Read> EventRecords<R> {
    /// The byte offset the next record starts at.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The next event's stored bytes, `None` at the end; a record that does not fit in
    /// what is left, or is larger than any event, is an error naming its offset.
    pub fn next_event(&mut self) -> anyhow::Result<Option<Vec<u8>>> {
        if self.offset == self.end {
            return Ok(None);
        }
        let at = self.offset;
        let left = self.end - at;
        let mut length = [0u8; 4];
        if left < 4 {
            bail!("{EVENTS_FILE}: a record at byte {at} is cut short ({left} bytes left)");
        }
        self.reader.read_exact(&mut length)?;
        let length = u64::from(u32::from_be_bytes(length));
        if length > EVENT_BYTES_MAX as u64 || length > left - 4 {
            bail!(
                "{EVENTS_FILE}: the record at byte {at} claims {length} bytes, more than {} (damaged length)",
                (left - 4).min(EVENT_BYTES_MAX as u64)
            );
        }
        let mut bytes = vec![0u8; length as usize];
        self.reader.read_exact(&mut bytes)?;
        self.offset += 4 + length;
        Ok(Some(bytes))
    }
}

/// Reads the lines of a JSON Lines file in `dir` up to byte `end` (the whole file when
/// `None`); a missing file has no lines.
pub fn read_lines<T: serde::de::DeserializeOwned>(
    dir: &Path,
    name: &str,
    end: Option<u64>,
) -> anyhow::Result<Vec<T>> {
    let mut bytes = match std::fs::read(dir.join(name)) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound && end.unwrap_or(0) == 0 => {
            return Ok(Vec::new())
        }
        Err(error) => return Err(error).with_context(|| format!("reading {name}")),
    };
    if let Some(end) = end {
        if (bytes.len() as u64) < end {
            bail!(
                "{name}: {} bytes, the manifest covers {end}: the file was cut short",
                bytes.len()
            );
        }
        bytes.truncate(end as usize);
    }
    let mut lines = Vec::new();
    for (number, line) in bytes.split(|byte| *byte == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let parsed = serde_json::from_slice(line)
            .with_context(|| format!("{name} line {}: not a backup record", number + 1))?;
        lines.push(parsed);
    }
    Ok(lines)
}

/// JSON Lines text of `lines`, each with its newline.
pub fn lines_text<T: Serialize>(lines: &[T]) -> anyhow::Result<String> {
    let mut text = String::new();
    for line in lines {
        text.push_str(&serde_json::to_string(line)?);
        text.push('\n');
    }
    Ok(text)
}

/// The heads of `lines`, one per size (the last line of each), smallest first.
pub fn latest_heads(lines: Vec<HeadLine>) -> Vec<HeadLine> {
    let mut heads = std::collections::BTreeMap::new();
    for line in lines {
        heads.insert(line.tree_size, line);
    }
    heads.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_records_read_back_and_a_damaged_length_names_its_offset() {
        let mut file = event_record(b"first").unwrap();
        file.extend(event_record(b"second event").unwrap());
        let end = file.len() as u64;
        let mut records = EventRecords {
            reader: &file[..],
            offset: 0,
            end,
        };
        assert_eq!(records.next_event().unwrap().unwrap(), b"first");
        assert_eq!(records.offset(), 9);
        assert_eq!(records.next_event().unwrap().unwrap(), b"second event");
        assert!(records.next_event().unwrap().is_none());

        file[9] = 0xff;
        let mut records = EventRecords {
            reader: &file[..],
            offset: 0,
            end,
        };
        records.next_event().unwrap();
        let error = records.next_event().unwrap_err().to_string();
        assert!(error.contains("byte 9"), "{error}");
    }
}
