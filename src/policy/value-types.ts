/**
 * The value types a constraint names (`type: uuid`), as predicates on parsed JSON values. The formats
 * are the standards' own: RFC 9562 (UUID text form, any version), RFC 3339 (date-time, with the ranges
 * of its fields checked), semver.org 2.0.0 (optionally led by `v`, as Go and Coder write versions).
 * The fixed-shape ones use the platform's RegExp (no repetition that can backtrack); semver's nested
 * repetitions run on RE2 (linear time).
 */
import type { JsonValue } from '../json/types';
import type { ValueType } from './types';
import { compilePattern } from './re2-pattern';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** semver.org's regular expression, with the leading `v` Go modules and Coder use. */
const SEMVER_SOURCE = 'v?(?:0|[1-9]\\d*)\\.(?:0|[1-9]\\d*)\\.(?:0|[1-9]\\d*)'
  + '(?:-(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*)?'
  + '(?:\\+[0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*)?';
const semver = compilePattern(SEMVER_SOURCE);
if (!semver.ok) throw new Error(`the semver pattern does not compile: ${semver.message}`);
/** Longer than any version a build writes; past it RE2 is not asked. */
const MAX_SEMVER_LENGTH = 256;

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Two digits at `i` as a number, or -1. */
function two(t: string, i: number): number {
  const a = t.charCodeAt(i) - 48;
  const b = t.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * RFC 3339 §5.6 date-time (`2024-05-02T10:20:30.123Z`, `…+02:00`), fields in range, a leap second as :60.
 * Read by position rather than by a regular expression: telemetry is full of timestamps, and this is on
 * the hot path of every one.
 */
export function isTimestamp(t: string): boolean {
  if (t.length < 20 || t.length > 35) return false;
  const y1 = two(t, 0);
  const y2 = two(t, 2);
  const month = two(t, 5);
  const day = two(t, 8);
  const hour = two(t, 11);
  const minute = two(t, 14);
  const second = two(t, 17);
  if (y1 < 0 || y2 < 0 || t.charCodeAt(4) !== 45 || t.charCodeAt(7) !== 45 || (t.charCodeAt(10) | 0x20) !== 0x74
    || t.charCodeAt(13) !== 58 || t.charCodeAt(16) !== 58) return false;
  if (month < 1 || month > 12 || day < 1 || day > daysIn(y1 * 100 + y2, month) || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return false;
  let i = 19;
  if (t.charCodeAt(i) === 46) { // fraction: 1 to 9 digits
    const start = ++i;
    while (i < t.length && t.charCodeAt(i) >= 48 && t.charCodeAt(i) <= 57) i++;
    if (i === start || i - start > 9) return false;
  }
  const zone = t.charCodeAt(i);
  if ((zone | 0x20) === 0x7a) return i + 1 === t.length; // Z or z
  if ((zone !== 43 && zone !== 45) || i + 6 !== t.length || t.charCodeAt(i + 3) !== 58) return false;
  const oh = two(t, i + 1);
  const om = two(t, i + 4);
  return oh >= 0 && oh <= 23 && om >= 0 && om <= 59;
}

export function isUuid(text: string): boolean {
  return text.length === 36 && UUID.test(text);
}

export function isSemver(text: string): boolean {
  return text.length <= MAX_SEMVER_LENGTH && semver.ok && semver.matches(text);
}

export const TYPE_CHECKS: Readonly<Record<ValueType, (v: JsonValue) => boolean>> = {
  string: (v) => typeof v === 'string',
  number: (v) => (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'bigint',
  integer: (v) => (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint',
  boolean: (v) => typeof v === 'boolean',
  null: (v) => v === null,
  uuid: (v) => typeof v === 'string' && isUuid(v),
  timestamp: (v) => typeof v === 'string' && isTimestamp(v),
  semver: (v) => typeof v === 'string' && isSemver(v),
};

/** The types whose values are strings: `pattern` and `max_length` apply to them. */
export const STRING_TYPES: ReadonlySet<ValueType> = new Set(['string', 'uuid', 'timestamp', 'semver']);
