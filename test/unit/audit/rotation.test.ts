import { stat } from 'node:fs/promises';
import path from 'node:path';
import { openAuditWriter } from '../../../src/audit/writer';
import { verifyAuditDir } from '../../../src/audit/verify';
import { chainLines, egress, fileLines, independentCheck, removeDir, tempDir } from './audit-test-kit';

describe('audit file rotation and replicas', () => {
  let dir: string;
  let clock: Date;
  const now = () => clock;
  beforeEach(async () => {
    dir = await tempDir();
    clock = new Date('2026-11-22T10:00:00.000Z');
  });
  afterEach(async () => { await removeDir(dir); });

  it('rotates by size, never passing max_file_bytes, and links each file to the one before', async () => {
    const maxFileBytes = 2000;
    const writer = await openAuditWriter({ dir, maxFileBytes, fsync: true, now });
    for (let i = 0; i < 12; i++) await writer.appendEgress(egress(`req-${i}`, JSON.stringify({ i, pad: 'x'.repeat(300) })));
    await writer.close();

    const files = ['audit-2026-11-22.jsonl', ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => `audit-2026-11-22.${n}.jsonl`)];
    const present: string[] = [];
    for (const f of files) {
      const size = await stat(path.join(dir, f)).then((s) => s.size, () => -1);
      if (size < 0) break;
      expect(size).toBeLessThanOrEqual(maxFileBytes);
      present.push(f);
    }
    expect(present.length).toBeGreaterThan(2);
    // The chain runs through the files in index order, each first record pointing at the previous file's last.
    const checked = independentCheck(await chainLines(dir, present));
    expect(checked).toHaveLength(14);
    const report = await verifyAuditDir(dir);
    expect(report.ok).toBe(true);
    expect(report.chains[0]!.files).toEqual(present.map((f) => path.join(dir, f)));
  });

  it('gives a record larger than max_file_bytes a file of its own', async () => {
    const writer = await openAuditWriter({ dir, maxFileBytes: 1000, fsync: true, now });
    await writer.appendEgress(egress('big', JSON.stringify({ pad: 'y'.repeat(5000) })));
    await writer.appendOutcome({ id: 'big', status: 202, ms: 3 });
    await writer.close();
    const big = await fileLines(path.join(dir, 'audit-2026-11-22.1.jsonl'));
    expect(big).toHaveLength(1);
    expect(JSON.parse(big[0]!)).toMatchObject({ type: 'egress', id: 'big' });
    expect((await verifyAuditDir(dir)).ok).toBe(true);
  });

  it('rotates when the UTC day changes, and a clock stepping back never writes an earlier file', async () => {
    clock = new Date('2026-11-22T23:59:59.900Z');
    const writer = await openAuditWriter({ dir, maxFileBytes: 1 << 20, fsync: true, now });
    await writer.appendOutcome({ id: 'before-midnight', status: 200, ms: 1 });
    clock = new Date('2026-11-23T00:00:00.100Z');
    await writer.appendOutcome({ id: 'after-midnight', status: 200, ms: 1 });
    clock = new Date('2026-11-22T23:59:59.950Z');
    await writer.appendOutcome({ id: 'clock-stepped-back', status: 200, ms: 1 });
    await writer.close();

    const day1 = await fileLines(path.join(dir, 'audit-2026-11-22.jsonl'));
    const day2 = await fileLines(path.join(dir, 'audit-2026-11-23.jsonl'));
    expect(day1.map((l) => (JSON.parse(l) as { id?: string; type: string }).id ?? 'start')).toEqual(['start', 'before-midnight']);
    expect(day2.map((l) => (JSON.parse(l) as { id?: string; type: string }).id ?? 'stop')).toEqual(['after-midnight', 'clock-stepped-back', 'stop']);
    independentCheck([...day1, ...day2]);
    expect((await verifyAuditDir(dir)).ok).toBe(true);
  });

  it('a restart on a later day starts that day\'s file and keeps the chain', async () => {
    const w1 = await openAuditWriter({ dir, maxFileBytes: 1 << 20, fsync: true, now });
    await w1.close();
    clock = new Date('2026-11-24T08:00:00.000Z');
    const w2 = await openAuditWriter({ dir, maxFileBytes: 1 << 20, fsync: true, now });
    await w2.close();
    const lines = await chainLines(dir, ['audit-2026-11-22.jsonl', 'audit-2026-11-24.jsonl']);
    expect(independentCheck(lines).map((c) => c.record['type'])).toEqual(['start', 'stop', 'start', 'stop']);
  });

  it('gives each replica its own chain in the same folder; verify checks both', async () => {
    const a = await openAuditWriter({ dir, replica: 'gw-a', maxFileBytes: 1 << 20, fsync: true, now });
    const b = await openAuditWriter({ dir, replica: 'gw-b', maxFileBytes: 1 << 20, fsync: true, now });
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).appendEgress(egress(`r${i}`, `{"i":${i}}`))));
    await Promise.all([a.close(), b.close()]);

    const chainA = independentCheck(await fileLines(path.join(dir, 'audit-2026-11-22-gw-a.jsonl')));
    const chainB = independentCheck(await fileLines(path.join(dir, 'audit-2026-11-22-gw-b.jsonl')));
    expect(chainA).toHaveLength(12);
    expect(chainB).toHaveLength(12);
    expect(chainA[0]!.record['replica']).toBe('gw-a');
    const report = await verifyAuditDir(dir);
    expect(report.ok).toBe(true);
    expect(report.chains.map((c) => [c.replica, c.records])).toEqual([['gw-a', 12], ['gw-b', 12]]);
  });
});
