/**
 * `telegate policy test`: fixture tests as a security team keeps them next to the policies. A good
 * fixture passes level by level; a wrong expectation fails with the differing paths; a malformed fixture
 * is reported at its line and column.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { FIXTURE_TESTS, POLICIES, copyOfPolicies, removeTempDirs, telegate } from './cli-harness';

afterAll(removeTempDirs);

const FIXTURE = 'acme-report.test.yaml';

async function editFixture(policies: string, edit: (text: string) => string, name = FIXTURE): Promise<string> {
  const file = path.join(policies, 'tests', name);
  await fs.writeFile(file, edit(await fs.readFile(path.join(FIXTURE_TESTS, FIXTURE), 'utf8')));
  return file;
}

describe('telegate policy test', () => {
  it('passes a good fixture quietly: only the closing line', async () => {
    const run = await telegate(['policy', 'test', FIXTURE_TESTS]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('3 passed, 0 failed\n');
  });

  it('with --verbose, one ok line per level', async () => {
    const run = await telegate(['policy', 'test', '--verbose', FIXTURE_TESTS]);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n').filter(Boolean);
    expect(lines.filter((l) => l.startsWith('ok'))).toHaveLength(3);
    for (const level of [0, 1, 2]) expect(run.stdout).toMatch(new RegExp(`^ok .*report with two users \\[level ${level}\\]$`, 'm'));
    expect(lines[lines.length - 1]).toBe('3 passed, 0 failed');
  });

  it('finds the policies above the tests folder, or in --policies', async () => {
    const file = path.join(FIXTURE_TESTS, FIXTURE);
    expect((await telegate(['policy', 'test', file])).code).toBe(0);
    const elsewhere = await copyOfPolicies();
    const moved = path.join(path.dirname(elsewhere), 'moved.test.yaml');
    await fs.writeFile(moved, (await fs.readFile(file, 'utf8')).replace(/acme-report\./g, 'policies/tests/acme-report.'));
    expect((await telegate(['policy', 'test', '--policies', elsewhere, moved])).code).toBe(0);
  });

  it('fails a wrong expected body with the differing paths and exits 1', async () => {
    const policies = await copyOfPolicies();
    // Claim level 2 sends the user's e-mail under another key, and that nothing is unknown.
    await editFixture(policies, (t) => t
      .replace('          email: ada@corp.example\n', '          mail: ada@corp.example\n')
      .replace(/(  2:\n[\s\S]*)unknown:\n {6}"\*\(hostname\)": 1\n/, '$1unknown: {}\n'));
    const run = await telegate(['policy', 'test', path.join(policies, 'tests')]);
    expect(run.code).toBe(1);
    // Quiet: the passing levels are not listed, only counted.
    expect(run.stdout).not.toMatch(/^ok /m);
    expect(run.stdout).toMatch(/^FAIL .*\[level 2\]$/m);
    expect(run.stdout).toContain('body differs at 2 paths:');
    expect(run.stdout).toContain('users[0].mail: expected "ada@corp.example", got (absent)');
    expect(run.stdout).toContain('users[0].email: expected (absent), got "ada@corp.example"');
    // The unknown key is reported by its tag (issue 12), not as sent.
    expect(run.stdout).toMatch(/unknown differs:\n\s+\*[0-9a-f]{16}: expected \(none\), got 1/);
    expect(run.stdout).not.toContain('hostname');
    expect(run.stdout).toMatch(/2 passed, 1 failed/);
  });

  it('shows a value expected to be pseudonymized that leaves in clear', async () => {
    const policies = await copyOfPolicies();
    const level1 = path.join(policies, 'tests', 'acme-report.level1.json');
    await fs.writeFile(path.join(policies, 'tests', 'acme-report.level1.json'), (await fs.readFile(level1, 'utf8'))
      .replace('"version": "v2.14.1"', '"version": { "$hash": "v2.14.1" }'));
    const run = await telegate(['policy', 'test', path.join(policies, 'tests')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAIL .*\[level 1\]$/m);
    expect(run.stdout).toMatch(/version: expected \{"\$hash": "v2\.14\.1"\} = "[0-9a-f]+", got "v2\.14\.1"/);
  });

  it('fails a wrong decision: a level expected to block that forwards', async () => {
    const policies = await copyOfPolicies();
    await editFixture(policies, (t) => t.replace(/  1:\n[\s\S]*?(?=  2:\n)/, '  1: block\n'));
    const run = await telegate(['policy', 'test', path.join(policies, 'tests')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAIL .*\[level 1\]\n\s+decision: expected block, got forward$/m);
  });

  it('refuses a level-0 expectation other than block, at its position', async () => {
    const policies = await copyOfPolicies();
    const file = await editFixture(policies, (t) => t.replace('  0: block\n', '  0:\n    unknown: {}\n'));
    const run = await telegate(['policy', 'test', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${file}:6:3: at level 0 nothing leaves: write \`0: block\``);
  });

  it('reports a malformed fixture at its line and column and exits 1', async () => {
    const policies = await copyOfPolicies();
    const file = await editFixture(policies, (t) => t.replace('expect:\n', 'expected:\n'));
    const run = await telegate(['policy', 'test', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${file}:5:1: unknown key "expected"`);
    expect(run.stdout).toContain(`${file}:1:1: expect must map at least one level`);
  });

  it('reports a fixture whose input file is missing, at the input key', async () => {
    const policies = await copyOfPolicies();
    const file = await editFixture(policies, (t) => t.replace('input: acme-report.input.json', 'input: nowhere.json'));
    const run = await telegate(['policy', 'test', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`${FIXTURE.replace(/\./g, '\\.')}:4:1: cannot read nowhere\\.json .*ENOENT`));
  });

  it('reports a fixture for a vendor without a policy', async () => {
    const policies = await copyOfPolicies();
    const file = await editFixture(policies, (t) => t.replace('vendor: acme', 'vendor: umbrella'));
    const run = await telegate(['policy', 'test', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${file}:2:1: no policy for vendor "umbrella" (loaded: acme)`);
  });

  it('fails when a folder holds no fixture, and exits 2 on a path that does not exist', async () => {
    const policies = await copyOfPolicies();
    await fs.rm(path.join(policies, 'tests'), { recursive: true });
    const none = await telegate(['policy', 'test', policies]);
    expect(none.code).toBe(1);
    expect(none.stdout).toMatch(/no \*\.test\.yaml files found/);
    const missing = await telegate(['policy', 'test', path.join(policies, 'nothing-here')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nothing-here: no such file or folder/);
  });
});
