/**
 * The admin port as a platform team and a security team use it (SPEC §5 reload, §8): liveness, readiness
 * naming the digest of every policy in force, Prometheus metrics that count without leaking, and policy
 * reload by POST /reload or by editing the policy folder, where a broken set is refused whole and the
 * running one keeps serving. Digests are computed here from the files' bytes, as an auditor would.
 */
import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { egressRecords, readAuditRecords } from '../helpers/audit-records';
import { POLICIES, TEST_HASH_KEY, startTestGateway, type TestGateway } from '../helpers/gateway-harness';
import { eventually, httpCall, jsonOf, type HttpReply } from '../helpers/http-call';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

const DISTINCTIVE_EMAIL = 'quokka.zebra.4711@telegate-e2e.example';

interface ReadyPolicy { vendor: string; file: string; digest: string; level: number; upstream: string }
interface Readiness { ready: boolean; audit: { writable: boolean }; policies: ReadyPolicy[]; loaded_at: string | null; last_reload: { ok: boolean; errors?: string[] } | null }

const sha256Digest = (bytes: Buffer | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const fileDigest = async (file: string): Promise<string> => sha256Digest(await readFile(file));

/** Coder's snapshot fixture with one user's e-mail made distinctive, so a leak is unmistakable. */
async function snapshotBody(): Promise<{ bytes: Buffer; deploymentId: string }> {
  const input = JSON.parse(await readFile(path.join(POLICIES, 'tests', 'coder-snapshot.input.json'), 'utf8')) as { deployment_id: string; users: { email: string | null }[] };
  input.users[0]!.email = DISTINCTIVE_EMAIL;
  return { bytes: Buffer.from(JSON.stringify(input)), deploymentId: input.deployment_id };
}

/** POST as coderd/telemetry does: Go's headers, no Content-Type. */
function postSnapshot(gatewayUrl: string, body: Buffer): Promise<HttpReply> {
  return httpCall(`${gatewayUrl}/snapshot`, {
    method: 'POST',
    headers: { 'user-agent': 'Go-http-client/1.1', 'x-coder-version': 'v2.24.1', 'accept-encoding': 'gzip' },
    body,
  });
}

async function readiness(adminUrl: string): Promise<Readiness> {
  const reply = await httpCall(`${adminUrl}/readyz`);
  expect(reply.status).toBe(200);
  return jsonOf(reply) as Readiness;
}

const digestInForce = async (adminUrl: string, vendor: string): Promise<string | undefined> =>
  (await readiness(adminUrl)).policies.find((p) => p.vendor === vendor)?.digest;

async function metricsOf(adminUrl: string): Promise<{ text: string; samples: ReturnType<typeof parsePrometheusText> }> {
  const reply = await httpCall(`${adminUrl}/metrics`);
  expect(reply.status).toBe(200);
  return { text: reply.body, samples: parsePrometheusText(reply.body) };
}

describe('admin port: health, readiness and metrics', () => {
  let vendor: StandInVendor;
  let gw: TestGateway;
  const coderUpstream = (): string => `${vendor.url}/coder-ingest`;
  const automatischUpstream = (): string => `${vendor.url}/automatisch-ingest`;

  beforeAll(async () => {
    vendor = await startStandInVendor();
    gw = await startTestGateway({
      configYaml: [
        'vendors:',
        `  coder: { level: 1, upstream: "${coderUpstream()}" }`,
        `  automatisch: { level: 2, upstream: "${automatischUpstream()}" }`,
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await gw.close();
    await vendor.close();
  });

  test('/healthz answers 200', async () => {
    expect((await httpCall(`${gw.adminUrl}/healthz`)).status).toBe(200);
  });

  test('/readyz names each shipped policy with the sha256 of its file, its enforced level and its upstream', async () => {
    const report = await readiness(gw.adminUrl);
    expect(report.ready).toBe(true);
    expect(report.audit.writable).toBe(true);
    expect(report.loaded_at).not.toBeNull();
    expect(Number.isNaN(Date.parse(report.loaded_at ?? ''))).toBe(false);
    const byVendor = [...report.policies].sort((a, b) => a.vendor.localeCompare(b.vendor));
    expect(byVendor).toEqual([
      { vendor: 'automatisch', file: expect.stringMatching(/automatisch\.yaml$/), digest: await fileDigest(path.join(POLICIES, 'automatisch.yaml')), level: 2, upstream: automatischUpstream() },
      { vendor: 'coder', file: expect.stringMatching(/coder\.yaml$/), digest: await fileDigest(path.join(POLICIES, 'coder.yaml')), level: 1, upstream: coderUpstream() },
    ]);
  });

  test('/metrics counts a forwarded Coder snapshot, its fields and its audit write, and holds no payload value or key', async () => {
    const { bytes, deploymentId } = await snapshotBody();
    const reply = await postSnapshot(gw.url, bytes);
    expect(reply.status).toBe(202);

    const { text, samples } = await metricsOf(gw.adminUrl);
    expect(sampleValue(samples, 'telegate_requests_total', { vendor: 'coder', endpoint: '/snapshot', level: '1', decision: 'forwarded' })).toBe(1);
    expect(sampleValue(samples, 'telegate_fields_total', { vendor: 'coder', endpoint: '/snapshot', action: 'drop' })).toBeGreaterThan(0);
    expect(sampleValue(samples, 'telegate_fields_total', { vendor: 'coder', endpoint: '/snapshot', action: 'hash' })).toBeGreaterThan(0);
    expect(sampleValue(samples, 'telegate_audit_write_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'telegate_upstream_bytes_total', { vendor: 'coder' })).toBe(vendor.received[0]!.body.length);
    expect(sampleValue(samples, 'telegate_policy_info', { vendor: 'coder', digest: await fileDigest(path.join(POLICIES, 'coder.yaml')) })).toBe(1);

    for (const secret of [DISTINCTIVE_EMAIL, deploymentId, '203.0.113.25', TEST_HASH_KEY]) {
      expect(text).not.toContain(secret);
      expect(gw.logLines.filter((line) => line.includes(secret))).toEqual([]);
    }
  });
});

describe('policy reload', () => {
  let vendor: StandInVendor;
  let gw: TestGateway;
  let work: string;
  let policies: string;
  let coderFile: string;
  let original: string;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'telegate-reload-'));
    policies = path.join(work, 'policies');
    await cp(POLICIES, policies, { recursive: true });
    coderFile = path.join(policies, 'coder.yaml');
    original = await readFile(coderFile, 'utf8');
    vendor = await startStandInVendor();
    gw = await startTestGateway({ policies, env: { TELEGATE_UPSTREAM_CODER: `${vendor.url}/ingest` } });
  });
  afterAll(async () => {
    await gw.close();
    await vendor.close();
    await rm(work, { recursive: true, force: true });
  });

  const policyRecords = async (): Promise<{ reload: unknown; policies: { vendor: string; digest: string }[] }[]> =>
    (await readAuditRecords(gw.auditDir))
      .filter((r) => r.record['type'] === 'policy')
      .map((r) => ({ reload: r.record['reload'], policies: r.record['policies'] as { vendor: string; digest: string }[] }));
  const lastEgressDigest = async (): Promise<unknown> => egressRecords(await readAuditRecords(gw.auditDir)).at(-1)?.record['policy'];
  const refusedReloads = async (): Promise<number> => sampleValue((await metricsOf(gw.adminUrl)).samples, 'telegate_policy_reloads_total', { result: 'refused' }) ?? 0;

  // One reviewed edit, then a broken one, then an edit picked up by the folder watcher: each step starts
  // from the state the previous one left, as on a real deployment.
  let reviewed: string;

  test('POST /reload puts an edited policy in force: readiness, a policy record and the next request name the new digest', async () => {
    expect(await digestInForce(gw.adminUrl, 'coder')).toBe(sha256Digest(original));
    reviewed = `${original}\n# Reviewed by the privacy team; no rule changed.\n`;
    const reviewedDigest = sha256Digest(reviewed);
    expect(reviewedDigest).not.toBe(sha256Digest(original));
    await writeFile(coderFile, reviewed);

    const reply = await httpCall(`${gw.adminUrl}/reload`, { method: 'POST' });
    expect(reply.status).toBe(200);
    expect(await digestInForce(gw.adminUrl, 'coder')).toBe(reviewedDigest);
    expect((await policyRecords()).some((r) => r.reload === true && r.policies.some((p) => p.vendor === 'coder' && p.digest === reviewedDigest))).toBe(true);

    expect((await postSnapshot(gw.url, (await snapshotBody()).bytes)).status).toBe(202);
    expect(await lastEgressDigest()).toBe(reviewedDigest);
  });

  test('a broken policy is refused whole with file:line:col errors; the running policy keeps serving and the refusal is counted', async () => {
    const refusedBefore = await refusedReloads();
    const reviewedDigest = sha256Digest(reviewed);
    const lines = reviewed.split('\n');
    const emailLine = lines.findIndex((l) => l.trimStart().startsWith('users[*].email:'));
    expect(emailLine).toBeGreaterThan(0);
    lines[emailLine] = lines[emailLine]!.replace('1: drop', '1: leak');
    await writeFile(coderFile, lines.join('\n'));

    const reply = await httpCall(`${gw.adminUrl}/reload`, { method: 'POST' });
    expect(reply.status).toBe(422);
    const body = jsonOf(reply) as { error: string; errors: string[] };
    expect(body.error).toBe('policy-invalid');
    expect(body.errors.some((e) => new RegExp(`coder\\.yaml:${emailLine + 1}:\\d+: `).test(e))).toBe(true);

    expect(await digestInForce(gw.adminUrl, 'coder')).toBe(reviewedDigest);
    const served = await postSnapshot(gw.url, (await snapshotBody()).bytes);
    expect(served.status).toBe(202);
    expect(await lastEgressDigest()).toBe(reviewedDigest);
    expect(vendor.received.at(-1)!.body.toString('utf8')).not.toContain(DISTINCTIVE_EMAIL);
    expect(await refusedReloads()).toBeGreaterThan(refusedBefore);
  });

  test('an edit in the policy folder alone (no POST) is picked up by the watcher', async () => {
    const watched = `${original}\n# Edited in place; the watcher reloads it.\n`;
    const watchedDigest = sha256Digest(watched);
    await writeFile(coderFile, watched);
    await eventually('the watched edit in force', async () => (await digestInForce(gw.adminUrl, 'coder')) === watchedDigest || undefined);
    await eventually('its policy record', async () =>
      (await policyRecords().catch(() => [])).some((r) => r.reload === true && r.policies.some((p) => p.digest === watchedDigest)) || undefined);
  });
});

describe('admin token', () => {
  const token = `adm-${randomBytes(16).toString('hex')}`;
  const wrong = `adm-${randomBytes(16).toString('hex')}`;

  test.each([
    { from: 'the configuration file', options: { configYaml: `admin: { token: "${token}" }` } },
    { from: 'TELEGATE_ADMIN_TOKEN', options: { env: { TELEGATE_ADMIN_TOKEN: token } } },
  ])('with a token from $from, POST /reload needs exactly that token, and it is never logged', async ({ options }) => {
    const gw = await startTestGateway(options);
    try {
      const reload = (headers: Record<string, string>): Promise<HttpReply> => httpCall(`${gw.adminUrl}/reload`, { method: 'POST', headers });
      expect((await reload({})).status).toBe(401);
      expect((await reload({ authorization: `Bearer ${wrong}` })).status).toBe(401);
      expect((await reload({ authorization: token })).status).toBe(401);
      expect((await reload({ authorization: `Bearer ${token}` })).status).toBe(200);
      expect(gw.logLines.length).toBeGreaterThan(0);
      expect(gw.logLines.filter((l) => l.includes(token) || l.includes(wrong))).toEqual([]);
    } finally {
      await gw.close();
    }
  });

  test('an admin port off loopback without a token refuses POST /reload with 403 token-required', async () => {
    const gw = await startTestGateway({ configYaml: 'admin: { host: 0.0.0.0 }' });
    try {
      const port = new URL(gw.adminUrl).port;
      const reply = await httpCall(`http://127.0.0.1:${port}/reload`, { method: 'POST' });
      expect(reply.status).toBe(403);
      expect((jsonOf(reply) as { error: string }).error).toBe('token-required');
      expect((await httpCall(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      await gw.close();
    }
  });
});
