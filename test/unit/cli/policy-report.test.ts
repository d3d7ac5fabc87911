/**
 * `telegate policy report`: the inventory a privacy officer signs. Each field of the test vendor appears
 * with its category and the action at each level, as acme.yaml states them; findings flag a secret that
 * could leave and personal data in clear at level 1; the HTML form is one page with escaped content.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { POLICIES, removeTempDirs, telegate, tempDir } from './cli-harness';

afterAll(removeTempDirs);

const RISKY = `vendor: risky
upstream: https://telemetry.risky.example
hosts: [telemetry.risky.example]
headers: []
endpoints:
  /report:
    method: POST
    local_reply: { status: 202 }
    fields:
      api_key:       { 1: drop, 2: allow, category: secret }
      email:         { 1: allow, 2: allow, category: personal }
      "<script>":    { 1: drop, 2: drop, category: technical }
      version:       allow
`;

describe('telegate policy report', () => {
  it('lists every field of every endpoint with its category and its action at levels 1 and 2', async () => {
    const run = await telegate(['policy', 'report', POLICIES]);
    expect(run.code).toBe(0);
    const rows = run.stdout.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows).toEqual(expect.arrayContaining([
      '| `users[*].email` | personal | dropped | sent |',
      '| `deployment_id` | identifier | pseudonymized | sent |',
      '| `users[*].id` | identifier | pseudonymized | sent |',
      '| `owner_id` | identifier | pseudonymized | sent |',
      '| `version` | unclassified | sent | sent |',
      '| `users[*].created_at` | unclassified | sent | sent |',
    ]));
    expect(rows).toHaveLength(6);
    expect(run.stdout).toContain('### POST /report');
    expect(run.stdout).toContain('Level 1: 2 sent, 3 pseudonymized, 1 dropped. Level 2: 6 sent, 0 pseudonymized, 0 dropped.');
    expect(run.stdout).toMatch(/default deny/);
    expect(run.stdout).not.toContain('Findings to review');
  });

  it('flags a secret that is not dropped at every level and personal data sent in clear at level 1', async () => {
    const dir = await tempDir();
    await fs.writeFile(path.join(dir, 'risky.yaml'), RISKY);
    const run = await telegate(['policy', 'report', dir]);
    expect(run.code).toBe(0);
    const findings = run.stdout.split('## Findings to review')[1]?.split('\n## ')[0] ?? '';
    expect(findings).toMatch(/`api_key` \(.*risky\.yaml:10\): a secret that is not dropped at every level \(level 1: drop, level 2: allow\)/);
    expect(findings).toMatch(/`email` \(.*risky\.yaml:11\): personal data sent in clear at level 1/);
    expect(run.stderr).toMatch(/2 finding\(s\) to review/);
  });

  it('renders one self-contained, escaped HTML page', async () => {
    const dir = await tempDir();
    await fs.writeFile(path.join(dir, 'risky.yaml'), RISKY);
    const run = await telegate(['policy', 'report', '--format', 'html', dir]);
    expect(run.code).toBe(0);
    expect(run.stdout.startsWith('<!doctype html>')).toBe(true);
    expect(run.stdout).toContain('<th scope="row"><code>&lt;script&gt;</code></th>');
    expect(run.stdout).not.toContain('<script>');
    expect(run.stdout).not.toMatch(/src=|href=/);
  });

  it('exits 1 with file:line:col errors when the set does not load', async () => {
    const dir = await tempDir();
    await fs.writeFile(path.join(dir, 'broken.yaml'), 'vendor: broken\nendpoints: [\n');
    const run = await telegate(['policy', 'report', dir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/broken\.yaml:\d+:\d+: /);
    expect(run.stdout).toBe('');
  });
});
