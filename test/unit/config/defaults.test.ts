/** With no file and no environment, telegate runs SPEC §4's built-in defaults. */
import path from 'node:path';
import { defaultConfig, loadConfig, vendorSettings, type GatewayConfig } from '../../../src/config';

const CWD = path.resolve('/srv/telegate-run');

async function load(options: Parameters<typeof loadConfig>[0]): Promise<GatewayConfig> {
  const r = await loadConfig(options);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.value;
}

describe('built-in defaults', () => {
  test('no file and an empty environment give SPEC §4 values, paths under the working directory', async () => {
    // Written out from SPEC §4 and the configuration brief, not from defaults.ts.
    expect(await load({ env: {}, cwd: CWD })).toEqual({
      listen: [{ host: '0.0.0.0', port: 8080 }],
      admin: { host: '127.0.0.1', port: 9090 },
      policies: '/srv/telegate-run/policies',
      data_dir: '/srv/telegate-run/data',
      vendors: {},
      defaultLevel: 1,
      // SPEC §6.1: origin telegate, every 60 s, no witness, and no key (so no checkpoints) unless given.
      audit: {
        dir: '/srv/telegate-run/audit', max_file_bytes: 268435456, fsync: true,
        checkpoint: { origin: 'telegate', interval_s: 60, witness_url: null, key_file: null },
      },
      hash: { key_file: null },
      // docs/configuration.md: a peer holds at most 64 connections; a body gets 10 s plus 1 s per 4 KiB;
      // a response nobody reads for 30 s ends its connection.
      limits: {
        body_bytes: 67108864, inflated_bytes: 268435456, inflate_ratio: 100, judge_budget_bytes: 134217728, judge_wait_ms: 10000,
        judge_thread_bytes: 262144, depth: 128, values: 5000000, connections: 1024,
        connections_per_client: 64, body_timeout_ms: 10000, body_min_rate: 4096, write_timeout_ms: 30000,
      },
      upstream: { timeout_ms: 30000 },
      // One process unless asked: several write one audit chain each.
      workers: 1,
      log: { level: 'info' },
    });
  });

  test('no admin token and no TLS unless configured', async () => {
    const config = await load({ env: {}, cwd: CWD });
    expect('token' in config.admin).toBe(false);
    expect('tls' in config.listen[0]!).toBe(false);
    expect('replica' in config.audit).toBe(false);
  });

  test('without cwd, relative paths resolve against the process working directory', async () => {
    const config = await load({ env: {} });
    expect(config.policies).toBe(path.join(process.cwd(), 'policies'));
  });

  test('environment variables that are not telegate\'s change nothing', async () => {
    expect(await load({ env: { PATH: '/usr/bin', HOME: '/root', PORT: '1' }, cwd: CWD }))
      .toEqual(await load({ env: {}, cwd: CWD }));
  });

  test('defaultConfig gives a fresh copy: changing one does not change the next', () => {
    const a = defaultConfig();
    a.listen[0]!.port = 1;
    a.vendors['coder'] = { level: 2 };
    const b = defaultConfig();
    expect(b.listen).toEqual([{ host: '0.0.0.0', port: 8080 }]);
    expect(b.vendors).toEqual({});
  });
});

describe('vendorSettings', () => {
  test('a vendor the configuration does not name runs at level 1 with its policy\'s upstream', async () => {
    const config = await load({ env: {}, cwd: CWD });
    expect(vendorSettings(config, 'coder')).toEqual({ level: 1 });
  });

  test('a configured vendor gets its entry', () => {
    const config = defaultConfig();
    config.vendors['coder'] = { level: 2, upstream: 'https://example.test' };
    expect(vendorSettings(config, 'coder')).toEqual({ level: 2, upstream: 'https://example.test' });
    expect(vendorSettings(config, 'automatisch')).toEqual({ level: 1 });
  });

  test('an unnamed vendor follows defaultLevel', () => {
    const config = defaultConfig();
    config.defaultLevel = 0;
    expect(vendorSettings(config, 'automatisch')).toEqual({ level: 0 });
  });

  test('a vendor named like an Object member is still unconfigured', () => {
    const config = defaultConfig();
    expect(vendorSettings(config, 'constructor')).toEqual({ level: 1 });
    expect(vendorSettings(config, 'tostring')).toEqual({ level: 1 });
  });
});
