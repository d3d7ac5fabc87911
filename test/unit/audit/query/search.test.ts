import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseFieldPath } from '../../../../src/policy/paths';
import type { EgressFilter } from '../../../../src/audit/query/egress-filter';
import type { FieldQuery } from '../../../../src/audit/query/field-query';
import type { JoinedEgress } from '../../../../src/audit/query/outcome-join';
import { planScan } from '../../../../src/audit/query/record-scan';
import { searchEgress } from '../../../../src/audit/query/search';
import { openAuditWriter } from '../../../../src/audit/writer';
import { auditFiles, egress, removeDir, tempDir } from '../audit-test-kit';
import { planned, REQUESTS, TORN_ID, writeQueryLog } from './query-log';

function field(text: string): FieldQuery {
  const r = parseFieldPath(text);
  if (!r.ok) throw new Error(r.message);
  return { text: r.path.text, segments: r.path.segments };
}

describe('audit search over a rotated multi-day log', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
    await writeQueryLog(dir);
  });
  afterAll(async () => { await removeDir(dir); });

  async function search(filter: EgressFilter, limit?: number): Promise<JoinedEgress[]> {
    const scan = await planScan(dir, filter.since === undefined ? {} : { since: filter.since });
    const out: JoinedEgress[] = [];
    for await (const hit of searchEgress(scan, filter, limit === undefined ? {} : { limit })) out.push(hit);
    return out;
  }
  const ids = async (filter: EgressFilter, limit?: number) => (await search(filter, limit)).map((h) => h.egress.id);

  it('the log really spans days, rotations and two chains', async () => {
    const files = await auditFiles(dir);
    expect(files.filter((f) => f.startsWith('audit-2026-11-22.')).length).toBeGreaterThan(3);
    expect(files.some((f) => f.startsWith('audit-2026-11-20'))).toBe(true);
    expect(files.some((f) => f.includes('-b'))).toBe(true);
  });

  it('with no filter returns every egress record in log order, and skips the torn last line', async () => {
    expect(await ids({})).toEqual(planned(() => true));
    expect(await ids({})).not.toContain(TORN_ID);
  });

  it('filters by vendor, endpoint, level, decision and id, all together', async () => {
    expect(await ids({ vendor: 'automatisch' })).toEqual(['r3']);
    expect(await ids({ endpoint: '/deployment' })).toEqual(planned((r) => r.endpoint === '/deployment'));
    expect(await ids({ level: 2 })).toEqual(planned((r) => r.level === 2));
    expect(await ids({ decision: 'blocked' })).toEqual(['r4']);
    expect(await ids({ decision: 'rejected' })).toEqual(['r6']);
    expect(await ids({ id: 'f3' })).toEqual(['f3']);
    expect(await ids({ vendor: 'coder', endpoint: '/snapshot', level: 1, decision: 'forwarded' }))
      .toEqual(planned((r) => r.vendor === 'coder' && r.endpoint === '/snapshot' && r.level === 1 && r.decision === 'forwarded'));
  });

  it('filters by time: since inclusive, until exclusive, across day files', async () => {
    const since = Date.parse('2026-11-21T08:05:00.000Z');
    const until = Date.parse('2026-11-22T11:02:00.000Z');
    expect(await ids({ since, until })).toEqual(planned((r) => Date.parse(r.ts) >= since && Date.parse(r.ts) < until));
    expect(await ids({ since: Date.parse('2026-11-22T00:00:00Z') })).toEqual(planned((r) => r.ts >= '2026-11-22'));
    expect(await ids({ until: Date.parse('2026-11-20T17:30:00.000Z') })).toEqual(['r1', 'r2']);
  });

  it('--field matches dropped, hashed and unknown keys, normalised as the records write them', async () => {
    expect(await ids({ field: field('users[*].email'), action: 'dropped' })).toEqual(planned((r) => 'users[*].email' in r.dropped));
    expect(await ids({ field: field('"users"[*].id'), action: 'hashed' })).toEqual(planned((r) => 'users[*].id' in r.hashed));
    expect(await ids({ field: field('workspaces[*].ai_task'), action: 'unknown' })).toEqual(['r5', 'r8']);
    // Without --action: any of the three, or present in what was sent.
    expect(await ids({ field: field('batch[*].userId') })).toEqual(['r3']);
  });

  it('--field with --action sent looks in the body as sent, [*] meaning any element', async () => {
    expect(await ids({ field: field('users[*].email'), action: 'sent' })).toEqual(['r8']);
    expect(await ids({ field: field('tailnet.node_id'), action: 'sent' })).toEqual(planned((r) => r.body?.includes('"node_id"') === true));
    expect(await ids({ field: field('batch[event=flowCreated].userId'), action: 'sent' })).toEqual(['r3']);
    expect(await ids({ field: field('batch[event=other].userId'), action: 'sent' })).toEqual([]);
    expect(await ids({ field: field('licenses[*].email_domain') })).toEqual(['r8']);
  });

  it('--action alone selects records with any such field', async () => {
    expect(await ids({ action: 'unknown' })).toEqual(planned((r) => Object.keys(r.unknown).length > 0));
    expect(await ids({ action: 'sent' })).toEqual(planned((r) => r.body !== undefined));
  });

  it('joins each request with its outcome: status and ms, an error, none after the run stopped, none when not forwarded', async () => {
    const hits = new Map((await search({})).map((h) => [h.egress.id, h]));
    for (const r of REQUESTS) {
      const o = hits.get(r.id)!.outcome;
      if (r.outcome === undefined) expect(o).toBeNull();
      else expect(o).toMatchObject(r.outcome);
    }
    expect(hits.get('r7')!.outcome).toBeNull();
    expect(hits.get('r2')!.outcome).toMatchObject({ error: 'ECONNRESET', ms: 30001 });
  });

  it('finds outcomes written in the file after a rotation', async () => {
    const hits = (await search({})).filter((h) => h.outcome !== null);
    const crossing: string[] = [];
    for (const h of hits) {
      const sameFile = new RegExp(`"type":"outcome","prev":"[0-9a-f]{64}","id":"${h.egress.id}"`).test(await readFile(h.egress.file, 'utf8'));
      if (!sameFile) crossing.push(h.egress.id);
    }
    expect(crossing.length).toBeGreaterThan(0);
    expect(hits.map((h) => h.egress.id)).toEqual(planned((r) => r.outcome !== undefined));
  });

  it('stops after --limit matches', async () => {
    expect(await ids({ vendor: 'coder' }, 3)).toEqual(planned((r) => r.vendor === 'coder').slice(0, 3));
  });

  it('reports the torn last line and lines that are not records, and still returns the rest', async () => {
    const scan = await planScan(dir);
    const found = [];
    for await (const hit of searchEgress(scan, {})) found.push(hit.egress.id);
    expect(found).toHaveLength(REQUESTS.length);
    expect(scan.notes.torn).toHaveLength(1);
    expect(path.basename(scan.notes.torn[0]!.file)).toMatch(/^audit-2026-11-22\.\d+\.jsonl$/);
    expect(scan.notes.unreadable).toBe(0);
  });
});

