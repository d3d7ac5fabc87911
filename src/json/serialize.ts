/**
 * telegate's own serialization of what leaves: compact JSON, keys in the order the policy output holds
 * them. Exact big integers (`bigint`) are written as their digits, which JSON.stringify cannot do, so
 * such bodies take the lossless serializer; every other body takes the native one.
 *
 * Negative zero: JSON.parse reads `-0` as -0 but JSON.stringify writes it `0`, a different value to a
 * decoder that keeps the sign (Go's float64, IEEE 754 everywhere). A body holding one is written with a
 * replacer that emits its raw text (JSON.rawJSON), bigints too. The replacer costs a call per value, so
 * it runs only where a -0 can be: the parser says so (JsonParseResult.negativeZero) and the gateway
 * passes that on; a caller that does not know (the CLI) gets a walk over the value to find out.
 */
import { stringify as losslessStringify } from 'lossless-json';
import type { JsonValue } from './types';

export interface SerializeHint {
  /** The value may hold a -0 (the parse of its source found one). */
  negativeZero: boolean;
}

/** JSON.rawJSON (ES2026's JSON.parse source text access, in Node since 21): not in the ES2023 lib typings. */
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

export function serializeJson(value: JsonValue, hint?: SerializeHint): string {
  if (hint ? hint.negativeZero : holdsNegativeZero(value)) return JSON.stringify(value, keepExact);
  try {
    return JSON.stringify(value);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    const text = losslessStringify(value);
    if (text === undefined) throw new TypeError('value has no JSON form');
    return text;
  }
}

function keepExact(_key: string, v: unknown): unknown {
  if (typeof v === 'number') return v === 0 && 1 / v < 0 ? rawJSON('-0') : v;
  if (typeof v === 'bigint') return rawJSON(v.toString());
  return v;
}

function holdsNegativeZero(value: JsonValue): boolean {
  const stack: JsonValue[] = [value];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (typeof v === 'number') {
      if (v === 0 && 1 / v < 0) return true;
    } else if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
    } else if (typeof v === 'object' && v !== null) {
      for (const key of Object.keys(v)) stack.push(v[key]!);
    }
  }
  return false;
}
