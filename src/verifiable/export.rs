//! The self-verifying export: `events.jsonl` (each event's decoded fields and exact
//! stored bytes), `balances.csv` (phase balances), `smes.csv` (SME balances per phase),
//! `journal.csv` (every double-entry posting, from format v4) and `manifest.json` (the
//! signed tree head, the event count, each file's SHA-256, and the log's signature over
//! all of them).
//!
//! [`ExportBuilder`] produces the files one event at a time; [`verify_export`] re-checks
//! a directory with no server: the manifest's exact form and signature, every file
//! digest, every event's bytes, hash and link, the Merkle root against the signed head,
//! the head's signature, and the balances and postings recomputed from the events against
//! the CSV files. What each format version writes is in `export_format.rs`; every version
//! this build knows is verified as it was written.
//!
//! # Manifest signature (format v2 and later)
//!
//! `signed_manifest` is a signed note, by the log's key, whose text is the canonical
//! manifest ([`Manifest::canonical_text`]): one `key value` line each for the format,
//! the signed checkpoint (origin, size, root, timestamp), the event count, the head hash
//! and every file's digest. Changing a file together with its digest in `manifest.json`
//! therefore breaks the signature. Exports of format v1 have no such signature; they are
//! still verified (every file is recomputed from the signed events anyway), and the
//! summary says their digests are unsigned.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::event_line::line_text;
pub use super::event_line::ExportedEvent;
use super::export_csv::{balances_csv, journal_start, smes_csv, JournalRows};
pub use super::export_format::ExportFormat;
use crate::audit::{self, Frontier};
use crate::projection::{journal, Projections};
use crate::store::{self, StoreError, GENESIS_HASH};

/// The event file.
pub const EVENTS_FILE: &str = "events.jsonl";
/// The phase balances file.
pub const BALANCES_FILE: &str = "balances.csv";
/// The SME balances file.
pub const SMES_FILE: &str = "smes.csv";
/// The journal of every posting (format v4 on).
pub const JOURNAL_FILE: &str = "journal.csv";
/// The manifest.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The format tag of exports this build writes (see `export_format.rs`).
pub const EXPORT_FORMAT: &str = ExportFormat::CURRENT.tag();
/// The format tag of exports whose CSV files were not yet laid out for spreadsheets;
/// still verified.
pub const EXPORT_FORMAT_V3: &str = ExportFormat::V3.tag();
/// The format tag of signed exports whose CSV text is written plain; still verified.
pub const EXPORT_FORMAT_V2: &str = ExportFormat::V2.tag();
/// The format tag of exports written before manifests were signed; still verified.
pub const EXPORT_FORMAT_V1: &str = ExportFormat::V1.tag();
/// The first line of a canonical manifest text.
pub const MANIFEST_HEADER: &str = "matchledger export manifest v2";

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`EXPORT_FORMAT`].
    pub format: String,
    /// The signed tree head (C2SP checkpoint in a signed note) the events end at.
    pub tree_head: String,
    /// Events exported: the tree size.
    pub event_count: u64,
    /// The last event's hash, hex (zeros when empty).
    pub head_hash: String,
    /// SHA-256 (hex) of each other file, by name.
    pub files: BTreeMap<String, String>,
    /// The log's signed note over [`Manifest::canonical_text`]; absent in format v1.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub signed_manifest: String,
}

/// Why a manifest cannot be signed or its signature taken.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The tree head or the signature is malformed, or signing failed.
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    /// The signed text is not this manifest's canonical text.
    #[error(
        "the signed manifest does not state this manifest (a count, head or file digest differs)"
    )]
    Differs,
}

impl Manifest {
    /// The file's exact text: pretty JSON and a final newline.
    pub fn to_text(&self) -> Result<String, serde_json::Error> {
        Ok(serde_json::to_string_pretty(self)? + "\n")
    }

    /// The text the log signs: the format, the checkpoint of `tree_head` (not its
    /// signatures, so cosignatures added later do not matter), the event count, the head
    /// hash and each file's digest in name order. Strings that come from the JSON are
    /// JSON-quoted, so none can break a line.
    pub fn canonical_text(&self) -> Result<String, audit::AuditError> {
        let checkpoint =
            audit::Checkpoint::parse_body(&audit::SignedNote::parse(&self.tree_head)?.text)?;
        let quoted = |text: &str| serde_json::to_string(text).unwrap_or_default();
        let mut lines = vec![
            MANIFEST_HEADER.to_string(),
            format!("format {}", quoted(&self.format)),
            format!("origin {}", quoted(&checkpoint.origin)),
            format!("tree_size {}", checkpoint.size),
            format!("root {}", BASE64.encode(checkpoint.root)),
            format!("timestamp {}", checkpoint.timestamp),
            format!("event_count {}", self.event_count),
            format!("head_hash {}", quoted(&self.head_hash)),
        ];
        for (name, digest) in &self.files {
            lines.push(format!("file {} {}", quoted(name), quoted(digest)));
        }
        Ok(lines.join("\n") + "\n")
    }

    /// Signs the manifest with the log's key (an export made offline, with the key).
    pub fn sign(&mut self, key: &audit::SigningKey) -> Result<(), ManifestError> {
        self.signed_manifest = audit::note::sign(&self.canonical_text()?, key)?;
        Ok(())
    }

