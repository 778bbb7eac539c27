//! The versions of the export format and what each one writes, so that the writer and the
//! verifier ask one place instead of comparing format tags.
//!
//! | format | manifest signed | CSV text | spreadsheet layout | `events.jsonl` `event` |
//! |---|---|---|---|---|
//! | v1 | no | quoted | – | as stored in Rust's serde form |
//! | v2 | yes | quoted | – | as v1 |
//! | v3 | yes | neutralised (`csv_text.rs`) | – | as v1 |
//! | v4 | yes | neutralised | BOM, `123-45-67890`, phase names, `journal.csv` | readable: ISO 4217 codes, hex hashes, dashed BRNs |
//!
//! Every version is still verified as it was written: an auditor's copy of an old export
//! keeps verifying with every later build.

use super::csv_text::CsvText;

/// A version of the export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExportFormat {
    /// Manifests not yet signed.
    V1,
    /// Manifests signed; CSV text written plain.
    V2,
    /// CSV text neutralised against formulas.
    V3,
    /// Opens correctly in a spreadsheet; a journal; readable event JSON.
    V4,
}

impl ExportFormat {
    /// The format this build writes.
    pub const CURRENT: ExportFormat = ExportFormat::V4;

    /// Every format this build verifies, oldest first.
    pub const ALL: [ExportFormat; 4] = [
        ExportFormat::V1,
        ExportFormat::V2,
        ExportFormat::V3,
        ExportFormat::V4,
    ];

    /// The tag written in `manifest.json`.
    pub const fn tag(self) -> &'static str {
        match self {
            ExportFormat::V1 => "matchledger-export/v1",
            ExportFormat::V2 => "matchledger-export/v2",
            ExportFormat::V3 => "matchledger-export/v3",
            ExportFormat::V4 => "matchledger-export/v4",
        }
    }

    /// The format of a manifest's tag, if this build knows it.
    pub fn parse(tag: &str) -> Option<ExportFormat> {
        ExportFormat::ALL
            .into_iter()
            .find(|format| format.tag() == tag)
    }

    /// Whether the manifest carries the log's signature over its digests.
    pub fn manifest_signed(self) -> bool {
        self >= ExportFormat::V2
    }

    /// How the CSV files write text.
    pub fn csv_text(self) -> CsvText {
        if self >= ExportFormat::V3 {
            CsvText::Neutralised
        } else {
            CsvText::Plain
        }
    }

    /// Whether the CSV files are laid out for a spreadsheet and an accounting package: a
    /// UTF-8 byte-order mark first, registration numbers as `123-45-67890`, phase names
    /// beside phase ids, and `journal.csv`.
    pub fn spreadsheet_layout(self) -> bool {
        self >= ExportFormat::V4
    }

    /// Whether the `event` of each `events.jsonl` line is written for reading (ISO 4217
    /// codes, hex hashes, dashed registration numbers) rather than in serde's own form.
    pub fn readable_events(self) -> bool {
        self >= ExportFormat::V4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tag_parses_back_to_its_format() {
        for format in ExportFormat::ALL {
            assert_eq!(ExportFormat::parse(format.tag()), Some(format));
        }
        assert_eq!(ExportFormat::parse("matchledger-export/v9"), None);
        assert_eq!(ExportFormat::CURRENT, *ExportFormat::ALL.last().unwrap());
    }

    #[test]
    fn each_version_keeps_what_it_was_written_with() {
        assert!(!ExportFormat::V1.manifest_signed());
        assert!(ExportFormat::V2.manifest_signed());
        assert_eq!(ExportFormat::V2.csv_text(), CsvText::Plain);
        assert_eq!(ExportFormat::V3.csv_text(), CsvText::Neutralised);
        assert!(!ExportFormat::V3.spreadsheet_layout());
        assert!(!ExportFormat::V3.readable_events());
        assert!(ExportFormat::V4.spreadsheet_layout());
        assert!(ExportFormat::V4.readable_events());
    }
}
