/**
 * `telegate audit drift`: the unknown field paths (removed by default deny because no rule names them)
 * and the invalid ones (a value that failed its rule's constraint or shape: the vendor sends something
 * new there) by vendor, endpoint and client version, with how often and when first and last seen. A new client
 * version that starts sending a field shows up here as a row with a recent first-seen. Only the
 * aggregates are kept: memory grows with the number of distinct paths, not with the log.
 */
import { egressEntries } from './search';
import type { AuditScan, ScanOptions } from './record-scan';
import type { ShadowAggregate } from './shadow';

export interface DriftRow {
  /** `unknown` (no rule names it) or `invalid` (its rule's constraint or shape failed). */
  kind: 'unknown' | 'invalid';
  vendor: string;
  endpoint: string;
  /** null when the client sent no version. */
  client_version: string | null;
  path: string;
  /** Occurrences, summed over the records' counts. */
  count: number;
  /** Records (requests) that had it. */
  requests: number;
  first_seen: string;
  last_seen: string;
}

export interface DriftOptions extends Omit<ScanOptions, 'since'> {
  vendor?: string;
  /** Filled in the same scan with the records' shadow-level notes (shadow.ts). */
  shadow?: ShadowAggregate;
}

/** `ts` is ISO 8601 UTC with milliseconds, so string order is time order. */
const earlier = (a: string, b: string): string => (a <= b ? a : b);
const later = (a: string, b: string): string => (a >= b ? a : b);

export async function driftReport(scan: AuditScan, options: DriftOptions = {}): Promise<DriftRow[]> {
  const rows = new Map<string, DriftRow>();
  for await (const e of egressEntries(scan, options)) {
    if (options.vendor !== undefined && e.vendor !== options.vendor) continue;
    options.shadow?.add(e);
    for (const [kind, counts] of [['unknown', e.unknown], ['invalid', e.invalid ?? {}]] as const) for (const [path, n] of Object.entries(counts)) {
      const version = e.client_version ?? null;
      const key = JSON.stringify([kind, e.vendor, e.endpoint, version, path]);
      const row = rows.get(key);
      if (row) {
        row.count += n;
        row.requests++;
        row.first_seen = earlier(row.first_seen, e.ts);
        row.last_seen = later(row.last_seen, e.ts);
      } else {
        rows.set(key, { kind, vendor: e.vendor, endpoint: e.endpoint, client_version: version, path, count: n, requests: 1, first_seen: e.ts, last_seen: e.ts });
      }
    }
  }
  return [...rows.values()].sort(compareRows);
}

function compareRows(a: DriftRow, b: DriftRow): number {
  return cmp(a.vendor, b.vendor) || cmp(a.endpoint, b.endpoint) || cmp(a.client_version ?? '', b.client_version ?? '') || cmp(a.path, b.path) || cmp(a.kind, b.kind);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
