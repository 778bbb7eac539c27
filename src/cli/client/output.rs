//! Output for people and for programs: an aligned text table, readable amounts and JSON.
//!
//! Amounts arrive as exact decimal strings and stay strings: the table only inserts
//! thousands separators into the integer part, it never parses into a float or rounds.

use std::io::Write;

use serde_json::Value;

/// How a column's cells line up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text: flush left.
    Left,
    /// Numbers and amounts: flush right, so digits line up.
    Right,
}

/// A small text table: a header row, a rule, then the rows, columns two spaces apart.
#[derive(Debug, Clone)]
pub struct Table {
    headers: Option<Vec<String>>,
    aligns: Vec<Align>,
    rows: Vec<Vec<String>>,
}

/// Spaces between two columns.
const COLUMN_GAP: &str = "  ";

impl Table {
    /// A table with these column headers and alignments.
    pub fn new(columns: &[(&str, Align)]) -> Table {
        Table {
            headers: Some(columns.iter().map(|(name, _)| name.to_string()).collect()),
            aligns: columns.iter().map(|(_, align)| *align).collect(),
            rows: Vec::new(),
        }
    }

    /// A table without a header row, e.g. for field/value listings.
    pub fn headless(aligns: &[Align]) -> Table {
        Table {
            headers: None,
            aligns: aligns.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells are blank and extra cells are dropped, so a row can
    /// never break the layout.
    pub fn row(&mut self, cells: Vec<String>) -> &mut Table {
        let mut cells = cells;
        cells.resize(self.aligns.len(), String::new());
        self.rows.push(cells);
        self
    }

    /// True when no row was added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as text, one line per row, each line ending in a newline.
    pub fn render(&self) -> String {
        let widths = self.widths();
        let mut out = String::new();
        if let Some(headers) = &self.headers {
            out.push_str(&self.line(headers, &widths));
            let rule: Vec<String> = widths.iter().map(|width| "-".repeat(*width)).collect();
            out.push_str(&self.line(&rule, &widths));
        }
        for row in &self.rows {
            out.push_str(&self.line(row, &widths));
        }
        out
    }

    fn widths(&self) -> Vec<usize> {
        let mut widths = vec![0; self.aligns.len()];
        for row in self.headers.iter().chain(self.rows.iter()) {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(display_width(cell));
            }
        }
        widths
    }

    fn line(&self, cells: &[String], widths: &[usize]) -> String {
        let mut parts = Vec::with_capacity(cells.len());
        for ((cell, width), align) in cells.iter().zip(widths).zip(&self.aligns) {
            let pad = " ".repeat(width.saturating_sub(display_width(cell)));
            parts.push(match align {
                Align::Left => format!("{cell}{pad}"),
                Align::Right => format!("{pad}{cell}"),
            });
        }
        let mut line = parts.join(COLUMN_GAP).trim_end().to_string();
        line.push('\n');
        line
    }
}

/// Columns a terminal gives the text. Hangul, CJK ideographs and full-width forms take
/// two, which keeps tables of Korean company names aligned.
pub fn display_width(text: &str) -> usize {
    text.chars().map(char_width).sum()
}

fn char_width(c: char) -> usize {
    let wide = matches!(c as u32,
        0x1100..=0x115F      // Hangul Jamo initials
        | 0x2E80..=0x303E    // CJK radicals, punctuation
        | 0x3041..=0x33FF    // kana, compatibility Jamo, CJK symbols
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK ideographs
        | 0xA960..=0xA97F    // Hangul Jamo extended A
        | 0xAC00..=0xD7A3    // Hangul syllables
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0xFF00..=0xFF60    // full-width forms
        | 0xFFE0..=0xFFE6);
    if wide {
        2
    } else {
        1
    }
}

/// An exact decimal string with thousands separators in its integer part:
/// `"-1234567.50"` becomes `"-1,234,567.50"`. Text that is not a plain decimal
/// (empty, already grouped, anything else) is returned unchanged.
pub fn amount(text: &str) -> String {
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (integer, fraction) = match unsigned.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (unsigned, None),
    };
    let plain = !integer.is_empty()
        && integer.bytes().all(|b| b.is_ascii_digit())
        && fraction.is_none_or(|f| f.bytes().all(|b| b.is_ascii_digit()));
    if !plain {
        return text.to_string();
    }
    let mut grouped = String::with_capacity(integer.len() + integer.len() / 3);
    for (index, digit) in integer.chars().enumerate() {
        if index > 0 && (integer.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    match fraction {
        Some(fraction) => format!("{sign}{grouped}.{fraction}"),
        None => format!("{sign}{grouped}"),
    }
}

/// An amount with its currency, e.g. `1,500,000 KRW`; blank when the amount is.
pub fn money(amount_text: &str, currency: &str) -> String {
    if amount_text.is_empty() {
        return String::new();
    }
    format!("{} {currency}", amount(amount_text))
}

/// `yes` or `no`, for flags in tables.
pub fn yes_no(flag: bool) -> String {
    if flag { "yes" } else { "no" }.to_string()
}

/// The lower-case name of a protobuf enum value with its type prefix removed:
/// `EVENT_KIND_GRANT_AWARDED` with prefix `EVENT_KIND_` becomes `grant_awarded`.
pub fn enum_name(str_name: &str, prefix: &str) -> String {
    str_name
        .strip_prefix(prefix)
        .unwrap_or(str_name)
        .to_ascii_lowercase()
}

/// Prints text to standard output as is.
pub fn print_text(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

/// Prints a JSON document, pretty, followed by a newline.
pub fn print_json(value: &Value) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    print_text(&text)
}

/// Prints one JSON value on one line (JSON Lines), for streams.
pub fn print_json_line(value: &Value) -> anyhow::Result<()> {
    let mut text = serde_json::to_string(value)?;
    text.push('\n');
    print_text(&text)
}

/// An answer ready to print either way: a text table for people, JSON for programs.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    /// The readable form, ending in a newline.
    pub text: String,
    /// The JSON form.
    pub json: Value,
}

impl View {
    /// Prints the JSON form when `json` is set, the text form otherwise.
    pub fn print(&self, json: bool) -> anyhow::Result<()> {
        if json {
            print_json(&self.json)
        } else {
            print_text(&self.text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_get_thousands_separators_and_keep_every_digit() {
        let cases = [
            ("0", "0"),
            ("999", "999"),
            ("1000", "1,000"),
            ("1500000", "1,500,000"),
            ("19700000000", "19,700,000,000"),
            ("-1234567.50", "-1,234,567.50"),
            ("12.345678901234567890", "12.345678901234567890"),
            ("", ""),
            ("n/a", "n/a"),
            ("1,000", "1,000"),
        ];
        for (input, expected) in cases {
            assert_eq!(amount(input), expected, "{input:?}");
        }
    }

    #[test]
    fn table_aligns_text_left_and_amounts_right() {
        // Given a table with a text column and an amount column.
        let mut table = Table::new(&[("name", Align::Left), ("awarded", Align::Right)]);
        table.row(vec!["Hanbit".into(), amount("42000000")]);
        table.row(vec!["A".into(), amount("5")]);
        // When it is rendered, then columns line up and trailing blanks are trimmed.
        assert_eq!(
            table.render(),
            "name       awarded\n\
             ------  ----------\n\
             Hanbit  42,000,000\n\
             A                5\n"
        );
    }

    #[test]
    fn korean_names_count_as_double_width() {
        let mut table = Table::new(&[("name", Align::Left), ("n", Align::Right)]);
        table.row(vec!["한빛정밀".into(), "1".into()]);
        table.row(vec!["ABC".into(), "22".into()]);
        let text = table.render();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[2], "한빛정밀   1");
        assert_eq!(lines[3], "ABC       22");
        assert_eq!(display_width(lines[2]), display_width(lines[3]));
    }

    #[test]
    fn short_and_long_rows_never_break_the_layout() {
        let mut table = Table::headless(&[Align::Left, Align::Right]);
        table.row(vec!["only".into()]);
        table.row(vec!["a".into(), "1".into(), "dropped".into()]);
        assert_eq!(table.render(), "only\na     1\n");
    }

    #[test]
    fn enum_names_lose_their_prefix() {
        assert_eq!(
            enum_name("EVENT_KIND_GRANT_AWARDED", "EVENT_KIND_"),
            "grant_awarded"
        );
        assert_eq!(enum_name("OTHER", "EVENT_KIND_"), "other");
    }
}
