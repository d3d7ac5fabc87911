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
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;
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

export function isTimestamp(text: string): boolean {
  const m = RFC3339.exec(text);
  if (m === null) return false;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return false;
  // RFC 3339 §5.7: a leap second is written :60.
  if (hour > 23 || minute > 59 || second > 60) return false;
  if (m[7] !== undefined && (Number(m[8]) > 23 || Number(m[9]) > 59)) return false;
  return true;
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
