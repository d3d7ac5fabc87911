/**
 * `telegate audit stats`: requests, bytes sent and field counts by vendor, level and decision, plus the
 * total. Aggregates only: memory grows with the number of groups, not with the log.
 */
import { inTimeRange } from './egress-filter';
import { egressEntries } from './search';
import type { AuditScan, ScanOptions } from './record-scan';
import type { FieldCounts } from './entries';
import { addShadowTotals, type ShadowTotals } from './shadow';

export interface StatsTotals {
  requests: number;
  /** Bytes sent upstream (0 for a request that sent nothing). */
  bytes: number;
  /** Field occurrences, summed over the records' counts. */
  dropped: number;
  hashed: number;
  unknown: number;
}

export interface StatsGroup extends StatsTotals {
  vendor: string;
  level: number;
  decision: string;
  /** Records with a shadow level's notes, per shadow level (absent when none had one). */
  shadow?: ShadowTotals[];
}

export interface StatsReport { groups: StatsGroup[]; total: StatsTotals }

export interface StatsOptions extends ScanOptions { until?: number }

const sum = (c: FieldCounts): number => Object.values(c).reduce((a, b) => a + b, 0);

function add(t: StatsTotals, bytes: number, dropped: number, hashed: number, unknown: number): void {
  t.requests++;
  t.bytes += bytes;
  t.dropped += dropped;
  t.hashed += hashed;
  t.unknown += unknown;
}

const zero = (): StatsTotals => ({ requests: 0, bytes: 0, dropped: 0, hashed: 0, unknown: 0 });

export async function statsReport(scan: AuditScan, options: StatsOptions = {}): Promise<StatsReport> {
  const groups = new Map<string, StatsGroup>();
  const total = zero();
  for await (const e of egressEntries(scan, options)) {
    if (!inTimeRange(e.ts, options.since, options.until)) continue;
    const key = JSON.stringify([e.vendor, e.level, e.decision]);
    let g = groups.get(key);
    if (!g) groups.set(key, g = { vendor: e.vendor, level: e.level, decision: e.decision, ...zero() });
    const d = sum(e.dropped);
    const h = sum(e.hashed);
    const u = sum(e.unknown);
    add(g, e.bytes, d, h, u);
    if (e.shadow) addShadowTotals(g.shadow ??= [], e);
    add(total, e.bytes, d, h, u);
  }
  const order = ['forwarded', 'blocked', 'rejected'];
  const list = [...groups.values()].sort((a, b) =>
    (a.vendor < b.vendor ? -1 : a.vendor > b.vendor ? 1 : 0) || a.level - b.level || order.indexOf(a.decision) - order.indexOf(b.decision));
  return { groups: list, total };
}
