/**
 * A real gateway for end-to-end tests: the configuration loader with the environment a platform team
 * would set (levels, upstreams pointed at stand-in vendors), ports chosen by the OS on 127.0.0.1, a fresh
 * audit folder and data folder, the shipped policy packs unless a test brings its own. Its pino log is
 * captured so tests can assert what telegate itself writes.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../../src/config';
import { startGateway, type Gateway, type StartOptions } from '../../src/gateway/start';

export const TEST_HASH_KEY = 'e2e-test-hash-key-0123456789abcdef';
export const POLICIES = path.resolve(__dirname, '../../policies');

export interface TestGateway {
  gateway: Gateway;
  url: string;
  /** Every listener's URL, in the order of `listen` (url is the first). */
  urls: string[];
  adminUrl: string;
  dir: string;
  auditDir: string;
  /** Every line telegate logged. */
  logLines: string[];
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  /** Extra environment (TELEGATE_LEVEL_CODER, TELEGATE_UPSTREAM_CODER, ...). */
  env?: Record<string, string>;
  /** A configuration file's text, written into the test folder. */
  configYaml?: string;
  policies?: string;
  /** Reuse a folder (restart tests). */
  dir?: string;
  /** Replaced audit file-system calls, to make the disk fail on demand. */
  auditSeams?: StartOptions['auditSeams'];
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const dir = options.dir ?? await mkdtemp(path.join(tmpdir(), 'telegate-e2e-'));
  try {
    return await start(dir, options);
  } catch (error) {
    // A start that fails (some tests expect it to) leaves nothing behind either.
    if (options.dir === undefined) await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function start(dir: string, options: TestGatewayOptions): Promise<TestGateway> {
  const env: NodeJS.ProcessEnv = {
    TELEGATE_PORT: '0',
    TELEGATE_ADMIN_PORT: '0',
    TELEGATE_AUDIT_DIR: path.join(dir, 'audit'),
    TELEGATE_DATA_DIR: path.join(dir, 'data'),
    TELEGATE_POLICIES: options.policies ?? POLICIES,
    TELEGATE_HASH_KEY: TEST_HASH_KEY,
    ...options.env,
  };
  let file: string | undefined;
  if (options.configYaml !== undefined) {
    file = path.join(dir, 'telegate.yaml');
    await writeFile(file, options.configYaml);
  }
  const loaded = await loadConfig({ env, cwd: dir, ...(file === undefined ? {} : { file }) });
  if (!loaded.ok) throw new Error(`test configuration refused: ${loaded.errors.join('; ')}`);
  const config = { ...loaded.value, listen: loaded.value.listen.map((l) => ({ ...l, host: '127.0.0.1' })) };
  const logLines: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, cb) { logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean)); cb(); } });
  const logger = pino({ level: 'debug' }, sink);
  const gateway = await startGateway(config, { logger, env, watchDebounceMs: 50, ...(options.auditSeams ? { auditSeams: options.auditSeams } : {}) });
  return {
    gateway, url: gateway.url, urls: gateway.urls, adminUrl: gateway.adminUrl, dir, auditDir: config.audit.dir, logLines,
    async close() {
      try {
        await gateway.close(2_000);
      } finally {
        // Also when close() fails (a test's failing disk): the folder goes either way.
        if (options.dir === undefined) await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
