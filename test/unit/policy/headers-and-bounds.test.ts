/**
 * Headers judged as data (issue 12, point 5) with the shipped packs' header constraints, and the bound on
 * report paths a record lists (point 6). The write key is Automatisch's public one, as its telemetry
 * helper ships it; the Authorization value is computed here from it.
 */
import * as path from 'node:path';
import { judgeHeaders, loadPolicySet, MAX_REPORT_PATHS, transform, type PolicySet } from '../../../src/policy';
import { fakePseudonymizer } from './support/fake-pseudonymizer';
import { endpointWith } from './support/policy-files';

const WRITE_KEY = '284Py4VgK2MsNYV7xlKzyrALx0v';
const basic = (user: string, password = ''): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

let set: PolicySet;
beforeAll(async () => {
  const loaded = await loadPolicySet([path.join(__dirname, '../../../policies')]);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors.slice(0, 2)));
  set = loaded.value;
});

describe('Automatisch: Authorization is exactly Basic base64(<write key>:)', () => {
  test('the write key with an empty password passes, as sent', () => {
    const j = judgeHeaders(set.policies.get('automatisch')!, 1, { authorization: basic(WRITE_KEY), 'user-agent': 'analytics-node/1.1.5' });
    expect(j).toEqual({ forwarded: { authorization: basic(WRITE_KEY) }, refused: {} });
  });

  test.each([
    ['another key', basic('some-other-key')],
    ['a password', basic(WRITE_KEY, 'hunter2')],
    ['an e-mail and password', basic('jane@corp.example', 'pw')],
    ['a bearer token', 'Bearer abcdefgh12345678'],
  ])('%s: not forwarded, refused as invalid, at both levels', (_what, value) => {
    for (const level of [1, 2] as const) {
      expect(judgeHeaders(set.policies.get('automatisch')!, level, { authorization: value })).toEqual({ forwarded: {}, refused: { authorization: 'invalid' } });
    }
  });
});

describe('Coder: X-Coder-Version is a version', () => {
  test.each(['v2.24.1', 'v2.25.0-rc.0', 'v0.0.0-devel+1a2b3c4'])('%s passes', (v) => {
    expect(judgeHeaders(set.policies.get('coder')!, 1, { 'x-coder-version': v }).forwarded).toEqual({ 'x-coder-version': v });
  });
  test.each(['v2.24.1 jane@corp.example', 'jane@corp.example', `v2.${'1'.repeat(200)}.0`, 'v2.24.1+build.10.0.0.1'])('%j is refused', (v) => {
    expect(judgeHeaders(set.policies.get('coder')!, 1, { 'x-coder-version': v })).toEqual({ forwarded: {}, refused: { 'x-coder-version': 'invalid' } });
  });
  test('headers the pack does not name are not forwarded, and not reported', () => {
    expect(judgeHeaders(set.policies.get('coder')!, 1, { 'user-agent': 'Go-http-client/1.1', cookie: 'a=b' })).toEqual({ forwarded: {}, refused: {} });
  });
});

describe('a record lists a bounded number of report paths', () => {
  test(`past ${MAX_REPORT_PATHS} distinct paths, values are counted under unlisted`, async () => {
    const endpoint = await endpointWith({ keep: 'allow' });
    const body: Record<string, number> = { keep: 1 };
    for (let i = 0; i < 2500; i++) body[`k${i}`] = i;
    const r = transform(endpoint, 1, body, fakePseudonymizer);
    expect(Object.keys(r.unknown)).toHaveLength(MAX_REPORT_PATHS);
    expect(r.unlisted).toEqual({ paths: 1500, values: { unknown: 1500 } });
    expect(r.body).toEqual({ keep: 1 });
  });

  test('below the bound nothing is unlisted', async () => {
    const r = transform(await endpointWith({ keep: 'allow' }), 1, { keep: 1, a: 1 }, fakePseudonymizer);
    expect(r.unlisted).toBeUndefined();
  });
});
