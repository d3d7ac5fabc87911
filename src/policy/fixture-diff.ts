/**
 * Exact comparison of an expected body with the policy's output, for fixture tests.
 *
 * Equality is structural: object key order does not matter (the vendor's decoder does not see it), array
 * order does. Numbers compare by value across `number` and `bigint`, because an expected body written
 * inline in YAML holds plain numbers while the JSON parser keeps integers beyond 2^53 as `bigint`.
 */
import type { JsonObject, JsonValue } from '../json/types';

/** A concrete position in a body: object keys and array indices, root first. */
export type ValuePath = readonly (string | number)[];

export interface JsonDifference {
  path: ValuePath;
  /** `undefined`: the expected body has nothing here. */
  expected: JsonValue | undefined;
  /** `undefined`: the output has nothing here. */
  actual: JsonValue | undefined;
}

export interface JsonDiff {
  /** The first differences in document order, at most the limit asked for. */
  differences: JsonDifference[];
  /** How many differences were found in all. */
  total: number;
}

function isObject(value: JsonValue): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numbersEqual(a: number | bigint, b: number | bigint): boolean {
  if (typeof a === typeof b) return a === b;
  const asNumber = typeof a === 'number' ? a : (b as number);
  const asBigint = typeof a === 'bigint' ? a : (b as bigint);
  return Number.isInteger(asNumber) && BigInt(asNumber) === asBigint;
}

function isNumeric(value: JsonValue): value is number | bigint {
  return typeof value === 'number' || typeof value === 'bigint';
}

function own(object: JsonObject, key: string): JsonValue | undefined {
  return Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
}

/** Visits every difference; stops descending once `visit` returns false. */
function walk(
  expected: JsonValue,
  actual: JsonValue,
  path: (string | number)[],
  visit: (difference: JsonDifference) => boolean,
): boolean {
  if (isNumeric(expected) && isNumeric(actual)) {
    return numbersEqual(expected, actual) || visit({ path: [...path], expected, actual });
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    const length = Math.max(expected.length, actual.length);
    for (let i = 0; i < length; i++) {
      path.push(i);
      const e = expected[i];
      const a = actual[i];
      const goOn = e === undefined || a === undefined
        ? visit({ path: [...path], expected: e, actual: a })
        : walk(e, a, path, visit);
      path.pop();
      if (!goOn) return false;
    }
    return true;
  }
  if (isObject(expected) && isObject(actual)) {
    const keys = [...Object.keys(expected), ...Object.keys(actual).filter((k) => own(expected, k) === undefined)];
    for (const key of keys) {
      path.push(key);
      const e = own(expected, key);
      const a = own(actual, key);
      const goOn = e === undefined || a === undefined
        ? visit({ path: [...path], expected: e, actual: a })
        : walk(e, a, path, visit);
      path.pop();
      if (!goOn) return false;
    }
    return true;
  }
  return expected === actual || visit({ path: [...path], expected, actual });
}

export function jsonEqual(expected: JsonValue, actual: JsonValue): boolean {
  return walk(expected, actual, [], () => false);
}

export function diffJson(expected: JsonValue, actual: JsonValue, limit: number): JsonDiff {
  const differences: JsonDifference[] = [];
  let total = 0;
  walk(expected, actual, [], (difference) => {
    total++;
    if (differences.length < limit) differences.push(difference);
    return true;
  });
  return { differences, total };
}

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `users[0].email`, with keys that are not plain identifiers quoted as in the policy language. */
export function formatValuePath(path: ValuePath): string {
  if (path.length === 0) return '(body)';
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += `${text === '' ? '' : '.'}${PLAIN_KEY.test(segment) ? segment : JSON.stringify(segment)}`;
  }
  return text;
}
