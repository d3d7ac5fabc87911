import { parse as losslessParse } from 'lossless-json';
import { removeTempDirs, telegate, tempDir } from './cli-harness';
import { BIG_NODE_ID, REQUESTS, TORN_ID, writeQueryLog } from '../audit/query/query-log';

describe('telegate audit show', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
    await writeQueryLog(dir);
  });
  afterAll(removeTempDirs);

  it('prints the record, its outcome, dropped/hashed/unknown and the body as sent, indented, big integers exact', async () => {
    const r1 = REQUESTS.find((r) => r.id === 'r1')!;
    const run = await telegate(['audit', 'show', 'r1', dir]);
    expect(run.code).toBe(0);
    const out = run.stdout;
    expect(out).toMatch(/^request {3}r1\n/);
    expect(out).toContain(`time      ${r1.ts}\n`);
    expect(out).toContain('vendor    coder\n');
    expect(out).toContain('decision  forwarded\n');
    expect(out).toContain('client    10.0.0.7 (version v2.18.0)\n');
    expect(out).toContain('outcome   HTTP 202 after 12 ms');
    expect(out).toContain('dropped   1 path(s), 2 field(s)\n  users[*].email  2\n');
    expect(out).toContain('hashed    1 path(s), 2 field(s)\n  users[*].id  2\n');
    expect(out).toContain('unknown   1 path(s), 2 field(s)\n  users[*].theme  2\n');
    const body = out.slice(out.indexOf('body as sent:\n') + 'body as sent:\n'.length);
    expect(body).toContain(`    "node_id": ${BIG_NODE_ID}\n`);
    expect(body.split('\n').length).toBeGreaterThan(10);
    // The same JSON value as was sent, digit for digit.
    expect(JSON.stringify(losslessParse(body))).toBe(JSON.stringify(losslessParse(r1.body!)));
  });

  it('--format json: the record with outcome and the body embedded as sent', async () => {
    const run = await telegate(['audit', 'show', 'r2', dir, '--format', 'json']);
    expect(run.code).toBe(0);
    const shown = JSON.parse(run.stdout) as Record<string, unknown>;
    const r2 = REQUESTS.find((r) => r.id === 'r2')!;
    expect(shown).toMatchObject({ id: 'r2', vendor: 'coder', endpoint: '/deployment', level: 2, decision: 'forwarded', outcome: { error: 'ECONNRESET', ms: 30001 } });
    expect(shown['body']).toEqual(JSON.parse(r2.body!));
    const big = await telegate(['audit', 'show', 'r5', dir, '--format', 'json']);
    expect(big.stdout).toContain(`"node_id": ${BIG_NODE_ID}`);
  });

  it('a request that sent nothing: says so, and shows why', async () => {
    const run = await telegate(['audit', 'show', 'r6', dir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('decision  rejected: body-too-large\n');
    expect(run.stdout).toContain('sent      nothing\n');
    expect(run.stdout).not.toContain('body as sent');
  });

  it('finds a request in another replica\'s chain, and one whose run stopped before its outcome', async () => {
    expect((await telegate(['audit', 'show', 'b1', dir])).stdout).toContain('outcome   HTTP 202 after 3 ms');
    expect((await telegate(['audit', 'show', 'r7', dir])).stdout).toContain('outcome   none recorded\n');
  });

  it('an unknown id (or the one in the torn last line) exits 1', async () => {
    for (const id of ['nope', TORN_ID]) {
      const run = await telegate(['audit', 'show', id, dir]);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(`no egress record with request id "${id}"`);
    }
  });
});
