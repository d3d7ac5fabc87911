/**
 * The dropped / hashed / unknown field reports, as a reviewer scans them: one path a line, counts aligned,
 * paths sorted so two runs compare line by line.
 */
import type { PathCounts } from '../policy';
import type { Style } from './render-style';

export type ReportName = 'dropped' | 'hashed' | 'unknown' | 'invalid' | 'redacted';

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function renderCounts(name: ReportName, counts: PathCounts, style: Style): string {
  const paths = Object.keys(counts).sort();
  const values = paths.reduce((sum, path) => sum + (counts[path] ?? 0), 0);
  const title = paths.length === 0
    ? `${name}: none`
    : `${name}: ${plural(paths.length, 'field')}, ${plural(values, 'value')}`;
  const emphasis = name !== 'dropped' && name !== 'hashed' && paths.length > 0 ? style.warn : style.bold;
  const lines = [emphasis(title)];
  const width = Math.max(0, ...paths.map((p) => p.length));
  for (const path of paths) lines.push(`  ${path.padEnd(width)}  ${String(counts[path])}`);
  return `${lines.join('\n')}\n`;
}
