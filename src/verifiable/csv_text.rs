//! Text fields of the CSV exports, made safe to open in a spreadsheet. A name such as
//! `=HYPERLINK("http://…")` or `@SUM(…)` would otherwise be run as a formula by the
//! spreadsheet of whoever opens `balances.csv` or `smes.csv` (CSV injection). As OWASP
//! advises, a field that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
//! leading `'`, which spreadsheets show as text; every text field is quoted, quotes
//! doubled. Exports of format v1 and v2 were written before this and are verified as
//! they were written; `events.jsonl` holds the names unchanged in every format.

use super::export_format::ExportFormat;

/// The first characters that make a spreadsheet treat a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// How an export's CSV files write text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvText {
    /// Quoted only: exports of format v1 and v2.
    Plain,
    /// Quoted, and a formula-like start neutralised with a leading `'`: format v3 on.
    Neutralised,
}

impl CsvText {
    /// How an export of manifest format `format` writes its CSV text.
    pub fn of_format(format: &str) -> CsvText {
        ExportFormat::parse(format).map_or(CsvText::Neutralised, ExportFormat::csv_text)
    }

    /// `text` as one CSV field.
    pub fn field(self, text: &str) -> String {
        let guard = match self {
            CsvText::Neutralised if text.starts_with(FORMULA_STARTS) => "'",
            _ => "",
        };
        format!("\"{guard}{}\"", text.replace('"', "\"\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verifiable::export::{EXPORT_FORMAT_V1, EXPORT_FORMAT_V2};

    #[test]
    fn a_formula_like_start_is_neutralised_with_a_leading_apostrophe() {
        for text in ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            let field = CsvText::Neutralised.field(text);
            assert_eq!(field, format!("\"'{text}\""), "{text:?}");
        }
    }

    #[test]
    fn other_text_is_only_quoted_with_quotes_doubled() {
        assert_eq!(
            CsvText::Neutralised.field("Hanbit \"Precision\" 1=1"),
            "\"Hanbit \"\"Precision\"\" 1=1\""
        );
        assert_eq!(CsvText::Neutralised.field("'quoted"), "\"'quoted\"");
        assert_eq!(CsvText::Neutralised.field(""), "\"\"");
    }

    #[test]
    fn exports_written_before_neutralising_keep_their_plain_text() {
        assert_eq!(CsvText::of_format(EXPORT_FORMAT_V2), CsvText::Plain);
        assert_eq!(CsvText::of_format(EXPORT_FORMAT_V1), CsvText::Plain);
        assert_eq!(
            CsvText::of_format(super::super::export::EXPORT_FORMAT),
            CsvText::Neutralised
        );
        assert_eq!(CsvText::Plain.field("=1+2"), "\"=1+2\"");
    }
}
