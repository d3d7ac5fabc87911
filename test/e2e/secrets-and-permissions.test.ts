/**
 * What a security reviewer checks first: the hash key and the admin token appear nowhere telegate
 * writes or serves (its log, the audit files, metrics, readiness, error replies); audit files and a
 * generated key are private; an upstream with an untrusted certificate is refused, and nothing leaves.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { walkFolder } from '../helpers/folder-walk';
import { spawnGateway } from '../helpers/gateway-process';
import { selfSignedCertificate } from '../helpers/self-signed';
import { startStandInVendor } from '../helpers/stand-in-vendor';

const POLICIES = path.resolve(__dirname, '../../policies');
const HASH_KEY = 'SECRET-hash-key-must-never-leak-4f9a';
const ADMIN_TOKEN = 'SECRET-admin-token-must-never-leak-77';

async function everyAuditByte(dir: string): Promise<string> {
  const files = (await walkFolder(dir)).filter((e) => e.kind === 'file');
  return (await Promise.all(files.map((f) => readFile(f.path, 'utf8')))).join('\n');
}

describe('secrets and permissions', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(path.join(tmpdir(), 'telegate-secrets-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  test('the hash key and admin token are in no log line, audit record, metric, readiness report or error reply', async () => {
    const vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
    const audit = path.join(dir, 'audit');
    const gw = await spawnGateway({
      TELEGATE_HASH_KEY: HASH_KEY, TELEGATE_ADMIN_TOKEN: ADMIN_TOKEN, TELEGATE_AUDIT_DIR: audit,
      TELEGATE_DATA_DIR: path.join(dir, 'data'), TELEGATE_POLICIES: POLICIES, TELEGATE_UPSTREAM_CODER: vendor.url,
      TELEGATE_LOG_LEVEL: 'trace',
    });
    try {
      const served: string[] = [];
      const send = async (body: string, headers: Record<string, string> = {}): Promise<void> => {
        const r = await fetch(`${gw.url}/snapshot`, { method: 'POST', body, headers: { 'X-Coder-Version': 'v2.24.1', ...headers } });
        served.push(await r.text());
      };
      await send(JSON.stringify({ deployment_id: '0f3c5a52-8f4a-4a89-9c61-2d9e0b7d1a11', users: [{ id: '0f3c5a52-8f4a-4a89-9c61-2d9e0b7d1a12', email: 'ceo@example.com' }] }));
      await send('{"truncated": ');
      await send('{}', { authorization: `Bearer ${ADMIN_TOKEN}` });
      for (const admin of ['/metrics', '/readyz', '/healthz']) served.push(await (await fetch(`${gw.adminUrl}${admin}`)).text());
      served.push(await (await fetch(`${gw.adminUrl}/reload`, { method: 'POST', headers: { authorization: 'Bearer wrong' } })).text());
      served.push(await (await fetch(`${gw.adminUrl}/reload`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text());
      gw.child.kill('SIGTERM');
      expect(await gw.exited).toBe(0);

      const everything = [gw.output(), await everyAuditByte(audit), ...served, ...vendor.received.map((r) => r.body.toString('utf8') + JSON.stringify(r.headers))].join('\n');
      expect(everything).toContain('"decision":"forwarded"');
      expect(everything).not.toContain(HASH_KEY);
      expect(everything).not.toContain(ADMIN_TOKEN);
      expect(everything).not.toContain('ceo@example.com');
    } finally {
      await vendor.close();
    }
  });

  test('audit files are 0600 in a 0700 folder, and a generated key is 0600 and never printed', async () => {
    const audit = path.join(dir, 'audit');
    const data = path.join(dir, 'data');
    const gw = await spawnGateway({ TELEGATE_AUDIT_DIR: audit, TELEGATE_DATA_DIR: data, TELEGATE_POLICIES: POLICIES });
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
    expect((await stat(audit)).mode & 0o777).toBe(0o700);
    // Chain files and the chain locks (locks/): folders 0700, files 0600.
    const entries = await walkFolder(audit);
    expect(entries.some((e) => e.kind === 'folder')).toBe(true);
    for (const entry of entries) {
      expect([entry.path, (await stat(entry.path)).mode & 0o777]).toEqual([entry.path, entry.kind === 'folder' ? 0o700 : 0o600]);
    }
    expect((await stat(path.join(data, 'hash.key'))).mode & 0o777).toBe(0o600);
    const generated = (await readFile(path.join(data, 'hash.key'), 'utf8')).trim();
    expect(gw.output()).toMatch(/generated a new one/);
    expect(gw.output()).not.toContain(generated);
    expect(await everyAuditByte(audit)).not.toContain(generated);
  });

  test('an upstream whose certificate is not trusted is refused: 502, and nothing is sent to it', async () => {
    const vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 }, tls: selfSignedCertificate('localhost') });
    const gw = await spawnGateway({
      TELEGATE_HASH_KEY: HASH_KEY, TELEGATE_AUDIT_DIR: path.join(dir, 'audit'), TELEGATE_DATA_DIR: path.join(dir, 'data'),
      TELEGATE_POLICIES: POLICIES, TELEGATE_UPSTREAM_CODER: vendor.url,
    });
    try {
      const r = await fetch(`${gw.url}/snapshot`, { method: 'POST', body: '{"deployment_id":"0f3c5a52-8f4a-4a89-9c61-2d9e0b7d1a11"}' });
      expect(r.status).toBe(502);
      expect(await r.json()).toMatchObject({ error: 'upstream-unreachable' });
      expect(vendor.received).toEqual([]);
    } finally {
      gw.child.kill('SIGTERM');
      await gw.exited;
      await vendor.close();
    }
  });
});
