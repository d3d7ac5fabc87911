/**
 * Stand-in for the keyed pseudonymizer while it is being written: deterministic, never returns its input,
 * and refuses what cannot be hashed (boolean, null, containers), as the real one does.
 */
import { createHash } from 'node:crypto';
import type { JsonValue } from '../../../../src/json/types';
import type { Pseudonymizer } from '../../../../src/policy/types';

export function fakePseudonym(value: string | number | bigint): string {
  return `h_${createHash('sha256').update(String(value)).digest('hex')}`;
}

export const fakePseudonymizer: Pseudonymizer = {
  pseudonymize(value: JsonValue): JsonValue | undefined {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') return fakePseudonym(value);
    return undefined;
  },
  keyTag(key: string): string {
    return createHash('sha256').update(`key:${key}`).digest('hex').slice(0, 16);
  },
};
