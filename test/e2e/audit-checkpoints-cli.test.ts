/**
 * An auditor's proof that nothing was cut from the end of a chain or rewritten whole, and a third party's
 * proof of one record without the log (SPEC §6.1), through the built command line (`node bin/telegate.js`,
 * spawned): `audit keygen`, `audit verify --checkpoint --key`, `audit prove`, `audit verify-proof`.
 *
 * Chains are written by the real audit writer with the real checkpointer (real files, real fsync, small
 * files so they rotate). Tampering is done the way an insider with write access would: cut the end,
 * edit a record and re-hash the whole chain after it (recomputed here from docs/audit-log.md's rule),
 * remove a file, write a new chain and sign it with a key of one's own. Plain `audit verify` passes
 * where a hash chain cannot tell; with the auditor's checkpoint and key it fails, naming the reason.
 */
import { spawnSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { copyFile, cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { EgressFields } from '../../src/audit/types';
import { openAuditWriter } from '../../src/audit/writer';
import { listChainFiles } from '../../src/audit/file-naming';
import { chainLines } from '../../src/audit/tlog/chain-leaves';
import { Checkpointer } from '../../src/audit/tlog/checkpointer';
import { checkRecordProof } from '../../src/audit/tlog/inclusion';
import { leafHash } from '../../src/audit/tlog/merkle';
import { verifyInclusion } from '../../src/audit/tlog/proofs';
import { parseVerifierKey } from '../../src/audit/tlog/signed-note';
import { loadSigningKey } from '../../src/audit/tlog/signing-key';
import { formatTlogProof } from '../../src/audit/tlog/tlog-proof';
import { TreeScan } from '../../src/audit/tlog/tree-scan';
import { verifyAuditDir } from '../../src/audit/verify';
import { main } from '../../src/cli/main';

const BIN = path.resolve(__dirname, '../../bin/telegate.js');
const DAY = '2026-11-22';

interface Run { code: number | null; stdout: string; stderr: string }
function telegate(args: string[], input?: Buffer | string): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { input: input ?? '', env: { PATH: process.env['PATH'] ?? '' }, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

function fields(i: number): EgressFields {
  return {
    id: `req-${String(i).padStart(5, '0')}`, vendor: 'coder', endpoint: '/snapshot', level: 1, policy: `sha256:${'ab'.repeat(32)}`,
    decision: 'forwarded', upstream: 'https://telemetry.coder.com/snapshot', client: '10.0.0.7', client_version: 'v2.18.0',
    bodyText: `{"deployment_id":"d-${i}","users":[{"id":"${createHash('sha256').update(String(i)).digest('hex').slice(0, 16)}"}]}`,
    dropped: { 'users[*].email': 1 }, hashed: { 'users[*].id': 1 }, unknown: {},
  };
}

/** Writes `n` egress records through the real writer and checkpointer; `midway` checkpoints part-way. */
async function writeChain(dir: string, keyFile: string, n: number, maxFileBytes: number, midway?: number): Promise<void> {
  const signer = await loadSigningKey(keyFile, 'telegate');
  const cp = new Checkpointer({ auditDir: dir, chain: 'default', origin: 'telegate', signer, intervalMs: 3_600_000 });
  const writer = await openAuditWriter({ dir, maxFileBytes, fsync: true, now: () => new Date(`${DAY}T10:00:00.000Z`), observer: cp });
  const BATCH = 250;
  for (let from = 0; from < n; from += BATCH) {
    await Promise.all(Array.from({ length: Math.min(BATCH, n - from) }, (_, i) => writer.appendEgress(fields(from + i))));
    if (midway !== undefined && from + BATCH >= midway && from < midway) {
      await cp.checkpoint();
      await copyFile(path.join(dir, 'checkpoints', 'default'), path.join(path.dirname(dir), 'midway.checkpoint'));
    }
  }
  await writer.close();
  await cp.close();
}

/** The chain's files in chain order (one day: by rotation index). */
async function chainFiles(dir: string): Promise<string[]> {
  const index = (n: string): number => Number(/\.(\d+)\.jsonl$/.exec(n)?.[1] ?? 0);
  return (await readdir(dir)).filter((n) => n.startsWith('audit-') && n.endsWith('.jsonl')).sort((a, b) => index(a) - index(b));
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** docs/audit-log.md's rule, applied by a forger: every line from the edit on gets a new prev and hash. */
function rehash(lines: string[]): string[] {
  let prev = '0'.repeat(64);
  return lines.map((line) => {
    const linked = line.replace(/"prev":"[0-9a-f]{64}"/, `"prev":"${prev}"`);
    const cut = linked.lastIndexOf(',"hash":"');
    prev = sha256(`${prev}\n${linked.slice(0, cut)}}`);
    return `${linked.slice(0, cut)},"hash":"${prev}"}`;
  });
}

let work: string;
let keyFile: string;
let vkey: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'telegate-checkpoint-cli-'));
  keyFile = path.join(work, 'signing.pem');
  const r = telegate(['audit', 'keygen', '--name', 'telegate', '--out', keyFile]);
  expect(r.code).toBe(0);
  vkey = r.stdout.trim();
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('audit keygen', () => {
  test('writes a 0600 PKCS#8 Ed25519 key and prints its verifier key, as signed-note defines it (recomputed here)', async () => {
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const pem = await readFile(keyFile, 'utf8');
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const key = createPrivateKey(pem);
    expect(key.asymmetricKeyType).toBe('ed25519');
    const raw = createPublicKey(key).export({ type: 'spki', format: 'der' }).subarray(-32);
    const id = createHash('sha256').update(Buffer.concat([Buffer.from('telegate\n'), Buffer.from([1]), raw])).digest().subarray(0, 4).toString('hex');
    expect(vkey).toBe(`telegate+${id}+${Buffer.concat([Buffer.from([1]), raw]).toString('base64')}`);
    expect(telegate(['audit', 'keygen', '--name', 'telegate', '--out', keyFile])).toMatchObject({ code: 2, stderr: expect.stringContaining('refusing to overwrite') });
    expect(await readFile(keyFile, 'utf8')).toBe(pem);
    expect(telegate(['audit', 'keygen', '--name', 'tele gate', '--out', path.join(work, 'other.pem')]).code).toBe(2);
  });

  test('with --config, makes the key the configuration names (it need not exist yet), under the configured origin', async () => {
    const configured = path.join(work, 'configured.pem');
    const config = path.join(work, 'keygen.yaml');
    await writeFile(config, `audit: { dir: ${path.join(work, 'keygen-audit')}, checkpoint: { origin: example.corp/telegate/eu-1, key_file: ${configured} } }\n`);
    const r = telegate(['audit', 'keygen', '--config', config]);
    expect(r).toMatchObject({ code: 0, stdout: expect.stringMatching(/^example\.corp\/telegate\/eu-1\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*\n$/) });
    expect((await stat(configured)).mode & 0o777).toBe(0o600);
    // Made once: the next run refuses to overwrite it.
    expect(telegate(['audit', 'keygen', '--config', config])).toMatchObject({ code: 2, stderr: expect.stringContaining('refusing to overwrite') });
  });
});

describe('audit verify --checkpoint: what a checkpoint kept elsewhere proves', () => {
  let original: string;
  let kept: string;

  beforeAll(async () => {
    original = path.join(work, 'small', 'audit');
    await writeChain(original, keyFile, 120, 4_000);
    kept = path.join(work, 'kept.checkpoint');
    await copyFile(path.join(original, 'checkpoints', 'default'), kept);
    expect((await chainFiles(original)).length).toBeGreaterThan(4);
  });

  async function copy(name: string): Promise<string> {
    const dir = path.join(work, name);
    await cp(original, dir, { recursive: true });
    return dir;
  }

  test('the untouched log: plain verify and verify with the checkpoint pass (exit 0)', async () => {
    expect((await verifyAuditDir(original)).ok).toBe(true);
    const r = telegate(['audit', 'verify', original, '--checkpoint', kept, '--key', vkey]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`checkpoint ${kept}: telegate/default at size 122: ok`);
  });

  test('records cut from the end: plain verify passes, the checkpoint fails naming the cut', async () => {
    const dir = await copy('cut');
    const files = await chainFiles(dir);
    const last = path.join(dir, files[files.length - 1]!);
    const lines = (await readFile(last, 'utf8')).split('\n').filter(Boolean);
    await writeFile(last, `${lines.slice(0, -2).join('\n')}\n`);
    expect((await verifyAuditDir(dir)).ok).toBe(true);
    const r = telegate(['audit', 'verify', dir, '--checkpoint', kept, '--key', vkey]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAILED \(cut\): the chain holds 120 record\(s\) but the checkpoint vouches for 122/);
    expect(r.stderr).toContain('1 of 1 checkpoint(s) failed (cut)');
  });

  test('a record edited and the whole chain re-hashed by a forger: plain verify passes, the checkpoint fails (rewritten)', async () => {
    const dir = await copy('forged');
    const files = await chainFiles(dir);
    const perFile = await Promise.all(files.map(async (f) => (await readFile(path.join(dir, f), 'utf8')).split('\n').filter(Boolean)));
    const all = perFile.flat();
    const target = all.findIndex((l) => l.includes('"id":"req-00060"'));
    all[target] = all[target]!.replace('"client":"10.0.0.7"', '"client":"10.9.9.9"');
    const forged = rehash(all);
    let at = 0;
    for (const [i, f] of files.entries()) {
      const n = perFile[i]!.length;
      await writeFile(path.join(dir, f), `${forged.slice(at, at + n).join('\n')}\n`);
      at += n;
    }
    expect((await verifyAuditDir(dir)).ok).toBe(true);
    const r = telegate(['audit', 'verify', dir, '--checkpoint', kept, '--key', vkey]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAILED \(rewritten\): the chain's first 122 records do not give the checkpoint's root/);
  });

  test('a file removed: the last one passes plain verify but fails the checkpoint; one from the middle fails both', async () => {
    const tail = await copy('last-file-removed');
    const files = await chainFiles(tail);
    await rm(path.join(tail, files[files.length - 1]!));
    expect((await verifyAuditDir(tail)).ok).toBe(true);
    const r = telegate(['audit', 'verify', tail, '--checkpoint', kept, '--key', vkey]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAILED (cut)');

    const middle = await copy('middle-file-removed');
    await rm(path.join(middle, files[2]!));
    const m = telegate(['audit', 'verify', middle, '--checkpoint', kept, '--key', vkey]);
    expect(m.code).toBe(1);
    expect(m.stdout).toContain('a file or records between them are missing');
    expect(m.stdout).toContain('FAILED (cut)');
  });

  test('a chain rewritten whole, with its own checkpoint signed by the forger\'s key: plain verify passes, the kept checkpoint fails, the forged one is an unknown key', async () => {
    const dir = path.join(work, 'rewritten', 'audit');
    const forgerKey = path.join(work, 'forger.pem');
    expect(telegate(['audit', 'keygen', '--name', 'telegate', '--out', forgerKey]).code).toBe(0);
    await writeChain(dir, forgerKey, 130, 4_000);
    expect((await verifyAuditDir(dir)).ok).toBe(true);
    const r = telegate(['audit', 'verify', dir, '--checkpoint', kept, '--key', vkey]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAILED (rewritten)');
    const forged = telegate(['audit', 'verify', dir, '--checkpoint', path.join(dir, 'checkpoints', 'default'), '--key', vkey]);
    expect(forged.code).toBe(1);
    expect(forged.stdout).toMatch(/FAILED \(unknown-key\): signed by telegate\+[0-9a-f]{8}, but no --key named telegate/);
  });

  test('a checkpoint altered after signing is a bad signature; one naming no chain of the folder says so; bad usage is exit 2', async () => {
    const note = await readFile(kept, 'utf8');
    const altered = path.join(work, 'altered.checkpoint');
    await writeFile(altered, note.replace('\n122\n', '\n121\n'));
    const r = telegate(['audit', 'verify', original, '--checkpoint', altered, '--key', vkey]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAILED (bad-signature)');

    // A checkpoint of chain w9, signed by hand with the auditor's key (signed-note's construction, node:crypto).
    const key = createPrivateKey(await readFile(keyFile));
    const text = `telegate/w9\n1\n${Buffer.alloc(32).toString('base64')}\n`;
    const keyId = Buffer.from(vkey.split('+')[1]!, 'hex');
    const other = path.join(work, 'w9.checkpoint');
    await writeFile(other, `${text}\n— telegate ${Buffer.concat([keyId, sign(null, Buffer.from(text), key)]).toString('base64')}\n`);
    const n = telegate(['audit', 'verify', original, '--checkpoint', other, '--checkpoint', kept, '--key', vkey, '--format', 'json']);
    expect(n.code).toBe(1);
    const report = JSON.parse(n.stdout) as { ok: boolean; checkpoints: { source: string; ok: boolean; reason?: string }[] };
    expect(report.ok).toBe(false);
    expect(report.checkpoints).toEqual([
      expect.objectContaining({ source: other, ok: false, reason: 'no-chain' }),
      expect.objectContaining({ source: kept, ok: true }),
    ]);

    // Usage errors, in-process (the same parser and command): exit 2, nothing checked.
    const usage = async (args: string[]): Promise<number> => main(['node', 'telegate', ...args], { stdout: () => undefined, stderr: () => undefined, stdin: Readable.from([]) });
    expect(await usage(['audit', 'verify', original, '--checkpoint', kept])).toBe(2);
    expect(await usage(['audit', 'verify', original, '--key', vkey])).toBe(2);
    expect(await usage(['audit', 'verify', original, '--checkpoint', kept, '--key', 'telegate+00000000+AAAA'])).toBe(2);
    expect(await usage(['audit', 'verify', original, '--checkpoint', path.join(work, 'no-such'), '--key', vkey])).toBe(2);
  });
});

describe('audit prove and verify-proof: one record shown to a third party, without the log', () => {
  const RECORDS = 10_000;
  let dir: string;
  let midway: string;

  beforeAll(async () => {
    dir = path.join(work, 'big', 'audit');
    await writeChain(dir, keyFile, RECORDS, 64 * 1024, 5_000);
    midway = path.join(work, 'big', 'midway.checkpoint');
  });

  test(`a proof verifies for every record of a ${RECORDS}-record chain spanning rotated files`, async () => {
    const files = await listChainFiles(dir, null);
    expect(files.length).toBeGreaterThan(20);
    const note = await readFile(path.join(dir, 'checkpoints', 'default'), 'utf8');
    const size = Number(note.split('\n')[1]);
    expect(size).toBe(RECORDS + 2);
    // One pass over the chain builds every proof (tree-scan.ts), as `audit prove` builds one.
    const leaves: Buffer[] = [];
    for await (const line of chainLines(files)) leaves.push(leafHash(line.bytes));
    const scan = new TreeScan({ inclusion: leaves.map((_, index) => ({ index, size })), roots: [size] });
    for (const leaf of leaves) scan.add(leaf);
    const parsed = parseVerifierKey(vkey);
    if (!parsed.ok) throw new Error(parsed.message);
    const keys = [parsed.value];
    let verified = 0;
    for (let index = 0; index < size; index++) {
      const proof = formatTlogProof({ index, proof: scan.inclusionProof(index, size), checkpoint: note });
      const checked = checkRecordProof(proof, leaves[index]!, keys);
      if (!checked.ok) throw new Error(`record ${index}: ${checked.message}`);
      // A neighbour's line does not pass for this one.
      if (verifyInclusion(index, size, leaves[(index + 1) % size]!, scan.inclusionProof(index, size), scan.root(size)!)) throw new Error(`record ${index} proven for its neighbour`);
      verified++;
    }
    expect(verified).toBe(size);
  });

  test('through the command line: prove writes a C2SP proof and the line; verify-proof accepts it, and refuses an edited line', async () => {
    const files = await chainFiles(dir);
    // The first record of the third file: a proof across a rotation boundary.
    const firstOfThird = JSON.parse((await readFile(path.join(dir, files[2]!), 'utf8')).split('\n')[0]!) as { id?: string; seq: number };
    for (const id of ['req-00000', firstOfThird.id!, 'req-09999']) {
      const out = path.join(work, `${id}.jsonl`);
      const p = telegate(['audit', 'prove', id, dir, '--record-out', out]);
      expect(p.code).toBe(0);
      expect(p.stdout).toMatch(/^c2sp\.org\/tlog-proof@v1\nindex \d+\n(?:[A-Za-z0-9+/]{43}=\n){1,20}\ntelegate\/default\n10002\n/);
      const proofFile = path.join(work, `${id}.tlog-proof`);
      await writeFile(proofFile, p.stdout);
      const line = await readFile(out);
      expect(line.includes(Buffer.from(`"id":"${id}"`))).toBe(true);
      expect(line[line.length - 1]).toBe(0x7d); // `}`: the line without its newline
      const ok = telegate(['audit', 'verify-proof', proofFile, '--key', vkey], line);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/^ok: the record is entry \d+ of telegate\/default, in the checkpoint of size 10002 signed by telegate\+/);
      // With its newline, as grep prints it: the same line.
      expect(telegate(['audit', 'verify-proof', proofFile, '--key', vkey], Buffer.concat([line, Buffer.from('\n')])).code).toBe(0);
      const edited = telegate(['audit', 'verify-proof', proofFile, '--key', vkey], line.toString().replace('"level":1', '"level":2'));
      expect(edited.code).toBe(1);
      expect(edited.stdout).toContain('FAILED (not-included)');
    }
  });

  test('the proof needs the right key; a record the checkpoint does not cover yet is exit 1, said plainly', async () => {
    const proofFile = path.join(work, 'p.tlog-proof');
    const p = telegate(['audit', 'prove', 'req-00010', dir]);
    await writeFile(proofFile, p.stdout);
    const other = telegate(['audit', 'keygen', '--name', 'telegate', '--out', path.join(work, 'another.pem')]).stdout.trim();
    const wrongKey = telegate(['audit', 'verify-proof', proofFile, '--key', other], (await readFile(path.join(work, 'req-00000.jsonl'))));
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stdout).toContain('FAILED (unknown-key)');

    const late = telegate(['audit', 'prove', 'req-09000', dir, '--checkpoint', midway]);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/is not covered yet: checkpoints are written every audit\.checkpoint\.interval_s/);
    expect(late.stdout).toBe('');
    expect(telegate(['audit', 'prove', 'req-00010', dir, '--checkpoint', midway]).code).toBe(0);
    expect(telegate(['audit', 'prove', 'no-such-request', dir]).code).toBe(1);
    // Both checkpoints of the chain, checked in one pass.
    expect(telegate(['audit', 'verify', dir, '--checkpoint', midway, '--checkpoint', path.join(dir, 'checkpoints', 'default'), '--key', vkey]).code).toBe(0);
  });

  test('output into a closed pipe ends quietly', () => {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" audit prove req-00010 "${dir}" | true; echo "exit=\${PIPESTATUS[0]}" >&2`], { env: { PATH: process.env['PATH'] ?? '' } });
    const stderr = r.stderr.toString();
    expect(stderr).toContain('exit=0');
    expect(stderr).not.toContain('EPIPE');
    expect(stderr).not.toContain('    at ');
  });
});
