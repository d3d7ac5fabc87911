/**
 * The detectors (issue 12, point 3): each kind finds what it names, in a value and inside text; values
 * that telemetry really carries (versions, timestamps, words, UUIDs, counts, CPU names) are left alone;
 * secret kinds run at level 2 as well; a rule or a vendor opts out only with a reason. Samples are the
 * providers' documented formats (AWS's documented example key, GitHub's token prefixes…), not output of
 * the code under test.
 */
import { ALL_DETECTORS_MASK, SECRET_MASK } from '../../../src/policy/detector-kinds';
import { detect } from '../../../src/policy/detectors';
import { transform } from '../../../src/policy/transform';
import type { DetectorKind } from '../../../src/policy/types';
import { fakePseudonym, fakePseudonymizer } from './support/fake-pseudonymizer';
import { endpointWith, tempDir, removeDir, writePolicy } from './support/policy-files';
import { loadPolicyFile } from '../../../src/policy/load';

const FOUND: [DetectorKind, string][] = [
  ['pem', '-----BEGIN RSA PRIVATE KEY-----\nMIIEow…'],
  ['pem', 'cert: -----BEGIN CERTIFICATE-----'],
  ['jwt', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqYW5lIn0.c2lnbmF0dXJl'],
  ['url_credentials', 'postgres://coder:s3cret@db.internal:5432/coder'],
  ['bearer', 'Authorization: Bearer abcdefgh12345678'],
  ['github_token', 'ghp_1234567890abcdefghijABCDEFGHIJ123456'],
  ['github_token', `token github_pat_${'A1b2'.repeat(6)}`],
  ['gitlab_token', 'glpat-abcdefghij0123456789'],
  ['aws_access_key', 'AKIAIOSFODNN7EXAMPLE'],
  ['slack_token', 'xoxb-123456789012-abcdefghij'],
  ['slack_token', 'https://hooks.slack.com/services/T000/B000/XXXX'],
  ['google_api_key', `AIza${'A'.repeat(35)}`],
  ['npm_token', `npm_${'a'.repeat(36)}`],
  ['email', 'jane.doe@corp.example'],
  ['email', 'contact: jürgen@bücher.example today'],
  ['url', 'https://coder.corp.example/'],
  ['url', 'see www.corp.example for more'],
  ['ipv4', '10.40.0.12'],
  ['ipv4', 'host=192.168.1.1:8080'],
  ['ipv4', 'v1.2.3.4'],
  ['ipv6', 'fe80::1'],
  ['ipv6', '[2001:db8:85a3::8a2e:370:7334]:443'],
  ['ipv6', '0:1:2:3:4:5:6:7:8'],
  ['ipv6', '64:ff9b::1'],
  // An IPv4-mapped address is found by the IPv4 detector first (the table's order).
  ['ipv4', '::ffff:10.0.0.1'],
  ['aws_arn', 'arn:aws:iam::123456789012:role/coder'],
  ['aws_account_id', '123456789012'],
  ['aws_account_id', 'account 123456789012 in eu-west-1'],
];

const CLEAN = [
  'track', 'stepCreated', 'analytics-node', '1.1.5', 'v18.20.4', 'v2.15.0-rc.1+a1b2c3d', '2024-05-02T10:20:30.123Z',
  '2023-10-11T09:08:07.654321+02:00', 'development', 'Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz', 't3.large',
  'aws_instance', 'module.coder-login', '0b9d6c2e-1f3a-4b5c-8d7e-6f5a4b3c2d1e', 'std::vector', 'aa:bb:cc:dd:ee:ff',
  '10.0.19045.1', '1714645230123', '0.123456789012', 'pkg@1.2.3', 'Linux', 'executionStepCreated', 'openai/gpt-4o',
  '/v1/chat/completions:streaming', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'preferred_username',
];

describe('each kind', () => {
  test.each(FOUND)('%s is found in %j', (kind, text) => {
    expect(detect(text, ALL_DETECTORS_MASK)).toBe(kind);
  });

  test.each(CLEAN)('%j holds nothing any detector looks for', (text) => {
    expect(detect(text, ALL_DETECTORS_MASK)).toBeNull();
  });

  test('the secret kinds alone run where only they are asked for', () => {
    expect(detect('jane.doe@corp.example', SECRET_MASK)).toBeNull();
    expect(detect('10.40.0.12', SECRET_MASK)).toBeNull();
    expect(detect('AKIAIOSFODNN7EXAMPLE', SECRET_MASK)).toBe('aws_access_key');
  });

  test('hostile strings cost what their length costs (RE2): long runs of the characters the patterns look for', () => {
    for (const text of ['@'.repeat(100_000), `${'a'.repeat(100_000)}@`, 'g:'.repeat(50_000), `${'1234.'.repeat(20_000)}x`, `eyJ${'a'.repeat(100_000)}.`, '-'.repeat(100_000)]) {
      expect(detect(text, ALL_DETECTORS_MASK)).toBeNull();
    }
  });
});

describe('in the transform', () => {
  const fields = { note: 'allow', id: { 1: 'hash', 2: 'allow' }, 'list[*]': 'allow' };

  test('level 1: an allowed string holding an address is removed whole, reported by path and kind, never written', async () => {
    const r = transform(await endpointWith(fields), 1, { note: 'owner jane@corp.example', list: ['ok', '10.0.0.1', 'fine'] }, fakePseudonymizer);
    expect(r.body).toEqual({ list: ['ok', 'fine'] });
    expect(r.redacted).toEqual({ note: 1, 'list[*]': 1 });
    expect(r.detections).toEqual({ email: 1, ipv4: 1 });
    expect(JSON.stringify(r)).not.toMatch(/jane|10\.0\.0\.1/);
  });

  test('level 2: e-mail addresses pass (the vendor default), credentials never', async () => {
    const r = transform(await endpointWith(fields), 2, { note: 'jane@corp.example', list: ['AKIAIOSFODNN7EXAMPLE'] }, fakePseudonymizer);
    expect(r.body).toEqual({ note: 'jane@corp.example', list: [] });
    expect(r.detections).toEqual({ aws_access_key: 1 });
  });

  test('telegate\'s own pseudonyms are not scanned: a hashed e-mail leaves as its pseudonym', async () => {
    const r = transform(await endpointWith(fields), 1, { id: 'jane@corp.example' }, fakePseudonymizer);
    expect(r.body).toEqual({ id: fakePseudonym('jane@corp.example') });
    expect(r.redacted).toEqual({});
  });

  test('keys that leave are scanned too: a wildcard member whose key is an address is removed', async () => {
    const r = transform(await endpointWith({ 'by.*': 'allow' }), 1, { by: { 'jane@corp.example': 1, ok: 2 } }, fakePseudonymizer);
    expect(r.body).toEqual({ by: { ok: 2 } });
    expect(r.redacted).toEqual({ 'by.*': 1 });
  });

  test('inside an allowed subtree, strings and keys are scanned and removed where found', async () => {
    const whole = { 1: 'allow', 2: 'allow', subtree: true, reason: 'free-form in the test' };
    const r = transform(await endpointWith({ blob: whole }), 1,
      { blob: { a: ['x', 'https://corp.example/x'], 'ops@corp.example': true, b: { c: 'fine' } } }, fakePseudonymizer);
    expect(r.body).toEqual({ blob: { a: ['x'], b: { c: 'fine' } } });
    expect(r.detections).toEqual({ url: 1, email: 1 });
    expect(JSON.stringify(r)).not.toContain('corp.example');
  });

  test('a rule opts out of some or all detectors with a reason', async () => {
    const endpoint = await endpointWith({
      licence: { 1: 'allow', 2: 'allow', detectors: ['jwt'], reason: 'the vendor\'s own licence' },
      any: { 1: 'allow', 2: 'allow', detectors: 'off', reason: 'test' },
    });
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqYW5lIn0.c2lnbmF0dXJl';
    const r = transform(endpoint, 1, { licence: jwt, any: 'jane@corp.example' }, fakePseudonymizer);
    expect(r.body).toEqual({ licence: jwt, any: 'jane@corp.example' });
  });
});

describe('per vendor', () => {
  test('detectors.skip (with a reason) and detectors.level_2', async () => {
    const dir = await tempDir();
    try {
      const file = await writePolicy(dir, 'acme.yaml', JSON.stringify({
        vendor: 'acme', upstream: 'https://t.acme.example',
        detectors: { skip: ['aws_account_id'], level_2: ['email'], reason: 'twelve-digit build numbers' },
        endpoints: { '/t': { method: 'POST', local_reply: { status: 202 }, fields: { a: 'allow', b: 'allow' } } },
      }));
      const loaded = await loadPolicyFile(file);
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
      const endpoint = loaded.value.endpoints.get('/t')!;
      const body = { a: '123456789012', b: 'jane@corp.example' };
      expect(transform(endpoint, 1, body, fakePseudonymizer).body).toEqual({ a: '123456789012' });
      expect(transform(endpoint, 2, body, fakePseudonymizer).body).toEqual({ a: '123456789012' });
    } finally {
      await removeDir(dir);
    }
  });
});
