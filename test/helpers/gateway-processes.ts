/**
 * Gateways as real processes over one temporary folder and one stand-in vendor, for suites that start,
 * kill and restart them (one writer per chain, its attacks): registers the jest hooks that make a fresh
 * folder for each test and kill (SIGKILL) whatever a test left running before removing it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { POLICIES, TEST_HASH_KEY } from './gateway-harness';
import { spawnGateway, type GatewayProcess } from './gateway-process';
import { startStandInVendor, type StandInVendor } from './stand-in-vendor';

export interface GatewayProcesses {
  /** This test's folder; the audit log is `<dir>/audit`. */
  readonly dir: string;
  readonly vendor: StandInVendor;
  /** The environment of a gateway writing `<dir>/audit`, sending Coder at level 2 to the stand-in vendor. */
  envFor(extra?: Record<string, string>): Record<string, string>;
  /** A gateway started with `envFor(extra)`, killed after the test if it is still running. */
  start(extra?: Record<string, string>): Promise<GatewayProcess>;
}

export function useGatewayProcesses(folderPrefix: string): GatewayProcesses {
  let vendor: StandInVendor | undefined;
  let dir: string | undefined;
  const running: GatewayProcess[] = [];

  beforeAll(async () => {
    vendor = await startStandInVendor({ reply: { kind: 'reply', status: 202 } });
  });
  afterAll(async () => {
    await vendor?.close();
  });
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), folderPrefix));
  });
  afterEach(async () => {
    for (const gw of running.splice(0)) {
      if (gw.child.exitCode === null && gw.child.signalCode === null) {
        gw.child.kill('SIGKILL');
        await gw.exited;
      }
    }
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const fixture: GatewayProcesses = {
    get dir() {
      if (dir === undefined) throw new Error('useGatewayProcesses: no test is running');
      return dir;
    },
    get vendor() {
      if (vendor === undefined) throw new Error('useGatewayProcesses: the stand-in vendor is not started');
      return vendor;
    },
    envFor: (extra = {}) => ({
      TELEGATE_HASH_KEY: TEST_HASH_KEY, TELEGATE_POLICIES: POLICIES,
      TELEGATE_AUDIT_DIR: path.join(fixture.dir, 'audit'), TELEGATE_DATA_DIR: path.join(fixture.dir, 'data'),
      TELEGATE_UPSTREAM_CODER: fixture.vendor.url, TELEGATE_LEVEL_CODER: '2', TELEGATE_LOG_LEVEL: 'warn',
      ...extra,
    }),
    start: async (extra = {}) => {
      const gw = await spawnGateway(fixture.envFor(extra));
      running.push(gw);
      return gw;
    },
  };
  return fixture;
}
