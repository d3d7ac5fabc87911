/**
 * `telegate audit show ID`: the first egress record with that request id, its outcome and the body bytes
 * exactly as they were sent. Reading stops once the outcome is found, or once none can come (see
 * outcome-join.ts), so showing a recent request does not cost a scan of the whole log past it.
 */
import { toOutcomeEntry, type EgressEntry, type OutcomeEntry } from './entries';
import { LOOKAHEAD } from './outcome-join';
import { noteUnreadable, scanChain, type AuditScan, type ScanOptions } from './record-scan';
import { egressOf } from './search';

export interface ShownRequest {
  egress: EgressEntry;
  outcome: OutcomeEntry | null;
  /** The body bytes as sent upstream (a copy), absent when nothing was sent. */
  body?: Buffer;
}

export async function findRequest(scan: AuditScan, id: string, options: Omit<ScanOptions, 'since'> = {}): Promise<ShownRequest | undefined> {
  const done = { bytes: 0 };
  for (const chain of scan.chains) {
    let found: ShownRequest | undefined;
    let after = 0;
    for await (const r of scanChain(scan, chain, options, done)) {
      const type = r.record.type;
      if (!found) {
        if (type !== 'egress' || r.record['id'] !== id) continue;
        const entry = egressOf(r);
        if (!entry) {
          noteUnreadable(scan.notes, r, 'not a well-formed egress record');
          continue;
        }
        found = { egress: entry, outcome: null };
        if (r.body) found.body = Buffer.from(r.bytes.subarray(r.body.start, r.body.end));
        if (entry.decision !== 'forwarded') return found;
        continue;
      }
      if (type === 'outcome' && r.record['id'] === id) {
        found.outcome = toOutcomeEntry(r.record) ?? null;
        return found;
      }
      if (type === 'start' || type === 'stop' || ++after > LOOKAHEAD) return found;
    }
    if (found) return found;
  }
  return undefined;
}
