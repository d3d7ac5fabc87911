import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ChainLock } from '../../../src/audit/chain-lock';
import { openAuditWriter } from '../../../src/audit/writer';
import { verifyAuditDir } from '../../../src/audit/verify';
import { egress, fileLines, independentCheck, removeDir, sha256, tempDir } from './audit-test-kit';

const now = () => new Date('2026-11-22T10:00:00.000Z');
const FILE = 'audit-2026-11-22.jsonl';

describe('audit crash recovery', () => {
  let dir: string;
  beforeEach(async () => { dir = await tempDir(); });
  afterEach(async () => { await removeDir(dir); });

  async function writeSome(): Promise<string> {
    let lock: ChainLock | undefined;
    const writer = await openAuditWriter({ dir, maxFileBytes: 1 << 20, fsync: true, now }, { lockTaken: (l) => { lock = l; } });
    await writer.appendEgress(egress('a', '{"a":1}'));
    await writer.appendOutcome({ id: 'a', status: 202, ms: 5 });
    // No close(): the process "dies" here, so no stop record; the kernel frees a dead process's lock.
    lock!.release();
    return readFile(path.join(dir, FILE), 'utf8');
  }

  it('cuts a torn last line off on open, records what it cut, and continues the chain', async () => {
    const whole = await writeSome();
    const torn = '{"v":1,"seq":3,"ts":"2026-11-22T10:00:00.000Z","type":"egress","prev":"0123","id":"b","body":{"users":[{"id';
    await appendFile(path.join(dir, FILE), torn);

    const broken = await verifyAuditDir(dir);
    expect(broken.ok).toBe(false);
    expect(broken.firstError).toMatchObject({ file: path.join(dir, FILE), line: 4, seq: 3, message: expect.stringContaining('incomplete') });

    const writer = await openAuditWriter({ dir, maxFileBytes: 1 << 20, fsync: true, now });
    await writer.appendOutcome({ id: 'c', status: 202, ms: 1 });
    await writer.close();

    const text = await readFile(path.join(dir, FILE), 'utf8');
    expect(text.startsWith(whole)).toBe(true);
    expect(text).not.toContain('"id":"b"');
    const checked = independentCheck(await fileLines(path.join(dir, FILE)));
    expect(checked.map((c) => c.record['type'])).toEqual(['start', 'egress', 'outcome', 'recovery', 'start', 'outcome', 'stop']);
    expect(checked[3]!.record).toMatchObject({ file: FILE, truncated_bytes: Buffer.byteLength(torn), torn_sha256: sha256(torn) });
    expect((await verifyAuditDir(dir)).ok).toBe(true);
  });

  it('treats an unreadable newline-terminated last line (zeros the disk never wrote) as torn', async () => {
    await writeSome();
    const garbage = Buffer.concat([Buffer.alloc(100), Buffer.from('"}\n')]);
    await appendFile(path.join(dir, FILE), garbage);
    const writer = await openAuditWriter({ dir, maxFileBytes: 1 << 20, fsync: true, now });
    await writer.close();
    const checked = independentCheck(await fileLines(path.join(dir, FILE)));
    expect(checked[3]!.record).toMatchObject({ type: 'recovery', truncated_bytes: garbage.length, torn_sha256: sha256(garbage) });
    expect((await verifyAuditDir(dir)).ok).toBe(true);
  });

  it('continues from the previous file when the newest holds only a torn line', async () => {
    await writeSome();
    const next = 'audit-2026-11-22.1.jsonl';
    await writeFile(path.join(dir, next), '{"v":1,"seq":3,', { mode: 0o600 });
    const writer = await openAuditWriter({ dir, maxFileBytes: 1 << 20, fsync: true, now });
    await writer.close();
    const first = independentCheck(await fileLines(path.join(dir, FILE)));
    const second = await fileLines(path.join(dir, next));
    independentCheck(second, first[first.length - 1]!.record['hash'] as string, first.length);
    expect(JSON.parse(second[0]!)).toMatchObject({ type: 'recovery', file: next, truncated_bytes: 15 });
    expect((await verifyAuditDir(dir)).ok).toBe(true);
  });

  it('refuses to erase a last record that reads but was altered: that is evidence, not a crash', async () => {
    const whole = await writeSome();
    const altered = whole.replace('"status":202', '"status":200');
    await writeFile(path.join(dir, FILE), altered);
    await expect(openAuditWriter({ dir, maxFileBytes: 1 << 20, fsync: true, now })).rejects.toMatchObject({
      code: 'audit-corrupt-tail',
      message: expect.stringContaining('audit verify'),
    });
    expect(await readFile(path.join(dir, FILE), 'utf8')).toBe(altered);
  });
});
