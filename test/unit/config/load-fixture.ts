/**
 * Paths of test/fixtures/config, a loader that fails the test with the errors it got, and throw-away
 * folders for configuration files a test writes (removed by removeConfigDirs, in each file's afterAll).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type GatewayConfig, type LoadConfigOptions } from '../../../src/config';

export const FIXTURES = path.resolve(__dirname, '../../fixtures/config');

export async function loadOk(options: LoadConfigOptions): Promise<GatewayConfig> {
  const r = await loadConfig(options);
  if (!r.ok) throw new Error(`expected a valid configuration, got:\n${r.errors.join('\n')}`);
  return r.value;
}

export async function loadErrors(options: LoadConfigOptions): Promise<string[]> {
  const r = await loadConfig(options);
  if (r.ok) throw new Error('expected configuration errors, got a valid configuration');
  return r.errors;
}

const made: string[] = [];

export async function configDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'telegate-config-'));
  made.push(dir);
  return dir;
}

export async function removeConfigDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}
