/**
 * One writer per chain (SPEC §6), inside one process: a second writer on a chain another writer holds is
 * refused before it reads or writes anything, naming the holder (pid, host, since); other chains in the
 * same folder are not affected; a closed writer's lock is free again. Across processes and after a
 * SIGKILL: test/e2e/one-writer-per-chain.test.ts.
 */
import { spawn } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { AuditError } from '../../../src/audit/errors';
import { openAuditWriter } from '../../../src/audit/writer';
import { auditFiles, egress, fileLines, removeDir, tempDir } from './audit-test-kit';

let dir: string;
beforeEach(async () => { dir = await tempDir(); });
afterEach(async () => { await removeDir(dir); });

const since = new Date('2026-03-01T10:00:00.000Z');
const open = (replica?: string, lock: { supervisor?: number; orphanWaitMs?: number } = {}) => openAuditWriter({
  dir, maxFileBytes: 1 << 20, fsync: true, now: () => since,
  ...(replica === undefined ? {} : { replica }), ...lock,
});

/** The pid of a process that has ended: a supervisor that is gone. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

test('a second writer on the same chain is refused, naming the holder, and writes nothing', async () => {
  const first = await open();
  await first.appendEgress(egress('a', '{"x":1}'));
  const linesBefore = await fileLines(path.join(dir, (await auditFiles(dir))[0]!));

  const error = await open().then(() => undefined, (e: unknown) => e);
  if (!(error instanceof AuditError)) throw new Error(`expected an AuditError, got ${String(error)}`);
  expect(error.code).toBe('audit-locked');
  expect(error.message).toContain('"default"');
  expect(error.message).toContain(`pid ${process.pid}`);
  expect(error.message).toContain(`host ${hostname()}`);
  expect(error.message).toContain('since 2026-03-01T10:00:00.000Z');

  // Nothing was appended (no start record of the refused writer), and the first writer goes on.
  expect(await fileLines(path.join(dir, (await auditFiles(dir))[0]!))).toEqual(linesBefore);
  await first.appendEgress(egress('b', '{"x":2}'));
  await first.close();
});

test('a replica id is a chain of its own: two replicas in one folder both write', async () => {
  const a = await open('pod-a');
  const b = await open('pod-b');
  await a.appendEgress(egress('a', '{"x":1}'));
  await b.appendEgress(egress('b', '{"x":2}'));
  await Promise.all([a.close(), b.close()]);
  // The unnamed chain and a replica's chain are different chains too.
  const unnamed = await open();
  const again = await open('pod-a');
  await Promise.all([unnamed.close(), again.close()]);
});

test('a closed writer leaves its chain free; the next writer continues it', async () => {
  const first = await open();
  await first.appendEgress(egress('a', '{"x":1}'));
  await first.close();
  const second = await open();
  await second.appendEgress(egress('b', '{"x":2}'));
  await second.close();
  const records = (await fileLines(path.join(dir, (await auditFiles(dir))[0]!))).map((l) => JSON.parse(l) as { type: string; seq: number });
  expect(records.map((r) => r.type)).toEqual(['start', 'egress', 'stop', 'start', 'egress', 'stop']);
  expect(records.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4, 5]);
});

test('a worker whose supervisor is gone (an orphan, about to end) is waited for: the next writer gets the chain once it goes', async () => {
  const orphan = await open(undefined, { supervisor: await deadPid() });
  const waiting = open(undefined, { orphanWaitMs: 10_000 });
  await new Promise((r) => setTimeout(r, 250));
  await orphan.close();
  const second = await waiting;
  await second.close();
});

test('an orphan that stays is waited for at most orphanWaitMs, then named', async () => {
  const supervisor = await deadPid();
  const orphan = await open(undefined, { supervisor });
  const started = Date.now();
  const error = await open(undefined, { orphanWaitMs: 300 }).then(() => undefined, (e: unknown) => e);
  expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  expect(error).toMatchObject({ code: 'audit-locked', message: expect.stringContaining(`pid ${process.pid} (a worker of pid ${supervisor})`) });
  await orphan.close();
});

test('a worker whose supervisor lives is a live writer: refused at once, even by a writer that would wait for an orphan', async () => {
  const live = await open(undefined, { supervisor: process.pid });
  const started = Date.now();
  await expect(open(undefined, { orphanWaitMs: 10_000 })).rejects.toMatchObject({ code: 'audit-locked' });
  expect(Date.now() - started).toBeLessThan(5_000);
  await live.close();
});

test('the lock and holder files are private (0700 folder, 0600 files) and are not chain files', async () => {
  const writer = await open('pod-a');
  const locks = path.join(dir, 'locks');
  expect((await stat(locks)).mode & 0o777).toBe(0o700);
  expect((await readdir(locks)).sort()).toEqual(['pod-a.holder', 'pod-a.lock']);
  for (const name of ['pod-a.holder', 'pod-a.lock']) expect((await stat(path.join(locks, name))).mode & 0o777).toBe(0o600);
  expect(JSON.parse(await readFile(path.join(locks, 'pod-a.holder'), 'utf8'))).toEqual({ pid: process.pid, host: hostname(), since: '2026-03-01T10:00:00.000Z' });
  expect(await auditFiles(dir)).toEqual(['audit-2026-03-01-pod-a.jsonl']);
  await writer.close();
});
