/**
 * `telegate policy test` as CI runs it (SPEC §7): quiet by default (failures, then one closing line
 * `N passed, N failed`), `--verbose` lists every test, `--filter` runs the fixtures whose name or file name
 * matches, `--format json` prints one JSON object per test. Spawned processes, real files.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli-process';

// Each test starts several node processes one after another: on a loaded machine that takes time, not a fault.
jest.setTimeout(180_000);

const FIXTURE_POLICIES = path.resolve(__dirname, '../fixtures/cli/policies');
const SHIPPED = path.resolve(__dirname, '../../policies');

let dir: string;
let policies: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'telegate-ptest-'));
  policies = path.join(dir, 'policies');
  await cp(FIXTURE_POLICIES, policies, { recursive: true });
  // A second fixture whose level-1 expectation is wrong: users' e-mails are claimed to pass.
  const good = await readFile(path.join(policies, 'tests', 'acme-report.test.yaml'), 'utf8');
  const broken = good.replace(/^name: .*$/m, 'name: e-mails claimed to pass at level 1')
    .replace('    dropped:\n      users[*].email: 2\n', '    dropped: {}\n');
  expect(broken).not.toBe(good);
  await writeFile(path.join(policies, 'tests', 'wrong-dropped.test.yaml'), broken);
});

afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

describe('telegate policy test', () => {
  test('quiet: the failure with its diff, no line for what passed, one closing line; exit 1', async () => {
    const r = await runCli(['policy', 'test', path.join(policies, 'tests')]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    // Two fixtures of three levels each; the broken one fails at level 1 only.
    expect(lines[lines.length - 1]).toBe('5 passed, 1 failed');
    expect(r.stdout).not.toMatch(/^ok /m);
    expect(r.stdout).toMatch(/^FAIL +\S+wrong-dropped\.test\.yaml: e-mails claimed to pass at level 1 \[level 1\]$/m);
    expect(r.stdout).toMatch(/dropped differs:\n\s+users\[\*\]\.email: expected \(none\), got 2/);
  });

  test('--verbose lists every test', async () => {
    const r = await runCli(['policy', 'test', '--verbose', path.join(policies, 'tests')]);
    expect(r.code).toBe(1);
    expect(r.stdout.match(/^ok /gm)).toHaveLength(5);
    expect(r.stdout.match(/^FAIL /gm)).toHaveLength(1);
  });

  test('--filter runs only the matching fixtures, and says how many it left out', async () => {
    const r = await runCli(['policy', 'test', '--filter', 'two users', path.join(policies, 'tests')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('3 passed, 0 failed (1 fixture file not matching --filter)\n');
    const byFile = await runCli(['policy', 'test', '--filter', '^wrong-', path.join(policies, 'tests')]);
    expect(byFile.code).toBe(1);
    expect(byFile.stdout.trimEnd().split('\n').pop()).toBe('2 passed, 1 failed (1 fixture file not matching --filter)');
    const none = await runCli(['policy', 'test', '--filter', 'no such fixture', path.join(policies, 'tests')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no fixture matches --filter no such fixture');
    const bad = await runCli(['policy', 'test', '--filter', '(', path.join(policies, 'tests')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('is not a regular expression');
  });

  test('--format json: one object per test on stdout, the closing line on stderr', async () => {
    const r = await runCli(['policy', 'test', '--format', 'json', path.join(policies, 'tests')]);
    expect(r.code).toBe(1);
    const objects = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objects).toHaveLength(6);
    for (const o of objects) expect(Object.keys(o).slice(0, 6)).toEqual(['file', 'name', 'vendor', 'endpoint', 'level', 'ok']);
    const failed = objects.filter((o) => o['ok'] === false);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ name: 'e-mails claimed to pass at level 1', vendor: 'acme', endpoint: '/report', level: 1 });
    expect(failed[0]!['mismatches']).toEqual([{ kind: 'counts', lines: ['dropped differs:', '  users[*].email: expected (none), got 2'] }]);
    expect(r.stderr).toBe('5 passed, 1 failed\n');
  });

  test('the shipped packs pass, found through TELEGATE_POLICIES with no path given', async () => {
    const r = await runCli(['policy', 'test'], { env: { TELEGATE_POLICIES: SHIPPED } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+ passed, 0 failed\n$/);
  });
});
