/**
 * `telegate policy explain`: what a given payload would become at a given level, by the gateway's engine.
 * JSON output is exactly the five documented keys; the human form shows the body sent and the field
 * reports without original values; bad vendor, endpoint or payload exit 2 naming the problem.
 */
import { createHmac } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { processIO } from '../../../src/cli/io';
import { main } from '../../../src/cli/main';
import type { JsonObject } from '../../../src/json/types';
import { INPUT, POLICIES, removeTempDirs, telegate, tempDir, withEnv } from './cli-harness';

afterAll(removeTempDirs);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ORIGINAL = {
  deployment: '6f1c2b7e-3d4a-4c5b-9e8f-0a1b2c3d4e5f',
  owner: '0b9d6c2e-1f3a-4b5c-8d7e-6f5a4b3c2d1e',
  user2: '7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f',
};

/** The SPEC §7 members, then those issue 12 added. */
const JSON_MEMBERS = ['decision', 'body', 'dropped', 'hashed', 'unknown', 'invalid', 'redacted', 'detections'];
/** A key no rule names, in a report: `*` and a tag of 16 hex digits (keyed: random without a key). */
const TAGGED = /^\*[0-9a-f]{16}$/;
/** The tag of a key under a key, computed here with node:crypto from the documented construction. */
const tagUnder = (key: string, name: string): string =>
  `*${createHmac('sha256', Buffer.from(key, 'utf8')).update(`telegate/v1/key\0${name}`, 'utf8').digest('hex').slice(0, 16)}`;

const explain = (level: string, ...rest: string[]) =>
  telegate(['policy', 'explain', '--vendor', 'acme', '--endpoint', '/report', '--level', level, '--policies', POLICIES, ...rest]);

let restoreEnv: () => void;
/** No key anywhere: not in the environment, not in a data folder (never the checkout's ./data, which npm start fills). */
let emptyDataDir: string;
beforeAll(async () => { emptyDataDir = await tempDir(); });
const noKey = () => ({ TELEGATE_HASH_KEY: undefined, TELEGATE_POLICIES: undefined, TELEGATE_CONFIG: undefined, TELEGATE_DATA_DIR: emptyDataDir });
beforeEach(() => { restoreEnv = withEnv(noKey()); });
afterEach(() => restoreEnv());