describe('audit search over a log with a damaged line', () => {
  let dir: string;
  afterEach(async () => { await removeDir(dir); });

  it('skips a line that is not a record, counts it and names the first, and returns the records around it', async () => {
    dir = await tempDir();
    await writeQueryLog(dir);
    const first = path.join(dir, 'audit-2026-11-20.jsonl');
    const lines = (await readFile(first, 'utf8')).split('\n');
    lines.splice(2, 0, '\u0000\u0000\u0000 not json');
    await writeFile(first, lines.join('\n'));
    const scan = await planScan(dir);
    const found = [];
    for await (const hit of searchEgress(scan, {})) found.push(hit.egress.id);
    expect(found).toEqual(planned(() => true));
    expect(scan.notes.unreadable).toBe(1);
    expect(scan.notes.firstUnreadable).toMatchObject({ file: first, line: 3 });
  });
});

describe('audit search --since after the clock stepped back', () => {
  let dir: string;
  afterEach(async () => { await removeDir(dir); });

  it('finds a record the writer kept in the next day\'s file, though its ts is of the day before', async () => {
    dir = await tempDir();
    let clock = new Date('2026-11-23T00:00:01.000Z');
    const writer = await openAuditWriter({ dir, maxFileBytes: 1 << 20, fsync: false, now: () => clock });
    await writer.appendEgress(egress('after-midnight', '{"a":1}'));
    clock = new Date('2026-11-22T23:59:59.500Z');
    await writer.appendEgress(egress('stepped-back', '{"a":2}'));
    await writer.close();
    expect(await auditFiles(dir)).toEqual(['audit-2026-11-23.jsonl']);
    const since = Date.parse('2026-11-22T23:00:00Z');
    const scan = await planScan(dir, { since });
    const found = [];
    for await (const hit of searchEgress(scan, { since })) found.push(hit.egress.id);
    expect(found).toEqual(['after-midnight', 'stepped-back']);
  });
});
