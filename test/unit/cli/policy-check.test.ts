/**
 * `telegate policy check`: a valid folder passes with each vendor's digest (the one audit records carry);
 * a broken file fails with `file:line:col: message` lines a reviewer can jump to, and exit 1.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { POLICIES, removeTempDirs, telegate, tempDir } from './cli-harness';

afterAll(removeTempDirs);

const VALID = `vendor: acme
upstream: https://telemetry.acme.example
hosts: [telemetry.acme.example]
headers: [X-Acme-Version]
endpoints:
  /report:
    method: POST
    local_reply: { status: 202 }
    fields:
      version: allow
`;

describe('telegate policy check', () => {
  it('passes a valid policy folder and names each vendor with the sha256 of its file', async () => {
    const bytes = await fs.readFile(path.join(POLICIES, 'acme.yaml'));
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const run = await telegate(['policy', 'check', POLICIES]);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(run.stdout).toMatch(/\bok\b/);
    expect(run.stdout).toContain(`acme ${digest}`);
  });

  it('lists the limits an endpoint sets of its own, by their names in the file', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'acme.yaml');
    await fs.writeFile(file, VALID.replace('    fields:', '    limits: { body_bytes: 65536, depth: 8 }\n    fields:'));
    const run = await telegate(['policy', 'check', file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('acme POST /report limits: body_bytes 65536, depth 8\n');
  });

  it('refuses a limit the endpoint cannot have (an unknown name, zero) with its position', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'acme.yaml');
    for (const limits of ['{ bytes: 100 }', '{ body_bytes: 0 }']) {
      await fs.writeFile(file, VALID.replace('    fields:', `    limits: ${limits}\n    fields:`));
      const run = await telegate(['policy', 'check', file]);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:9:\\d+: `, 'm'));
    }
  });

  it('accepts a single policy file', async () => {
    const run = await telegate(['policy', 'check', path.join(POLICIES, 'acme.yaml')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('acme sha256:');
  });

  it('reports an unknown action as file:line:col and exits 1', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'acme.yaml');
    await fs.writeFile(file, `${VALID}      users[*].email: { 1: erase, 2: allow }\n`);
    const run = await telegate(['policy', 'check', file]);
    expect(run.code).toBe(1);
    const lines = run.stdout.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    for (const line of lines) expect(line).toMatch(/^.+:\d+:\d+: .+/);
    // The rule is on line 11 of the file.
    expect(lines.some((l) => l.startsWith(`${file}:11:`) && /erase/.test(l))).toBe(true);
  });

  it('reports a YAML syntax error with its position', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'acme.yaml');
    await fs.writeFile(file, VALID.replace('hosts: [telemetry.acme.example]', 'hosts: [telemetry.acme.example'));
    const run = await telegate(['policy', 'check', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `, 'm'));
  });

  it('reports every broken file of a folder, one error per line', async () => {
    const dir = await tempDir();
    await fs.writeFile(path.join(dir, 'acme.yaml'), VALID.replace('vendor: acme', 'vendor: other'));
    await fs.writeFile(path.join(dir, 'beta.yaml'), VALID.replace('vendor: acme', 'vendor: beta').replace('telemetry.acme', 'telemetry.beta')
      .replace('/report:', 'report:'));
    const run = await telegate(['policy', 'check', dir]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/acme\.yaml:1:\d+: /);
    expect(run.stdout).toMatch(/beta\.yaml:6:\d+: /);
  });

  it('fails on a path that does not exist rather than passing on nothing', async () => {
    const dir = await tempDir();
    const run = await telegate(['policy', 'check', path.join(dir, 'missing')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('missing');
  });
});