describe('telegate policy explain --format json', () => {
  it('prints decision, body, dropped, hashed and unknown, then invalid, redacted and detections, for level 1', async () => {
    const run = await explain('1', '--format', 'json', INPUT);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as JsonObject;
    expect(Object.keys(out)).toEqual(JSON_MEMBERS);
    expect(out['decision']).toBe('forward');
    expect(out['dropped']).toEqual({ 'users[*].email': 2 });
    expect(out['hashed']).toEqual({ deployment_id: 1, owner_id: 1, 'users[*].id': 2 });
    // The unknown key is data: reported by its tag, never as sent.
    expect(Object.keys(out['unknown'] as object)).toEqual([expect.stringMatching(TAGGED)]);
    expect(run.stdout).not.toContain('hostname');

    const body = out['body'] as { deployment_id: string; owner_id: string; version: string; users: JsonObject[] };
    expect(Object.keys(body).sort()).toEqual(['deployment_id', 'owner_id', 'users', 'version']);
    expect(body.version).toBe('v2.14.1');
    expect(body.users.map((u) => Object.keys(u).sort())).toEqual([['created_at', 'id'], ['created_at', 'id']]);
    // Pseudonyms keep the UUID form, never equal the original, and keep the owner-to-user join.
    for (const id of [body.deployment_id, body.owner_id, body.users[0]!['id'], body.users[1]!['id']]) expect(id).toMatch(UUID);
    expect(body.deployment_id).not.toBe(ORIGINAL.deployment);
    expect(body.owner_id).not.toBe(ORIGINAL.owner);
    expect(body.users[0]!['id']).toBe(body.owner_id);
    expect(body.users[1]!['id']).not.toBe(body.owner_id);
    expect(run.stdout).not.toMatch(/corp\.example/);
  });

  it('blocks at level 0: body null, nothing reported', async () => {
    const run = await explain('0', '--format', 'json', INPUT);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as JsonObject;
    expect(Object.keys(out)).toEqual(JSON_MEMBERS);
    expect(out['decision']).toBe('block');
    expect(out['body']).toBeNull();
  });

  it('passes the named fields unchanged at level 2 and still drops what no rule names', async () => {
    const input = JSON.parse(await fs.readFile(INPUT, 'utf8')) as JsonObject;
    const run = await explain('2', '--format', 'json', INPUT);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as JsonObject;
    const { hostname: _dropped, ...expected } = input;
    expect(out['body']).toEqual(expected);
    expect(Object.keys(out['unknown'] as object)).toEqual([expect.stringMatching(TAGGED)]);
  });

  it('reads the payload from stdin with -', async () => {
    // One key for both runs: the unknown key's tag is keyed.
    restoreEnv();
    restoreEnv = withEnv({ TELEGATE_HASH_KEY: '0123456789abcdef0123456789abcdef', TELEGATE_POLICIES: undefined });
    const fromFile = await explain('2', '--format', 'json', INPUT);
    const fromStdin = await telegate(['policy', 'explain', '--vendor', 'acme', '--endpoint', '/report', '--level', '2',
      '--policies', POLICIES, '--format', 'json', '-'], await fs.readFile(INPUT));
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout).toBe(fromFile.stdout);
  });

  it('keeps integers beyond 2^53 exact', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'big.json');
    await fs.writeFile(file, '{"version": "v1", "users": [{"created_at": 18446744073709551615}]}');
    const run = await explain('2', '--format', 'json', file);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('"created_at":18446744073709551615');
  });
});

describe('telegate policy explain, hash key', () => {
  const KEY = 'a3f1c0de9b8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a4938271605f4e';

  it('hashes under TELEGATE_HASH_KEY: the same pseudonyms every run, and no warning', async () => {
    restoreEnv();
    restoreEnv = withEnv({ ...noKey(), TELEGATE_HASH_KEY: KEY });
    const first = await explain('1', '--format', 'json', INPUT);
    const second = await explain('1', '--format', 'json', INPUT);
    expect(first.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(first.stderr).toBe('');
  });

  it('without a key, pseudonyms differ from run to run, and stderr says they are not the gateway\'s', async () => {
    const first = await explain('1', '--format', 'json', INPUT);
    const second = await explain('1', '--format', 'json', INPUT);
    const ids = (run: { stdout: string }) => (JSON.parse(run.stdout) as { body: { deployment_id: string } }).body.deployment_id;
    expect(ids(first)).not.toBe(ids(second));
    expect(first.stderr).toMatch(/random key for this run and differ from the gateway's/);
  });

  it('finds the policies through TELEGATE_POLICIES when --policies is not given', async () => {
    restoreEnv();
    restoreEnv = withEnv({ ...noKey(), TELEGATE_POLICIES: POLICIES });
    const run = await telegate(['policy', 'explain', '--vendor', 'acme', '--endpoint', '/report', '--level', '2', '--format', 'json', INPUT]);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { decision: string }).decision).toBe('forward');
  });
});

