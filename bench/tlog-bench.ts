/**
 * What signed checkpoints add per record (SPEC §6.1), as a ratio against what the writer already does for
 * it: encoding the record (members to JSON, the body's SHA-256 for body_sha256, the chain hash). The
 * addition is the leaf hash (one more SHA-256 of the line's bytes) and the incremental tree's append
 * (amortised one node hash). Two records: an egress record with a 20-event RudderStack batch as its
 * body (the small-batch load, ~14 kB) and an outcome record (the smallest, ~200 B). Candidates run
 * interleaved, medians of the runs.
 */
import { CompactRange, leafHashOfChunks } from '../src/audit/tlog/merkle';
import { encodeRecord, GENESIS_PREV, type EncodedRecord, type RecordMember } from '../src/audit/chain';
import { egressMembers, outcomeMembers } from '../src/audit/record-members';
import { interleaved, table } from './measure';
import { rudderBatch } from './proxy/bodies';

const RECORDS = 2_000;

function encodeAll(members: () => RecordMember[], type: 'egress' | 'outcome'): EncodedRecord[] {
  const out: EncodedRecord[] = [];
  let head = { nextSeq: 0, prev: GENESIS_PREV };
  for (let i = 0; i < RECORDS; i++) {
    const r = encodeRecord(head, '2026-11-22T10:00:00.000Z', type, members());
    head = { nextSeq: r.seq + 1, prev: r.hash };
    out.push(r);
  }
  return out;
}

export function runTlogBench(out: (s: string) => void): void {
  const body = rudderBatch(20);
  const egress = () => egressMembers({
    id: 'f3b1c2d4-0000-4000-8000-000000000001', vendor: 'automatisch', endpoint: '/v1/batch', level: 1, policy: `sha256:${'ab'.repeat(32)}`,
    decision: 'forwarded', upstream: 'https://api.rudderstack.com/v1/batch', client: '10.0.0.7', client_version: 'analytics-node/1.1.5',
    bodyBytes: body, dropped: { 'batch[*].context.ip': 20 }, hashed: { 'batch[*].userId': 20 }, unknown: {},
  });
  const outcome = () => outcomeMembers({ id: 'f3b1c2d4-0000-4000-8000-000000000001', status: 200, ms: 12 });
  const rows: (string | number)[][] = [];
  for (const [label, members, type] of [['egress, 20-event batch', egress, 'egress'], ['outcome', outcome, 'outcome']] as const) {
    const records = encodeAll(members, type);
    const bytes = records[0]!.byteLength;
    const [encode, tree] = interleaved([
      () => encodeAll(members, type),
      () => {
        const range = new CompactRange();
        for (const r of records) range.append(leafHashOfChunks(r.chunks, 1));
        return range.root();
      },
    ], 15, 2);
    const perRecord = (ms: number): string => `${((ms * 1000) / RECORDS).toFixed(2)} µs`;
    rows.push([label, bytes, perRecord(encode!.medianMs), perRecord(tree!.medianMs), `${((tree!.medianMs / encode!.medianMs) * 100).toFixed(1)} %`]);
  }
  out(`Checkpoint tree per record (${RECORDS} records a run, median of 15 interleaved runs)\n`);
  out(`${table(['record', 'bytes', 'encode (existing)', 'leaf + tree append', 'tree / encode'], rows)}\n\n`);
}

if (require.main === module) runTlogBench((s) => process.stdout.write(s));
