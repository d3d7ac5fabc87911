import { removeTempDirs, telegate, tempDir } from './cli-harness';
import { REQUESTS, writeQueryLog } from '../audit/query/query-log';

describe('telegate audit drift and stats', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
    await writeQueryLog(dir);
  });
  afterAll(removeTempDirs);

  it('drift prints a table of unknown paths by vendor, endpoint and client version', async () => {
    const run = await telegate(['audit', 'drift', dir]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n').map((l) => l.split(/\s+/));
    expect(lines[0]).toEqual(['VENDOR', 'ENDPOINT', 'CLIENT_VERSION', 'PATH', 'KIND', 'COUNT', 'REQUESTS', 'FIRST_SEEN', 'LAST_SEEN']);
    expect(lines).toContainEqual(['automatisch', '/v1/batch', '-', 'batch[*].properties.plan', 'unknown', '1', '1', '2026-11-20T17:30:00.000Z', '2026-11-20T17:30:00.000Z']);
    expect(lines).toContainEqual(['coder', '/snapshot', 'v2.19.0', 'workspaces[*].ai_task', 'unknown', '4', '2', '2026-11-21T08:00:00.000Z', '2026-11-22T10:00:00.000Z']);
    const distinct = new Set(REQUESTS.flatMap((r) => Object.keys(r.unknown).map((p) => `${r.vendor} ${r.endpoint} ${r.client_version} ${p}`)));
    expect(lines).toHaveLength(distinct.size + 1);
  });

  it('drift --vendor --format json: one row per line', async () => {
    const run = await telegate(['audit', 'drift', dir, '--vendor', 'coder', '--format', 'json']);
    const rows = run.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { vendor: string; path: string; client_version: string | null });
    expect(new Set(rows.map((r) => r.vendor))).toEqual(new Set(['coder']));
    expect(rows.map((r) => `${r.client_version} ${r.path}`)).toContain('v2.20.0 users[*].theme');
  });

  it('drift with nothing unknown: exit 0, "no records match"', async () => {
    const run = await telegate(['audit', 'drift', dir, '--vendor', 'nobody']);
    expect(run).toMatchObject({ code: 0, stdout: 'no records match\n' });
  });

  it('stats prints requests, bytes and field counts by vendor, level and decision, and a total', async () => {
    const run = await telegate(['audit', 'stats', dir]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n').map((l) => l.trim().split(/\s+/));
    expect(lines[0]).toEqual(['VENDOR', 'LEVEL', 'DECISION', 'REQUESTS', 'BYTES', 'DROPPED', 'HASHED', 'UNKNOWN']);
    expect(lines).toContainEqual(['coder', '0', 'blocked', '1', '0', '0', '0', '0']);
    expect(lines).toContainEqual(['coder', '1', 'rejected', '1', '0', '0', '0', '0']);
    const bytes = REQUESTS.reduce((n, r) => n + (r.body === undefined ? 0 : Buffer.byteLength(r.body)), 0);
    expect(lines[lines.length - 1]!.slice(0, 3)).toEqual(['total', String(REQUESTS.length), String(bytes)]);
  });

  it('stats --since --format json counts that window only', async () => {
    const run = await telegate(['audit', 'stats', dir, '--since', '2026-11-22', '--format', 'json']);
    const report = JSON.parse(run.stdout) as { total: { requests: number } };
    expect(report.total.requests).toBe(REQUESTS.filter((r) => r.ts >= '2026-11-22').length);
  });

  it('stats: a bad --until exits 2; an empty window exits 0 with "no records match"', async () => {
    expect((await telegate(['audit', 'stats', dir, '--until', 'soon'])).code).toBe(2);
    expect(await telegate(['audit', 'stats', dir, '--since', '2030-01-01'])).toMatchObject({ code: 0, stdout: 'no records match\n' });
  });
});
