/**
 * telegate pointed at itself (with DNS interception, the gateway's own resolver may send the vendor's
 * name back to it): the forwarded request comes back in and is refused, 508, instead of being judged and
 * forwarded again without end. One request, one forwarded record, one outcome.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { egressRecords, readAuditRecords } from '../helpers/audit-records';
import { POLICIES, TEST_HASH_KEY, startTestGateway } from '../helpers/gateway-harness';
import { freePort, spawnGateway } from '../helpers/gateway-process';
import { eventually, httpCall } from '../helpers/http-call';

test('a forward that comes back to telegate is refused 508; the audit log holds one forwarded record', async () => {
  const port = await freePort();
  const gw = await startTestGateway({ env: { TELEGATE_PORT: String(port), TELEGATE_UPSTREAM_CODER: `http://127.0.0.1:${port}` } });
  try {
    const r = await fetch(`${gw.url}/snapshot`, { method: 'POST', body: '{"deployment_id":"0f3c5a52-8f4a-4a89-9c61-2d9e0b7d1a11"}' });
    expect(r.status).toBe(508);
    expect(await r.json()).toMatchObject({ error: 'loop-detected' });
    const records = await eventually('the outcome record', async () => {
      const all = await readAuditRecords(gw.auditDir);
      return all.some((x) => x.record['type'] === 'outcome') ? all : undefined;
    });
    expect(egressRecords(records).map((x) => x.record['decision'])).toEqual(['forwarded']);
    expect(records.filter((x) => x.record['type'] === 'outcome').map((x) => x.record['status'])).toEqual([508]);
    expect(gw.logLines.join('\n')).toMatch(/resolves to telegate itself/);
  } finally {
    await gw.close();
  }
});

test('with two workers, a forward that lands on the other worker is refused 508 just the same', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'telegate-loop-workers-'));
  const port = await freePort();
  const gw = await spawnGateway({
    TELEGATE_WORKERS: '2', TELEGATE_PORT: String(port), TELEGATE_UPSTREAM_CODER: `http://127.0.0.1:${port}`,
    TELEGATE_HASH_KEY: TEST_HASH_KEY, TELEGATE_POLICIES: POLICIES, TELEGATE_AUDIT_DIR: path.join(dir, 'audit'),
  });
  try {
    // Several requests, on connections of their own: each worker forwards some, into either worker.
    for (let i = 0; i < 6; i++) {
      const r = await httpCall(`http://127.0.0.1:${port}/snapshot`, { method: 'POST', body: '{"deployment_id":"0f3c5a52-8f4a-4a89-9c61-2d9e0b7d1a11"}' });
      expect(r.status).toBe(508);
    }
    const records = await eventually('six outcome records', async () => {
      const all = await readAuditRecords(path.join(dir, 'audit'));
      return all.filter((x) => x.record['type'] === 'outcome').length >= 6 ? all : undefined;
    });
    expect(egressRecords(records).map((x) => x.record['decision'])).toEqual(Array(6).fill('forwarded'));
  } finally {
    gw.child.kill('SIGTERM');
    await gw.exited;
    await rm(dir, { recursive: true, force: true });
  }
});