describe('telegate policy explain, human form', () => {
  it('shows the body sent and the dropped, hashed and unknown paths with counts, without original values', async () => {
    const run = await explain('1', INPUT);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/acme POST \/report at level 1: forward/);
    expect(run.stdout).toContain('"version": "v2.14.1"');
    expect(run.stdout).toMatch(/dropped: 1 field, 2 values\n\s+users\[\*\]\.email\s+2/);
    expect(run.stdout).toMatch(/hashed: 3 fields, 4 values/);
    expect(run.stdout).toMatch(/\s+users\[\*\]\.id\s+2/);
    expect(run.stdout).toMatch(/unknown: 1 field, 1 value\n\s+\*[0-9a-f]{16}\s+1/);
    for (const original of [...Object.values(ORIGINAL), 'ada@corp.example', 'build-01.corp.example']) {
      expect(run.stdout).not.toContain(original);
    }
    expect(run.stdout).not.toMatch(/\u001b\[/); // no colour when not on a terminal
  });

  it('shows the local reply at level 0', async () => {
    const run = await explain('0', INPUT);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/block/);
    expect(run.stdout).toMatch(/202/);
  });
});

describe('telegate policy explain, bad input', () => {
  it('exits 2 naming an unknown vendor and the known ones', async () => {
    const run = await telegate(['policy', 'explain', '--vendor', 'nosuch', '--endpoint', '/report', '--level', '1',
      '--policies', POLICIES, INPUT]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown vendor "nosuch"/);
    expect(run.stderr).toMatch(/acme/);
    expect(run.stdout).toBe('');
  });

  it('exits 2 naming an unknown endpoint and the declared ones', async () => {
    const run = await telegate(['policy', 'explain', '--vendor', 'acme', '--endpoint', '/snapshot', '--level', '1',
      '--policies', POLICIES, INPUT]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown endpoint "\/snapshot"/);
    expect(run.stderr).toMatch(/\/report/);
  });

  it('exits 2 with the parse detail when the payload is not JSON', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'bad.json');
    await fs.writeFile(file, '{"version": "v1",');
    const run = await explain('1', file);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/not usable JSON \(invalid-json\): .+/);
    expect(run.stdout).toBe('');
  });

  it('exits 2 when the payload file cannot be read', async () => {
    const dir = await tempDir();
    const run = await explain('1', path.join(dir, 'absent.json'));
    expect(run.code).toBe(2);
    // Plain words, not the system's error code.
    expect(run.stderr).toContain(`cannot read the payload ${path.join(dir, 'absent.json')}: no such file`);
    expect(run.stderr).not.toMatch(/ENOENT/);
  });
});

