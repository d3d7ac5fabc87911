import { cp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openAuditWriter } from '../../../src/audit/writer';
import { verifyAuditDir } from '../../../src/audit/verify';
import { auditFiles, egress, fileLines, removeDir, sha256, tempDir } from './audit-test-kit';

const now = () => new Date('2026-11-22T10:00:00.000Z');
/** The pristine log's files in chain order (rotation index), filled in by beforeAll. */
const FILES: string[] = [];
const indexOf = (name: string) => Number(/\.(\d+)\.jsonl$/.exec(name)?.[1] ?? 0);

/** Recomputes a line's hash after an edit, as a forger who knows the format would. */
function rehash(line: string): string {
  const cut = line.lastIndexOf(',"hash":"');
  const prev = (JSON.parse(line) as { prev: string }).prev;
  return `${line.slice(0, cut)},"hash":"${sha256(`${prev}\n${line.slice(0, cut)}}`)}"}`;
}

describe('audit verify', () => {
  let pristine: string;
  let dir: string;
  /** Lines of each file of the pristine log, by file name. */
  const layout = new Map<string, string[]>();
  const seqAt = (file: string, line: number) => (JSON.parse(layout.get(file)![line - 1]!) as { seq: number }).seq;

  beforeAll(async () => {
    pristine = await tempDir();
    const writer = await openAuditWriter({ dir: pristine, maxFileBytes: 2600, fsync: true, now });
    for (let i = 0; i < 8; i++) {
      await writer.appendEgress(egress(`req-${i}`, JSON.stringify({ i, users: [{ id: `u${i}`, created_at: '2026-01-01' }], pad: 'q'.repeat(200) })));
      await writer.appendOutcome({ id: `req-${i}`, status: 202, ms: i });
    }
    await writer.close();
    FILES.push(...(await auditFiles(pristine)).sort((a, b) => indexOf(a) - indexOf(b)));
    for (const f of FILES) layout.set(f, await fileLines(path.join(pristine, f)));
    // The cases below need a first file, two middle files and a last one, of several records each.
    expect(FILES.length).toBeGreaterThanOrEqual(4);
    expect(FILES.map((f) => layout.get(f)!.length).every((n) => n >= 3)).toBe(true);
  });
  afterAll(async () => { await removeDir(pristine); });

  beforeEach(async () => {
    dir = await tempDir();
    await cp(pristine, dir, { recursive: true });
  });
  afterEach(async () => { await removeDir(dir); });

  const at = (f: string) => path.join(dir, f);
  const rewrite = (f: string, lines: string[]) => writeFile(at(f), `${lines.join('\n')}\n`);

  it('passes the untouched log: every chain, every file, every record', async () => {
    const report = await verifyAuditDir(dir);
    expect(report.ok).toBe(true);
    const total = FILES.reduce((n, f) => n + layout.get(f)!.length, 0);
    expect(report.chains).toEqual([{
      replica: null, files: FILES.map(at), records: total, stopped: true,
      lastHash: (JSON.parse(layout.get(FILES.at(-1)!)!.at(-1)!) as { hash: string }).hash,
    }]);
  });

  it('names a record whose body had one byte changed', async () => {
    const f = FILES[2]!;
    const lines = [...layout.get(f)!];
    const target = lines.findIndex((l) => l.includes('"type":"egress"'));
    lines[target] = lines[target]!.replace('"created_at":"2026-01-01"', '"created_at":"2026-01-02"');
    await rewrite(f, lines);
    const report = await verifyAuditDir(dir);
    expect(report.ok).toBe(false);
    expect(report.firstError).toEqual({ file: at(f), line: target + 1, seq: seqAt(f, target + 1), message: expect.stringMatching(/hash mismatch/) });
  });

  it('names a record whose own hash member was changed', async () => {
    const f = FILES[1]!;
    const lines = [...layout.get(f)!];
    lines[0] = lines[0]!.replace(/"hash":"(.)/, (_m, c: string) => `"hash":"${c === 'a' ? 'b' : 'a'}`);
    await rewrite(f, lines);
    expect((await verifyAuditDir(dir)).firstError).toMatchObject({ file: at(f), line: 1, seq: seqAt(f, 1), message: expect.stringMatching(/hash mismatch/) });
  });

  it('names a body edited by someone who recomputed the record hash but not body_sha256', async () => {
    const f = FILES[1]!;
    const lines = [...layout.get(f)!];
    const target = lines.findIndex((l) => l.includes('"type":"egress"'));
    lines[target] = rehash(lines[target]!.replace('"created_at":"2026-01-01"', '"created_at":"1999-01-01"'));
    await rewrite(f, lines);
    expect((await verifyAuditDir(dir)).firstError).toEqual({
      file: at(f), line: target + 1, seq: seqAt(f, target + 1), message: expect.stringMatching(/body_sha256/),
    });
  });

  it('names the record after one that was forged consistently (body, body_sha256 and hash recomputed)', async () => {
    const f = FILES[1]!;
    const lines = [...layout.get(f)!];
    const target = lines.findIndex((l) => l.includes('"type":"egress"'));
    expect(target).toBeLessThan(lines.length - 1);
    const record = JSON.parse(lines[target]!) as { body: unknown };
    const oldBody = JSON.stringify(record.body);
    const newBody = oldBody.replace('2026-01-01', '1999-01-01');
    lines[target] = rehash(lines[target]!.replace(oldBody, newBody).replace(sha256(oldBody), sha256(newBody)));
    await rewrite(f, lines);
    expect((await verifyAuditDir(dir)).firstError).toEqual({
      file: at(f), line: target + 2, seq: seqAt(f, target + 2), message: expect.stringMatching(/"prev" does not match/),
    });
  });

  it('names the place of a deleted record', async () => {
    const f = FILES[1]!;
    const lines = [...layout.get(f)!];
    lines.splice(1, 1);
    await rewrite(f, lines);
    expect((await verifyAuditDir(dir)).firstError).toEqual({
      file: at(f), line: 2, seq: seqAt(f, 3), message: expect.stringMatching(/expected seq .*missing or out of order/),
    });
  });

  it('names two records that were swapped', async () => {
    const f = FILES[2]!;
    const lines = [...layout.get(f)!];
    [lines[1], lines[2]] = [lines[2]!, lines[1]!];
    await rewrite(f, lines);
    expect((await verifyAuditDir(dir)).firstError).toMatchObject({ file: at(f), line: 2, seq: seqAt(f, 3) });
  });

  it('names a record inserted twice', async () => {
    const f = FILES[2]!;
    const lines = [...layout.get(f)!];
    lines.splice(2, 0, lines[1]!);
    await rewrite(f, lines);
    expect((await verifyAuditDir(dir)).firstError).toMatchObject({ file: at(f), line: 3, seq: seqAt(f, 2) });
  });

  it('names the file after a deleted middle file', async () => {
    await rm(at(FILES[1]!));
    expect((await verifyAuditDir(dir)).firstError).toEqual({
      file: at(FILES[2]!), line: 1, seq: seqAt(FILES[2]!, 1),
      message: expect.stringMatching(new RegExp(`${FILES[0]!.replace(/\./g, '\\.')} ends at seq \\d+ .*a file or records between them are missing`)),
    });
  });

  it('fails a chain whose first file was deleted', async () => {
    await rm(at(FILES[0]!));
    expect((await verifyAuditDir(dir)).firstError).toEqual({
      file: at(FILES[1]!), line: 1, seq: seqAt(FILES[1]!, 1), message: expect.stringMatching(/starts at seq \d+, not 0/),
    });
  });

  it('fails a file cut in the middle of its last line', async () => {
    const f = FILES.at(-1)!;
    const text = await readFile(at(f));
    await truncate(at(f), text.length - 10);
    const lines = layout.get(f)!;
    expect((await verifyAuditDir(dir)).firstError).toMatchObject({ file: at(f), line: lines.length, seq: seqAt(f, lines.length), message: expect.stringMatching(/incomplete/) });
  });

  it('fails when every file was truncated to nothing', async () => {
    for (const f of FILES) await truncate(at(f), 0);
    const report = await verifyAuditDir(dir);
    expect(report.ok).toBe(false);
    expect(report.firstError).toEqual({ file: at(FILES[0]!), line: 1, message: expect.stringMatching(/empty/) });
  });

  it('fails a line that is not JSON, naming the seq it claims', async () => {
    const f = FILES[2]!;
    const lines = [...layout.get(f)!];
    lines[1] = lines[1]!.replace('"type":', '"type"');
    await rewrite(f, lines);
    expect((await verifyAuditDir(dir)).firstError).toMatchObject({ file: at(f), line: 2, seq: seqAt(f, 2), message: expect.stringMatching(/not a JSON object/) });
  });

  it('fails a folder with no audit files rather than passing nothing', async () => {
    for (const f of FILES) await rm(at(f));
    const report = await verifyAuditDir(dir);
    expect(report.ok).toBe(false);
    expect(report.firstError?.message).toMatch(/no audit files/);
  });

  it('reports a broken chain while still checking the other replicas', async () => {
    const writer = await openAuditWriter({ dir, replica: 'b', maxFileBytes: 1 << 20, fsync: true, now });
    await writer.close();
    await rm(at(FILES[1]!));
    const report = await verifyAuditDir(dir);
    expect(report.chains.map((c) => [c.replica, c.error === undefined])).toEqual([[null, false], ['b', true]]);
  });
});
