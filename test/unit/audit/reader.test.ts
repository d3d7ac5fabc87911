import { appendFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { listChains } from '../../../src/audit/file-naming';
import { readChainLines, readChainRecords } from '../../../src/audit/reader';
import { openAuditWriter } from '../../../src/audit/writer';
import { verifyAuditDir } from '../../../src/audit/verify';
import { egress, fileLines, removeDir, sha256, tempDir } from './audit-test-kit';

const now = () => new Date('2026-11-22T10:00:00.000Z');

describe('audit reader', () => {
  let dir: string;
  beforeEach(async () => { dir = await tempDir(); });
  afterEach(async () => { await removeDir(dir); });

  it('streams every line of a chain in order, lines longer than its read chunk included', async () => {
    const writer = await openAuditWriter({ dir, maxFileBytes: 3000, fsync: true, now });
    for (let i = 0; i < 6; i++) await writer.appendEgress(egress(`r${i}`, JSON.stringify({ i, pad: 'w'.repeat(900) })));
    await writer.close();
    const [chain] = await listChains(dir);
    const expected: string[] = [];
    for (const f of chain!.files) expected.push(...(await fileLines(f.path)));

    const seen: string[] = [];
    for await (const line of readChainLines(chain!, { chunkBytes: 97 })) {
      expect(line.terminated).toBe(true);
      seen.push(line.bytes.toString('utf8'));
    }
    expect(seen).toEqual(expected);
    expect(chain!.files.length).toBeGreaterThan(1);
  });

  it('gives queries each record without building its body, and the body\'s exact byte range', async () => {
    const bodyText = '{"b":[1,2,{"c":"\\"}"}],"n":18446744073709551615}';
    const writer = await openAuditWriter({ dir, maxFileBytes: 1 << 20, fsync: true, now });
    await writer.appendEgress(egress('q', bodyText));
    await writer.close();
    const [chain] = await listChains(dir);
    const records = [];
    for await (const r of readChainRecords(chain!)) records.push(r);
    const egressLine = records[1]!;
    expect(egressLine.parsed.ok).toBe(true);
    if (!egressLine.parsed.ok) return;
    expect(egressLine.parsed.record['body']).toBeUndefined();
    expect(egressLine.parsed.record['id']).toBe('q');
    const range = egressLine.parsed.body!;
    expect(egressLine.bytes.toString('utf8', range.start, range.end)).toBe(bodyText);
  });

  it('marks a last line without newline as unterminated', async () => {
    const file = path.join(dir, 'audit-2026-11-22.jsonl');
    await writeFile(file, '{"a":1}\n');
    await appendFile(file, '{"v":1,"se');
    const [chain] = await listChains(dir);
    const lines = [];
    for await (const l of readChainLines(chain!)) lines.push([l.line, l.offset, l.terminated, l.bytes.toString()]);
    expect(lines).toEqual([[1, 0, true, '{"a":1}'], [2, 8, false, '{"v":1,"se']]);
  });

  it('round-trips a multi-megabyte body through write, read and verify', async () => {
    const bodyText = JSON.stringify({ users: Array.from({ length: 60000 }, (_, i) => ({ id: `u-${i}`, note: 'é✓ "quoted" \\ back' })) });
    expect(Buffer.byteLength(bodyText)).toBeGreaterThan(2 * (1 << 20));
    const writer = await openAuditWriter({ dir, maxFileBytes: 1 << 30, fsync: true, now });
    await writer.appendEgress(egress('big', bodyText));
    await writer.close();
    const report = await verifyAuditDir(dir);
    expect(report.ok).toBe(true);
    const line = (await fileLines(path.join(dir, 'audit-2026-11-22.jsonl')))[1]!;
    expect(JSON.parse(line)).toMatchObject({ body_sha256: sha256(bodyText), bytes: Buffer.byteLength(bodyText) });
  });
});
