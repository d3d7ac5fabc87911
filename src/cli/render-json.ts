/**
 * JSON as people read it on a terminal. Bodies may hold exact big integers (`bigint`), which the native
 * JSON.stringify refuses, so those take the lossless serializer: a printed value is never rounded.
 */
import { stringify as losslessStringify } from 'lossless-json';
import type { JsonValue } from '../json/types';

const INDENT = 2;

export function prettyJson(value: JsonValue): string {
  try {
    return JSON.stringify(value, null, INDENT);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    const text = losslessStringify(value, null, INDENT);
    if (text === undefined) throw new TypeError('value has no JSON form');
    return text;
  }
}
