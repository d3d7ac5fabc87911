/**
 * Attacks on signed checkpoints and inclusion proofs, through the built command line: checkpoints forged
 * with another key, made for a larger tree than the log holds, or naming another origin, fail `audit
 * verify --checkpoint` naming the reason; malformed or mismatched proof files fail `audit verify-proof`
 * with exit 1 and a sentence, never a stack trace. Checkpoints an attacker "signs" are made here by hand
 * with node:crypto from c2sp.org/signed-note's construction, not with telegate's signer.
 */
import { spawnSync } from 'node:child_process';
import { createHash, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EgressFields } from '../../src/audit/types';
import { openAuditWriter } from '../../src/audit/writer';
import { Checkpointer } from '../../src/audit/tlog/checkpointer';
import { loadSigningKey } from '../../src/audit/tlog/signing-key';

const BIN = path.resolve(__dirname, '../../bin/telegate.js');
const RECORDS = 40;

interface Run { code: number | null; stdout: string; stderr: string }
function telegate(args: string[], input?: Buffer | string): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { input: input ?? '', env: { PATH: process.env['PATH'] ?? '' } });
  return { code: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

/** No stack trace, no internal error name: a sentence for a person. */
function readable(run: Run): void {
  for (const out of [run.stdout, run.stderr]) {
    expect(out).not.toMatch(/\n\s+at .+:\d+:\d+\)?/);
    expect(out).not.toMatch(/\b(?:TypeError|RangeError|SyntaxError|ReferenceError)\b/);
  }
}

function fields(i: number): EgressFields {
  return {
    id: `req-${i}`, vendor: 'coder', endpoint: '/snapshot', level: 1, policy: `sha256:${'cd'.repeat(32)}`,
    decision: 'forwarded', upstream: 'https://telemetry.coder.com/snapshot', client: '10.0.0.9',
    bodyText: `{"deployment_id":"d-${i}"}`, dropped: {}, hashed: {}, unknown: {},
  };
}

/** A checkpoint note signed with `key` under `name`, as c2sp.org/signed-note constructs it. */
function signedByHand(text: string, name: string, key: KeyObject): string {
  const raw = createPrivateKeyPublic(key);
  const id = createHash('sha256').update(Buffer.concat([Buffer.from(name), Buffer.from([0x0a, 0x01]), raw])).digest().subarray(0, 4);
  return `${text}\n\u2014 ${name} ${Buffer.concat([id, sign(null, Buffer.from(text), key)]).toString('base64')}\n`;
}
function createPrivateKeyPublic(key: KeyObject): Buffer {
  return Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url');
}

let work: string;
let dir: string;
let vkey: string;
let auditorKey: KeyObject;
let kept: string;
let size: number;
let proofFile: string;
let line: Buffer;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'telegate-cp-attacks-'));
  dir = path.join(work, 'audit');
  const keyFile = path.join(work, 'signing.pem');
  const k = telegate(['audit', 'keygen', '--name', 'telegate', '--out', keyFile]);
  expect(k.code).toBe(0);
  vkey = k.stdout.trim();
  auditorKey = createPrivateKey(await readFile(keyFile));
  const signer = await loadSigningKey(keyFile, 'telegate');
  const cp = new Checkpointer({ auditDir: dir, chain: 'default', origin: 'telegate', signer, intervalMs: 3_600_000 });
  const writer = await openAuditWriter({ dir, maxFileBytes: 1 << 20, fsync: true, observer: cp });
  await Promise.all(Array.from({ length: RECORDS }, (_, i) => writer.appendEgress(fields(i))));
  await writer.close();
  await cp.close();
  kept = path.join(work, 'kept.checkpoint');
  const note = await readFile(path.join(dir, 'checkpoints', 'default'), 'utf8');
  await writeFile(kept, note);
  size = Number(note.split('\n')[1]);
  expect(size).toBe(RECORDS + 2);

  proofFile = path.join(work, 'req-7.tlog-proof');
  const recordOut = path.join(work, 'req-7.jsonl');
  const p = telegate(['audit', 'prove', 'req-7', dir, '--record-out', recordOut]);
  expect(p.code).toBe(0);
  await writeFile(proofFile, p.stdout);
  line = await readFile(recordOut);
  expect(telegate(['audit', 'verify-proof', proofFile, '--key', vkey], line).code).toBe(0);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const rootOf = (note: string): string => note.split('\n')[2]!;

