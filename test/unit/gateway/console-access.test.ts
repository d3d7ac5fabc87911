/**
 * Who gets into the console when no admin token is configured (the token case is the Chromium e2e test):
 * on a loopback admin port the console is open and says so, but only under loopback host names, and its
 * reload button still needs the page's CSRF token from the same origin; off loopback everything is 403.
 * A real admin app on 127.0.0.1 with an empty audit folder; reload is counted, not performed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAdminApp, type ReadinessReport } from '../../../src/gateway/admin-app';
import { createMetrics } from '../../../src/gateway/metrics';

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }

function call(port: number, p: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: p, method: options.method ?? 'GET', agent: false, headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const READY: ReadinessReport = { ready: true, audit: { writable: true }, policies: [], loaded_at: null, last_reload: null };

async function startAdmin(loopbackOnly: boolean): Promise<{ port: number; reloads: () => number; close: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'telegate-console-'));
  let reloads = 0;
  const app = createAdminApp({
    metrics: createMetrics().registry, token: undefined, loopbackOnly,
    readiness: () => READY,
    reload: async () => { reloads++; return { ok: true }; },
    console: { auditDir: dir, policySet: () => undefined },
  });
  const server: Server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  return {
    port: (server.address() as AddressInfo).port,
    reloads: () => reloads,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const cookieOf = (reply: Reply): string => {
  const set = reply.headers['set-cookie'];
  const first = Array.isArray(set) ? set[0] : set;
  if (first === undefined) throw new Error(`reply ${reply.status} set no cookie`);
  return first.split(';')[0]!;
};
const csrfOf = (page: string): string => {
  const m = /name="_csrf" value="([^"]+)"/.exec(page);
  if (!m) throw new Error('the page has no CSRF field');
  return m[1]!;
};

describe('console without an admin token, admin port on loopback', () => {
  let admin: Awaited<ReturnType<typeof startAdmin>>;
  beforeAll(async () => { admin = await startAdmin(true); });
  afterAll(async () => { await admin.close(); });

  test('is open and says so on the page', async () => {
    const reply = await call(admin.port, '/console/records');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatch(/Open console: no admin token is configured/);
  });

  test('answers only to loopback host names (a rebound DNS name gets 403)', async () => {
    expect((await call(admin.port, '/console/records', { headers: { host: `localhost:${admin.port}` } })).status).toBe(200);
    expect((await call(admin.port, '/console/records', { headers: { host: `[::1]:${admin.port}` } })).status).toBe(200);
    const rebound = await call(admin.port, '/console/records', { headers: { host: `attacker.example:${admin.port}` } });
    expect(rebound.status).toBe(403);
    expect((await call(admin.port, '/console/api/drift', { headers: { host: 'attacker.example' } })).status).toBe(403);
  });

  test('reload needs the page\'s CSRF token, from the same origin', async () => {
    const page = await call(admin.port, '/console/status');
    const cookie = cookieOf(page);
    const csrf = csrfOf(page.body);
    const form = { 'content-type': 'application/x-www-form-urlencoded', cookie };
    const before = admin.reloads();

    expect((await call(admin.port, '/console/reload', { method: 'POST', headers: form, body: '' })).status).toBe(403);
    expect((await call(admin.port, '/console/reload', { method: 'POST', headers: form, body: '_csrf=not-the-token' })).status).toBe(403);
    const foreign = await call(admin.port, '/console/reload', { method: 'POST', headers: { ...form, origin: 'http://attacker.example' }, body: `_csrf=${encodeURIComponent(csrf)}` });
    expect(foreign.status).toBe(403);
    const crossSite = await call(admin.port, '/console/reload', { method: 'POST', headers: { ...form, 'sec-fetch-site': 'cross-site' }, body: `_csrf=${encodeURIComponent(csrf)}` });
    expect(crossSite.status).toBe(403);
    // Another session's token is not this session's.
    const other = await call(admin.port, '/console/status');
    const mixed = await call(admin.port, '/console/reload', { method: 'POST', headers: form, body: `_csrf=${encodeURIComponent(csrfOf(other.body))}` });
    expect(mixed.status).toBe(403);
    expect(admin.reloads()).toBe(before);

    const good = await call(admin.port, '/console/reload', {
      method: 'POST', headers: { ...form, origin: `http://127.0.0.1:${admin.port}`, 'sec-fetch-site': 'same-origin' }, body: `_csrf=${encodeURIComponent(csrf)}`,
    });
    expect(good.status).toBe(303);
    expect(good.headers['location']).toBe('/console/status');
    expect(admin.reloads()).toBe(before + 1);
  });
});

describe('console without an admin token, admin port off loopback', () => {
  let admin: Awaited<ReturnType<typeof startAdmin>>;
  beforeAll(async () => { admin = await startAdmin(false); });
  afterAll(async () => { await admin.close(); });

  test.each(['/console/', '/console/records', '/console/login', '/console/status', '/console/api/records', '/console/api/status'])('GET %s is refused with 403', async (p) => {
    const reply = await call(admin.port, p);
    expect(reply.status).toBe(403);
    expect(reply.body).toMatch(/no admin token is configured/);
  });

  test('POST reload and login are refused with 403 and reload nothing', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    expect((await call(admin.port, '/console/reload', { method: 'POST', headers: form, body: '_csrf=x' })).status).toBe(403);
    expect((await call(admin.port, '/console/login', { method: 'POST', headers: form, body: 'token=anything' })).status).toBe(403);
    expect(admin.reloads()).toBe(0);
  });
});