describe('telegate policy explain, the diff of what the policy changed', () => {
  const KEY = '5e4d3c2b1a0f9e8d7c6b5a49382716050f1e2d3c4b5a69788796a5b4c3d2e1f0';
  let restoreKey: () => void;
  beforeEach(() => { restoreKey = withEnv({ TELEGATE_HASH_KEY: KEY, NO_COLOR: undefined }); });
  afterEach(() => restoreKey());

  /** The pseudonyms the body carries, from --format json under the same key. */
  async function sentBody(file = INPUT): Promise<{ deployment_id: string; owner_id: string; users: { id: string }[] }> {
    return (JSON.parse((await explain('1', '--format', 'json', file)).stdout) as { body: { deployment_id: string; owner_id: string; users: { id: string }[] } }).body;
  }

  /** The lines of the `changes` section. */
  const diffLines = (stdout: string): string[] => {
    const start = stdout.indexOf('changes (');
    expect(start).toBeGreaterThanOrEqual(0);
    return stdout.slice(start).split('\n\n')[0]!.split('\n').slice(1);
  };

  it('lists every changed leaf in the payload\'s order: - dropped, ~ hashed with its pseudonym, ? unknown (a key no rule names by its tag); no originals', async () => {
    const body = await sentBody();
    const run = await explain('1', INPUT);
    expect(run.code).toBe(0);
    expect(diffLines(run.stdout)).toEqual([
      `  ~ deployment_id → "${body.deployment_id}"`,
      `  ? ${tagUnder(KEY, 'hostname')}`,
      `  ~ owner_id → "${body.owner_id}"`,
      `  ~ users[0].id → "${body.users[0]!.id}"`,
      '  - users[0].email',
      `  ~ users[1].id → "${body.users[1]!.id}"`,
      '  - users[1].email',
    ]);
    for (const original of [...Object.values(ORIGINAL), 'ada@corp.example', 'build-01.corp.example']) expect(run.stdout).not.toContain(original);
  });

  it('with --originals, each line shows the value the input had', async () => {
    const body = await sentBody();
    const run = await explain('1', '--originals', INPUT);
    expect(run.code).toBe(0);
    expect(diffLines(run.stdout)).toEqual([
      `  ~ deployment_id: "${ORIGINAL.deployment}" → "${body.deployment_id}"`,
      '  ? hostname: "build-01.corp.example"',
      `  ~ owner_id: "${ORIGINAL.owner}" → "${body.owner_id}"`,
      `  ~ users[0].id: "${ORIGINAL.owner}" → "${body.users[0]!.id}"`,
      '  - users[0].email: "ada@corp.example"',
      `  ~ users[1].id: "${ORIGINAL.user2}" → "${body.users[1]!.id}"`,
      '  - users[1].email: "grace@corp.example"',
    ]);
  });

  it('a removed object or array is listed leaf by leaf, an empty one as itself, big integers exact', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'nested.json');
    await fs.writeFile(file, '{"version": "v1", "host": {"name": "ci-7", "tags": ["a", 18446744073709551615], "extra": {}}, "users": []}');
    const run = await explain('2', '--originals', file);
    expect(run.code).toBe(0);
    expect(diffLines(run.stdout)).toEqual([
      '  ? host.name: "ci-7"',
      '  ? host.tags[0]: "a"',
      '  ? host.tags[1]: 18446744073709551615',
      '  ? host.extra: {}',
    ]);
  });

  it('says so when the policy changes nothing', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'clean.json');
    await fs.writeFile(file, '{"version": "v1"}');
    const run = await explain('2', file);
    expect(run.stdout).toMatch(/changes: none/);
  });

  /** Runs the CLI writing to the real process.stdout, made to look like a terminal; returns what it wrote. */
  async function onTerminal(args: string[]): Promise<string> {
    const out = process.stdout as NodeJS.WriteStream & { isTTY: boolean };
    const saved = { isTTY: out.isTTY, write: out.write };
    let text = '';
    out.isTTY = true;
    out.write = ((chunk: string | Uint8Array) => { text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'); return true; }) as typeof out.write;
    try {
      await main(['node', 'telegate', ...args], processIO);
    } finally {
      out.isTTY = saved.isTTY;
      out.write = saved.write;
    }
    return text;
  }
  const args = (...rest: string[]): string[] => ['policy', 'explain', '--vendor', 'acme', '--endpoint', '/report', '--level', '1', '--policies', POLICIES, ...rest, INPUT];

  it('on a terminal the diff is coloured: dropped red, hashed yellow, unknown magenta', async () => {
    const text = await onTerminal(args());
    expect(text).toMatch(/^\u001b\[31m {2}- users\[0\]\.email\u001b\[0m$/m);
    expect(text).toMatch(/^\u001b\[33m {2}~ users\[0\]\.id → "[0-9a-f-]{36}"\u001b\[0m$/m);
    expect(text).toMatch(/^\u001b\[35m {2}\? \*[0-9a-f]{16}\u001b\[0m$/m);
  });

  it('no colour on a terminal with NO_COLOR, nor ever in --format json', async () => {
    const json = await onTerminal(args('--format', 'json'));
    expect(json).not.toMatch(/\u001b\[/);
    expect(Object.keys(JSON.parse(json) as object)).toEqual(JSON_MEMBERS);
    restoreKey();
    restoreKey = withEnv({ TELEGATE_HASH_KEY: KEY, NO_COLOR: '1' });
    const plain = await onTerminal(args());
    expect(plain).toContain('  - users[0].email');
    expect(plain).not.toMatch(/\u001b\[/);
  });
});
