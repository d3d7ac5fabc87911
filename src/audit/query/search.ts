/**
 * `telegate audit search`: egress records matching every filter, each joined with its outcome, in chain
 * order, streamed. Memory holds one line and the outcome join's bounded queue; `limit` stops reading
 * early.
 */
import type { EgressEntry } from './entries';
import { toEgressEntry, toOutcomeEntry } from './entries';
import { matchesEgress, type EgressFilter } from './egress-filter';
import { OutcomeJoin, type JoinedEgress } from './outcome-join';
import { noteUnreadable, scanAll, scanChain, type AuditScan, type ScanOptions, type ScannedRecord } from './record-scan';

export interface SearchOptions extends Omit<ScanOptions, 'since'> {
  /** Stop after this many matches. */
  limit?: number;
  /** Filled with the vendor names of the egress records read (at most MAX_VENDORS_SEEN), for a hint when none matched. */
  vendorsSeen?: Set<string>;
}

export const MAX_VENDORS_SEEN = 64;

/**
 * The body as a value, for path checks only (a rounded big integer does not change which paths exist).
 * A body that is not JSON (an edited log) has no paths; verify names such a record.
 */
export function bodyValue(r: ScannedRecord): () => unknown {
  return () => {
    if (!r.body) return undefined;
    try {
      return JSON.parse(r.bytes.toString('utf8', r.body.start, r.body.end)) as unknown;
    } catch {
      return undefined;
    }
  };
}

export function egressOf(r: ScannedRecord): EgressEntry | undefined | null {
  if (r.record.type !== 'egress') return null;
  return toEgressEntry(r.record, { file: r.file.path, line: r.line });
}

/**
 * Every well-formed egress record of every chain, as an entry, for the aggregates. A malformed one is
 * noted in `scan.notes` and skipped, as every query does.
 */
export async function* egressEntries(scan: AuditScan, options: ScanOptions = {}): AsyncGenerator<EgressEntry> {
  for await (const r of scanAll(scan, options)) {
    if (r.record.type !== 'egress') continue;
    const e = egressOf(r);
    if (!e) {
      noteUnreadable(scan.notes, r, 'not a well-formed egress record');
      continue;
    }
    yield e;
  }
}

export async function* searchEgress(scan: AuditScan, filter: EgressFilter, options: SearchOptions = {}): AsyncGenerator<JoinedEgress> {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  if (limit <= 0) return;
  let found = 0;
  const done = { bytes: 0 };
  for (const chain of scan.chains) {
    const join = new OutcomeJoin();
    for await (const r of scanChain(scan, chain, options, done)) {
      join.tick();
      const type = r.record.type;
      if (type === 'egress') {
        const entry = egressOf(r);
        if (!entry) noteUnreadable(scan.notes, r, 'not a well-formed egress record');
        else {
          const seen = options.vendorsSeen;
          if (seen && seen.size < MAX_VENDORS_SEEN) seen.add(entry.vendor);
          if (matchesEgress(entry, filter, bodyValue(r))) join.add(entry);
        }
      } else if (type === 'outcome') {
        const o = toOutcomeEntry(r.record);
        if (o) join.outcome(o);
      } else if (type === 'start' || type === 'stop') {
        join.endRun();
      }
      for (const hit of join.ready()) {
        yield hit;
        if (++found >= limit) return;
      }
    }
    for (const hit of join.flush()) {
      yield hit;
      if (++found >= limit) return;
    }
  }
}
