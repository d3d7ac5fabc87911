/**
 * The checkpointer beside the real audit writer, on real files with real fsync: every checkpoint it
 * writes is checked here from the outside — the note's signature with node:crypto, its size against the
 * lines in the chain's files, its root against RFC 6962's MTH recomputed in this file from those lines —
 * across restarts (the saved tree resumed, or the chain re-read), rotation, crash recovery and a failing
 * disk; and a chain cut or rewritten behind its latest checkpoint is refused.
 */
import { createHash, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { appendFile, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ChainLock } from '../../../src/audit/chain-lock';
import { AuditError } from '../../../src/audit/errors';
import { openAuditWriter, type FileAuditWriter } from '../../../src/audit/writer';
import { listChainFiles } from '../../../src/audit/file-naming';
import { scanChain } from '../../../src/audit/tlog/chain-leaves';
import { Checkpointer } from '../../../src/audit/tlog/checkpointer';
import { verifyConsistency } from '../../../src/audit/tlog/proofs';
import { signerFor } from '../../../src/audit/tlog/signing-key';
import { failingDisk } from '../../helpers/failing-disk';
import { egress, removeDir, sha256, tempDir } from './audit-test-kit';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const signer = signerFor(privateKey, 'telegate');
const DAY = '2026-11-22';
const now = () => new Date(`${DAY}T10:00:00.000Z`);

/** RFC 6962 MTH from its definition, over lines as bytes. */
const sha = (...parts: Buffer[]): Buffer => createHash('sha256').update(Buffer.concat(parts)).digest();
function mth(lines: Buffer[]): Buffer {
  if (lines.length === 0) return sha();
  if (lines.length === 1) return sha(Buffer.from([0]), lines[0]!);
  let k = 1;
  while (k * 2 < lines.length) k *= 2;
  return sha(Buffer.from([1]), mth(lines.slice(0, k)), mth(lines.slice(k)));
}

/** Every whole line of the chain of no replica, files in name order (one day: index order for n < 10). */
async function chainLineBytes(dir: string): Promise<Buffer[]> {
  const files = (await readdir(dir)).filter((n) => n.startsWith('audit-') && n.endsWith('.jsonl')).sort((a, b) => indexOf(a) - indexOf(b));
  const lines: Buffer[] = [];
  for (const f of files) {
    const text = await readFile(path.join(dir, f));
    let start = 0;
    for (let nl = text.indexOf(0x0a); nl >= 0; nl = text.indexOf(0x0a, start)) {
      lines.push(text.subarray(start, nl));
      start = nl + 1;
    }
  }
  return lines;
}
const indexOf = (name: string): number => Number(/\.(\d+)\.jsonl$/.exec(name)?.[1] ?? 0);

/** Reads the note and checks it from scratch: text layout, signature line, Ed25519 over the text. */
async function readCheckpoint(dir: string, chain = 'default', key: KeyObject = publicKey): Promise<{ origin: string; size: number; root: Buffer; note: string }> {
  const note = await readFile(path.join(dir, 'checkpoints', chain), 'utf8');
  const m = /^([^\n]+)\n(\d+)\n([A-Za-z0-9+/=]+)\n\n\u2014 telegate ([A-Za-z0-9+/=]+)\n$/.exec(note);
  if (!m) throw new Error(`not a checkpoint note:\n${note}`);
  const text = `${m[1]}\n${m[2]}\n${m[3]}\n`;
  const sig = Buffer.from(m[4]!, 'base64');
  expect(sig.readUInt32BE(0)).toBe(signer.keyId);
  expect(verify(null, Buffer.from(text), key, sig.subarray(4))).toBe(true);
  return { origin: m[1]!, size: Number(m[2]), root: Buffer.from(m[3]!, 'base64'), note };
}

describe('checkpoints of a chain', () => {
  let dir: string;
  beforeEach(async () => { dir = await tempDir(); });
  afterEach(async () => { await removeDir(dir); });

  async function open(options: { maxFileBytes?: number; fileOps?: ReturnType<typeof failingDisk>['ops']; replica?: string } = {}): Promise<{ writer: FileAuditWriter; cp: Checkpointer; lock: ChainLock }> {
    const cp = new Checkpointer({ auditDir: dir, chain: options.replica ?? 'default', origin: 'telegate', signer, intervalMs: 60_000 });
    let lock: ChainLock | undefined;
    const writer = await openAuditWriter({
      dir, maxFileBytes: options.maxFileBytes ?? 1 << 20, fsync: true, now, observer: cp,
      ...(options.replica ? { replica: options.replica } : {}),
    }, { lockTaken: (l) => { lock = l; }, ...(options.fileOps ? { fileOps: options.fileOps } : {}) });
    return { writer, cp, lock: lock! };
  }

  async function appendSome(writer: FileAuditWriter, n: number, from = 0): Promise<void> {
    await Promise.all(Array.from({ length: n }, (_, i) => writer.appendEgress(egress(`r${from + i}`, `{"n":${from + i},"pad":"${'x'.repeat(40)}"}`))));
  }

  test('a checkpoint at close covers every line of the chain, stop record included: origin, size, root, signature', async () => {
    const { writer, cp } = await open();
    await appendSome(writer, 20);
    await writer.close();
    await cp.close();
    const lines = await chainLineBytes(dir);
    expect(lines.length).toBe(22); // start, 20 egress, stop
    const checkpoint = await readCheckpoint(dir);
    expect(checkpoint.origin).toBe('telegate/default');
    expect(checkpoint.size).toBe(22);
    expect(checkpoint.root).toEqual(mth(lines));
    expect(JSON.parse(lines[21]!.toString()).type).toBe('stop');
    expect((await stat(path.join(dir, 'checkpoints'))).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(dir, 'checkpoints', 'default'))).mode & 0o777).toBe(0o600);
  });

  test('checkpoint() writes only when records were added', async () => {
    const written: number[] = [];
    const cp = new Checkpointer({ auditDir: dir, chain: 'default', origin: 'telegate', signer, intervalMs: 60_000, events: { written: (c) => written.push(c.size) } });
    const writer = await openAuditWriter({ dir, maxFileBytes: 1 << 20, fsync: true, now, observer: cp });
    await cp.checkpoint();
    await cp.checkpoint();
    await appendSome(writer, 3);
    await cp.checkpoint();
    await cp.checkpoint();
    await writer.close();
    await cp.close();
    await cp.close();
    expect(written).toEqual([1, 4, 5]);
  });

  test('a process that no longer owns the chain (an orphaned worker) writes no checkpoint', async () => {
    let owns = true;
    const cp = new Checkpointer({ auditDir: dir, chain: 'default', origin: 'telegate', signer, intervalMs: 60_000, owner: () => owns });
    const writer = await openAuditWriter({ dir, maxFileBytes: 1 << 20, fsync: true, now, observer: cp });
    await appendSome(writer, 2);
    await cp.checkpoint();
    const before = await readFile(path.join(dir, 'checkpoints', 'default'), 'utf8');
    await appendSome(writer, 2, 2);
    owns = false;
    await cp.checkpoint();
    await writer.close();
    await cp.close();
    expect(await readFile(path.join(dir, 'checkpoints', 'default'), 'utf8')).toBe(before);
  });

  test('across rotation: leaves follow the chain through its files in order', async () => {
    const { writer, cp } = await open({ maxFileBytes: 2_000 });
    for (let i = 0; i < 6; i++) await appendSome(writer, 5, i * 5);
    await writer.close();
    await cp.close();
    expect((await readdir(dir)).filter((n) => n.endsWith('.jsonl')).length).toBeGreaterThan(4);
    const lines = await chainLineBytes(dir);
    const checkpoint = await readCheckpoint(dir);
    expect(checkpoint.size).toBe(lines.length);
    expect(checkpoint.root).toEqual(mth(lines));
  });

  test('across restarts: the saved tree is resumed (only new lines read), and each checkpoint extends the one before (consistency proof)', async () => {
    let { writer, cp } = await open({ maxFileBytes: 3_000 });
    await appendSome(writer, 10);
    await writer.close();
    await cp.close();
    const first = await readCheckpoint(dir);

    ({ writer, cp } = await open({ maxFileBytes: 3_000 }));
    expect(cp.opened).toEqual({ resumed: true, linesRead: 0 });
    await appendSome(writer, 10, 10);
    await writer.close();
    await cp.close();
    const second = await readCheckpoint(dir);
    const lines = await chainLineBytes(dir);
    expect(second.size).toBe(lines.length);
    expect(second.root).toEqual(mth(lines));
    expect(first.root).toEqual(mth(lines.slice(0, first.size)));

    const files = await listChainFiles(dir, null);
    const { scan } = await scanChain(files, { consistency: [{ from: first.size, to: second.size }] });
    expect(verifyConsistency(first.size, second.size, scan.consistencyProof(first.size, second.size), first.root, second.root)).toBe(true);

    // Without the saved tree, the chain is read again and gives the same tree.
    await rm(path.join(dir, 'checkpoints', 'default.tree.json'));
    ({ writer, cp } = await open({ maxFileBytes: 3_000 }));
    expect(cp.opened).toEqual({ resumed: false, linesRead: second.size });
    await writer.close();
    await cp.close();
    const third = await readCheckpoint(dir);
    expect(third.root).toEqual(mth(await chainLineBytes(dir)));
  });

  test('after a crash: records made durable after the last checkpoint are read back, the torn line is no leaf, the recovery record is', async () => {
    let { writer, cp, lock } = await open();
    await appendSome(writer, 5);
    await cp.checkpoint();
    const before = await readCheckpoint(dir);
    await appendSome(writer, 4, 5);
    // The process dies: no close, no final checkpoint, and half a line on disk; the kernel frees a dead
    // process's chain lock.
    lock.release();
    const file = path.join(dir, `audit-${DAY}.jsonl`);
    await appendFile(file, '{"v":1,"seq":10,"ts":"2026-11-22T10:00:00.000Z","type":"egress","prev":"ab');

    ({ writer, cp } = await open());
    expect(cp.opened.resumed).toBe(true);
    expect(cp.opened.linesRead).toBe(4);
    await writer.close();
    await cp.close();
    const lines = await chainLineBytes(dir);
    const types = lines.map((l) => JSON.parse(l.toString()).type as string);
    expect(types.slice(-3)).toEqual(['recovery', 'start', 'stop']);
    const after = await readCheckpoint(dir);
    expect(after.size).toBe(lines.length);
    expect(after.root).toEqual(mth(lines));
    expect(mth(lines.slice(0, before.size))).toEqual(before.root);
  });

  test('a batch that failed to sync never enters the tree: leaf i stays line i', async () => {
    const disk = failingDisk();
    const { writer, cp } = await open({ fileOps: disk.ops });
    await appendSome(writer, 3);
    disk.failing = true;
    await expect(writer.appendEgress(egress('lost', '{"lost":true}'))).rejects.toThrow();
    disk.failing = false;
    await appendSome(writer, 2, 3);
    await writer.close();
    await cp.close();
    const lines = await chainLineBytes(dir);
    expect(lines.some((l) => l.includes('"lost"'))).toBe(false);
    const checkpoint = await readCheckpoint(dir);
    expect(checkpoint.size).toBe(lines.length);
    expect(checkpoint.root).toEqual(mth(lines));
  });

  test('two chains in one folder (workers, replicas): a checkpoint file each, each over its own chain', async () => {
    const a = await open({ replica: 'w1' });
    const b = await open({ replica: 'w2' });
    await appendSome(a.writer, 3);
    await appendSome(b.writer, 5);
    await Promise.all([a.writer.close(), b.writer.close()]);
    await Promise.all([a.cp.close(), b.cp.close()]);
    expect((await readCheckpoint(dir, 'w1')).origin).toBe('telegate/w1');
    expect((await readCheckpoint(dir, 'w1')).size).toBe(5);
    expect((await readCheckpoint(dir, 'w2')).size).toBe(7);
    expect((await readCheckpoint(dir, 'w2')).root).toEqual(mth((await readFile(path.join(dir, `audit-${DAY}-w2.jsonl`), 'utf8')).trimEnd().split('\n').map((l) => Buffer.from(l))));
  });

  describe('refuses to sign past what it signed before', () => {
    async function signedChain(): Promise<string> {
      const { writer, cp } = await open();
      await appendSome(writer, 6);
      await writer.close();
      await cp.close();
      return path.join(dir, `audit-${DAY}.jsonl`);
    }

    test('records cut from the end (on line boundaries, so recovery has nothing to say)', async () => {
      const file = await signedChain();
      const text = await readFile(file, 'utf8');
      const lines = text.split('\n');
      await writeFile(file, `${lines.slice(0, -3).join('\n')}\n`);
      const error = await open().then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(AuditError);
      expect(error).toMatchObject({ code: 'audit-checkpoint-mismatch', message: expect.stringContaining('cut') });
    });

    test('a record edited and the chain re-hashed by a forger with write access', async () => {
      const file = await signedChain();
      const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
      let prev = '0'.repeat(64);
      const forged = lines.map((line) => {
        const edited = line.replace('"n":2,', '"n":9,').replace(/"prev":"[0-9a-f]{64}"/, `"prev":"${prev}"`);
        const cut = edited.lastIndexOf(',"hash":"');
        prev = sha256(`${prev}\n${edited.slice(0, cut)}}`);
        return `${edited.slice(0, cut)},"hash":"${prev}"}`;
      });
      expect(forged).not.toEqual(lines);
      await writeFile(file, `${forged.join('\n')}\n`);
      const error = await open().then(() => undefined, (e: unknown) => e);
      expect(error).toMatchObject({ code: 'audit-checkpoint-mismatch', message: expect.stringContaining('edited or rewritten') });
    });

    test('a saved tree that does not match the latest note is not trusted: the chain is read again', async () => {
      await signedChain();
      const state = path.join(dir, 'checkpoints', 'default.tree.json');
      const saved = JSON.parse(await readFile(state, 'utf8')) as { edge: string[] };
      saved.edge[0] = Buffer.alloc(32, 1).toString('base64');
      await writeFile(state, JSON.stringify(saved));
      const { writer, cp } = await open();
      expect(cp.opened.resumed).toBe(false);
      await writer.close();
      await cp.close();
      expect((await readCheckpoint(dir)).root).toEqual(mth(await chainLineBytes(dir)));
    });

    test('a chain shorter than its saved tree by a whole file is refused too', async () => {
      const { writer, cp } = await open({ maxFileBytes: 1_500 });
      await appendSome(writer, 12);
      await writer.close();
      await cp.close();
      const files = (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort((a, b) => indexOf(a) - indexOf(b));
      expect(files.length).toBeGreaterThan(2);
      await rm(path.join(dir, files[files.length - 1]!));
      await expect(open({ maxFileBytes: 1_500 })).rejects.toMatchObject({ code: 'audit-checkpoint-mismatch' });
    });
  });

  test('a torn state file or note does not stop the start', async () => {
    const { writer, cp } = await open();
    await appendSome(writer, 2);
    await writer.close();
    await cp.close();
    await truncate(path.join(dir, 'checkpoints', 'default.tree.json'), 10);
    await writeFile(path.join(dir, 'checkpoints', 'default'), 'garbage');
    const warnings: string[] = [];
    const again = new Checkpointer({ auditDir: dir, chain: 'default', origin: 'telegate', signer, intervalMs: 60_000, events: { warn: (m) => warnings.push(m) } });
    const w = await openAuditWriter({ dir, maxFileBytes: 1 << 20, fsync: true, now, observer: again });
    await w.close();
    await again.close();
    expect(warnings.join('\n')).toContain('is not a checkpoint of chain default');
    expect((await readCheckpoint(dir)).root).toEqual(mth(await chainLineBytes(dir)));
  });
});
