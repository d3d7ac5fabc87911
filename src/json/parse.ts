/**
 * Parse a request body into a JsonValue without losing or inventing anything.
 *
 * - The bytes must be valid UTF-8 (no silent U+FFFD replacement).
 * - Nesting deeper than `maxDepth` is refused before any tree is built.
 * - Numbers are never rounded: integers beyond 2^53 become `bigint` (Coder's uint64 tailnet node ids),
 *   and a non-integer that a double cannot hold exactly (or that overflows to Infinity) is refused.
 *
 * Fast path: one byte scan decides depth and whether any number could be inexact (a run of 16+ digits
 * or an exponent outside strings). Only then is the slower lossless parser used; otherwise the native
 * JSON.parse, which creates `__proto__` as an own data property and never a prototype link.
 */
import { isUtf8 } from 'node:buffer';
import { parse as losslessParse, isSafeNumber, isInteger } from 'lossless-json';
import type { JsonValue } from './types';

export type JsonParseErrorCode = 'not-utf8' | 'invalid-json' | 'too-deep' | 'inexact-number';

export interface JsonParseError { code: JsonParseErrorCode; detail: string }

export type JsonParseResult = { ok: true; value: JsonValue } | { ok: false; error: JsonParseError };

export interface JsonParseOptions { maxDepth: number }

interface ScanResult { depthExceeded: boolean; maybeInexact: boolean }

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
const DOT = 0x2e;

/** Integers with 16+ digits may pass 2^53; 15 or fewer always round-trip through a double. */
const LONG_DIGIT_RUN = 16;

function scan(bytes: Buffer, maxDepth: number): ScanResult {
  let depth = 0;
  let digitRun = 0;
  let maybeInexact = false;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    if (c === QUOTE) {
      // Jump to the closing quote natively: strings are most of a telemetry body's bytes.
      let j = i;
      for (;;) {
        j = bytes.indexOf(QUOTE, j + 1);
        if (j === -1) return { depthExceeded: false, maybeInexact }; // unterminated: JSON.parse reports it
        let backslashes = 0;
        for (let k = j - 1; bytes[k] === BACKSLASH; k--) backslashes++;
        if ((backslashes & 1) === 0) break;
      }
      i = j;
      digitRun = 0;
      continue;
    }
    if (c >= DIGIT_0 && c <= DIGIT_9) {
      if (++digitRun >= LONG_DIGIT_RUN) maybeInexact = true;
      continue;
    }
    if ((c === LOWER_E || c === UPPER_E) && i > 0) {
      const prev = bytes[i - 1]!;
      if ((prev >= DIGIT_0 && prev <= DIGIT_9) || prev === DOT) maybeInexact = true;
    }
    digitRun = c === DOT ? digitRun : 0;
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return { depthExceeded: true, maybeInexact };
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return { depthExceeded: false, maybeInexact };
}

class InexactNumberError extends Error {}

function exactNumber(text: string): number | bigint {
  if (isSafeNumber(text)) return Number(text);
  if (isInteger(text)) return BigInt(text);
  throw new InexactNumberError(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

export function parseJson(bytes: Buffer, options: JsonParseOptions): JsonParseResult {
  if (!isUtf8(bytes)) return { ok: false, error: { code: 'not-utf8', detail: 'the body is not valid UTF-8' } };
  const { depthExceeded, maybeInexact } = scan(bytes, options.maxDepth);
  if (depthExceeded) {
    return { ok: false, error: { code: 'too-deep', detail: `the body nests deeper than ${options.maxDepth} levels` } };
  }
  const text = bytes.toString('utf8');
  try {
    if (!maybeInexact) return { ok: true, value: JSON.parse(text) as JsonValue };
    return { ok: true, value: losslessParse(text, null, exactNumber) as JsonValue };
  } catch (err) {
    if (err instanceof InexactNumberError) {
      return {
        ok: false,
        error: { code: 'inexact-number', detail: `the number ${err.message} cannot be held exactly; refusing rather than rounding it` },
      };
    }
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, error: { code: 'invalid-json', detail: message } };
  }
}
