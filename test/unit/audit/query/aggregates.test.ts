import { driftReport } from '../../../../src/audit/query/drift';
import { planScan } from '../../../../src/audit/query/record-scan';
import { statsReport } from '../../../../src/audit/query/stats';
import { removeDir, tempDir } from '../audit-test-kit';
import { REQUESTS, writeQueryLog, type PlannedRequest } from './query-log';

const sum = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);

/** Drift rows derived from the plan alone. */
function expectedDrift(requests: PlannedRequest[]) {
  const rows = new Map<string, { kind: 'unknown'; vendor: string; endpoint: string; client_version: string | null; path: string; count: number; requests: number; first_seen: string; last_seen: string }>();
  for (const r of requests) {
    for (const [p, n] of Object.entries(r.unknown)) {
      const key = [r.vendor, r.endpoint, r.client_version ?? '', p].join('|');
      const row = rows.get(key);
      if (row) {
        row.count += n;
        row.requests++;
        row.last_seen = r.ts;
      } else {
        rows.set(key, { kind: 'unknown', vendor: r.vendor, endpoint: r.endpoint, client_version: r.client_version ?? null, path: p, count: n, requests: 1, first_seen: r.ts, last_seen: r.ts });
      }
    }
  }
  return [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);
}

describe('audit drift and stats', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
    await writeQueryLog(dir);
  });
  afterAll(async () => { await removeDir(dir); });

  it('drift: unknown paths by vendor, endpoint and client version, with count, requests, first and last seen', async () => {
    const rows = await driftReport(await planScan(dir));
    expect(rows).toEqual(expectedDrift(REQUESTS));
    // The same path under two client versions is two rows: that is how a new version's drift shows.
    expect(rows.filter((r) => r.path === 'users[*].theme').map((r) => [r.client_version, r.count])).toEqual([['v2.18.0', 2], ['v2.19.0', 1], ['v2.20.0', 4]]);
  });

  it('drift --vendor keeps one vendor', async () => {
    const rows = await driftReport(await planScan(dir), { vendor: 'automatisch' });
    expect(rows).toEqual(expectedDrift(REQUESTS.filter((r) => r.vendor === 'automatisch')));
    expect(rows[0]?.client_version).toBeNull();
  });

  it('stats: requests, bytes and field counts by vendor, level and decision, and their total', async () => {
    const report = await statsReport(await planScan(dir));
    const bytes = (r: PlannedRequest) => (r.body === undefined ? 0 : Buffer.byteLength(r.body));
    const total = {
      requests: REQUESTS.length,
      bytes: REQUESTS.reduce((n, r) => n + bytes(r), 0),
      dropped: REQUESTS.reduce((n, r) => n + sum(r.dropped), 0),
      hashed: REQUESTS.reduce((n, r) => n + sum(r.hashed), 0),
      unknown: REQUESTS.reduce((n, r) => n + sum(r.unknown), 0),
    };
    expect(report.total).toEqual(total);
    const coderL1Forwarded = REQUESTS.filter((r) => r.vendor === 'coder' && r.level === 1 && r.decision === 'forwarded');
    expect(report.groups.find((g) => g.vendor === 'coder' && g.level === 1 && g.decision === 'forwarded')).toEqual({
      vendor: 'coder', level: 1, decision: 'forwarded', requests: coderL1Forwarded.length,
      bytes: coderL1Forwarded.reduce((n, r) => n + bytes(r), 0),
      dropped: coderL1Forwarded.reduce((n, r) => n + sum(r.dropped), 0),
      hashed: coderL1Forwarded.reduce((n, r) => n + sum(r.hashed), 0),
      unknown: coderL1Forwarded.reduce((n, r) => n + sum(r.unknown), 0),
    });
    expect(report.groups.map((g) => `${g.vendor}/${g.level}/${g.decision}`)).toEqual([
      'automatisch/1/forwarded', 'coder/0/blocked', 'coder/1/forwarded', 'coder/1/rejected', 'coder/2/forwarded',
    ]);
  });

  it('stats --since/--until counts only that window', async () => {
    const since = Date.parse('2026-11-21T00:00:00Z');
    const until = Date.parse('2026-11-22T00:00:00Z');
    const report = await statsReport(await planScan(dir, { since }), { since, until });
    const day2 = REQUESTS.filter((r) => r.ts.startsWith('2026-11-21'));
    expect(report.total.requests).toBe(day2.length);
    expect(report.total.unknown).toBe(day2.reduce((n, r) => n + sum(r.unknown), 0));
  });
});
