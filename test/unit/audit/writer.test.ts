import { mkdir, stat, chmod } from 'node:fs/promises';
import path from 'node:path';
import { openAuditWriter } from '../../../src/audit/writer';
import { verifyAuditDir } from '../../../src/audit/verify';
import {
  auditFiles, chainLines, egress, fileLines, independentCheck, removeDir, sha256, tempDir, ZEROS,
} from './audit-test-kit';

const NOW = new Date('2026-11-22T10:00:00.000Z');
const now = () => NOW;

describe('audit writer', () => {
  let dir: string;
  beforeEach(async () => { dir = path.join(await tempDir(), 'audit'); });
  afterEach(async () => { await removeDir(path.dirname(dir)); });

  it('writes a chain that the documented hash rule alone accepts, from 64 zeros, start to stop', async () => {
    const writer = await openAuditWriter({ dir, maxFileBytes: 1 << 20, fsync: true, now });
    await writer.appendPolicy({ policies: [{ vendor: 'coder', file: 'policies/coder.yaml', digest: `sha256:${'cd'.repeat(32)}` }], reload: false });
    await writer.appendEgress(egress('req-1', '{"deployment_id":"x"}'));
    await writer.appendOutcome({ id: 'req-1', status: 202, ms: 12 });
    await writer.close();

    expect(await auditFiles(dir)).toEqual(['audit-2026-11-22.jsonl']);
    const checked = independentCheck(await fileLines(path.join(dir, 'audit-2026-11-22.jsonl')));
    expect(checked.map((c) => c.record['type'])).toEqual(['start', 'policy', 'egress', 'outcome', 'stop']);
    expect(checked[0]!.record['prev']).toBe(ZEROS);
    expect(checked.every((c) => c.record['v'] === 1 && c.record['ts'] === '2026-11-22T10:00:00.000Z')).toBe(true);
    expect(checked[3]!.record).toMatchObject({ id: 'req-1', status: 202, ms: 12 });

    const report = await verifyAuditDir(dir);
    expect(report.ok).toBe(true);
    expect(report.chains).toEqual([expect.objectContaining({ replica: null, records: 5, stopped: true })]);
    expect(report.chains[0]!.lastHash).toBe(checked[4]!.record['hash']);
  });

  it('once the process no longer owns the chain, appends are refused and nothing more reaches the file, queued records included', async () => {
    let owner = true;
    const writer = await openAuditWriter({ dir, maxFileBytes: 1 << 20, fsync: true, now, owner: () => owner });
    await writer.appendEgress(egress('req-1', '{"a":1}'));
    // One record in flight when ownership ends (its batch is written after this turn), one after.
    const queued = writer.appendEgress(egress('req-2', '{"a":2}'));
    owner = false;
    await expect(queued).rejects.toMatchObject({ code: 'audit-not-owner' });
    await expect(writer.appendEgress(egress('req-3', '{"a":3}'))).rejects.toMatchObject({ code: 'audit-not-owner' });
    await expect(writer.close()).rejects.toMatchObject({ code: 'audit-not-owner' });

    const lines = independentCheck(await fileLines(path.join(dir, 'audit-2026-11-22.jsonl')));
    expect(lines.map((l) => [l.record['type'], l.record['id']])).toEqual([['start', undefined], ['egress', 'req-1']]);
    // What was written is whole: another process may continue this chain from its last record.
    expect((await verifyAuditDir(dir)).ok).toBe(true);
  });

  it('puts v, seq, ts, type, prev first and hash last, egress members in the documented order', async () => {
    const writer = await openAuditWriter({ dir, maxFileBytes: 1 << 20, fsync: true, now });
    await writer.appendEgress({ ...egress('req-2', '{"a":1}'), reason: undefined });
    await writer.appendEgress({ ...egress('req-3'), decision: 'rejected', reason: 'body is not JSON' });
    await writer.close();
    const lines = await fileLines(path.join(dir, 'audit-2026-11-22.jsonl'));
    const keys = (line: string) => Object.keys(JSON.parse(line) as object);
    expect(keys(lines[1]!)).toEqual(['v', 'seq', 'ts', 'type', 'prev', 'id', 'vendor', 'endpoint', 'level', 'policy', 'decision',
      'upstream', 'client', 'client_version', 'body', 'body_sha256', 'bytes', 'dropped', 'hashed', 'unknown', 'hash']);
    // Nothing sent: no body, no body digest, zero bytes.
    expect(keys(lines[2]!)).toEqual(['v', 'seq', 'ts', 'type', 'prev', 'id', 'vendor', 'endpoint', 'level', 'policy', 'decision',
      'reason', 'client', 'client_version', 'bytes', 'dropped', 'hashed', 'unknown', 'hash']);
    expect(JSON.parse(lines[2]!)).toMatchObject({ decision: 'rejected', reason: 'body is not JSON', bytes: 0 });
  });

  it('embeds the body as the very bytes sent, with their sha256 and length', async () => {
    // Exact uint64, non-ASCII, a JSON-escaped line separator, and a key order JSON.parse would change.
    const bodyText = '{"z":1,"2":"é","node_id":18446744073709551615,"s":"a\\u2028b","n":1.50}';
    const writer = await openAuditWriter({ dir, maxFileBytes: 1 << 20, fsync: true, now });
    await writer.appendEgress(egress('req-4', bodyText));
    await writer.close();
    const line = (await fileLines(path.join(dir, 'audit-2026-11-22.jsonl')))[1]!;
    const bytes = Buffer.from(bodyText, 'utf8');
    expect(line).toContain(`,"body":${bodyText},"body_sha256":"${sha256(bytes)}","bytes":${bytes.length},`);
    expect((await verifyAuditDir(dir)).ok).toBe(true);
  });

  it('embeds bodyBytes (the Buffer the gateway sends) exactly as it would the same bodyText, and prefers it', async () => {
    const bodyText = '{"z":1,"2":"é","node_id":18446744073709551615}';
    const bytes = Buffer.from(bodyText, 'utf8');
    const writer = await openAuditWriter({ dir, maxFileBytes: 1 << 20, fsync: true, now });
    await writer.appendEgress(egress('req-5', bodyText));
    await writer.appendEgress({ ...egress('req-5'), decision: 'forwarded', bodyBytes: bytes });
    await writer.appendEgress({ ...egress('req-5', '{"ignored":true}'), bodyBytes: bytes });
    await writer.close();
    const bodies = (await fileLines(path.join(dir, 'audit-2026-11-22.jsonl'))).slice(1, 4)
      .map((line) => line.slice(line.indexOf(',"body":'), line.indexOf(',"dropped":')));
    expect(bodies[0]).toBe(`,"body":${bodyText},"body_sha256":"${sha256(bytes)}","bytes":${bytes.length}`);
    expect(bodies[1]).toBe(bodies[0]);
    expect(bodies[2]).toBe(bodies[0]);
    expect((await verifyAuditDir(dir)).ok).toBe(true);
  });

  it('chains 200 concurrent appends gap-free in call order, with far fewer syncs than records', async () => {
    const writer = await openAuditWriter({ dir, maxFileBytes: 1 << 24, fsync: true, now });
    const before = { ...writer.stats };
    const ids = Array.from({ length: 200 }, (_, i) => `req-${i}`);
    await Promise.all(ids.map((id, i) => (i % 2 ? writer.appendOutcome({ id, status: 200, ms: i }) : writer.appendEgress(egress(id, `{"i":${i}}`)))));
    const syncs = writer.stats.syncs - before.syncs;
    expect(writer.stats.records - before.records).toBe(200);
    expect(syncs).toBeGreaterThanOrEqual(1);
    expect(syncs).toBeLessThanOrEqual(10);
    await writer.close();

    const checked = independentCheck(await chainLines(dir, await auditFiles(dir)));
    expect(checked.slice(1, 201).map((c) => c.record['id'])).toEqual(ids);
    expect((await verifyAuditDir(dir)).ok).toBe(true);
  });

  it('keeps batching while a sync is in flight: appends made meanwhile share the next sync', async () => {
    const writer = await openAuditWriter({ dir, maxFileBytes: 1 << 24, fsync: true, now });
    const syncsBefore = writer.stats.syncs;
    const first = writer.appendOutcome({ id: 'a', status: 200, ms: 1 });
    await new Promise((r) => setImmediate(r)); // the first batch is now being written
    const rest = Array.from({ length: 50 }, (_, i) => writer.appendOutcome({ id: `b${i}`, status: 200, ms: 1 }));
    await Promise.all([first, ...rest]);
    expect(writer.stats.syncs - syncsBefore).toBeLessThanOrEqual(2);
    await writer.close();
  });

  it('creates its folder 0700 and files 0600, and tightens an existing folder to 0700', async () => {
    const writer = await openAuditWriter({ dir, maxFileBytes: 1 << 20, fsync: true, now });
    await writer.close();
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(dir, 'audit-2026-11-22.jsonl'))).mode & 0o777).toBe(0o600);

    const open = path.join(path.dirname(dir), 'shared');
    await mkdir(open);
    await chmod(open, 0o755);
    const w2 = await openAuditWriter({ dir: open, maxFileBytes: 1 << 20, fsync: true, now });
    await w2.close();
    expect((await stat(open)).mode & 0o777).toBe(0o700);
  });

  it('close() flushes what is pending and ends with a stop record; later appends are refused', async () => {
    const writer = await openAuditWriter({ dir, maxFileBytes: 1 << 20, fsync: true, now });
    const pending = [1, 2, 3].map((i) => writer.appendOutcome({ id: `r${i}`, status: 200, ms: i }));
    await writer.close();
    await Promise.all(pending);
    await expect(writer.appendOutcome({ id: 'late', status: 200, ms: 1 })).rejects.toMatchObject({ code: 'audit-closed' });
    expect(writer.healthy).toBe(false);
    const types = independentCheck(await fileLines(path.join(dir, 'audit-2026-11-22.jsonl'))).map((c) => c.record['type']);
    expect(types).toEqual(['start', 'outcome', 'outcome', 'outcome', 'stop']);
  });

  it('refuses a body that would split the line, without spending a seq', async () => {
    const writer = await openAuditWriter({ dir, maxFileBytes: 1 << 20, fsync: true, now });
    await expect(writer.appendEgress(egress('pretty', '{\n  "a": 1\n}'))).rejects.toMatchObject({ code: 'audit-body-invalid' });
    await expect(writer.appendEgress(egress('empty', ''))).rejects.toMatchObject({ code: 'audit-body-invalid' });
    await writer.appendEgress(egress('ok', '{"a":1}'));
    await writer.close();
    const checked = independentCheck(await fileLines(path.join(dir, 'audit-2026-11-22.jsonl')));
    expect(checked.map((c) => c.record['id'] ?? c.record['type'])).toEqual(['start', 'ok', 'stop']);
  });

  it('continues the chain from the newest file after a restart', async () => {
    const w1 = await openAuditWriter({ dir, maxFileBytes: 1 << 20, fsync: true, now });
    await w1.appendOutcome({ id: 'x', status: 200, ms: 1 });
    await w1.close();
    const w2 = await openAuditWriter({ dir, maxFileBytes: 1 << 20, fsync: true, now });
    await w2.appendOutcome({ id: 'y', status: 200, ms: 1 });
    await w2.close();
    const checked = independentCheck(await fileLines(path.join(dir, 'audit-2026-11-22.jsonl')));
    expect(checked.map((c) => c.record['type'])).toEqual(['start', 'outcome', 'stop', 'start', 'outcome', 'stop']);
    expect((await verifyAuditDir(dir)).ok).toBe(true);
  });

  it('with fsync off (benchmarks only) writes the same chain without syncing', async () => {
    const writer = await openAuditWriter({ dir, maxFileBytes: 1 << 20, fsync: false, now });
    await Promise.all([1, 2, 3].map((i) => writer.appendOutcome({ id: `r${i}`, status: 200, ms: i })));
    await writer.close();
    expect(writer.stats.syncs).toBe(0);
    expect(writer.stats.records).toBe(5);
    expect((await verifyAuditDir(dir)).ok).toBe(true);
  });

  it('refuses unusable options with a message naming the setting', async () => {
    await expect(openAuditWriter({ dir, maxFileBytes: 0, fsync: true })).rejects.toMatchObject({ code: 'audit-options', message: expect.stringContaining('max_file_bytes') });
    await expect(openAuditWriter({ dir, replica: '../x', maxFileBytes: 100, fsync: true })).rejects.toMatchObject({ code: 'audit-options', message: expect.stringContaining('audit.replica') });
  });
});
