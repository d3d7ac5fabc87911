import fs from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { nodeFileOps, type AuditFileOps } from '../../../src/audit/file-ops';
import { openAuditWriter } from '../../../src/audit/writer';
import { verifyAuditDir } from '../../../src/audit/verify';
import { egress, fileLines, independentCheck, removeDir, tempDir } from './audit-test-kit';

const now = () => new Date('2026-11-22T10:00:00.000Z');
const FILE = 'audit-2026-11-22.jsonl';

const systemError = (code: string) => Object.assign(new Error(`${code}: injected by the test`), { code });

/** Real file operations, except the next N calls of the named ones, which fail (after doing what is asked). */
class FaultyDisk implements AuditFileOps {
  failNext: Partial<Record<'writev' | 'writevHalf' | 'fdatasync' | 'ftruncate' | 'create', number>> = {};
  /** When set, the next fdatasync waits for it, then fails or succeeds as it says. */
  syncGate: Promise<'fail' | 'ok'> | undefined;
  /** Called when an fdatasync starts waiting at the gate. */
  onGate: (() => void) | undefined;

  private take(op: keyof FaultyDisk['failNext']): boolean {
    const n = this.failNext[op] ?? 0;
    if (n > 0) this.failNext[op] = n - 1;
    return n > 0;
  }

  openAppend(p: string, exclusive: boolean) {
    if (exclusive && this.take('create')) return Promise.reject(systemError('EACCES'));
    return nodeFileOps.openAppend(p, exclusive);
  }

  async writev(fd: number, chunks: Buffer[]) {
    if (this.take('writev')) throw systemError('ENOSPC');
    if (this.take('writevHalf')) {
      const all = Buffer.concat(chunks);
      fs.writeSync(fd, all, 0, all.length >> 1);
      throw systemError('EIO');
    }
    return nodeFileOps.writev(fd, chunks);
  }

  async fdatasync(fd: number) {
    const gate = this.syncGate;
    if (gate) {
      this.syncGate = undefined;
      this.onGate?.();
      if ((await gate) === 'fail') throw systemError('EIO');
    }
    if (this.take('fdatasync')) throw systemError('EIO');
    return nodeFileOps.fdatasync(fd);
  }

  ftruncate(fd: number, length: number) {
    if (this.take('ftruncate')) return Promise.reject(systemError('EIO'));
    return nodeFileOps.ftruncate(fd, length);
  }

  fchmod = nodeFileOps.fchmod;
  fstatSize = nodeFileOps.fstatSize;
  fsyncDir = nodeFileOps.fsyncDir;
  close = nodeFileOps.close;
}

