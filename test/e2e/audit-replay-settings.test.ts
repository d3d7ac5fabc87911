/**
 * `telegate audit replay` gates a policy change on more than field rules: a candidate that differs from
 * the current set only in its upstream, hosts, headers, a constraint or its detectors changes what leaves
 * (or where to) in ways no logged body shows, so the replay exits 1 naming what changed. The log is
 * written by a real gateway (acme at level 1, through a stand-in vendor); the CLI runs in a child process.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli-process';
import { startTestGateway } from '../helpers/gateway-harness';
import { httpCall } from '../helpers/http-call';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

jest.setTimeout(180_000);

const ACME = path.resolve(__dirname, '../fixtures/cli/policies');
const ACME_INPUT = path.join(ACME, 'tests', 'acme-report.input.json');

let dir: string;
let audit: string;
let vendor: StandInVendor;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'telegate-replay-settings-'));
  audit = path.join(dir, 'audit');
  vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
  const gw = await startTestGateway({
    policies: ACME,
    configYaml: 'vendors:\n  acme: { level: 1 }\n',
    env: { TELEGATE_UPSTREAM_ACME: vendor.url, TELEGATE_AUDIT_DIR: audit },
  });
  try {
    const reply = await httpCall(`${gw.url}/report`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-acme-version': '1.2.3' }, body: await readFile(ACME_INPUT) });
    expect(reply.status).toBe(202);
  } finally {
    await gw.close();
  }
});

afterAll(async () => {
  await vendor.close();
  await rm(dir, { recursive: true, force: true });
});

/** The acme policies with one edit to acme.yaml, in a folder of their own. */
async function candidate(name: string, edit: (acme: string) => string): Promise<string> {
  const folder = path.join(dir, name);
  await cp(ACME, folder, { recursive: true });
  const file = path.join(folder, 'acme.yaml');
  const before = await readFile(file, 'utf8');
  const after = edit(before);
  expect(after).not.toBe(before);
  await writeFile(file, after);
  return folder;
}

const replay = (policies: string, ...rest: string[]) => runCli(['audit', 'replay', '--policies', policies, audit, ...rest], { env: { TELEGATE_POLICIES: ACME } });

test('the current set itself: no setting changed, exit 0', async () => {
  const r = await replay(ACME);
  expect(r.code).toBe(0);
  expect(r.stdout).not.toContain('settings changed');
});

test.each([
  ['upstream', (t: string) => t.replace('upstream: https://telemetry.acme.example', 'upstream: https://collector.elsewhere.example'),
    'acme upstream: https://telemetry.acme.example -> https://collector.elsewhere.example'],
  ['hosts', (t: string) => t.replace('hosts: [telemetry.acme.example]', 'hosts: [telemetry.acme.example, metrics.acme.example]'),
    'acme hosts: telemetry.acme.example -> telemetry.acme.example, metrics.acme.example'],
  ['headers (one more passes)', (t: string) => t.replace('headers: [X-Acme-Version]', 'headers: [X-Acme-Version, User-Agent]'),
    'acme user-agent headers: not passed -> any value'],
  ['headers (a constraint set)', (t: string) => t.replace('headers: [X-Acme-Version]', 'headers: [{ name: X-Acme-Version, max_length: 40 }]'),
    'acme x-acme-version headers: any value -> {"max_length":40}'],
  ['constraints', (t: string) => t.replace(/^( +)version: +allow$/m, '$1version: { 1: allow, 2: allow, type: string, max_length: 12 }'),
    'acme /report version constraints: none -> {"type":["string"],"max_length":12}'],
  ['detectors (vendor)', (t: string) => t.replace('headers: [X-Acme-Version]', 'headers: [X-Acme-Version]\ndetectors: { skip: [email], reason: "test" }'),
    'acme detectors: skip [] , level 2 [] -> skip ["email"], level 2 []'.replace(' ,', ',')],
  ['detectors (a rule)', (t: string) => t.replace(/^( +)version: +allow$/m, '$1version: { 1: allow, 2: allow, detectors: off, reason: "test" }'),
    'acme /report version detectors: all run -> detectors: off'],
])('a candidate differing only in %s: exit 1, naming what changed', async (_what, edit, line) => {
  const folder = await candidate(_what.replace(/\W+/g, '-'), edit);
  const r = await replay(folder);
  expect(r.stderr).not.toContain('do not load');
  expect(r.code).toBe(1);
  expect(r.stdout).toContain('settings changed');
  expect(r.stdout).toContain(`  ${line}\n`);
  expect(r.stdout).toMatch(/\nresult: .*\(exit 1\)\n$/);
  const json = await replay(folder, '--format', 'json');
  expect(json.code).toBe(1);
  expect((JSON.parse(json.stdout) as { settings: unknown[] }).settings).toHaveLength(1);
});
