/**
 * A policy set takes effect only once the audit log names it: when its `policy` record cannot be made
 * durable, the reload is refused and the running set keeps judging requests, so no egress record ever
 * names a digest the log never announced.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { failingDisk } from '../helpers/failing-disk';
import { POLICIES, startTestGateway } from '../helpers/gateway-harness';
import { httpCall, jsonOf } from '../helpers/http-call';

test('a valid policy change whose policy record cannot be written is refused; the old digest stays in force', async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'telegate-reload-audit-'));
  const policies = path.join(work, 'policies');
  await cp(POLICIES, policies, { recursive: true });
  const disk = failingDisk();
  const gw = await startTestGateway({ policies, auditSeams: { fileOps: disk.ops }, configYaml: 'admin: { token: reload-test-token-0123456789 }\n' });
  try {
    const digestOf = async (): Promise<string | undefined> => {
      const report = jsonOf(await httpCall(`${gw.adminUrl}/readyz`)) as { policies: { vendor: string; digest: string }[] };
      return report.policies.find((p) => p.vendor === 'coder')?.digest;
    };
    const before = await digestOf();
    const file = path.join(policies, 'coder.yaml');
    await writeFile(file, `${await readFile(file, 'utf8')}\n# a harmless edit: a new digest\n`);

    disk.failing = true;
    const refused = await httpCall(`${gw.adminUrl}/reload`, { method: 'POST', headers: { authorization: 'Bearer reload-test-token-0123456789' } });
    expect(refused.status).toBe(422);
    expect(JSON.stringify(jsonOf(refused))).toMatch(/could not take effect/);
    expect(await digestOf()).toBe(before);

    disk.failing = false;
    const accepted = await httpCall(`${gw.adminUrl}/reload`, { method: 'POST', headers: { authorization: 'Bearer reload-test-token-0123456789' } });
    expect(accepted.status).toBe(200);
    expect(await digestOf()).not.toBe(before);
  } finally {
    disk.failing = false;
    await gw.close();
    await rm(work, { recursive: true, force: true });
  }
});
