/**
 * A real audit folder for the query tests, written by the real writer: three UTC days, three writer runs
 * (stop/start between them), files rotated by a small max_file_bytes so records and their outcomes fall
 * on both sides of rotation boundaries, a second replica's chain, and a torn last line (half a record,
 * no newline) appended by hand to the newest file. `REQUESTS` is the plan the tests derive their
 * expectations from.
 */
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { openAuditWriter } from '../../../../src/audit/writer';
import type { Decision, EgressFields } from '../../../../src/audit/types';
import { auditFiles } from '../audit-test-kit';

export const BIG_NODE_ID = '18446744073709551615';

export interface PlannedRequest {
  id: string;
  ts: string;
  vendor: string;
  endpoint: string;
  level: 0 | 1 | 2;
  decision: Decision;
  reason?: string;
  client_version?: string;
  body?: string;
  dropped: Record<string, number>;
  hashed: Record<string, number>;
  unknown: Record<string, number>;
  outcome?: { status: number; ms: number } | { error: string; ms: number };
  replica?: string;
}

const snapshot = (n: number, extra = ''): string =>
  `{"deployment_id":"dep-${n}","users":[{"id":"u-hash-${n}a","created_at":"2026-11-0${n % 9 + 1}T00:00:00Z"},{"id":"u-hash-${n}b","created_at":"2026-10-01T00:00:00Z"}],"tailnet":{"node_id":${BIG_NODE_ID}}${extra}}`;

export const REQUESTS: PlannedRequest[] = [
  // Day 1, run 1
  { id: 'r1', ts: '2026-11-20T09:00:00.000Z', vendor: 'coder', endpoint: '/snapshot', level: 1, decision: 'forwarded', client_version: 'v2.18.0',
    body: snapshot(1), dropped: { 'users[*].email': 2 }, hashed: { 'users[*].id': 2 }, unknown: { 'users[*].theme': 2 }, outcome: { status: 202, ms: 12 } },
  { id: 'r2', ts: '2026-11-20T09:00:01.000Z', vendor: 'coder', endpoint: '/deployment', level: 2, decision: 'forwarded', client_version: 'v2.18.0',
    body: '{"id":"dep-1","os":"linux","arch":"amd64"}', dropped: {}, hashed: {}, unknown: {}, outcome: { error: 'ECONNRESET', ms: 30001 } },
  { id: 'r3', ts: '2026-11-20T17:30:00.000Z', vendor: 'automatisch', endpoint: '/v1/batch', level: 1, decision: 'forwarded',
    body: '{"batch":[{"event":"flowCreated","userId":"h-1"}]}', dropped: { 'batch[*].context.ip': 1 }, hashed: { 'batch[*].userId': 1 }, unknown: { 'batch[*].properties.plan': 1 },
    outcome: { status: 200, ms: 40 } },
  { id: 'r4', ts: '2026-11-20T18:00:00.000Z', vendor: 'coder', endpoint: '/snapshot', level: 0, decision: 'blocked', client_version: 'v2.18.0',
    dropped: {}, hashed: {}, unknown: {} },
  // Day 2, run 2
  { id: 'r5', ts: '2026-11-21T08:00:00.000Z', vendor: 'coder', endpoint: '/snapshot', level: 1, decision: 'forwarded', client_version: 'v2.19.0',
    body: snapshot(5), dropped: { 'users[*].email': 2 }, hashed: { 'users[*].id': 2 }, unknown: { 'users[*].theme': 1, 'workspaces[*].ai_task': 3 },
    outcome: { status: 202, ms: 9 } },
  { id: 'r6', ts: '2026-11-21T08:05:00.000Z', vendor: 'coder', endpoint: '/snapshot', level: 1, decision: 'rejected', reason: 'body-too-large', client_version: 'v2.19.0',
    dropped: {}, hashed: {}, unknown: {} },
  // Forwarded, but the run stopped before its outcome was written.
  { id: 'r7', ts: '2026-11-21T23:59:59.000Z', vendor: 'coder', endpoint: '/snapshot', level: 1, decision: 'forwarded', client_version: 'v2.19.0',
    body: snapshot(7), dropped: {}, hashed: { 'users[*].id': 2 }, unknown: {} },
  // Day 3, run 3: level 2 sends users[*].email as it is.
  { id: 'r8', ts: '2026-11-22T10:00:00.000Z', vendor: 'coder', endpoint: '/snapshot', level: 2, decision: 'forwarded', client_version: 'v2.19.0',
    body: snapshot(8, ',"licenses":[{"email_domain":"example.com"}]').replace('"created_at":"2026-10-01T00:00:00Z"', '"created_at":"2026-10-01T00:00:00Z","email":"e@example.com"'),
    dropped: {}, hashed: {}, unknown: { 'workspaces[*].ai_task': 1 }, outcome: { status: 202, ms: 15 } },
  ...[0, 1, 2, 3, 4, 5].map((i): PlannedRequest => ({
    id: `f${i}`, ts: `2026-11-22T11:0${i}:00.000Z`, vendor: 'coder', endpoint: '/deployment', level: 1, decision: 'forwarded', client_version: 'v2.19.0',
    body: `{"id":"dep-${i}","pad":"${'p'.repeat(400)}"}`, dropped: {}, hashed: {}, unknown: {}, outcome: { status: 200, ms: i + 1 },
  })),
  // Another replica's chain, the same day.
  { id: 'b1', ts: '2026-11-22T12:00:00.000Z', vendor: 'coder', endpoint: '/snapshot', level: 1, decision: 'forwarded', client_version: 'v2.20.0',
    body: snapshot(9), dropped: {}, hashed: {}, unknown: { 'users[*].theme': 4 }, outcome: { status: 202, ms: 3 }, replica: 'b' },
];

