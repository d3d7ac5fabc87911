/**
 * Plain-text tables for the audit queries. `streamingRow` pads to fixed widths so rows can be printed
 * as they are found (a search over a large log must not hold its results to measure them); `table`
 * measures its rows, for the aggregates that are held anyway. `printNoMatch` is what a query prints
 * instead of an empty table.
 */
import type { CliIO } from './io';

export function streamingRow(cells: readonly string[], widths: readonly number[]): string {
  return `${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}\n`;
}

/** `right` lists the columns aligned right (numbers). */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], right: ReadonlySet<number> = new Set()): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]) => r
    .map((v, c) => (c === r.length - 1 && !right.has(c) ? v : right.has(c) ? v.padStart(widths[c]!) : v.padEnd(widths[c]!)))
    .join('  ');
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

export function countsSum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/**
 * No match is not an error (exit 0). The words go where a person reads them: stdout for text, stderr for
 * json, so a json consumer's stream holds only json.
 */
export function printNoMatch(format: 'text' | 'json', io: CliIO): void {
  if (format === 'json') io.stderr('no records match\n');
  else io.stdout('no records match\n');
}
