import path from 'node:path';
import { removeTempDirs, telegate, tempDir, withEnv } from './cli-harness';
import { planned, REQUESTS, TORN_ID, writeQueryLog } from '../audit/query/query-log';

describe('telegate audit search', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
    await writeQueryLog(dir);
  });
  afterAll(removeTempDirs);

  const ndjson = (stdout: string) => stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

  it('prints a table: header, then one row per record with ts, id, vendor, endpoint, level, decision, bytes, counts, outcome', async () => {
    const run = await telegate(['audit', 'search', dir, '--vendor', 'coder', '--endpoint', '/snapshot', '--level', '1']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TS\s+ID\s+VENDOR\s+ENDPOINT\s+LEVEL\s+DECISION\s+BYTES\s+DROP\/HASH\/UNK\s+OUTCOME$/);
    const want = planned((r) => r.vendor === 'coder' && r.endpoint === '/snapshot' && r.level === 1);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[1])).toEqual(want);
    const r1 = REQUESTS.find((r) => r.id === 'r1')!;
    expect(lines[1]!.split(/\s+/)).toEqual([r1.ts, 'r1', 'coder', '/snapshot', '1', 'forwarded', String(Buffer.byteLength(r1.body!)), '2/2/2', '202', '12ms']);
    expect(lines.find((l) => l.includes(' r6 '))).toMatch(/rejected\s+0\s+0\/0\/0\s+-$/);
    expect(lines.find((l) => l.includes(' r7 '))).toMatch(/none recorded$/);
    expect(run.stderr).toContain(`note: ${path.join(dir, '')}`);
    expect(run.stderr).toContain('the last line has no newline');
  });

  it('--format json: one object per line, the record without its body, joined with its outcome', async () => {
    const run = await telegate(['audit', 'search', dir, '--format', 'json']);
    expect(run.code).toBe(0);
    const rows = ndjson(run.stdout);
    expect(rows.map((r) => r['id'])).toEqual(planned(() => true));
    expect(rows.map((r) => r['id'])).not.toContain(TORN_ID);
    for (const row of rows) {
      expect(row).not.toHaveProperty('body');
      const plan = REQUESTS.find((r) => r.id === row['id'])!;
      expect(row).toMatchObject({ ts: plan.ts, vendor: plan.vendor, endpoint: plan.endpoint, level: plan.level, decision: plan.decision,
        dropped: plan.dropped, hashed: plan.hashed, unknown: plan.unknown, bytes: plan.body === undefined ? 0 : Buffer.byteLength(plan.body) });
      if (plan.outcome) expect(row['outcome']).toMatchObject(plan.outcome);
      else expect(row['outcome']).toBeNull();
    }
    // What left the company is only in `show`: the body text never appears in search output.
    expect(run.stdout).not.toContain('dep-1');
  });

  it('combines --field, --action, --decision, --since, --until and --limit', async () => {
    const field = await telegate(['audit', 'search', dir, '--field', 'users[*].email', '--action', 'sent', '--format', 'json']);
    expect(ndjson(field.stdout).map((r) => r['id'])).toEqual(['r8']);
    const window = await telegate(['audit', 'search', dir, '--since', '2026-11-21', '--until', '2026-11-22T11:00:00Z', '--decision', 'forwarded', '--format', 'json']);
    expect(ndjson(window.stdout).map((r) => r['id'])).toEqual(planned((r) => r.ts >= '2026-11-21' && Date.parse(r.ts) < Date.parse('2026-11-22T11:00:00Z') && r.decision === 'forwarded'));
    const limited = await telegate(['audit', 'search', dir, '--id', 'f2', '--limit', '1', '--format', 'json']);
    expect(ndjson(limited.stdout).map((r) => r['id'])).toEqual(['f2']);
  });

  it('no match: exit 0 and "no records match" (on stderr with json, so the NDJSON stream stays empty)', async () => {
    const text = await telegate(['audit', 'search', dir, '--vendor', 'nobody']);
    expect(text).toMatchObject({ code: 0 });
    expect(text.stdout).toBe('no records match\n');
    const json = await telegate(['audit', 'search', dir, '--vendor', 'nobody', '--format', 'json']);
    expect(json.code).toBe(0);
    expect(json.stdout).toBe('');
    expect(json.stderr).toContain('no records match');
  });

  it('reads TELEGATE_AUDIT_DIR when DIR is not given', async () => {
    const restore = withEnv({ TELEGATE_AUDIT_DIR: dir });
    try {
      const run = await telegate(['audit', 'search', '--id', 'r3', '--format', 'json']);
      expect(ndjson(run.stdout).map((r) => r['id'])).toEqual(['r3']);
    } finally {
      restore();
    }
  });

  it.each([
    [['--since', 'yesterday'], /not a time/],
    [['--until', '2026-02-30'], /not a time/],
    [['--level', '3'], /not a level/],
    [['--decision', 'sent'], /Allowed choices are forwarded, blocked, rejected/],
    [['--action', 'kept'], /Allowed choices are sent, dropped, hashed, unknown/],
    [['--field', 'users[0].email'], /not a field path: array positions like \[0\]/],
    [['--limit', '0'], /not a positive whole number/],
  ])('bad usage %j exits 2 and says why', async (args, message) => {
    const run = await telegate(['audit', 'search', dir, ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('a folder that does not exist exits 2', async () => {
    const run = await telegate(['audit', 'search', path.join(dir, 'missing')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no audit folder');
  });
});