describe('audit writes that fail', () => {
  let dir: string;
  let disk: FaultyDisk;
  beforeEach(async () => {
    dir = await tempDir();
    disk = new FaultyDisk();
  });
  afterEach(async () => { await removeDir(dir); });

  const open = (maxFileBytes = 1 << 20) => openAuditWriter({ dir, maxFileBytes, fsync: true, now }, { fileOps: disk });
  const size = async () => (await stat(path.join(dir, FILE))).size;

  it('rejects a batch whose fdatasync fails, cuts its bytes off, and the next record continues the chain', async () => {
    const writer = await open();
    const before = await size();
    disk.failNext.fdatasync = 1;
    const failed = await Promise.allSettled([writer.appendEgress(egress('lost-1', '{"a":1}')), writer.appendEgress(egress('lost-2', '{"a":2}'))]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    const reason = (failed[0] as PromiseRejectedResult).reason as { code: string; message: string };
    expect(reason.code).toBe('audit-write-failed');
    expect(reason.message).toContain('EIO');
    expect(reason.message).not.toContain('{"a":1}');
    expect(writer.healthy).toBe(false);
    expect(writer.stats.failedBatches).toBe(1);
    expect(await size()).toBe(before);

    await writer.appendEgress(egress('kept', '{"a":3}'));
    expect(writer.healthy).toBe(true);
    await writer.close();
    const checked = independentCheck(await fileLines(path.join(dir, FILE)));
    expect(checked.map((c) => c.record['id'] ?? c.record['type'])).toEqual(['start', 'kept', 'stop']);
    expect((await verifyAuditDir(dir)).ok).toBe(true);
  });

  it('cuts off the half line a failed write left behind', async () => {
    const writer = await open();
    disk.failNext.writevHalf = 1;
    await expect(writer.appendEgress(egress('half', `{"pad":"${'z'.repeat(500)}"}`))).rejects.toMatchObject({ code: 'audit-write-failed' });
    expect(await readFile(path.join(dir, FILE), 'utf8')).not.toContain('zzz');
    await writer.appendOutcome({ id: 'after', status: 200, ms: 1 });
    await writer.close();
    independentCheck(await fileLines(path.join(dir, FILE)));
    expect((await verifyAuditDir(dir)).ok).toBe(true);
  });

  it('also rejects the records queued behind a failing batch: they were chained to records that never reached disk', async () => {
    const writer = await open();
    let release!: (how: 'fail' | 'ok') => void;
    disk.syncGate = new Promise((resolve) => { release = resolve; });
    const atGate = new Promise<void>((resolve) => { disk.onGate = resolve; });
    const inFlight = writer.appendEgress(egress('in-flight', '{"a":1}'));
    await atGate; // the batch is written and now waiting in fdatasync
    const queued = [writer.appendOutcome({ id: 'q1', status: 200, ms: 1 }), writer.appendOutcome({ id: 'q2', status: 200, ms: 1 })];
    release('fail');
    await expect(inFlight).rejects.toMatchObject({ code: 'audit-write-failed' });
    for (const q of queued) await expect(q).rejects.toMatchObject({ code: 'audit-batch-aborted' });

    await writer.appendOutcome({ id: 'next', status: 200, ms: 1 });
    await writer.close();
    const checked = independentCheck(await fileLines(path.join(dir, FILE)));
    expect(checked.map((c) => c.record['id'] ?? c.record['type'])).toEqual(['start', 'next', 'stop']);
    expect((await verifyAuditDir(dir)).ok).toBe(true);
  });

  it('refuses to append while the failed bytes cannot be cut off, and resumes once they can', async () => {
    const writer = await open();
    const before = await size();
    disk.failNext.fdatasync = 1;
    disk.failNext.ftruncate = 2; // the cut right after the failure, and the retry before the next batch
    await expect(writer.appendOutcome({ id: 'lost', status: 200, ms: 1 })).rejects.toMatchObject({ code: 'audit-write-failed' });
    await expect(writer.appendOutcome({ id: 'blocked', status: 200, ms: 1 })).rejects.toMatchObject({
      code: 'audit-write-failed', message: expect.stringContaining('cut the unacknowledged end'),
    });
    expect(await size()).toBeGreaterThan(before); // the unacknowledged record is still there; nothing went after it
    await writer.appendOutcome({ id: 'resumed', status: 200, ms: 1 });
    await writer.close();
    const checked = independentCheck(await fileLines(path.join(dir, FILE)));
    expect(checked.map((c) => c.record['id'] ?? c.record['type'])).toEqual(['start', 'resumed', 'stop']);
    expect((await verifyAuditDir(dir)).ok).toBe(true);
  });

  it('cuts a failed write off before rotating away from its file', async () => {
    const writer = await open(900);
    disk.failNext.fdatasync = 1;
    disk.failNext.ftruncate = 1;
    await expect(writer.appendOutcome({ id: 'lost', status: 200, ms: 1 })).rejects.toMatchObject({ code: 'audit-write-failed' });
    // This record needs a new file; the lost one must not stay at the end of the old one.
    await writer.appendEgress(egress('rotated', `{"pad":"${'p'.repeat(800)}"}`));
    await writer.close();
    expect(await readFile(path.join(dir, FILE), 'utf8')).not.toContain('"lost"');
    expect((await verifyAuditDir(dir)).ok).toBe(true);
  });

  it('rejects records when the next file cannot be created, and rotates once it can', async () => {
    const writer = await open(900);
    disk.failNext.create = 1;
    const big = `{"pad":"${'p'.repeat(700)}"}`;
    await expect(writer.appendEgress(egress('no-file', big))).rejects.toMatchObject({
      code: 'audit-write-failed', message: expect.stringContaining('cannot create audit file audit-2026-11-22.1.jsonl'),
    });
    await writer.appendEgress(egress('rotated', big));
    await writer.close();
    const report = await verifyAuditDir(dir);
    expect(report.ok).toBe(true);
    expect(report.chains[0]!.records).toBe(3);
    expect(JSON.parse((await fileLines(path.join(dir, 'audit-2026-11-22.1.jsonl')))[0]!)).toMatchObject({ id: 'rotated', seq: 1 });
  });
});
