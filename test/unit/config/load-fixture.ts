/** Paths of test/fixtures/config, and a loader that fails the test with the errors it got. */
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
