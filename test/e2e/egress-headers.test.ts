/**
 * Headers as data, end to end (issue 12, point 5): the egress record lists the headers forwarded, exactly
 * as the vendor got them and never cut; a header that fails its constraint, or in which a detector finds
 * something, is not forwarded and is reported (record, metric), never written as sent; `client_version`
 * is the version header as forwarded, whole.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { egressRecordOf, requestIdOf } from '../helpers/refusal-checks';
import { startTestGateway, type TestGateway } from '../helpers/gateway-harness';
import { httpCall } from '../helpers/http-call';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

const POLICY = `vendor: hdr
upstream: https://telemetry.hdr.example
headers:
  - X-Coder-Version
  - { name: Authorization, enum: ['Basic a2V5Og=='] }
  - { name: X-Build, type: semver }
endpoints:
  /v1/h:
    method: POST
    local_reply: { status: 202 }
    fields:
      v: allow
`;

describe('egress headers', () => {
  let dir: string;
  let vendor: StandInVendor;
  let gw: TestGateway;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'telegate-headers-'));
    await writeFile(path.join(dir, 'hdr.yaml'), POLICY);
    vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
    gw = await startTestGateway({ policies: dir, env: { TELEGATE_UPSTREAM_HDR: vendor.url, TELEGATE_LEVEL_HDR: '1' } });
  });
  afterAll(async () => {
    await gw?.close();
    await vendor?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const post = (headers: Record<string, string>) => httpCall(`${gw.url}/v1/h`, { method: 'POST', body: Buffer.from('{"v":1}'), headers });

  test('the record holds the headers forwarded, exactly and whole; client_version is the same value', async () => {
    const version = `v2.1.0-${'a'.repeat(300)}`;
    const before = vendor.received.length;
    const reply = await post({ 'x-coder-version': version, authorization: 'Basic a2V5Og==', 'x-build': '1.2.3', 'user-agent': 'curl/8.0' });
    expect(reply.status).toBe(202);
    const got = vendor.received[before]!;
    expect(got.headers['x-coder-version']).toBe(version);
    expect(got.headers['authorization']).toBe('Basic a2V5Og==');
    expect(got.headers['user-agent']).toBeUndefined();
    const record = await egressRecordOf(gw.auditDir, requestIdOf(reply));
    expect(record?.['headers']).toEqual({ 'x-coder-version': version, authorization: 'Basic a2V5Og==', 'x-build': '1.2.3' });
    expect(record?.['client_version']).toBe(version);
    expect(record?.['headers_refused']).toBeUndefined();
  });

  test('a header failing its constraint is not forwarded, and the record says which and why, not its value', async () => {
    const before = vendor.received.length;
    const reply = await post({ authorization: `Basic ${Buffer.from('jane@corp.example:hunter2').toString('base64')}`, 'x-build': 'latest-zqbuildmarker' });
    expect(reply.status).toBe(202);
    const got = vendor.received[before]!;
    expect(got.headers['authorization']).toBeUndefined();
    expect(got.headers['x-build']).toBeUndefined();
    const record = await egressRecordOf(gw.auditDir, requestIdOf(reply));
    expect(record?.['headers']).toEqual({});
    expect(record?.['headers_refused']).toEqual({ authorization: 'invalid', 'x-build': 'invalid' });
    const metrics = (await httpCall(`${gw.adminUrl}/metrics`)).body;
    expect(metrics).toMatch(/telegate_headers_refused_total\{vendor="hdr",header="authorization",reason="invalid"\} [1-9]/);
  });

  test('a detector finding something in a header at level 1: not forwarded, reported by kind, in no file', async () => {
    const before = vendor.received.length;
    const reply = await post({ 'x-coder-version': 'v2.1.0 zqheadermark@corp.example' });
    expect(reply.status).toBe(202);
    expect(vendor.received[before]!.headers['x-coder-version']).toBeUndefined();
    const record = await egressRecordOf(gw.auditDir, requestIdOf(reply));
    expect(record?.['headers_refused']).toEqual({ 'x-coder-version': 'email' });
    expect(record?.['client_version']).toBeUndefined();
    let written = gw.logLines.join('\n');
    for (const name of await readdir(gw.auditDir)) if (name.endsWith('.jsonl')) written += await readFile(path.join(gw.auditDir, name), 'utf8');
    expect(written).not.toContain('zqheadermark');
    expect(written).not.toContain('hunter2');
    expect(written).not.toContain('zqbuildmarker');
  });
});
