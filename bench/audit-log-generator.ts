/**
 * Writes a large audit log for measuring the audit queries: egress records with realistic Coder
 * `/snapshot` bodies (coder-snapshot-generator.ts, 2-20 users: about 20-200 kB each), /deployment
 * bodies, blocked and rejected requests, unknown fields that change with the client version, and an
 * outcome after each forwarded request, a few requests later (as concurrent requests interleave).
 * Written by the real writer (fsync off: durability is not what is measured), rotated at 64 MB, with a
 * clock that advances a minute a request so the log spans days.
 *
 * Usage: node dist/bench/audit-log-generator.js DIR [MEGABYTES=1024]
 */
import { openAuditWriter } from '../src/audit/writer';
import type { EgressFields } from '../src/audit/types';
import { generateCoderSnapshot } from './coder-snapshot-generator';

const USERS = [2, 3, 5, 8, 12, 20];
const VERSIONS = ['v2.17.2', 'v2.18.0', 'v2.18.1', 'v2.19.0'];
const OUTCOME_DELAY = 3;

function egress(i: number, bodies: string[]): EgressFields {
  const version = VERSIONS[Math.floor(i / 2500) % VERSIONS.length]!;
  const base: EgressFields = {
    id: `req-${i.toString(36).padStart(8, '0')}`, vendor: 'coder', endpoint: '/snapshot', level: i % 10 === 0 ? 2 : 1,
    policy: `sha256:${'5e'.repeat(32)}`, decision: 'forwarded', client: `10.0.${i % 7}.${i % 250}`, client_version: version,
    dropped: { 'users[*].email': 2, 'workspaces[*].name': 3 }, hashed: { 'users[*].id': 2, 'workspaces[*].owner_id': 3 },
    unknown: version >= 'v2.19.0' ? { 'workspaces[*].ai_task': 1 + (i % 4) } : {},
  };
  if (i % 50 === 7) return { ...base, level: 0, decision: 'blocked', dropped: {}, hashed: {}, unknown: {} };
  if (i % 200 === 13) return { ...base, decision: 'rejected', reason: 'body-too-large', dropped: {}, hashed: {}, unknown: {} };
  if (i % 5 === 1) {
    return { ...base, endpoint: '/deployment', bodyText: `{"id":"dep-${i % 3}","os":"linux","arch":"amd64","cpu_cores":${4 + (i % 12)}}`,
      upstream: 'https://telemetry.coder.com/deployment', dropped: {}, hashed: {}, unknown: {} };
  }
  return { ...base, bodyText: bodies[i % bodies.length]!, upstream: 'https://telemetry.coder.com/snapshot' };
}

export async function generateAuditLog(dir: string, megabytes: number, log: (s: string) => void = () => undefined): Promise<{ records: number; bytes: number }> {
  const bodies = USERS.map((u) => generateCoderSnapshot(u).body.toString('utf8'));
  let clock = Date.parse('2026-11-01T00:00:00.000Z');
  const writer = await openAuditWriter({ dir, maxFileBytes: 64 << 20, fsync: false, now: () => new Date(clock) });
  const target = megabytes * 1e6;
  const awaiting: { id: string; at: number }[] = [];
  let i = 0;
  while (writer.stats.bytes < target) {
    const fields = egress(i, bodies);
    clock += 60_000;
    await writer.appendEgress(fields);
    if (fields.decision === 'forwarded') awaiting.push({ id: fields.id, at: i });
    while (awaiting.length > 0 && i - awaiting[0]!.at >= OUTCOME_DELAY) {
      const { id } = awaiting.shift()!;
      clock += 5;
      await writer.appendOutcome(i % 97 === 0 ? { id, error: 'ETIMEDOUT', ms: 30000 } : { id, status: 202, ms: 20 + (i % 80) });
    }
    i++;
    if (i % 1000 === 0) log(`${i} requests, ${(writer.stats.bytes / 1e6).toFixed(0)} MB\n`);
  }
  for (const { id } of awaiting) await writer.appendOutcome({ id, status: 202, ms: 25 });
  await writer.close();
  return { records: writer.stats.records, bytes: writer.stats.bytes };
}

if (require.main === module) {
  const [dir, mb] = process.argv.slice(2);
  if (dir === undefined) {
    process.stderr.write('usage: node dist/bench/audit-log-generator.js DIR [MEGABYTES=1024]\n');
    process.exitCode = 2;
  } else {
    generateAuditLog(dir, Number(mb ?? 1024), (s) => process.stderr.write(s)).then(
      (r) => process.stdout.write(`wrote ${r.records} records, ${(r.bytes / 1e6).toFixed(1)} MB to ${dir}\n`),
      (err: unknown) => { process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`); process.exitCode = 1; },
    );
  }
}
