/**
 * The two queries the web console adds, over the generated multi-file log (rotation boundaries, three
 * runs, a second replica, a torn last line): newest-first pages that neither overlap nor skip across
 * chains and files, and egress volume per vendor in hour and day buckets. Expectations come from the
 * plan (query-log.ts), not from the queries.
 */
import { newestEgress, type EgressCursor } from '../../../../src/audit/query/newest';
import { planScan } from '../../../../src/audit/query/record-scan';
import { volumeReport } from '../../../../src/audit/query/volume';
import { removeDir, tempDir } from '../audit-test-kit';
import { REQUESTS, TORN_ID, writeQueryLog } from './query-log';

/** The plan's ids newest first (ts, then replica id: the unnamed chain sorts before 'b'). */
const newestFirst = (pred: (r: (typeof REQUESTS)[number]) => boolean = () => true): string[] =>
  REQUESTS.filter(pred).sort((a, b) => (a.ts === b.ts ? ((b.replica ?? '') < (a.replica ?? '') ? -1 : 1) : a.ts < b.ts ? 1 : -1)).map((r) => r.id);

describe('console queries', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
    await writeQueryLog(dir);
  });
  afterAll(async () => { await removeDir(dir); });

  it('pages through every egress record newest first, each once, in pages of 4', async () => {
    const seen: string[] = [];
    let before: EgressCursor | undefined;
    let pages = 0;
    for (;;) {
      const page = await newestEgress(await planScan(dir), {}, { limit: 4, ...(before ? { before } : {}) });
      seen.push(...page.hits.map((h) => h.egress.id));
      pages++;
      expect(page.hits.length).toBeLessThanOrEqual(4);
      if (page.next === null) break;
      before = page.next;
      expect(pages).toBeLessThan(10);
    }
    expect(seen).toEqual(newestFirst());
    expect(seen).not.toContain(TORN_ID);
    expect(pages).toBe(Math.ceil(REQUESTS.length / 4));
  });

  it('applies the filter before paging and keeps the outcome join', async () => {
    const page = await newestEgress(await planScan(dir), { vendor: 'coder', decision: 'forwarded', endpoint: '/snapshot' }, { limit: 3 });
    expect(page.hits.map((h) => h.egress.id)).toEqual(newestFirst((r) => r.vendor === 'coder' && r.decision === 'forwarded' && r.endpoint === '/snapshot').slice(0, 3));
    expect(page.hits.map((h) => h.outcome?.status ?? null)).toEqual([202, 202, null]);
    expect(page.next).not.toBeNull();
  });

  it('counts requests and bytes per vendor per hour, zeros where nothing was sent', async () => {
    const since = Date.parse('2026-11-22T09:30:00.000Z');
    const until = Date.parse('2026-11-22T12:10:00.000Z');
    const report = await volumeReport(await planScan(dir, { since }), { bucket: 'hour', since, until });
    expect(report.starts.map((s) => new Date(s).toISOString())).toEqual(['2026-11-22T09:00:00.000Z', '2026-11-22T10:00:00.000Z', '2026-11-22T11:00:00.000Z', '2026-11-22T12:00:00.000Z']);
    expect(report.vendors.map((v) => [v.vendor, v.requests])).toEqual([['coder', [0, 1, 6, 1]]]);
    const bytesOf = (ids: string[]): number => ids.reduce((n, id) => n + Buffer.byteLength(REQUESTS.find((r) => r.id === id)!.body ?? ''), 0);
    expect(report.vendors[0]!.bytes).toEqual([0, bytesOf(['r8']), bytesOf(['f0', 'f1', 'f2', 'f3', 'f4', 'f5']), bytesOf(['b1'])]);
  });

  it('counts every decision per vendor per day', async () => {
    const since = Date.parse('2026-11-20T00:00:00.000Z');
    const until = Date.parse('2026-11-23T00:00:00.000Z');
    const report = await volumeReport(await planScan(dir, { since }), { bucket: 'day', since, until });
    const perDay = (vendor: string): number[] => ['2026-11-20', '2026-11-21', '2026-11-22'].map((d) => REQUESTS.filter((r) => r.vendor === vendor && r.ts.startsWith(d)).length);
    expect(report.vendors.map((v) => [v.vendor, v.requests])).toEqual([['automatisch', perDay('automatisch')], ['coder', perDay('coder')]]);
  });
});
