/**
 * The shadow level's notes in the egress records (`shadow`), summed: per vendor, endpoint, enforced and
 * shadow level, what the shadow level would have done differently with each path (sent it in clear, sent
 * it hashed, or dropped it), how often and when first and last seen. What a team reads before switching a
 * vendor from one level to the other. Aggregates only: memory grows with distinct paths, not the log.
 */
import type { EgressEntry } from './entries';

export type ShadowWould = 'sent' | 'hashed' | 'dropped';
export const SHADOW_WOULD: readonly ShadowWould[] = ['sent', 'hashed', 'dropped'];

export interface ShadowRow {
  vendor: string;
  endpoint: string;
  level: number;
  shadow_level: number;
  /** What the shadow level would have done with the path's values, where the enforced level did otherwise. */
  would: ShadowWould;
  path: string;
  /** Values, summed over the records. */
  count: number;
  /** Records that had it. */
  requests: number;
  first_seen: string;
  last_seen: string;
}

/** Per enforced/shadow level pair: records that carried a shadow, and the values it would change. */
export interface ShadowTotals { shadow_level: number; requests: number; sent: number; hashed: number; dropped: number }

const sum = (c: Record<string, number>): number => Object.values(c).reduce((a, b) => a + b, 0);

export class ShadowAggregate {
  private readonly rowsByKey = new Map<string, ShadowRow>();

  add(e: EgressEntry): void {
    const s = e.shadow;
    if (!s) return;
    for (const would of SHADOW_WOULD) {
      for (const [path, n] of Object.entries(s[would])) {
        const key = JSON.stringify([e.vendor, e.endpoint, e.level, s.level, would, path]);
        const row = this.rowsByKey.get(key);
        if (row) {
          row.count += n;
          row.requests++;
          if (e.ts < row.first_seen) row.first_seen = e.ts;
          if (e.ts > row.last_seen) row.last_seen = e.ts;
        } else {
          this.rowsByKey.set(key, { vendor: e.vendor, endpoint: e.endpoint, level: e.level, shadow_level: s.level, would, path, count: n, requests: 1, first_seen: e.ts, last_seen: e.ts });
        }
      }
    }
  }

  rows(): ShadowRow[] {
    const order = (w: ShadowWould): number => SHADOW_WOULD.indexOf(w);
    return [...this.rowsByKey.values()].sort((a, b) => cmp(a.vendor, b.vendor) || cmp(a.endpoint, b.endpoint)
      || a.level - b.level || a.shadow_level - b.shadow_level || order(a.would) - order(b.would) || cmp(a.path, b.path));
  }
}

/** Adds one record's shadow to the totals of its group (stats). */
export function addShadowTotals(totals: ShadowTotals[], e: EgressEntry): void {
  const s = e.shadow;
  if (!s) return;
  let t = totals.find((x) => x.shadow_level === s.level);
  if (!t) totals.push(t = { shadow_level: s.level, requests: 0, sent: 0, hashed: 0, dropped: 0 });
  t.requests++;
  t.sent += sum(s.sent);
  t.hashed += sum(s.hashed);
  t.dropped += sum(s.dropped);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
