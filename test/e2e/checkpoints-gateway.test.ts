/**
 * Signed checkpoints from a running gateway (SPEC §6.1): written while records are added and at stop to
 * `<audit.dir>/checkpoints/<chain>`, posted as text/plain to a witness (a stand-in HTTP server here), a
 * witness that fails or hangs never holds up traffic and is counted on /metrics, a restart continues
 * the same tree (the new checkpoint extends the old one: consistency proof), and with two workers each
 * chain gets its own checkpoint. Every note is checked with a verifier key recomputed from the key file.
 */
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { listChainFiles } from '../../src/audit/file-naming';
import { scanChain } from '../../src/audit/tlog/chain-leaves';
import { parseCheckpointText } from '../../src/audit/tlog/checkpoint';
import { verifyConsistency } from '../../src/audit/tlog/proofs';
import { openNote, parseVerifierKey, type NoteVerifier } from '../../src/audit/tlog/signed-note';
import { startTestGateway, TEST_HASH_KEY, POLICIES } from '../helpers/gateway-harness';
import { spawnGateway } from '../helpers/gateway-process';
import { eventually, httpCall } from '../helpers/http-call';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

const BIN = path.resolve(__dirname, '../../bin/telegate.js');

let work: string;
let keyFile: string;
let verifier: NoteVerifier;
let vkey: string;
let vendor: StandInVendor;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'telegate-checkpoints-'));
  const { privateKey } = generateKeyPairSync('ed25519');
  keyFile = path.join(work, 'checkpoint.pem');
  await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  // The verifier key, built here from signed-note's definition.
  const raw = createPublicKey(privateKey).export({ type: 'spki', format: 'der' }).subarray(-32);
  const id = createHash('sha256').update(Buffer.concat([Buffer.from('telegate\n'), Buffer.from([1]), raw])).digest().subarray(0, 4);
  vkey = `telegate+${id.toString('hex')}+${Buffer.concat([Buffer.from([1]), raw]).toString('base64')}`;
  const parsed = parseVerifierKey(vkey);
  if (!parsed.ok) throw new Error(parsed.message);
  verifier = parsed.value;
  vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
});

afterAll(async () => {
  await vendor.close();
  await rm(work, { recursive: true, force: true });
});

function checkpointOf(note: string | Buffer): { origin: string; size: number; root: Buffer } {
  const opened = openNote(note, [verifier]);
  if (!opened.ok) throw new Error(`not a checkpoint signed by the key: ${opened.message}`);
  const cp = parseCheckpointText(opened.note.text);
  if (!cp.ok) throw new Error(cp.message);
  return cp.value;
}

/** A fresh folder for one gateway under the test's work folder. */
async function folder(name: string): Promise<string> {
  const dir = path.join(work, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

const post = (url: string, i: number) => httpCall(`${url}/snapshot`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ deployment_id: `d-${i}` }) });

async function metric(adminUrl: string, name: string, labels: Record<string, string>): Promise<number | undefined> {
  return sampleValue(parsePrometheusText((await httpCall(`${adminUrl}/metrics`)).body), name, labels);
}

function configYaml(witnessUrl: string | null, interval = 1): string {
  return `audit:\n  checkpoint:\n    interval_s: ${interval}\n    key_file: ${keyFile}\n${witnessUrl ? `    witness_url: "${witnessUrl}"\n` : ''}`;
}

