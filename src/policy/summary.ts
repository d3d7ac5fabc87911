/**
 * What one transform did, counted per action and path, without a single value: the shape of `policy
 * explain --summary`. A 20-user Coder snapshot explained in full is thousands of lines; its summary is one
 * line per path.
 *
 * Paths are the payload's own (keys as they are, `[*]` for every array element), so the four counts of a
 * path add up across actions: `sent` counts the values that leave in clear, `hashed` those that leave as a
 * pseudonym, `dropped` and `unknown` those removed (a removed object or array counts once, at its path).
 * A value is a string, number, boolean or null; empty objects and arrays are not counted.
 */
import type { JsonValue } from '../json/types';
import { formatKey } from './paths';
import type { FieldChange, PathCounts, TransformResult } from './types';

export interface TransformSummary {
  decision: TransformResult['decision'];
  sent: PathCounts;
  hashed: PathCounts;
  dropped: PathCounts;
  unknown: PathCounts;
}

export function payloadPath(at: readonly (string | number)[]): string {
  let text = '';
  for (const segment of at) text += typeof segment === 'number' ? '[*]' : `${text === '' ? '' : '.'}${formatKey(segment)}`;
  return text === '' ? '$' : text;
}

function add(counts: Map<string, number>, path: string, n = 1): void {
  counts.set(path, (counts.get(path) ?? 0) + n);
}

function toCounts(counts: Map<string, number>): PathCounts {
  const out: PathCounts = {};
  for (const [path, n] of [...counts].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    if (n > 0) Object.defineProperty(out, path, { value: n, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** `changes` is the trace of the same transform (traceTransform), which places each change in the input. */
export function summarizeTransform(result: TransformResult, changes: readonly FieldChange[]): TransformSummary {
  const leaves = new Map<string, number>();
  const at: (string | number)[] = [];
  const walk = (value: JsonValue): void => {
    if (typeof value !== 'object' || value === null) {
      add(leaves, payloadPath(at));
      return;
    }
    if (Array.isArray(value)) {
      // Every element counts under `[*]`; the index itself never reaches the path.
      for (const element of value) { at.push(0); walk(element); at.pop(); }
      return;
    }
    for (const key of Object.keys(value)) { at.push(key); walk(value[key]!); at.pop(); }
  };
  if (result.body !== null) walk(result.body);

  const hashed = new Map<string, number>();
  const dropped = new Map<string, number>();
  const unknown = new Map<string, number>();
  for (const change of changes) {
    const path = payloadPath(change.at);
    if (change.kind === 'hashed') hashed.set(path, (hashed.get(path) ?? 0) + 1);
    else add(change.kind === 'dropped' ? dropped : unknown, path);
  }
  // What leaves as a pseudonym is a leaf of the output too: in clear is the rest.
  for (const [path, n] of hashed) add(leaves, path, -n);
  return { decision: result.decision, sent: toCounts(leaves), hashed: toCounts(hashed), dropped: toCounts(dropped), unknown: toCounts(unknown) };
}
