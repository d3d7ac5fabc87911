/**
 * The newest matches of a search, one page at a time, for the web console. The log is in chain order
 * (oldest first), so the newest N cost a whole scan; memory stays at about 2N entries because older
 * matches are trimmed as the scan goes. A page's cursor is its oldest entry's position (time, replica,
 * seq), and the next page takes what lies strictly before it, so pages neither overlap nor skip.
 */
import path from 'node:path';
import { parseAuditFileName } from '../file-naming';
import type { EgressFilter } from './egress-filter';
import type { JoinedEgress } from './outcome-join';
import type { AuditScan } from './record-scan';
import { searchEgress } from './search';

/** Where a record sits in newest-first order. `replica` is '' for the unnamed chain. */
export interface EgressCursor { ts: string; replica: string; seq: number }

export interface NewestPage {
  hits: JoinedEgress[];
  /** Set when older matches exist: pass it as `before` for the next page. */
  next: EgressCursor | null;
}

export function cursorOf(hit: JoinedEgress): EgressCursor {
  const replica = parseAuditFileName(path.basename(hit.egress.file))?.replica ?? '';
  return { ts: hit.egress.ts, replica, seq: hit.egress.seq };
}

/** Newest first: later time, then replica id, then seq (ts is ISO 8601 UTC, so strings order as times). */
export function compareNewestFirst(a: EgressCursor, b: EgressCursor): number {
  if (a.ts !== b.ts) return a.ts > b.ts ? -1 : 1;
  if (a.replica !== b.replica) return a.replica > b.replica ? -1 : 1;
  return b.seq - a.seq;
}

export function formatCursor(c: EgressCursor): string {
  return `${c.ts}~${c.replica}~${c.seq}`;
}

export function parseCursor(text: string): EgressCursor | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T[0-9:.]+Z)~([A-Za-z0-9_-]{0,64})~(\d{1,15})$/.exec(text);
  return m ? { ts: m[1]!, replica: m[2]!, seq: Number(m[3]) } : undefined;
}

export async function newestEgress(scan: AuditScan, filter: EgressFilter, options: { limit: number; before?: EgressCursor }): Promise<NewestPage> {
  const keep = Math.max(1, options.limit) + 1;
  let kept: { hit: JoinedEgress; at: EgressCursor }[] = [];
  const trim = (): void => {
    kept.sort((a, b) => compareNewestFirst(a.at, b.at));
    kept = kept.slice(0, keep);
  };
  for await (const hit of searchEgress(scan, filter)) {
    const at = cursorOf(hit);
    if (options.before !== undefined && compareNewestFirst(at, options.before) <= 0) continue;
    kept.push({ hit, at });
    if (kept.length >= keep * 2) trim();
  }
  trim();
  const page = kept.slice(0, options.limit);
  const last = page[page.length - 1];
  return { hits: page.map((k) => k.hit), next: kept.length > options.limit && last ? last.at : null };
}
