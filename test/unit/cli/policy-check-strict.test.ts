/**
 * `telegate policy check --strict` (SPEC §7) fails on the findings `policy report` lists; warnings (a
 * subtree allow, a detector opt-out) are printed and never fail; the shipped packs pass strict.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { removeTempDirs, telegate, tempDir } from './cli-harness';

afterAll(removeTempDirs);

const policy = (fields: string): string => `vendor: acme
upstream: https://telemetry.acme.example
endpoints:
  /report:
    method: POST
    local_reply: { status: 202 }
    fields:
${fields}
`;

async function folderWith(fields: string): Promise<string> {
  const dir = await tempDir();
  await fs.writeFile(path.join(dir, 'acme.yaml'), policy(fields));
  return dir;
}

describe('telegate policy check --strict', () => {
  it('exits 1 on a finding (personal data allowed at level 1), printing it where it is; without --strict, 0', async () => {
    const dir = await folderWith('      email: { 1: allow, 2: allow, category: personal }\n      token: { 1: drop, 2: allow, category: secret }');
    const strict = await telegate(['policy', 'check', '--strict', dir]);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/acme\.yaml:8:7: finding: acme \/report email: personal data sent in clear at level 1/);
    expect(strict.stdout).toMatch(/acme\.yaml:9:7: finding: acme \/report token: a secret that is not dropped at every level/);
    expect(strict.stderr).toMatch(/2 findings/);
    expect((await telegate(['policy', 'check', dir])).code).toBe(0);
  });

  it('passes a policy without findings, and prints warnings without failing', async () => {
    const dir = await folderWith('      blob: { 1: allow, 2: allow, subtree: true, reason: "free-form by design" }\n      v: { 1: allow, 2: allow, type: semver }');
    const run = await telegate(['policy', 'check', '--strict', dir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/acme\.yaml:8:\d+: warning: endpoint "\/report" field "blob": subtree: true passes whatever object or array arrives here/);
    expect(run.stdout).toMatch(/ok, 1 policy: .*; 1 warning/);
  });

  it('the shipped packs have no finding', async () => {
    const run = await telegate(['policy', 'check', '--strict', path.join(__dirname, '../../../policies')]);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('finding:');
  });
});
