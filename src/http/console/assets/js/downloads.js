// Files the browser writes for the user: CSV for spreadsheets, JSON Lines, bundles.

/**
 * The UTF-8 byte order mark. Spreadsheet programs (Excel above all) read a CSV file
 * without it in the system's legacy code page, which turns Korean names into mojibake.
 */
const BOM = '\uFEFF';

/** One CSV field, quoted when it holds a separator, a quote or a line break (RFC 4180). */
function field(value) {
  const text = value === undefined || value === null ? '' : String(value);
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
