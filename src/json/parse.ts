/**
 * Parse a request body into a JsonValue without losing or inventing anything.
 *
 * - The bytes must be valid UTF-8 (no silent U+FFFD replacement).
 * - Nesting deeper than `maxDepth` is refused before any tree is built.
 * - Numbers are never rounded: integers beyond 2^53 become `bigint` (Coder's uint64 tailnet node ids),
 *   and a non-integer that a double cannot hold exactly (or that overflows to Infinity) is refused.
 * - An integer token of more than 21 digits is refused by the byte scan, before BigInt sees it: no client
 *   writes one (uint64 has 20 digits; JS and Go write a double below 1e21 as up to 21 digits, from 1e21
 *   on with an exponent), and BigInt's cost grows faster than the digits (4 MB of them: seconds).
 *
 * The native JSON.parse does the parsing (it creates `__proto__` as an own data property, never a
 * prototype link). One byte scan finds the depth and the few number tokens a double might not hold;
 * each is checked on its own text. Big integers reach the native parser as marked strings
 * (big-integers.ts); only a body that cannot be marked takes the slower lossless parser.
 */
import { isUtf8 } from 'node:buffer';
import { parse as losslessParse, isInteger, isNumber, isSafeNumber, splitNumber } from 'lossless-json';
import { canMark, markTokens, unmark } from './big-integers';
import { MAX_INTEGER_DIGITS, scanBytes } from './scan';
import type { JsonValue } from './types';

export type JsonParseErrorCode = 'not-utf8' | 'invalid-json' | 'too-deep' | 'too-many-values' | 'inexact-number' | 'integer-out-of-range';

export interface JsonParseError { code: JsonParseErrorCode; detail: string }

/**
 * `negativeZero`: the body holds a `-0` (in any spelling) outside strings; pass it to serializeJson so
 * that the sign, which JSON.stringify drops, is written back (SPEC §5: values that pass are not altered).
 */
export type JsonParseResult = { ok: true; value: JsonValue; negativeZero: boolean } | { ok: false; error: JsonParseError };

export interface JsonParseOptions {
  maxDepth: number;
  /** Most values (strings, numbers, objects, arrays; keys count) a body may hold; unlimited when absent. */
  maxValues?: number;
}

class InexactNumberError extends Error {}

/**
 * A double holds the number as written: lossless-json's test, except that a fraction or exponent form
 * past 2^53 (`1e21`, `1e308`, `1.5e300`) counts when the double reads back the same significant digits.
 * isSafeNumber refuses every such float as an inexact integer, but it is a double written as one, and a
 * decoder reads the same double from telegate's spelling (`1e+21`); `9007199254740993.0` stays refused.
 */
function heldExactly(text: string): boolean {
  if (isSafeNumber(text)) return true;
  if (isInteger(text)) return false;
  const value = Number(text);
  if (!Number.isFinite(value)) return false;
  const written = splitNumber(text);
  const read = splitNumber(String(value));
  return written.digits === read.digits && written.exponent === read.exponent;
}

function exactNumber(text: string): number | bigint {
  if (heldExactly(text)) return Number(text);
  if (isInteger(text)) return BigInt(text);
  throw new InexactNumberError(text);
}

/** Says what kind of number was refused, never the number: details go back to clients and into logs. */
function inexact(text: string): JsonParseResult {
  const form = /[eE]/.test(text) ? 'with an exponent' : text.includes('.') ? 'with a fraction' : 'integer';
  return {
    ok: false,
    error: { code: 'inexact-number', detail: `a ${text.length}-character number (${form}) cannot be held exactly by a double; refusing rather than rounding it` },
  };
}

function invalid(err: unknown): JsonParseResult {
  if (err instanceof InexactNumberError) return inexact(err.message);
  return { ok: false, error: { code: 'invalid-json', detail: invalidJsonDetail(err instanceof Error ? err.message : String(err)) } };
}

/**
 * Where the body stops being JSON, never what it says there: V8 quotes the body's first characters
 * ("Unexpected token 'c', "ceo@exampl"... is not valid JSON") and lossless-json names a duplicate key.
 */
function invalidJsonDetail(message: string): string {
  const position = /at position (\d+)/.exec(message)?.[1];
  const what = message.startsWith('Duplicate key') ? 'a key appears twice in one object' : 'the body is not valid JSON';
  return position === undefined ? what : `${what} (at character ${position})`;
}

function nativeParse(text: string, negativeZero: boolean): JsonParseResult {
  try {
    return { ok: true, value: JSON.parse(text) as JsonValue, negativeZero };
  } catch (err) {
    return invalid(err);
  }
}

function losslessParseText(text: string, negativeZero: boolean): JsonParseResult {
  try {
    return { ok: true, value: losslessParse(text, null, exactNumber) as JsonValue, negativeZero };
  } catch (err) {
    return invalid(err);
  }
}

export function parseJson(bytes: Buffer, options: JsonParseOptions): JsonParseResult {
  if (!isUtf8(bytes)) return { ok: false, error: { code: 'not-utf8', detail: 'the body is not valid UTF-8' } };
  const { depthExceeded, valuesExceeded, integerTooLong, risky, negativeZero } = scanBytes(bytes, options.maxDepth, options.maxValues);
  if (depthExceeded) {
    return { ok: false, error: { code: 'too-deep', detail: `the body nests deeper than ${options.maxDepth} levels` } };
  }
  if (valuesExceeded) {
    return { ok: false, error: { code: 'too-many-values', detail: `the body holds more than ${options.maxValues} JSON values (limits.values)` } };
  }
  if (integerTooLong) {
    return { ok: false, error: { code: 'integer-out-of-range', detail: `the body holds an integer of more than ${MAX_INTEGER_DIGITS} digits, beyond any 64-bit integer or a double in integer form` } };
  }
  const big: number[] = [];
  for (let r = 0; r < risky.length; r += 2) {
    const token = bytes.toString('latin1', risky[r], risky[r + 1]);
    // Not a JSON number: the body is malformed, and the native parser says where.
    if (!isNumber(token)) return nativeParse(bytes.toString('utf8'), negativeZero);
    if (heldExactly(token)) continue;
    if (!isInteger(token)) {
      const checked = nativeParse(bytes.toString('utf8'), negativeZero);
      return checked.ok ? inexact(token) : checked;
    }
    big.push(risky[r]!, risky[r + 1]!);
  }
  if (big.length === 0) return nativeParse(bytes.toString('utf8'), negativeZero);
  if (canMark(bytes)) {
    const parsed = nativeParse(markTokens(bytes, big).toString('utf8'), negativeZero);
    // A mark not found again stood where no value does (a key, a replaced duplicate): malformed, and
    // the lossless parser below reports it as the body is.
    if (parsed.ok && unmark(parsed.value, big.length / 2) === big.length / 2) return parsed;
  }
  return losslessParseText(bytes.toString('utf8'), negativeZero);
}