test('written while records are added and at stop, posted to the witness as text/plain; a restart extends the same tree', async () => {
  const witness = await startStandInVendor({ reply: { kind: 'reply', status: 200 } });
  const dir = await folder('one');
  const env = { TELEGATE_UPSTREAM_CODER: vendor.url, TELEGATE_LEVEL_CODER: '1' };
  let gw: Awaited<ReturnType<typeof startTestGateway>> | undefined;
  try {
    gw = await startTestGateway({ dir, env, configYaml: configYaml(`${witness.url}/add-checkpoint`) });
    for (let i = 0; i < 5; i++) expect((await post(gw.url, i)).status).toBe(202);
    // A checkpoint within the interval, while the gateway runs, posted to the witness.
    const first = await eventually('a checkpoint at the witness', async () => witness.received.find((r) => checkpointOf(r.body).size >= 11));
    expect(first.method).toBe('POST');
    expect(first.url).toBe('/add-checkpoint');
    expect(first.headers['content-type']).toMatch(/^text\/plain/);
    expect(checkpointOf(first.body).origin).toBe('telegate/default');
    const admin = gw.adminUrl;
    await eventually('the acceptance counted', async () => ((await metric(admin, 'telegate_checkpoint_witness_total', { result: 'accepted' })) ?? 0) >= 1 ? true : undefined);
    expect(await metric(admin, 'telegate_checkpoints_total', { result: 'written' })).toBeGreaterThanOrEqual(1);
    // The console shows the chain's latest checkpoint and that the witness accepted it.
    const shown = await eventually('the console showing the accepted checkpoint', async () => {
      const api = JSON.parse((await httpCall(`${admin}/console/api/checkpoints`)).body) as { chains: { chain: string; latest?: { size: number; root: string }; witness_accepted_latest: boolean }[] };
      return api.chains[0]?.witness_accepted_latest ? api.chains : undefined;
    });
    expect(shown).toHaveLength(1);
    const latestNote = checkpointOf(await readFile(path.join(dir, 'audit', 'checkpoints', 'default')));
    expect(shown[0]).toMatchObject({ chain: 'default', latest: { size: latestNote.size, root: latestNote.root.toString('base64') } });
    const page = (await httpCall(`${admin}/console/checkpoints`)).body;
    expect(page).toContain('<th scope="row">default</th>');
    expect(page).toContain(latestNote.root.toString('base64'));
    expect(page).toContain('<span class="ok">accepted</span>');
    await gw.close();
    gw = undefined;

    const auditDir = path.join(dir, 'audit');
    const atStop = await readFile(path.join(auditDir, 'checkpoints', 'default'));
    const before = checkpointOf(atStop);
    // The note written at stop covers the stop record: every line of the chain.
    const files = await listChainFiles(auditDir, null);
    const lines = (await Promise.all(files.map((f) => readFile(f.path, 'utf8')))).join('').split('\n').filter(Boolean);
    expect(before.size).toBe(lines.length);
    expect(JSON.parse(lines[lines.length - 1]!).type).toBe('stop');
    expect(witness.received.at(-1)!.body.equals(atStop)).toBe(true);
    expect(JSON.parse(await readFile(path.join(auditDir, 'checkpoints', 'default.witness.json'), 'utf8'))).toMatchObject({ size: before.size, accepted: true, status: 200 });

    gw = await startTestGateway({ dir, env, configYaml: configYaml(`${witness.url}/add-checkpoint`) });
    expect(gw.logLines.find((l) => l.includes('audit checkpoint tree ready'))).toMatch(/"resumed":true/);
    for (let i = 5; i < 8; i++) expect((await post(gw.url, i)).status).toBe(202);
    await gw.close();
    gw = undefined;
    const after = checkpointOf(await readFile(path.join(auditDir, 'checkpoints', 'default')));
    expect(after.size).toBeGreaterThan(before.size);
    const { scan } = await scanChain(await listChainFiles(auditDir, null), { consistency: [{ from: before.size, to: after.size }], roots: [before.size, after.size] });
    expect(scan.root(before.size)).toEqual(before.root);
    expect(scan.root(after.size)).toEqual(after.root);
    expect(verifyConsistency(before.size, after.size, scan.consistencyProof(before.size, after.size), before.root, after.root)).toBe(true);
  } finally {
    await gw?.close();
    await witness.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a witness that hangs or refuses holds up no request; each failure is counted and recorded', async () => {
  const witness = await startStandInVendor({ reply: { kind: 'hang' } });
  const dir = await folder('failing');
  const gw = await startTestGateway({ dir, env: { TELEGATE_UPSTREAM_CODER: vendor.url, TELEGATE_LEVEL_CODER: '1' }, configYaml: configYaml(witness.url) });
  try {
    expect((await post(gw.url, 0)).status).toBe(202);
    // A post is now in flight to a witness that never answers ...
    await eventually('a post to the hanging witness', async () => (witness.received.length > 0 ? true : undefined));
    // ... and requests are answered all the same, promptly.
    const started = Date.now();
    for (let i = 1; i < 10; i++) expect((await post(gw.url, i)).status).toBe(202);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(witness.received).toHaveLength(1);

    witness.behave({ kind: 'reply', status: 500 });
    await witness.close();
    // The hung post ends (the witness closed its connection) as a failure; the next one finds nobody.
    await eventually('the failures counted', async () => ((await metric(gw.adminUrl, 'telegate_checkpoint_witness_total', { result: 'failed' })) ?? 0) >= 1 ? true : undefined, 20_000);
    const status = JSON.parse(await readFile(path.join(gw.auditDir, 'checkpoints', 'default.witness.json'), 'utf8')) as { accepted: boolean; error?: string };
    expect(status.accepted).toBe(false);
    expect(status.error).toBeDefined();
    expect(gw.logLines.some((l) => l.includes('the witness did not accept the checkpoint'))).toBe(true);
    expect((await httpCall(`${gw.adminUrl}/console/checkpoints`)).body).toContain('<span class="error">not accepted</span>');
  } finally {
    await gw.close();
    await rm(dir, { recursive: true, force: true });
  }
}, 40_000);

test('a witness answering 500 is counted as refused', async () => {
  const witness = await startStandInVendor({ reply: { kind: 'reply', status: 500 } });
  const dir = await folder('refusing');
  const gw = await startTestGateway({ dir, env: { TELEGATE_UPSTREAM_CODER: vendor.url, TELEGATE_LEVEL_CODER: '1' }, configYaml: configYaml(witness.url) });
  try {
    expect((await post(gw.url, 0)).status).toBe(202);
    await eventually('a refusal counted', async () => ((await metric(gw.adminUrl, 'telegate_checkpoint_witness_total', { result: 'refused' })) ?? 0) >= 1 ? true : undefined);
    expect(JSON.parse(await readFile(path.join(gw.auditDir, 'checkpoints', 'default.witness.json'), 'utf8'))).toMatchObject({ accepted: false, status: 500 });
  } finally {
    await gw.close();
    await witness.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('without a key: no checkpoints, and the start says so', async () => {
  const dir = await folder('nokey');
  const gw = await startTestGateway({ dir, env: { TELEGATE_UPSTREAM_CODER: vendor.url } });
  try {
    expect(gw.logLines.some((l) => l.includes('"level":40') && l.includes('audit.checkpoint.key_file is not set'))).toBe(true);
  } finally {
    await gw.close();
  }
  await expect(readFile(path.join(dir, 'audit', 'checkpoints', 'default'))).rejects.toMatchObject({ code: 'ENOENT' });
  await rm(dir, { recursive: true, force: true });
});

test('a key file that is not an Ed25519 key stops the start naming the file', async () => {
  const bad = path.join(work, 'rsa.pem');
  await writeFile(bad, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await expect(startTestGateway({ dir: await folder('rsa'), env: { TELEGATE_CHECKPOINT_KEY_FILE: bad } }))
    .rejects.toThrow(/audit\.checkpoint\.key_file .*rsa\.pem: the key is rsa, not Ed25519/);
});

test('two workers: each chain has its own checkpoint, and both verify with the command line', async () => {
  const dir = path.join(work, 'workers');
  const gw = await spawnGateway({
    TELEGATE_WORKERS: '2',
    TELEGATE_HASH_KEY: TEST_HASH_KEY,
    TELEGATE_POLICIES: POLICIES,
    TELEGATE_AUDIT_DIR: path.join(dir, 'audit'),
    TELEGATE_DATA_DIR: path.join(dir, 'data'),
    TELEGATE_UPSTREAM_CODER: vendor.url,
    TELEGATE_LEVEL_CODER: '1',
    TELEGATE_CHECKPOINT_KEY_FILE: keyFile,
  }, 60_000);
  try {
    for (let i = 0; i < 8; i++) expect((await post(gw.url, i)).status).toBe(202);
  } finally {
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
  }
  const auditDir = path.join(dir, 'audit');
  const w1 = checkpointOf(await readFile(path.join(auditDir, 'checkpoints', 'w1')));
  const w2 = checkpointOf(await readFile(path.join(auditDir, 'checkpoints', 'w2')));
  expect([w1.origin, w2.origin]).toEqual(['telegate/w1', 'telegate/w2']);
  const r = spawnSync(process.execPath, [BIN, 'audit', 'verify', auditDir, '--checkpoint', path.join(auditDir, 'checkpoints', 'w1'), '--checkpoint', path.join(auditDir, 'checkpoints', 'w2'), '--key', vkey], { env: { PATH: process.env['PATH'] ?? '' } });
  expect(r.stdout.toString()).toContain(`telegate/w1 at size ${w1.size}: ok`);
  expect(r.stdout.toString()).toContain(`telegate/w2 at size ${w2.size}: ok`);
  expect(r.status).toBe(0);
  await rm(dir, { recursive: true, force: true });
}, 120_000);
