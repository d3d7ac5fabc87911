/**
 * `telegate … | head -1` (SPEC §7: output into a closed pipe ends the command quietly). Each command runs
 * as a child process whose stdout is a real pipe; the test reads the first chunk and closes its end, as
 * `head -1` does, while the command still has far more than a pipe buffer (64 KiB) to write. The command
 * must end with its own exit code (a failed check still fails under `set -o pipefail`) and print nothing
 * on stderr: no EPIPE, no stack trace.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openAuditWriter } from '../../src/audit';
import { spawnCli } from '../helpers/cli-process';

// Each test starts several node processes one after another: on a loaded machine that takes time, not a fault.
jest.setTimeout(180_000);

const POLICIES = path.resolve(__dirname, '../../policies');
const SNAPSHOT_FIXTURE = path.join(POLICIES, 'tests', 'coder-snapshot.input.json');

let dir: string;
let audit: string;
let bigBody: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'telegate-pipe-'));
  audit = path.join(dir, 'audit');
  // A log with one request whose body alone is far over a pipe buffer, and enough requests that a
  // search lists more than one buffer's worth of lines.
  const users = Array.from({ length: 5000 }, (_, i) => ({ id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, created_at: '2026-01-01T00:00:00Z' }));
  bigBody = JSON.stringify({ users });
  const writer = await openAuditWriter({ dir: audit, maxFileBytes: 1 << 30, fsync: false });
  const record = (id: string, body?: string) => writer.appendEgress({
    id, vendor: 'coder', endpoint: '/snapshot', level: 1, policy: 'sha256:00', decision: body ? 'forwarded' : 'blocked',
    client: '127.0.0.1', ...(body ? { bodyText: body, upstream: 'https://telemetry.coder.com/snapshot' } : {}), dropped: {}, hashed: {}, unknown: {},
  });
  await record('big', bigBody);
  for (let i = 0; i < 1500; i++) await record(`req-${i}`);
  await writer.close();
});

afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

/** Runs the command, closes the read end of its stdout after the first chunk, and waits for its end. */
function readFirstChunkThenClose(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string; first: string }> {
  const child = spawnCli(args, { env });
  child.stdin!.end();
  let stderr = '';
  let first = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  child.stdout!.once('data', (chunk: Buffer) => {
    first = chunk.toString('utf8');
    child.stdout!.destroy();
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stderr, first })));
}

describe('a closed pipe ends the command quietly, with its own exit code', () => {
  test('policy explain of a snapshot (thousands of lines)', async () => {
    const r = await readFirstChunkThenClose(['policy', 'explain', '--vendor', 'coder', '--endpoint', '/snapshot', '--level', '1',
      '--policies', POLICIES, SNAPSHOT_FIXTURE], { TELEGATE_HASH_KEY: 'pipe-test-key-0123456789abcdef' });
    expect(r.first).toMatch(/^coder POST \/snapshot at level 1: forward/);
    expect(r).toMatchObject({ code: 0, stderr: '' });
  });

  test('audit show of a record whose body is larger than a pipe buffer', async () => {
    expect(bigBody.length).toBeGreaterThan(4 * 65536);
    const r = await readFirstChunkThenClose(['audit', 'show', 'big', audit]);
    expect(r.first).toMatch(/^request +big/);
    expect(r).toMatchObject({ code: 0, stderr: '' });
  });

  test('audit search listing more than a pipe buffer of lines', async () => {
    const r = await readFirstChunkThenClose(['audit', 'search', audit]);
    expect(r.first).toMatch(/^TS +ID/);
    expect(r).toMatchObject({ code: 0, stderr: '' });
  });

  test('policy report of the shipped packs', async () => {
    const r = await readFirstChunkThenClose(['policy', 'report', POLICIES]);
    expect(r.first).toMatch(/^# /);
    expect(r.code).toBe(0);
    // Only the command's own note (the shipped packs' findings), nothing of the pipe.
    expect(r.stderr).toMatch(/^(policy report: \d+ finding\(s\) to review, listed at the top of the report\n)?$/);
  });

  test('a failing policy check keeps exit 1 (pipefail still sees it), and says nothing of the pipe', async () => {
    // Thousands of errors, one line each: far more than a pipe buffer.
    const rules = Array.from({ length: 3000 }, (_, i) => `      field_${i}: { 1: erase, 2: allow }`).join('\n');
    const file = path.join(dir, 'acme.yaml');
    await writeFile(file, `vendor: acme\nupstream: https://telemetry.acme.example\nendpoints:\n  /report:\n    method: POST\n    local_reply: { status: 202 }\n    fields:\n${rules}\n`);
    const r = await readFirstChunkThenClose(['policy', 'check', file]);
    expect(r.first).toContain('unknown action "erase"');
    expect(r.code).toBe(1);
    // The summary line on stderr is the command's own; no EPIPE and no stack trace.
    expect(r.stderr).toBe('policy check: 3000 errors; the gateway would refuse this policy set\n');
  });
});
