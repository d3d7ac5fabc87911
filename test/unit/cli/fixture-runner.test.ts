/**
 * The fixture runner as other suites use it: fixtures pseudonymize under the documented fixed key (or
 * their own `key:`), `{"$hash": …}` markers stand for those pseudonyms, and a marker naming a value that
 * cannot be hashed is an error in the fixture, not a silent pass.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { createPseudonymizer, loadPolicySet, type PolicySet } from '../../../src/policy';
import { FIXTURE_TEST_KEY, loadFixture, runFixture } from '../../../src/policy/fixture-runner';
import { INPUT, POLICIES, removeTempDirs, tempDir } from './cli-harness';

afterAll(removeTempDirs);

const DEPLOYMENT = '6f1c2b7e-3d4a-4c5b-9e8f-0a1b2c3d4e5f';

let policies: PolicySet;
beforeAll(async () => {
  const loaded = await loadPolicySet([POLICIES]);
  if (!loaded.ok) throw new Error(`test policies do not load: ${JSON.stringify(loaded.errors)}`);
  policies = loaded.value;
});

/** A fixture checking only deployment_id at level 1, against a literal value. */
async function deploymentFixture(expected: string, extra = ''): Promise<string> {
  const dir = await tempDir();
  const file = path.join(dir, 'deployment.test.yaml');
  await fs.copyFile(INPUT, path.join(dir, 'input.json'));
  await fs.writeFile(file, `vendor: acme\nendpoint: /report\ninput: input.json\n${extra}expect:\n  1:\n    body:\n`
    + `      deployment_id: ${JSON.stringify(expected)}\n      version: v2.14.1\n      owner_id: { $hash: 0b9d6c2e-1f3a-4b5c-8d7e-6f5a4b3c2d1e }\n`
    + '      users:\n        - { id: { $hash: 0b9d6c2e-1f3a-4b5c-8d7e-6f5a4b3c2d1e }, created_at: "2026-01-02T03:04:05Z" }\n'
    + '        - { id: { $hash: 7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f }, created_at: "2026-02-03T04:05:06Z" }\n');
  return file;
}

function run(file: string) {
  const fixture = loadFixture(file);
  if (!fixture.ok) throw new Error(`fixture does not load: ${JSON.stringify(fixture.errors)}`);
  return runFixture(fixture.value, policies);
}

describe('fixture runner', () => {
  it('pseudonymizes under the documented fixed key by default', async () => {
    expect(FIXTURE_TEST_KEY).toBe('telegate-fixture-key');
    const pseudonym = createPseudonymizer(Buffer.from('telegate-fixture-key', 'utf8')).pseudonymize(DEPLOYMENT);
    const result = run(await deploymentFixture(String(pseudonym)));
    expect(result.ok && result.value.map((o) => o.ok)).toEqual([true]);
  });

  it('uses the fixture\'s own key when it names one', async () => {
    const fixed = String(createPseudonymizer(Buffer.from('telegate-fixture-key', 'utf8')).pseudonymize(DEPLOYMENT));
    const own = String(createPseudonymizer(Buffer.from('another key, 16+ bytes', 'utf8')).pseudonymize(DEPLOYMENT));
    expect(own).not.toBe(fixed);
    const withOwn = run(await deploymentFixture(own, 'key: another key, 16+ bytes\n'));
    expect(withOwn.ok && withOwn.value[0]!.ok).toBe(true);
    const withFixed = run(await deploymentFixture(fixed, 'key: another key, 16+ bytes\n'));
    expect(withFixed.ok && withFixed.value[0]!.ok).toBe(false);
  });

  it('reports where a pseudonymized value differs, with the original the marker named', async () => {
    const result = run(await deploymentFixture('00000000-0000-8000-8000-000000000000'));
    if (!result.ok) throw new Error('expected a run');
    const [outcome] = result.value;
    expect(outcome!.ok).toBe(false);
    expect(outcome!.mismatches).toEqual([
      { kind: 'body', total: 1, differences: [{ path: ['deployment_id'], expected: '00000000-0000-8000-8000-000000000000', actual: expect.any(String) }] },
    ]);
  });

  it('refuses a $hash marker on a value that cannot be hashed', async () => {
    const file = await deploymentFixture(DEPLOYMENT);
    await fs.writeFile(file, (await fs.readFile(file, 'utf8')).replace('version: v2.14.1', 'version: { $hash: true }'));
    const result = run(file);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]).toMatchObject({ file, line: 5, code: 'fixture-hash' });
    expect(result.errors[0]!.message).toMatch(/version/);
  });
});
