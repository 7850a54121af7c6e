/**
 * Lines of a plain-text table: each column as wide as its widest cell,
 * columns two spaces apart, no trailing spaces. The first row is the header.
 */
export function tableLines(rows: readonly (readonly string[])[]): string[] {
  const widths = (rows[0] ?? []).map((_, i) =>
    Math.max(...rows.map((row) => (row[i] ?? "").length))
  );
  return rows.map((row) =>
    row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd()
  );
}
