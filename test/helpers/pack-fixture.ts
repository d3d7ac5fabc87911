/**
 * A policy pack's own fixture test (policies/tests/*.test.yaml) as an end-to-end expectation: the input
 * file's bytes, as an instance sends them, and the body the vendor must receive at a level, with the
 * fixture's hash markers resolved under the gateway's key.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseJson } from '../../src/json/parse';
import { createPseudonymizer, type JsonValue } from '../../src/policy';
import { loadFixture, resolveMarkers } from '../../src/policy/fixture-runner';
import { POLICIES, TEST_HASH_KEY } from './gateway-harness';

export interface PackFixture {
  /** The input payload file's bytes. */
  input: Buffer;
  expected(level: 1 | 2): JsonValue;
}

export function packFixture(testName: string, hashKey: string = TEST_HASH_KEY): PackFixture {
  const file = path.join(POLICIES, 'tests', `${testName}.test.yaml`);
  const loaded = loadFixture(file);
  if (!loaded.ok) throw new Error(`fixture ${testName} does not load`);
  const inputFile = /^input:\s*(\S+\.json)\s*$/m.exec(readFileSync(file, 'utf8'))?.[1];
  const pseudonymizer = createPseudonymizer(Buffer.from(hashKey, 'utf8'));
  return {
    input: inputFile ? readFileSync(path.join(POLICIES, 'tests', inputFile)) : Buffer.from(JSON.stringify(loaded.value.input)),
    expected(level) {
      const e = loaded.value.expect.get(level);
      if (e?.decision !== 'forward' || e.body === undefined) throw new Error(`fixture ${testName} has no level ${level} body`);
      return resolveMarkers(e.body, pseudonymizer).body;
    },
  };
}

/** Parses a body exactly (big integers kept), as the fixtures' expectations are. */
export function exactJson(bytes: Buffer): JsonValue {
  const parsed = parseJson(bytes, { maxDepth: 256 });
  if (!parsed.ok) throw new Error(`not JSON: ${parsed.error.detail}`);
  return parsed.value;
}
