/**
 * telegate's own serialization of what leaves: compact JSON, keys in the order the policy output holds
 * them. Exact big integers (`bigint`) are written as their digits, which JSON.stringify cannot do, so
 * such bodies take the lossless serializer; every other body takes the native one.
 */
import { stringify as losslessStringify } from 'lossless-json';
import type { JsonValue } from './types';

export function serializeJson(value: JsonValue): string {
  try {
    return JSON.stringify(value);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    const text = losslessStringify(value);
    if (text === undefined) throw new TypeError('value has no JSON form');
    return text;
  }
}