export const TORN_ID = 'torn-req';

function fields(r: PlannedRequest): EgressFields {
  const f: EgressFields = {
    id: r.id, vendor: r.vendor, endpoint: r.endpoint, level: r.level, policy: `sha256:${'cd'.repeat(32)}`, decision: r.decision,
    client: '10.0.0.7', dropped: r.dropped, hashed: r.hashed, unknown: r.unknown,
  };
  if (r.reason !== undefined) f.reason = r.reason;
  if (r.client_version !== undefined) f.client_version = r.client_version;
  if (r.body !== undefined) {
    f.bodyText = r.body;
    f.upstream = `https://telemetry.example/${r.vendor}${r.endpoint}`;
  }
  return f;
}

const byId = (id: string): PlannedRequest => REQUESTS.find((r) => r.id === id)!;

/** Writes the plan; `run` lists, per writer run, the order of writes: `e:ID` egress, `o:ID` outcome. */
const RUNS: { replica?: string; steps: string[] }[] = [
  // r2's outcome comes after r3's egress: the join must wait for it without holding r3 back from it.
  { steps: ['e:r1', 'o:r1', 'e:r2', 'e:r3', 'o:r3', 'o:r2', 'e:r4'] },
  { steps: ['e:r5', 'o:r5', 'e:r6', 'e:r7'] },
  { steps: ['e:r8', 'e:f0', 'o:r8', 'o:f0', 'e:f1', 'o:f1', 'e:f2', 'e:f3', 'o:f2', 'o:f3', 'e:f4', 'o:f4', 'e:f5', 'o:f5'] },
  { replica: 'b', steps: ['e:b1', 'o:b1'] },
];

export const MAX_FILE_BYTES = 1500;

export async function writeQueryLog(dir: string): Promise<void> {
  for (const run of RUNS) {
    let clock = new Date(byId(run.steps[0]!.slice(2)).ts);
    const writer = await openAuditWriter({
      dir, maxFileBytes: MAX_FILE_BYTES, fsync: false, now: () => clock, ...(run.replica === undefined ? {} : { replica: run.replica }),
    });
    for (const step of run.steps) {
      const r = byId(step.slice(2));
      if (step.startsWith('e:')) {
        clock = new Date(r.ts);
        await writer.appendEgress(fields(r));
      } else {
        clock = new Date(Date.parse(clock.toISOString()) + 100);
        const o = r.outcome!;
        await writer.appendOutcome('status' in o ? { id: r.id, status: o.status, ms: o.ms } : { id: r.id, error: o.error, ms: o.ms });
      }
    }
    await writer.close();
  }
  // A crash mid-write: half of a record, no newline, at the end of the unnamed chain's newest file.
  const newest = (await auditFiles(dir)).filter((f) => /^audit-\d{4}-\d{2}-\d{2}(\.\d+)?\.jsonl$/.test(f))
    .sort((a, b) => index(a) - index(b) || (a < b ? -1 : 1)).pop()!;
  await appendFile(path.join(dir, newest), `{"v":1,"seq":99,"ts":"2026-11-22T13:00:00.000Z","type":"egress","prev":"${'0'.repeat(64)}","id":"${TORN_ID}","vendor":"coder","endpoint":"/snap`);
}

function index(name: string): number {
  const m = /^audit-(\d{4}-\d{2}-\d{2})(?:\.(\d+))?\.jsonl$/.exec(name)!;
  return Date.parse(m[1]!) + Number(m[2] ?? 0);
}

/** The requests a filter should return, in log order (runs in order; within a run, egress order). */
export function planned(pred: (r: PlannedRequest) => boolean): string[] {
  const order = RUNS.flatMap((run) => run.steps.filter((s) => s.startsWith('e:')).map((s) => s.slice(2)));
  return order.map(byId).filter(pred).map((r) => r.id);
}
