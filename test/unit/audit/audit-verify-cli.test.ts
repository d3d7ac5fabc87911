import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { runAuditVerify } from '../../../src/cli/audit-verify';
import type { CliIO } from '../../../src/cli/io';
import { openAuditWriter } from '../../../src/audit/writer';
import { egress, removeDir, tempDir } from './audit-test-kit';

const now = () => new Date('2026-11-22T10:00:00.000Z');

function captureIO(): CliIO & { out: string; err: string } {
  const io = { out: '', err: '', stdin: new PassThrough(), stdout: (t: string) => { io.out += t; }, stderr: (t: string) => { io.err += t; } };
  return io;
}

describe('telegate audit verify', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await tempDir();
    file = path.join(dir, 'audit-2026-11-22.jsonl');
    const writer = await openAuditWriter({ dir, maxFileBytes: 1 << 20, fsync: true, now });
    await writer.appendEgress(egress('req-1', '{"users":[{"id":"u1"}]}'));
    await writer.appendOutcome({ id: 'req-1', status: 202, ms: 9 });
    await writer.close();
  });
  afterEach(async () => {
    delete process.env['TELEGATE_AUDIT_DIR'];
    await removeDir(dir);
  });

  it('exits 0 and says ok for a whole log', async () => {
    const io = captureIO();
    expect(await runAuditVerify({ dir }, {}, io)).toBe(0);
    expect(io.out).toContain(`ok: ${dir}: 1 chain(s), 4 record(s) verified`);
    expect(io.err).toBe('');
  });

  it('exits 1 naming the first bad record as file:line: seq N: message', async () => {
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('"status":202', '"status":500'));
    const io = captureIO();
    expect(await runAuditVerify({ dir }, {}, io)).toBe(1);
    expect(io.out.split('\n')[0]).toMatch(new RegExp(`^${file.replace(/[.\\/]/g, '\\$&')}:3: seq 2: hash mismatch`));
    expect(io.err).toContain('not whole');
  });

  it('prints the report as JSON with --format json', async () => {
    const io = captureIO();
    expect(await runAuditVerify({ dir }, { format: 'json' }, io)).toBe(0);
    const report = JSON.parse(io.out) as { ok: boolean; chains: { records: number; files: string[] }[] };
    expect(report.ok).toBe(true);
    expect(report.chains[0]).toMatchObject({ records: 4, files: [file] });
  });

  it('exits 2 for a folder that does not exist', async () => {
    const io = captureIO();
    expect(await runAuditVerify({ dir: path.join(dir, 'nope') }, {}, io)).toBe(2);
    expect(io.err).toContain('no audit folder');
    expect(io.out).toBe('');
  });

  it('takes the folder from TELEGATE_AUDIT_DIR when none is given', async () => {
    process.env['TELEGATE_AUDIT_DIR'] = dir;
    const io = captureIO();
    expect(await runAuditVerify({}, {}, io)).toBe(0);
    expect(io.out).toContain(`ok: ${dir}:`);
  });
});
