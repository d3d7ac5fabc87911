/**
 * telegate's image run as a platform team runs it: the image's own user, a read-only root file system,
 * the audit log on a host volume, upstreams pointed at a stand-in vendor on the host (host networking),
 * Coder's and Automatisch's real payloads through it, then `podman stop` (SIGTERM). What a deployment
 * relies on: the payloads the vendor gets are the policy's output, the process is not root and cannot
 * write its own code, the health check works inside the container, and a stop leaves an audit log that
 * `telegate audit verify` proves whole, ending in `stop`.
 *
 * Run through `npm run test:container` (test/container/run.sh builds the image and sets
 * TELEGATE_TEST_IMAGE and CONTAINERS_CONF).
 */
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jsonEqual } from '../../src/policy/fixture-diff';
import { egressRecords, readAuditRecords, type ReadRecord } from '../helpers/audit-records';
import { TEST_HASH_KEY } from '../helpers/gateway-harness';
import { exactJson, packFixture } from '../helpers/pack-fixture';
import { startStandInVendor, type StandInVendor } from '../helpers/stand-in-vendor';

const IMAGE = process.env['TELEGATE_TEST_IMAGE'];
const REPO = path.resolve(__dirname, '../..');
/** The base image's `node` user, which the Dockerfile runs as. */
const NODE_UID = 1000;
const CODER_VERSION = 'v2.24.1+2b8e0f3';
/** Automatisch's public RudderStack write key, as SDK 1.1.5 sends it. */
const RUDDER_AUTHORIZATION = `Basic ${Buffer.from('284Py4VgK2MsNYV7xlKzyrALx0v:').toString('base64')}`;

interface Run { code: number; stdout: string; stderr: string }

