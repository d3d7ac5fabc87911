/**
 * The policy author's tools through the real command line: `policy explain --summary` (counts per action
 * and path, no body), the level lint of `policy check` (level 1 sends nothing level 2 does not, with both
 * actions' positions), and `policy scaffold` (a draft that drops everything, with guessed categories, that
 * `policy check` accepts). Spawned processes, real files.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateCoderSnapshot } from '../../bench/coder-snapshot-generator';
import { runCli } from '../helpers/cli-process';

// Each test starts several node processes one after another: on a loaded machine that takes time, not a fault.
jest.setTimeout(180_000);

const ACME = path.resolve(__dirname, '../fixtures/cli/policies');
const ACME_INPUT = path.join(ACME, 'tests', 'acme-report.input.json');
const SHIPPED = path.resolve(__dirname, '../../policies');
const RUDDER_FIXTURE = path.join(SHIPPED, 'tests', 'automatisch-sdk1.input.json');
const RUDDER3_FIXTURE = path.join(SHIPPED, 'tests', 'automatisch-sdk3.input.json');
const SNAPSHOT_FIXTURE = path.join(SHIPPED, 'tests', 'coder-snapshot.input.json');

let dir: string;
beforeAll(async () => { dir = await mkdtemp(path.join(tmpdir(), 'telegate-ptools-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('policy explain --summary', () => {
  // acme-report.input.json: deployment_id, version, hostname, owner_id, and two users with id, email,
  // created_at. acme.yaml at level 1: hash deployment_id, owner_id, users[*].id; drop users[*].email;
  // allow version, users[*].created_at; nothing names hostname.
  test('text: one line per action and path, with counts, and no value of the payload', async () => {
    const r = await runCli(['policy', 'explain', '--summary', '--vendor', 'acme', '--endpoint', '/report', '--level', '1', '--policies', ACME, ACME_INPUT]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('acme POST /report at level 1: forward; values: 1 unknown, 2 dropped, 4 hashed, 3 sent');
    expect(lines.slice(2)).toEqual([
      'ACTION  COUNT  PATH',
      'unknown     1  hostname',
      'dropped     2  users[*].email',
      'hashed      1  deployment_id',
      'hashed      1  owner_id',
      'hashed      2  users[*].id',
      'sent        2  users[*].created_at',
      'sent        1  version',
    ]);
    const input = JSON.parse(await readFile(ACME_INPUT, 'utf8')) as Record<string, unknown>;
    for (const value of JSON.stringify(input).match(/"[^"]*"/g)!.map((s) => JSON.parse(s) as string)) {
      if (!['users', 'id', 'email', 'created_at', 'deployment_id', 'owner_id', 'version', 'hostname'].includes(value)) expect(r.stdout).not.toContain(value);
    }
  });

  test('json: the four count maps and the decision', async () => {
    const r = await runCli(['policy', 'explain', '--summary', '--format', 'json', '--vendor', 'acme', '--endpoint', '/report', '--level', '2', '--policies', ACME, ACME_INPUT]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      decision: 'forward',
      sent: { deployment_id: 1, owner_id: 1, 'users[*].created_at': 2, 'users[*].email': 2, 'users[*].id': 2, version: 1 },
      hashed: {}, dropped: {}, unknown: { hostname: 1 },
    });
  });

  test('a 20-user Coder snapshot: a summary a reviewer can read, an order of magnitude shorter than the full explain', async () => {
    const { body, users } = generateCoderSnapshot(20);
    expect(users).toBe(20);
    const file = path.join(dir, 'snapshot-20.json');
    await writeFile(file, body);
    const args = ['policy', 'explain', '--vendor', 'coder', '--endpoint', '/snapshot', '--level', '1', '--policies', SHIPPED, file];
    const full = await runCli(args, { env: { TELEGATE_HASH_KEY: 'summary-test-key-0123456789' } });
    const summary = await runCli([...args, '--summary'], { env: { TELEGATE_HASH_KEY: 'summary-test-key-0123456789' } });
    expect(full.code).toBe(0);
    expect(summary.code).toBe(0);
    const fullLines = full.stdout.split('\n').length;
    const summaryLines = summary.stdout.split('\n').length;
    expect(summaryLines * 10).toBeLessThan(fullLines);
    // Every user's e-mail member is dropped at level 1 (null or not): as many as the body holds, counted here.
    const example = JSON.parse(body.toString('utf8')) as { users: Record<string, unknown>[] };
    const emails = example.users.filter((u) => Object.hasOwn(u, 'email')).length;
    expect(emails).toBeGreaterThan(0);
    expect(summary.stdout).toMatch(new RegExp(`^dropped +${emails}  users\\[\\*\\]\\.email$`, 'm'));
  });
});

const POLICY_HEAD = `vendor: acme
upstream: https://telemetry.acme.example
endpoints:
  /report:
    method: POST
    local_reply: { status: 202 }
    fields:
`;

describe('policy check: level 1 sends nothing level 2 does not', () => {
  test.each([
    ['allow at 1, drop at 2', '{ 1: allow, 2: drop }', 'level 1 sends it in clear (allow, here) but level 2 drops it'],
    ['hash at 1, drop at 2', '{ 1: hash, 2: drop }', 'level 1 sends its pseudonym (hash, here) but level 2 drops it'],
    ['allow at 1, hash at 2', '{ 1: allow, 2: hash }', 'level 1 sends it in clear (allow, here) but level 2 sends its pseudonym'],
  ])('%s: exit 1, at the level-1 action, naming where level 2 is', async (_name, rule, words) => {
    const file = path.join(dir, 'acme.yaml');
    const ruleLine = `      users[*].email: ${rule}`;
    await writeFile(file, `${POLICY_HEAD}      users[*].id: { 1: hash, 2: allow }\n${ruleLine}\n`);
    const r = await runCli(['policy', 'check', file]);
    expect(r.code).toBe(1);
    // Line 9 of the file; the columns of the two actions counted in the rule's text.
    const one = ruleLine.indexOf('1: ') + 4;
    const two = ruleLine.indexOf('2: ') + 4;
    const levelTwo = rule.match(/2: (\w+)/)![1];
    expect(r.stdout).toBe(`${file}:9:${one}: users[*].email: ${words} (${levelTwo} at ${file}:9:${two}): level 1 (anonymous) must send nothing that level 2 does not\n`);
    expect(r.stderr).toContain('1 rule where level 1 sends more than level 2');
  });

  test('a discriminated rule is held to it too; hash at 1 and allow at 2 passes, as does drop at 1 and hash at 2', async () => {
    const file = path.join(dir, 'acme.yaml');
    await writeFile(file, `${POLICY_HEAD}      batch[*]: drop\n      batch[event=a].name: { 1: hash, 2: allow }\n      batch[event=a].ip: { 1: drop, 2: hash }\n`);
    expect((await runCli(['policy', 'check', file])).code).toBe(0);
    await writeFile(file, `${POLICY_HEAD}      batch[*]: drop\n      batch[event=a].name: { 1: allow, 2: drop }\n`);
    const r = await runCli(['policy', 'check', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^${escape(file)}:9:\\d+: batch\\[event=a\\]\\.name: level 1 sends it in clear`));
  });

  test('the shipped packs pass', async () => {
    const r = await runCli(['policy', 'check', SHIPPED]);
    expect(r.code).toBe(0);
  });
});

describe('policy scaffold', () => {
  test('from captured RudderStack batches: every path dropped at both levels, categories guessed, no value, and policy check accepts it', async () => {
    const out = path.join(dir, 'newvendor.yaml');
    const r = await runCli(['policy', 'scaffold', '--vendor', 'newvendor', '--endpoint', '/v1/batch', '--out', out,
      RUDDER_FIXTURE, RUDDER3_FIXTURE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const draft = await readFile(out, 'utf8');
    const rules = draft.split('\n').filter((l) => /^ {6}\S/.test(l));
    expect(rules.length).toBeGreaterThan(10);
    for (const rule of rules) expect(rule).toMatch(/:\s+\{ 1: drop, 2: drop, category: (personal|identifier|secret|technical|usage) \}   # guessed: /);
    expect(r.stderr).toContain(`drafted ${rules.length} rule(s), all dropped`);
    expect(draft).toMatch(/^ {6}batch\[\*\]\.userId: +\{ 1: drop, 2: drop, category: identifier \}/m);
    expect(draft).toMatch(/^ {6}batch\[\*\]\.messageId: +\{ 1: drop, 2: drop, category: identifier \}/m);
    // No value of the captures: every string value of the input is absent (keys aside).
    const input = JSON.parse(await readFile(RUDDER_FIXTURE, 'utf8')) as unknown;
    const values: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string' && v.length > 3) values.push(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (typeof v === 'object' && v !== null) Object.values(v).forEach(walk);
    };
    walk(input);
    expect(values.length).toBeGreaterThan(5);
    for (const v of values) if (!/^[A-Za-z]+$/.test(v)) expect([v, draft.includes(v)]).toEqual([v, false]);
    const check = await runCli(['policy', 'check', out]);
    expect(check.code).toBe(0);
    // And, dropped everywhere, the draft sends nothing of a capture.
    const explained = await runCli(['policy', 'explain', '--summary', '--format', 'json', '--vendor', 'newvendor', '--endpoint', '/v1/batch', '--level', '2', '--policies', out, RUDDER_FIXTURE]);
    expect((JSON.parse(explained.stdout) as { sent: object; unknown: object }).sent).toEqual({});
    expect((JSON.parse(explained.stdout) as { unknown: object }).unknown).toEqual({});
  });

  test('a value shaped like an e-mail address is guessed personal, whatever its key', async () => {
    const body = path.join(dir, 'contact.json');
    await writeFile(body, JSON.stringify({ contact: 'someone@example.org', build: { count: 3, enabled: true } }));
    // Run where no policies folder is: nothing is covered, and a note says so.
    const r = await runCli(['policy', 'scaffold', '--vendor', 'acme', '--endpoint', '/report', body], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {6}contact: +\{ 1: drop, 2: drop, category: personal \}   # guessed: a value looks like an e-mail address/m);
    expect(r.stdout).toMatch(/^ {6}build\.count: +\{ 1: drop, 2: drop, category: usage \}/m);
    expect(r.stdout).toMatch(/^ {6}build\.enabled: +\{ 1: drop, 2: drop, category: technical \}/m);
    expect(r.stdout).not.toContain('someone@example.org');
  });

  test('for a vendor the policies know: only the paths its rules do not cover (a new client version)', async () => {
    const snapshot = JSON.parse(await readFile(path.join(SHIPPED, 'tests', 'coder-snapshot.input.json'), 'utf8')) as Record<string, unknown>;
    const newer = path.join(dir, 'newer-snapshot.json');
    await writeFile(newer, JSON.stringify({ ...snapshot, ai_seat_states: [{ user_id: '1b4e28ba-2fa1-41d2-883f-0016d3cca427', seats: 3 }] }));
    const r = await runCli(['policy', 'scaffold', '--vendor', 'coder', '--endpoint', '/snapshot', '--policies', SHIPPED, newer]);
    expect(r.code).toBe(0);
    const rules = r.stdout.split('\n').filter((l) => /^ {6}\S/.test(l)).map((l) => l.trim().split(':')[0]);
    expect(rules).toEqual(['ai_seat_states[*].seats', 'ai_seat_states[*].user_id']);
    expect(r.stdout).toContain('Only paths the current policy of coder /snapshot does not cover are listed');
  });

  test('bad usage: no input, a bad vendor name, a draft never replaces a file', async () => {
    expect((await runCli(['policy', 'scaffold', '--vendor', 'acme', '--endpoint', '/r'])).code).toBe(2);
    const bad = await runCli(['policy', 'scaffold', '--vendor', 'Acme', '--endpoint', '/r', RUDDER_FIXTURE]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"Acme" is not a vendor name');
    const existing = path.join(dir, 'existing.yaml');
    await writeFile(existing, 'keep me\n');
    const r = await runCli(['policy', 'scaffold', '--vendor', 'acme', '--endpoint', '/r', '--out', existing, RUDDER_FIXTURE]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the file exists');
    expect(await readFile(existing, 'utf8')).toBe('keep me\n');
  });
});
