// Files the browser writes for the user: CSV for spreadsheets, JSON Lines, bundles.

/**
 * The UTF-8 byte order mark. Spreadsheet programs (Excel above all) read a CSV file
 * without it in the system's legacy code page, which turns Korean names into mojibake.
 */
const BOM = '\uFEFF';

/**
 * A spreadsheet runs a cell that starts with one of these as a formula, so a name such as
 * `=HYPERLINK(…)` registered in the ledger could act when an auditor opens the file.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * One CSV field: text that a spreadsheet would read as a formula is prefixed with `'`
 * (numbers are left alone), then quoted when it holds a separator, a quote or a line
 * break (RFC 4180).
 */
export function field(value) {
  let text = value === undefined || value === null ? '' : String(value);
  if (FORMULA_START.test(text) && !NUMBER.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A CSV document with a BOM and CRLF line ends, from a header row and data rows. */
export function csv(header, rows) {
  return BOM + [header, ...rows].map((row) => row.map(field).join(',')).join('\r\n') + '\r\n';
}

/** Offers `content` to the user as a file named `name`. */
export function save(name, content, type) {
  const blob = content instanceof Blob ? content : new Blob([content], { type });
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = name;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