function run(file: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { maxBuffer: 64 * 1024 * 1024, cwd: REPO }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
const podman = (...args: string[]): Promise<Run> => run('podman', args);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface Reply { status: number; body: string }

function send(url: string, method: string, headers: Record<string, string>, body?: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: body ? { ...headers, 'Content-Length': String(body.length) } : headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const ms = (since: bigint): number => Math.round(Number(process.hrtime.bigint() - since) / 1e6);

/** `podman run -d` the image read-only on the host network, then wait until /readyz answers or it dies. */
async function startContainer(name: string, adminUrl: string, args: string[]): Promise<void> {
  if (!IMAGE) throw new Error('TELEGATE_TEST_IMAGE is not set: run this through `npm run test:container`');
  const up = await podman('run', '-d', '--name', name, '--network', 'host', '--read-only', ...args, IMAGE);
  if (up.code !== 0) throw new Error(`podman run failed: ${up.stderr}`);
  for (;;) {
    const ready = await send(`${adminUrl}/readyz`, 'GET', {}).catch(() => undefined);
    if (ready?.status === 200) return;
    const state = await podman('inspect', '--format', '{{.State.Running}}', name);
    if (state.stdout.trim() !== 'true') {
      const logs = await podman('logs', name);
      throw new Error(`the container exited:\n${logs.stdout}${logs.stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the telegate image, run read-only as non-root with the audit log on a volume', () => {
  const name = `telegate-container-test-${process.pid}`;
  const coder = packFixture('coder-snapshot');
  const automatisch = packFixture('automatisch-sdk1-all-events');
  const timings: Record<string, number> = {};
  let vendor: StandInVendor;
  let root: string;
  let auditDir: string;
  let url: string;
  let adminUrl: string;
  let coderBody: Buffer | undefined;
  let automatischBody: Buffer | undefined;

  beforeAll(async () => {
    vendor = await startStandInVendor();
    root = await mkdtemp(path.join(tmpdir(), 'telegate-container-'));
    auditDir = path.join(root, 'audit');
    const dataDir = path.join(root, 'data');
    for (const dir of [auditDir, dataDir]) {
      await mkdir(dir, { mode: 0o700 });
      // A host folder mounted as a volume keeps its owner: give it to the container's user, as an operator would.
      await chown(dir, NODE_UID, NODE_UID);
    }
    const [port, adminPort] = [await freePort(), await freePort()];
    url = `http://127.0.0.1:${port}`;
    adminUrl = `http://127.0.0.1:${adminPort}`;

    const started = process.hrtime.bigint();
    await startContainer(name, adminUrl, [
      '-v', `${auditDir}:/var/lib/telegate/audit`, '-v', `${dataDir}:/var/lib/telegate/data`,
      '-e', `TELEGATE_PORT=${port}`, '-e', `TELEGATE_ADMIN_PORT=${adminPort}`, '-e', `TELEGATE_HASH_KEY=${TEST_HASH_KEY}`,
      '-e', `TELEGATE_UPSTREAM_CODER=${vendor.url}/coder`, '-e', `TELEGATE_UPSTREAM_AUTOMATISCH=${vendor.url}/automatisch`,
    ]);
    timings['start to ready'] = ms(started);
  });

  afterAll(async () => {
    await podman('rm', '-f', name);
    await vendor?.close();
    if (root) await rm(root, { recursive: true, force: true });
    console.log(`container timings (ms): ${JSON.stringify(timings)}`);
  });

  it('runs as uid 1000, with node as PID 1, stopped by SIGTERM, and cannot write outside its volumes', async () => {
    const config = await podman('inspect', '--format', '{{.Config.User}}|{{.HostConfig.ReadonlyRootfs}}', name);
    expect(config.stdout.trim()).toBe('1000:1000|true');
    expect((await podman('image', 'inspect', '--format', '{{.Config.StopSignal}}', IMAGE ?? '')).stdout.trim()).toBe('SIGTERM');
    expect((await podman('exec', name, 'id', '-u')).stdout.trim()).toBe(String(NODE_UID));
    // No shell or init in between: SIGTERM from `podman stop` reaches telegate itself.
    expect((await podman('exec', name, 'cat', '/proc/1/cmdline')).stdout.split('\0')).toEqual(['node', 'bin/telegate.js', 'serve', '']);
    // Its code and the baked policies belong to root; and even its own home folder is read-only.
    const code = await podman('exec', name, 'touch', '/app/bin/telegate.js', '/etc/telegate/policies/coder.yaml');
    expect(code.stderr.match(/Permission denied/g)).toHaveLength(2);
    const home = await podman('exec', name, 'touch', '/home/node/file');
    expect(home.stderr).toMatch(/Read-only file system/);
  });

  it('runs Node.js 24, the line the tests ran on', async () => {
    const inImage = (await podman('exec', name, 'node', '--version')).stdout.trim();
    expect(inImage).toMatch(/^v24\./);
    // The host's tests ran on this same major (scripts/node24.sh); the image must not lag behind them.
    expect(inImage.split('.')[0]).toBe(process.version.split('.')[0]);
  });

  it('answers /healthz on the admin port, and the image HEALTHCHECK reports healthy', async () => {
    expect(await send(`${adminUrl}/healthz`, 'GET', {})).toMatchObject({ status: 200 });
    const check = await podman('healthcheck', 'run', name);
    expect(check.code).toBe(0);
    expect((await podman('inspect', '--format', '{{.State.Health.Status}}', name)).stdout.trim()).toBe('healthy');
  });

  it('forwards a Coder snapshot as the pack allows it at level 1', async () => {
    vendor.behave({ kind: 'reply', status: 202 });
    const t = process.hrtime.bigint();
    const reply = await send(`${url}/snapshot`, 'POST', {
      'User-Agent': 'Go-http-client/1.1', 'X-Coder-Version': CODER_VERSION, 'Accept-Encoding': 'gzip',
    }, coder.input);
    timings['coder snapshot'] = ms(t);
    expect(reply.status).toBe(202);
    const got = vendor.received.at(-1);
    expect(got?.url).toBe('/coder/snapshot');
    expect(got?.headers['x-coder-version']).toBe(CODER_VERSION);
    expect(got?.headers['x-forwarded-for']).toBeUndefined();
    coderBody = got?.body;
    expect(jsonEqual(coder.expected(1), exactJson(got?.body ?? Buffer.alloc(0)))).toBe(true);
  });

  it('forwards a RudderStack batch from Automatisch as the pack allows it at level 1', async () => {
    vendor.behave({ kind: 'reply', status: 200, body: 'OK' });
    const t = process.hrtime.bigint();
    const reply = await send(`${url}/v1/batch`, 'POST', {
      'Content-Type': 'application/json', 'User-Agent': 'analytics-node/1.1.5', Authorization: RUDDER_AUTHORIZATION,
    }, automatisch.input);
    timings['automatisch batch'] = ms(t);
    expect(reply).toEqual({ status: 200, body: 'OK' });
    const got = vendor.received.at(-1);
    expect(got?.url).toBe('/automatisch/v1/batch');
    expect(got?.headers['authorization']).toBe(RUDDER_AUTHORIZATION);
    automatischBody = got?.body;
    expect(jsonEqual(automatisch.expected(1), exactJson(got?.body ?? Buffer.alloc(0)))).toBe(true);
  });

  it('exits 0 on podman stop, leaving an audit log that verifies, both bodies as sent, ending in stop', async () => {
    const t = process.hrtime.bigint();
    expect((await podman('stop', '-t', '30', name)).code).toBe(0);
    timings['stop'] = ms(t);
    expect((await podman('inspect', '--format', '{{.State.ExitCode}}', name)).stdout.trim()).toBe('0');
    expect((await podman('logs', name)).stdout).toContain('audit log flushed');

    const verify = await run(process.execPath, ['bin/telegate.js', 'audit', 'verify', auditDir]);
    expect(verify.stderr).toBe('');
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^ok: .* 1 chain\(s\)/m);

    const records = await readAuditRecords(auditDir);
    expect(records.at(-1)?.record['type']).toBe('stop');
    const egress = egressRecords(records);
    expect(egress.map((r: ReadRecord) => [r.record['vendor'], r.record['decision']])).toEqual([['coder', 'forwarded'], ['automatisch', 'forwarded']]);
    expect(egress[0]?.bodyBytes?.equals(coderBody ?? Buffer.alloc(0))).toBe(true);
    expect(egress[1]?.bodyBytes?.equals(automatischBody ?? Buffer.alloc(0))).toBe(true);

    const folder = await stat(auditDir);
    expect([folder.uid, folder.mode & 0o777]).toEqual([NODE_UID, 0o700]);
  });
});

describe('on a volume whose root belongs to root, as Kubernetes mounts one (deploy/kubernetes)', () => {
  const name = `telegate-container-volume-${process.pid}`;
  let volume: string;

  beforeAll(async () => {
    volume = await mkdtemp(path.join(tmpdir(), 'telegate-volume-'));
    // What fsGroup makes of a volume: owner root, group 1000, group-writable, setgid.
    await chown(volume, 0, NODE_UID);
    await chmod(volume, 0o2775);
  });
  afterAll(async () => {
    await podman('rm', '-f', name);
    await rm(volume, { recursive: true, force: true });
  });

  /** The volume at the image's audit folder, and ports of its own. */
  const options = async (): Promise<{ args: string[]; adminPort: number }> => {
    const adminPort = await freePort();
    return {
      adminPort,
      args: ['-v', `${volume}:/var/lib/telegate/audit`, '-e', `TELEGATE_HASH_KEY=${TEST_HASH_KEY}`,
        '-e', `TELEGATE_PORT=${await freePort()}`, '-e', `TELEGATE_ADMIN_PORT=${adminPort}`],
    };
  };

  it('refuses the mount point itself as its audit folder, naming it, with exit 2', async () => {
    const { args } = await options();
    const refused = await podman('run', '--rm', '--network', 'host', '--read-only', ...args, IMAGE ?? '');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('audit.dir /var/lib/telegate/audit: cannot prepare audit folder');
  });

  it('runs with TELEGATE_AUDIT_DIR in a subfolder it creates, 0700 and its own, and stops with a whole chain', async () => {
    const { args, adminPort } = await options();
    await startContainer(name, `http://127.0.0.1:${adminPort}`, [...args, '-e', 'TELEGATE_AUDIT_DIR=/var/lib/telegate/audit/log']);
    expect((await podman('stop', '-t', '30', name)).code).toBe(0);
    const folder = await stat(path.join(volume, 'log'));
    expect([folder.uid, folder.mode & 0o777]).toEqual([NODE_UID, 0o700]);
    const verify = await run(process.execPath, ['bin/telegate.js', 'audit', 'verify', path.join(volume, 'log')]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain('ok, closed');
  });
});