describe('audit verify --checkpoint against forged checkpoints', () => {
  async function verifyWith(note: string): Promise<Run> {
    const file = path.join(work, `forged-${createHash('sha256').update(note).digest('hex').slice(0, 8)}.checkpoint`);
    await writeFile(file, note);
    const r = telegate(['audit', 'verify', dir, '--checkpoint', file, '--key', vkey]);
    readable(r);
    return r;
  }

  test('the kept checkpoint passes (the attacks below fail for their fault)', () => {
    expect(telegate(['audit', 'verify', dir, '--checkpoint', kept, '--key', vkey]).code).toBe(0);
  });

  test('signed with another key under the same name: unknown key, exit 1', async () => {
    const forger = generateKeyPairSync('ed25519').privateKey;
    const r = await verifyWith(signedByHand(`telegate/default\n${size}\n${rootOf(await readFile(kept, 'utf8'))}\n`, 'telegate', forger));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAILED (unknown-key)');
  });

  test('the kept checkpoint with its size changed, re-signed by a forger beside the original signature: bad signature, exit 1', async () => {
    const note = await readFile(kept, 'utf8');
    const [text, sigs] = note.split('\n\n') as [string, string];
    const changed = `${text.replace(`\n${size}\n`, `\n${size - 5}\n`)}\n`;
    const forger = generateKeyPairSync('ed25519').privateKey;
    const forged = signedByHand(changed, 'telegate', forger);
    const r = await verifyWith(`${forged}${sigs}`);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAILED (bad-signature)');
  });

  test('signed with the auditor\'s key for a larger tree than the log holds: cut, exit 1, naming both sizes', async () => {
    const r = await verifyWith(signedByHand(`telegate/default\n${size + 5}\n${Buffer.alloc(32, 9).toString('base64')}\n`, 'telegate', auditorKey));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAILED (cut)');
    expect(r.stdout).toContain(`holds ${size} record(s) but the checkpoint vouches for ${size + 5}`);
  });

  test('signed with the auditor\'s key for the right size but another root: rewritten, exit 1', async () => {
    const r = await verifyWith(signedByHand(`telegate/default\n${size}\n${Buffer.alloc(32, 9).toString('base64')}\n`, 'telegate', auditorKey));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAILED (rewritten)');
  });

  test('an origin whose prefix is not the key\'s name (signed by the auditor\'s key under that name): unknown key, naming the prefix', async () => {
    const note = await readFile(kept, 'utf8');
    const text = `elsewhere/default\n${size}\n${rootOf(note)}\n`;
    const r = await verifyWith(signedByHand(text, 'telegate', auditorKey));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAILED (unknown-key)');
    expect(r.stdout).toContain('no --key named elsewhere');
  });

  test('an origin naming another chain: no-chain, exit 1', async () => {
    const r = await verifyWith(signedByHand(`telegate/pod-z\n${size}\n${rootOf(await readFile(kept, 'utf8'))}\n`, 'telegate', auditorKey));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAILED (no-chain)');
  });

  test('not a checkpoint at all (an origin without a chain, a size that is not a number, bytes): malformed, exit 1', async () => {
    const root = rootOf(await readFile(kept, 'utf8'));
    for (const text of [`telegate\n${size}\n${root}\n`, `telegate/default\nmany\n${root}\n`]) {
      const r = await verifyWith(signedByHand(text, 'telegate', auditorKey));
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('FAILED (malformed)');
    }
    const bytes = await verifyWith('\u0000\u00ff garbage');
    expect(bytes.code).toBe(1);
    expect(bytes.stdout).toContain('FAILED (malformed)');
  });
});