    /// Takes the log's signature `note` (made by the server) after checking it verifies
    /// under `verifier_key` and signs exactly this manifest's canonical text.
    pub fn attach_signature(
        &mut self,
        note: String,
        verifier_key: &str,
    ) -> Result<(), ManifestError> {
        self.check_signature(&note, verifier_key)?;
        self.signed_manifest = note;
        Ok(())
    }

    /// Checks that `note` verifies under `verifier_key` and states this manifest.
    pub(super) fn check_signature(
        &self,
        note: &str,
        verifier_key: &str,
    ) -> Result<(), ManifestError> {
        let verified = audit::note::verify(note, verifier_key)?;
        if verified.text != self.canonical_text()? {
            return Err(ManifestError::Differs);
        }
        Ok(())
    }
}

/// Builds an export event by event, in one format.
pub struct ExportBuilder {
    format: ExportFormat,
    events_digest: Sha256,
    journal_digest: Sha256,
    journal: JournalRows,
    frontier: Frontier,
    projections: Projections,
    head_hash: [u8; 32],
    count: u64,
}

/// What one event adds to the export's files, each with its newlines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportLines {
    /// Its `events.jsonl` line.
    pub event: String,
    /// Its `journal.csv` rows: one per posting, none for an event that posts nothing or
    /// in a format without a journal.
    pub journal: String,
}

/// The export's other files once every event is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportTail {
    /// The Merkle tree size (must equal the signed head's).
    pub size: u64,
    /// The Merkle root over the exported events.
    pub root: audit::Hash,
    /// `balances.csv`.
    pub balances_csv: String,
    /// `smes.csv`.
    pub smes_csv: String,
    /// The manifest, not yet signed.
    pub manifest: Manifest,
}

impl Default for ExportBuilder {
    fn default() -> ExportBuilder {
        ExportBuilder::new()
    }
}

impl ExportBuilder {
    /// An empty export in the format this build writes.
    pub fn new() -> ExportBuilder {
        ExportBuilder::of_format(ExportFormat::CURRENT)
    }

    /// An empty export in `format` (an older one, to verify an export written in it).
    pub fn of_format(format: ExportFormat) -> ExportBuilder {
        let mut journal_digest = Sha256::new();
        if format.spreadsheet_layout() {
            journal_digest.update(journal_start().as_bytes());
        }
        ExportBuilder {
            format,
            events_digest: Sha256::new(),
            journal_digest,
            journal: JournalRows::default(),
            frontier: Frontier::default(),
            projections: Projections::default(),
            head_hash: GENESIS_HASH,
            count: 0,
        }
    }

    /// The format being written.
    pub fn format(&self) -> ExportFormat {
        self.format
    }

    /// Events pushed so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The projections folded from them.
    pub fn projections(&self) -> &Projections {
        &self.projections
    }

    /// The last event's hash (zeros before any).
    pub fn head_hash(&self) -> [u8; 32] {
        self.head_hash
    }

    /// Adds the next event's stored bytes; returns what it adds to the files.
    pub fn push(&mut self, stored_bytes: &[u8]) -> Result<ExportLines, StoreError> {
        let event = store::decode(stored_bytes)?;
        if event.sequence != self.count + 1 || event.prev_hash != self.head_hash {
            return Err(StoreError::corrupt(
                event.sequence,
                "does not follow the event before it",
            ));
        }
        let mut text = line_text(&event, stored_bytes, self.format)
            .map_err(|error| StoreError::corrupt(event.sequence, error.to_string()))?;
        text.push('\n');
        let rows = if self.format.spreadsheet_layout() {
            // Posted from the state before the event, as the projections post it.
            let postings = journal::postings(&event, &self.projections);
            self.journal.rows(&event, &postings, self.format.csv_text())
        } else {
            String::new()
        };
        self.events_digest.update(text.as_bytes());
        self.journal_digest.update(rows.as_bytes());
        self.frontier.append(stored_bytes);
        self.projections.apply(&event);
        self.head_hash = event.hash;
        self.count += 1;
        debug_assert_eq!(self.projections.sequence(), self.count);
        Ok(ExportLines {
            event: text,
            journal: rows,
        })
    }

    /// Finishes with the signed tree head the events end at.
    pub fn finish(self, tree_head: String) -> ExportTail {
        let balances_csv = balances_csv(&self.projections, self.format);
        let smes_csv = smes_csv(&self.projections, self.format);
        let mut files = BTreeMap::new();
        files.insert(
            EVENTS_FILE.to_string(),
            hex::encode(self.events_digest.finalize()),
        );
        files.insert(
            BALANCES_FILE.to_string(),
            sha256_hex(balances_csv.as_bytes()),
        );
        files.insert(SMES_FILE.to_string(), sha256_hex(smes_csv.as_bytes()));
        if self.format.spreadsheet_layout() {
            files.insert(
                JOURNAL_FILE.to_string(),
                hex::encode(self.journal_digest.finalize()),
            );
        }
        let manifest = Manifest {
            format: self.format.tag().to_string(),
            tree_head,
            event_count: self.count,
            head_hash: hex::encode(self.head_hash),
            files,
            signed_manifest: String::new(),
        };
        ExportTail {
            size: self.frontier.size(),
            root: self.frontier.root(),
            balances_csv,
            smes_csv,
            manifest,
        }
    }
}

/// The SHA-256 of `bytes`, hex.
pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub use super::export_verify::{verify_export, ExportSummary};
