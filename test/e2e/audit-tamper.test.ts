/**
 * An auditor's proof that the log is whole (SPEC §6, §7): after a real gateway run, copies of its audit
 * folder are tampered with the three ways an insider would try (edit what a record says was sent,
 * delete a record, swap two), and `telegate audit verify` fails on each with exit 1, naming the first
 * bad record as file:line; the untouched copy verifies with exit 0.
 */
import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { runAuditVerify } from '../../src/cli/audit-verify';
import type { CliIO } from '../../src/cli/io';
import { startTestGateway } from '../helpers/gateway-harness';
import { httpCall } from '../helpers/http-call';
import { startStandInVendor } from '../helpers/stand-in-vendor';

interface Run { code: number; stdout: string; stderr: string }

async function verify(dir: string): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, stdin: Readable.from([]) };
  const code = await runAuditVerify({ dir }, {}, io);
  return { code, stdout, stderr };
}

let work: string;
/** The run's audit folder, closed cleanly, and the file and lines holding its egress records. */
let original: string;
let file: string;
let lines: string[];
/** 0-based indexes of lines holding forwarded egress records. */
let forwarded: number[];

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'telegate-tamper-'));
  const vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
  const gw = await startTestGateway({ dir: work, env: { TELEGATE_LEVEL_CODER: '2', TELEGATE_UPSTREAM_CODER: vendor.url } });
  try {
    for (let i = 0; i < 4; i++) {
      const r = await httpCall(`${gw.url}/snapshot`, { method: 'POST', body: JSON.stringify({ deployment_id: randomUUID() }) });
      expect(r.status).toBe(202);
    }
    expect((await httpCall(`${gw.url}/snapshot`, { method: 'POST', body: '[]' })).status).toBe(422);
  } finally {
    await gw.gateway.close(2_000);
    await vendor.close();
  }
  original = gw.auditDir;
  const names = (await readdir(original)).filter((n) => n.endsWith('.jsonl'));
  // The run is short; should it straddle midnight UTC, the file holding the forwarded records is the one tampered.
  for (const name of names) {
    const text = await readFile(path.join(original, name), 'utf8');
    const candidate = text.split('\n');
    const hits = candidate.flatMap((l, i) => (l.includes('"decision":"forwarded"') ? [i] : []));
    if (hits.length >= 3) {
      file = name;
      lines = candidate;
      forwarded = hits;
    }
  }
  expect(forwarded.length).toBeGreaterThanOrEqual(3);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A copy of the run's folder with the tampered file's lines replaced; returns the copy and the file's path in it. */
async function tampered(name: string, edit: (lines: string[]) => string[]): Promise<{ dir: string; target: string }> {
  const dir = path.join(work, name);
  await cp(original, dir, { recursive: true });
  const target = path.join(dir, file);
  await writeFile(target, edit([...lines]).join('\n'));
  return { dir, target };
}

test('the untouched copy verifies: exit 0', async () => {
  const { dir } = await tampered('untouched', (l) => l);
  const run = await verify(dir);
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/^ok: /m);
});

test('one record\'s body edited (one hex digit of the id that was sent): exit 1, naming that record\'s line', async () => {
  const at = forwarded[1]!;
  const { dir, target } = await tampered('edited', (l) => {
    const line = l[at]!;
    const m = /"deployment_id":"([0-9a-f])/.exec(line);
    if (!m || m.index === undefined) throw new Error('no deployment_id in the forwarded record');
    const digitAt = m.index + '"deployment_id":"'.length;
    const other = m[1] === 'a' ? 'b' : 'a';
    l[at] = line.slice(0, digitAt) + other + line.slice(digitAt + 1);
    expect(JSON.parse(l[at]!)).toBeTruthy(); // still a well-formed record: only the chain can tell
    return l;
  });
  const run = await verify(dir);
  expect(run.code).toBe(1);
  expect(run.stdout).toContain(`${target}:${at + 1}:`);
});

test('one record deleted: exit 1, naming the line where the chain breaks (the deleted record\'s place)', async () => {
  const at = forwarded[1]!;
  const { dir, target } = await tampered('deleted', (l) => [...l.slice(0, at), ...l.slice(at + 1)]);
  const run = await verify(dir);
  expect(run.code).toBe(1);
  expect(run.stdout).toContain(`${target}:${at + 1}:`);
});

test('two records swapped: exit 1, naming the first of the two lines', async () => {
  const at = forwarded[1]!;
  const { dir, target } = await tampered('swapped', (l) => {
    [l[at], l[at + 1]] = [l[at + 1]!, l[at]!];
    return l;
  });
  const run = await verify(dir);
  expect(run.code).toBe(1);
  expect(run.stdout).toContain(`${target}:${at + 1}:`);
});

test('the last record (the clean stop) cut off: what is left is a valid chain, but the report no longer says closed', async () => {
  const last = lines.length - (lines[lines.length - 1] === '' ? 2 : 1);
  const { dir } = await tampered('truncated', (l) => [...l.slice(0, last), ...l.slice(last + 1)]);
  const run = await verify(dir);
  // A cut tail cannot be told from a writer that crashed; the report says so instead of claiming a clean stop.
  const { dir: clean } = await tampered('untouched-for-tail', (l) => l);
  expect((await verify(clean)).stdout).toMatch(/ok, closed/);
  expect(run.stdout).not.toMatch(/ok, closed/);
  expect(run.stdout).toMatch(/open/);
});
