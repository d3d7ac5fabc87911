/** Policies written to real files in a temp folder, as users keep them. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadPolicyFile } from '../../../../src/policy/load';
import type { Endpoint } from '../../../../src/policy/types';

export async function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'telegate-policy-'));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export async function writePolicy(dir: string, name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

export type RuleSpec = string | { 1: string; 2: string; [option: string]: unknown };

/**
 * Loads a one-endpoint policy with the given field rules, written as YAML flow mappings (JSON is YAML),
 * and returns its endpoint. Throws with the formatted errors if the policy does not load.
 */
export async function endpointWith(fields: Record<string, RuleSpec>): Promise<Endpoint> {
  const dir = await tempDir();
  try {
    const doc = {
      vendor: 'acme',
      upstream: 'https://telemetry.acme.example',
      endpoints: { '/t': { method: 'POST', local_reply: { status: 202 }, fields } },
    };
    const file = await writePolicy(dir, 'acme.yaml', JSON.stringify(doc, null, 2));
    const loaded = await loadPolicyFile(file);
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => `${e.line}:${e.column}: ${e.message}`).join('\n'));
    return loaded.value.endpoints.get('/t')!;
  } finally {
    await removeDir(dir);
  }
}