describe('audit verify-proof against malformed and mismatched proofs', () => {
  async function verifyProof(text: string | Buffer): Promise<Run> {
    const file = path.join(work, `proof-${createHash('sha256').update(text).digest('hex').slice(0, 8)}`);
    await writeFile(file, text);
    const r = telegate(['audit', 'verify-proof', file, '--key', vkey], line);
    readable(r);
    return r;
  }
  const proofText = (): Promise<string> => readFile(proofFile, 'utf8');

  test.each([
    ['an empty file', ''],
    ['the header alone', 'c2sp.org/tlog-proof@v1\n'],
    ['bytes that are not text', Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x0a])],
    ['a checkpoint without its proof lines', 'c2sp.org/tlog-proof@v1\nindex x\n\n'],
  ])('%s: exit 1, FAILED (malformed)', async (_what, text) => {
    const r = await verifyProof(text);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAILED (malformed)');
  });

  test('a proof line that is not a hash, an index that is not a number: malformed, exit 1', async () => {
    const text = await proofText();
    const hashLine = text.split('\n')[2]!;
    for (const bad of [text.replace(hashLine, 'not-a-hash'), text.replace(/^index \d+$/m, 'index -1'), text.replace(/^index \d+$/m, 'index 99999999999999999999')]) {
      const r = await verifyProof(bad);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('FAILED (malformed)');
    }
  });

  test('an index outside the checkpoint\'s tree: exit 1, saying so', async () => {
    const r = await verifyProof((await proofText()).replace(/^index \d+$/m, `index ${size + 3}`));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`FAILED (not-included): the proof's index ${size + 3} is not in the checkpoint's tree of ${size} records`);
  });

  test('a proof made for another tree size (a hash more, a hash fewer): exit 1, saying how many it needs', async () => {
    const text = await proofText();
    const lines = text.split('\n');
    const needed = lines.slice(2).findIndex((l) => l === '');
    const index = Number(/^index (\d+)$/m.exec(text)![1]);
    const more = [...lines.slice(0, 2), lines[2]!, ...lines.slice(2)].join('\n');
    const fewer = [...lines.slice(0, 2), ...lines.slice(3)].join('\n');
    for (const [bad, holds] of [[more, needed + 1], [fewer, needed - 1]] as const) {
      const r = await verifyProof(bad);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`FAILED (not-included): the proof holds ${holds} hash(es), but entry ${index} of a tree of ${size} records needs ${needed}`);
    }
  });

  test('the proof of another record, for this line: exit 1, not included', async () => {
    const other = telegate(['audit', 'prove', 'req-8', dir]);
    expect(other.code).toBe(0);
    const r = await verifyProof(other.stdout);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAILED (not-included)');
  });

  test('a proof whose checkpoint is signed by another key, or altered: exit 1 naming why', async () => {
    const text = await proofText();
    const cut = text.indexOf('\n\n') + 2;
    const head = text.slice(0, cut);
    const cpText = text.slice(cut).split('\n\n')[0]!;
    const forged = await verifyProof(`${head}${signedByHand(`${cpText}\n`, 'telegate', generateKeyPairSync('ed25519').privateKey)}`);
    expect(forged.code).toBe(1);
    expect(forged.stdout).toContain('FAILED (unknown-key)');
    const altered = await verifyProof(text.replace(`\n${size}\n`, `\n${size + 1}\n`));
    expect(altered.code).toBe(1);
    expect(altered.stdout).toContain('FAILED (bad-signature)');
  });

  test('a proof file that is a folder, or missing: exit 2 naming it, no stack trace', () => {
    for (const file of [work, path.join(work, 'no-such-proof')]) {
      const r = telegate(['audit', 'verify-proof', file, '--key', vkey], line);
      readable(r);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(file);
    }
  });
});
