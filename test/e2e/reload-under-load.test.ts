/**
 * A policy file goes bad in the watched folder while instances keep sending: an edit with an unknown
 * action (`leak` where `drop` stood), then an editor's half-written file (cut inside a flow mapping), then
 * the original back. Each bad state is refused whole by the watcher's reload and counted; every request
 * in the meantime is served (202, never a 5xx) under the policy already in force, so the e-mail address
 * that policy drops never reaches the vendor, and every egress record names that policy's digest.
 */
import { createHash, randomUUID } from 'node:crypto';
import { cp, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { egressRecords, readAuditRecords } from '../helpers/audit-records';
import { POLICIES, startTestGateway, type TestGateway } from '../helpers/gateway-harness';
import { eventually, httpCall, jsonOf } from '../helpers/http-call';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

const CANARY = 'reload-canary-7f3a@example.com';
const digestOf = (text: string): string => `sha256:${createHash('sha256').update(text).digest('hex')}`;

function snapshot(): string {
  return JSON.stringify({ deployment_id: randomUUID(), users: [{ id: randomUUID(), email: CANARY, status: 'active', login_type: 'password' }] });
}

describe('a policy file goes bad in the watched folder under load', () => {
  let work: string;
  let coderFile: string;
  let original: string;
  let vendor: StandInVendor;
  let gw: TestGateway;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'telegate-reload-load-'));
    const policies = path.join(work, 'policies');
    await cp(POLICIES, policies, { recursive: true });
    coderFile = path.join(policies, 'coder.yaml');
    original = await readFile(coderFile, 'utf8');
    vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
    gw = await startTestGateway({ policies, env: { TELEGATE_UPSTREAM_CODER: vendor.url, TELEGATE_LEVEL_CODER: '1' } });
  });
  afterAll(async () => {
    await gw.close();
    await vendor.close();
    await rm(work, { recursive: true, force: true });
  });

  const reloads = async (result: 'ok' | 'refused'): Promise<number> =>
    sampleValue(parsePrometheusText((await httpCall(`${gw.adminUrl}/metrics`)).body), 'telegate_policy_reloads_total', { result }) ?? 0;

  test('each bad state is refused and counted; every request meanwhile is served under the running policy', async () => {
    const digest = digestOf(original);
    let email = -1;
    let running = true;
    const statuses: number[] = [];
    const load = Promise.all(Array.from({ length: 4 }, async () => {
      while (running) {
        const reply = await httpCall(`${gw.url}/snapshot`, { method: 'POST', body: snapshot(), headers: { 'x-coder-version': 'v2.24.1' } });
        statuses.push(reply.status);
      }
    }));
    const served = (n: number) => eventually(`${n} requests served`, async () => (statuses.length >= n ? true : undefined), 20_000);

    try {
      await served(40);
      const refusedBefore = await reloads('refused');

      // 1. An edit that would let the e-mail address out, with a typo that makes it invalid.
      const lines = original.split('\n');
      email = lines.findIndex((l) => l.trimStart().startsWith('users[*].email:'));
      expect(email).toBeGreaterThan(0);
      lines[email] = lines[email]!.replace('1: drop', '1: leak');
      // Saved whole, as editors that write a temporary file and rename it do: a plain writeFile truncates
      // first, and on a loaded machine the watcher could read the empty file and refuse that instead.
      const saved = path.join(work, 'coder.yaml.saving');
      await writeFile(saved, lines.join('\n'));
      await rename(saved, coderFile);
      await eventually('the leak edit refused', async () => ((await reloads('refused')) > refusedBefore ? true : undefined));
      await served(statuses.length + 40);

      // 2. An editor's half-written file: cut inside the e-mail rule's flow mapping.
      const cut = original.indexOf('{', original.indexOf('users[*].email:')) + 4;
      await writeFile(coderFile, original.slice(0, cut));
      await eventually('the half-written file refused', async () => ((await reloads('refused')) > refusedBefore + 1 ? true : undefined));
      await served(statuses.length + 40);

      // 3. The original back: loaded again, the same digest.
      const okBefore = await reloads('ok');
      await writeFile(coderFile, original);
      await eventually('the original reloaded', async () => ((await reloads('ok')) > okBefore ? true : undefined));
      await served(statuses.length + 40);
    } finally {
      running = false;
      await load;
    }

    expect(statuses.filter((s) => s !== 202)).toEqual([]);
    expect(vendor.received.filter((r) => r.body.toString('utf8').includes(CANARY))).toEqual([]);
    const egress = egressRecords(await readAuditRecords(gw.auditDir));
    expect(egress).toHaveLength(statuses.length);
    expect(egress.filter((r) => r.record['policy'] !== digest).map((r) => r.record['policy'])).toEqual([]);

    const readiness = jsonOf(await httpCall(`${gw.adminUrl}/readyz`)) as { policies: { vendor: string; digest: string }[] };
    expect(readiness.policies.find((p) => p.vendor === 'coder')?.digest).toBe(digest);
    const refusals = gw.logLines.filter((l) => l.includes('policy reload refused')).map((l) => JSON.parse(l) as { trigger: string; errors: string[] });
    expect(refusals.length).toBeGreaterThanOrEqual(2);
    expect(refusals.every((r) => r.trigger === 'policy folder changed')).toBe(true);
    // The first refusal names the bad action where it stands: coder.yaml, the e-mail rule's line.
    expect(refusals[0]!.errors.some((e) => e.includes(`coder.yaml:${email + 1}:`))).toBe(true);
  }, 60_000);
});
