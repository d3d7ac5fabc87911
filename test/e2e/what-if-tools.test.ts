/**
 * The what-if tools of a policy change, end to end: a gateway with a shadow level records what the other
 * level would have sent differently (counts, never values), and `audit drift`, `audit stats`, `audit
 * search` and the console show it; `telegate audit replay` runs a candidate policy set over a log the
 * gateway wrote from real requests and gates on what would newly leave. Real HTTP through telegate to a
 * stand-in vendor, the CLI in child processes.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openAuditWriter } from '../../src/audit';
import { egressRecords, readAuditRecords } from '../helpers/audit-records';
import { runCli } from '../helpers/cli-process';
import { startTestGateway, type TestGateway } from '../helpers/gateway-harness';
import { httpCall } from '../helpers/http-call';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

// Each test starts several node processes one after another: on a loaded machine that takes time, not a fault.
jest.setTimeout(180_000);

const ACME = path.resolve(__dirname, '../fixtures/cli/policies');
const ACME_INPUT = path.join(ACME, 'tests', 'acme-report.input.json');
const SHIPPED = path.resolve(__dirname, '../../policies');
const SNAPSHOT = path.join(SHIPPED, 'tests', 'coder-snapshot.input.json');
const DEPLOYMENT = path.join(SHIPPED, 'tests', 'coder-deployment.input.json');

let dir: string;
let vendor: StandInVendor;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'telegate-whatif-'));
  vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
});

afterAll(async () => {
  await vendor.close();
  await rm(dir, { recursive: true, force: true });
});

async function post(gw: TestGateway, endpoint: string, file: string, headers: Record<string, string> = {}): Promise<number> {
  const reply = await httpCall(`${gw.url}${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: await readFile(file) });
  return reply.status;
}

// acme.yaml: deployment_id, owner_id, users[*].id {1: hash, 2: allow}; users[*].email {1: drop, 2: allow};
// version and users[*].created_at allow; hostname named by no rule. The input has two users.
describe('shadow_level', () => {
  test('enforcing 1 with shadow 2: level 2 would send the e-mails and the identifiers in clear; only level 1 leaves', async () => {
    const gw = await startTestGateway({
      policies: ACME,
      configYaml: 'vendors:\n  acme: { level: 1, shadow_level: 2 }\n',
      env: { TELEGATE_UPSTREAM_ACME: vendor.url },
    });
    let id: string;
    try {
      const before = vendor.received.length;
      expect(await post(gw, '/report', ACME_INPUT)).toBe(202);
      const sent = vendor.received.slice(before);
      expect(sent).toHaveLength(1);
      expect(sent[0]!.body.toString('utf8')).not.toContain('@corp.example');
      const record = egressRecords(await readAuditRecords(gw.auditDir)).pop()!.record;
      id = String(record['id']);
      expect(record['shadow']).toEqual({
        level: 2,
        sent: { deployment_id: 1, owner_id: 1, 'users[*].id': 2, 'users[*].email': 2 },
        hashed: {},
        dropped: {},
      });
      // The shadow is the record's last member before its hash: additive, the format stays v1.
      expect(Object.keys(record).slice(-2)).toEqual(['shadow', 'hash']);
      expect(record['v']).toBe(1);
      // The console's record page shows it.
      const page = await httpCall(`${gw.adminUrl}/console/records/${id}`);
      expect(page.status).toBe(200);
      expect(page.body).toContain('Shadow level 2: what it would have done differently');
      expect(page.body).toContain('Would send in clear: 4 paths, 6 values');
    } finally {
      await gw.close();
    }
  });

  test('enforcing 2 with shadow 1: level 1 would hash the identifiers and drop the e-mails; the CLI shows it', async () => {
    const audit = path.join(dir, 'shadow-audit');
    const gw = await startTestGateway({
      policies: ACME,
      configYaml: 'vendors:\n  acme: { level: 2, shadow_level: 1 }\n',
      env: { TELEGATE_UPSTREAM_ACME: vendor.url, TELEGATE_AUDIT_DIR: audit },
    });
    try {
      expect(await post(gw, '/report', ACME_INPUT, { 'user-agent': 'acme-agent/2.14' })).toBe(202);
      expect(await post(gw, '/report', ACME_INPUT, { 'user-agent': 'acme-agent/2.14' })).toBe(202);
    } finally {
      await gw.close();
    }
    const records = egressRecords(await readAuditRecords(audit));
    expect(records.map((r) => r.record['shadow'])).toEqual([0, 1].map(() => ({
      level: 1,
      sent: {},
      hashed: { deployment_id: 1, owner_id: 1, 'users[*].id': 2 },
      dropped: { 'users[*].email': 2 },
    })));

    expect((await runCli(['audit', 'verify', audit])).code).toBe(0);
    const drift = await runCli(['audit', 'drift', audit]);
    expect(drift.code).toBe(0);
    // A key no rule names is written as `*` and its keyed tag, never as sent.
    expect(drift.stdout).toMatch(/^acme +\/report +acme-agent\/2\.14 +\*[0-9a-f]{16} +unknown +2 +2 /m);
    expect(drift.stdout).not.toContain('hostname');
    expect(drift.stdout).toMatch(/^acme +\/report +2 +1 +hashed +users\[\*\]\.id +4 +2 /m);
    expect(drift.stdout).toMatch(/^acme +\/report +2 +1 +dropped +users\[\*\]\.email +4 +2 /m);
    const json = await runCli(['audit', 'drift', '--format', 'json', audit]);
    const shadowRows = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r['kind'] === 'shadow');
    expect(shadowRows.map((r) => [r['would'], r['path'], r['count'], r['requests']])).toEqual([
      ['hashed', 'deployment_id', 2, 2], ['hashed', 'owner_id', 2, 2], ['hashed', 'users[*].id', 4, 2], ['dropped', 'users[*].email', 4, 2],
    ]);
    const stats = await runCli(['audit', 'stats', audit]);
    expect(stats.stdout).toMatch(/^acme +2 +forwarded +2 +\d+ +0 +0 +2 +L1: 2 req, 0 sent, 8 hashed, 4 dropped$/m);
    const search = await runCli(['audit', 'search', '--format', 'json', audit]);
    expect((JSON.parse(search.stdout.split('\n')[0]!) as { shadow: { level: number } }).shadow.level).toBe(1);
  });

  test('a shadow member of the wrong shape fails audit verify, naming it', async () => {
    const audit = path.join(dir, 'bad-shadow');
    const writer = await openAuditWriter({ dir: audit, maxFileBytes: 1 << 20, fsync: false });
    await writer.appendEgress({
      id: 'r1', vendor: 'acme', endpoint: '/report', level: 1, policy: 'sha256:00', decision: 'forwarded', client: '127.0.0.1',
      bodyText: '{}', dropped: {}, hashed: {}, unknown: {},
      shadow: { level: 3, sent: {}, hashed: {}, dropped: {} } as unknown as { level: 1; sent: {}; hashed: {}; dropped: {} },
    });
    await writer.close();
    const r = await runCli(['audit', 'verify', audit]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/:2: seq 1: "shadow" must be an object with a level \(1 or 2\)/);
  });

  test('a shadow level equal to the level in the file is refused; at level 0 nothing is recorded', async () => {
    await writeFile(path.join(dir, 'same.yaml'), 'vendors:\n  acme: { level: 2, shadow_level: 2 }\n');
    const again = await runCli(['config', 'validate', '--config', path.join(dir, 'same.yaml')], { env: { TELEGATE_POLICIES: ACME } });
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('vendors.acme.shadow_level: is the vendor\'s level itself (2)');

    const audit = path.join(dir, 'level0-audit');
    const gw = await startTestGateway({
      policies: ACME, configYaml: 'vendors:\n  acme: { level: 1, shadow_level: 2 }\n',
      env: { TELEGATE_UPSTREAM_ACME: vendor.url, TELEGATE_AUDIT_DIR: audit, TELEGATE_LEVEL: '0' },
    });
    try {
      expect(await post(gw, '/report', ACME_INPUT)).toBe(202);
      expect(gw.logLines.some((l) => l.includes('shadow_level has nothing to compare at the enforced level'))).toBe(true);
    } finally {
      await gw.close();
    }
    const [record] = egressRecords(await readAuditRecords(audit));
    expect(record!.record['decision']).toBe('blocked');
    expect(record!.record['shadow']).toBeUndefined();
  });
});

describe('telegate audit replay', () => {
  let audit: string;
  let users: number;

  beforeAll(async () => {
    audit = path.join(dir, 'coder-audit');
    const gw = await startTestGateway({ env: { TELEGATE_UPSTREAM_CODER: vendor.url, TELEGATE_LEVEL_CODER: '1', TELEGATE_AUDIT_DIR: audit } });
    try {
      expect(await post(gw, '/snapshot', SNAPSHOT, { 'x-coder-version': 'v2.20.0' })).toBe(202);
      expect(await post(gw, '/deployment', DEPLOYMENT, { 'x-coder-version': 'v2.20.0' })).toBe(202);
    } finally {
      await gw.close();
    }
    const snapshot = JSON.parse(await readFile(SNAPSHOT, 'utf8')) as { users: Record<string, unknown>[] };
    users = snapshot.users.filter((u) => Object.hasOwn(u, 'email')).length;
    expect(users).toBeGreaterThan(0);
  });

  /** The shipped packs with one edit to coder.yaml, in a folder of their own. */
  async function candidate(name: string, edit: (coder: string) => string): Promise<string> {
    const folder = path.join(dir, name);
    await cp(SHIPPED, folder, { recursive: true });
    const file = path.join(folder, 'coder.yaml');
    const before = await readFile(file, 'utf8');
    const after = edit(before);
    expect(after).not.toBe(before);
    await writeFile(file, after);
    return folder;
  }

  const replay = (policies: string, ...rest: string[]) => runCli(['audit', 'replay', '--policies', policies, audit, ...rest], { env: { TELEGATE_POLICIES: SHIPPED } });

  test('the current set itself: no change, exit 0', async () => {
    const r = await replay(SHIPPED);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('coder /snapshot: 1 record (level 1): no change');
    expect(r.stdout).toContain('coder /deployment: 1 record (level 1): no change');
    expect(r.stdout).toMatch(/result: the candidate sends nothing the current set does not \(exit 0\)\n$/);
  });

  test('users[*].email allowed at level 1: it newly leaves, in clear, as often as the log removed it; exit 1', async () => {
    const folder = await candidate('email-allowed', (t) => t.replace(/^( {6}users\[\*\]\.email: +)\{ 1: drop, +2: allow/m, '$1{ 1: allow, 2: allow'));
    const r = await replay(folder);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^  newly leaves +users\\[\\*\\]\\.email +${users} values in 1 request \\(removed when logged, in clear\\)$`, 'm'));
    expect(r.stdout).toContain('result: the candidate sends what the current set does not: 1 path newly leaving');
    const json = await replay(folder, '--format', 'json');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { widens: boolean; groups: { vendor: string; endpoint: string; changes: Record<string, { path: string; values: number }[]> }[] };
    expect(report.widens).toBe(true);
    const snapshotGroup = report.groups.find((g) => g.endpoint === '/snapshot')!;
    expect(snapshotGroup.changes['newly-leaves']).toEqual([{ path: 'users[*].email', values: users, requests: 1, as: 'clear' }]);
  });

  test('an identifier no longer hashed: now in clear, exit 1; a field no longer sent: stops leaving, exit 0', async () => {
    const clear = await candidate('id-clear', (t) => t.replace(/^( {6}users\[\*\]\.id: +)\{ 1: hash, +2: allow/m, '$1{ 1: allow, 2: allow'));
    const r = await replay(clear);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^  now in clear +users\\[\\*\\]\\.id +3 values in 1 request \\(hashed when logged\\)$`, 'm'));
    const narrower = await candidate('created-dropped', (t) => t.replace(/^( {6}users\[\*\]\.created_at: +)\{ 1: allow/m, '$1{ 1: drop '));
    const n = await replay(narrower);
    expect(n.code).toBe(0);
    expect(n.stdout).toMatch(/^  stops leaving +users\[\*\]\.created_at +3 values in 1 request \(sent when logged\)$/m);
  });

  test('a new rule the logged requests never exercised is listed with its position; exit 1', async () => {
    const folder = await candidate('new-rule', (t) => t.replace(/^( {6}users\[\*\]\.email: .*)$/m, '$1\n      users[*].avatar_url:                        { 1: allow, 2: allow, category: personal }'));
    const line = (await readFile(path.join(folder, 'coder.yaml'), 'utf8')).split('\n').findIndex((l) => l.includes('users[*].avatar_url:')) + 1;
    const r = await replay(folder);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`  coder /snapshot users[*].avatar_url: allow at level 1 (${path.join(folder, 'coder.yaml')}:${line}:7); the current set removes it`);
  });

  test('--level 2 replays what switching to level 2 would send; a candidate that does not load is exit 1', async () => {
    const r = await replay(SHIPPED, '--level', '2', '--endpoint', '/snapshot');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^  newly leaves +users\\[\\*\\]\\.email +${users} values`, 'm'));
    expect(r.stdout).toMatch(/^  now in clear +users\[\*\]\.id +3 values/m);
    expect(r.stdout).not.toContain('/deployment');
    const broken = await candidate('broken', (t) => t.replace(/\{ 1: drop, +2: allow, category: personal \}/, '{ 1: erase, 2: allow, category: personal }'));
    const b = await replay(broken);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain('unknown action "erase"');
    expect(b.stderr).toContain('the candidate policies');
  });
});

describe('telegate policy scaffold --from-drift', () => {
  test('drafts rules for what a newer client sends that the log recorded as unknown, and nothing else', async () => {
    const audit = path.join(dir, 'drift-audit');
    const snapshot = JSON.parse(await readFile(SNAPSHOT, 'utf8')) as Record<string, unknown>;
    const newer = path.join(dir, 'newer-snapshot.json');
    await writeFile(newer, JSON.stringify({ ...snapshot, ai_seat_states: [{ user_id: '1b4e28ba-2fa1-41d2-883f-0016d3cca427', seats: 3 }, { user_id: '2c5f39cb-3fb2-42e3-994f-1127e4ddb538', seats: 1 }] }));
    const gw = await startTestGateway({ env: { TELEGATE_UPSTREAM_CODER: vendor.url, TELEGATE_AUDIT_DIR: audit } });
    try {
      expect(await post(gw, '/snapshot', newer, { 'x-coder-version': 'v2.30.0' })).toBe(202);
    } finally {
      await gw.close();
    }
    const r = await runCli(['policy', 'scaffold', '--vendor', 'coder', '--endpoint', '/snapshot', '--from-drift', '--audit-dir', audit, '--policies', SHIPPED]);
    expect(r.code).toBe(0);
    const rules = r.stdout.split('\n').filter((l) => /^ {6}\S/.test(l));
    // Default deny removed the whole unknown array, once, and the log names its key only by its keyed tag
    // (keys are data): no rule can be drafted for a name the log does not hold; the draft says where it was.
    expect(rules).toEqual([]);
    expect(r.stdout).toMatch(/^ {4}# {3}\*[0-9a-f]{16} {3}unknown 1 time in 1 request$/m);
    expect(r.stderr).toContain('1 unknown path(s) the log names only by a key\'s tag');
    expect(r.stdout).not.toContain('ai_seat_states');
    expect(r.stdout).not.toContain('1b4e28ba');
    // The draft is still a policy that loads.
    const draft = path.join(dir, 'from-drift', 'coder.yaml');
    await mkdir(path.dirname(draft), { recursive: true });
    await writeFile(draft, r.stdout);
    expect((await runCli(['policy', 'check', draft])).code).toBe(0);
    // With a captured body beside it, the draft has the names, down to the fields inside.
    const both = await runCli(['policy', 'scaffold', '--vendor', 'coder', '--endpoint', '/snapshot', '--from-drift', '--audit-dir', audit, '--policies', SHIPPED, newer]);
    expect(both.stdout.split('\n').filter((l) => /^ {6}\S/.test(l)).map((l) => l.trim().split(':')[0]))
      .toEqual(['ai_seat_states[*].seats', 'ai_seat_states[*].user_id']);
  });
});
