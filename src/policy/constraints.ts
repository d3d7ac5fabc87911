/**
 * Value constraints (`type`, `pattern`, `enum`, `max_length`, and `keys` on a wildcard), compiled once at
 * load into plain predicates; the hot path calls them and reads no YAML.
 *
 * Meaning (docs/policy-language.md §Value constraints): every member given must hold. `pattern` and
 * `max_length` apply to strings; without a `type` they imply `type: string` (a rule that describes a
 * string's format does not let a number or an object through instead). `enum` compares JSON type and
 * value (`"1"` is not `1`). A container never meets a constraint: constraints describe scalars.
 */
import type { JsonValue } from '../json/types';
import { compilePattern } from './re2-pattern';
import type { ConstraintSource, ValueType } from './types';
import { STRING_TYPES, TYPE_CHECKS } from './value-types';

export type ValueCheck = (value: JsonValue) => boolean;
export type KeyCheck = (key: string) => boolean;

export type Compiled<T> = { ok: true; check: T } | { ok: false; member: string; message: string };

/** Unicode code points in `text`, without building an array: a pair of surrogates is one. */
export function codePoints(text: string, stopAfter = Infinity): number {
  let n = 0;
  for (let i = 0; i < text.length && n <= stopAfter; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

function withinLength(max: number): (s: string) => boolean {
  // Code points never outnumber UTF-16 units: most strings are decided by their length alone.
  return (s) => s.length <= max || codePoints(s, max) <= max;
}

/** An enumeration, one set per JSON type, so that a lookup builds no key string. */
function enumCheck(values: readonly (string | number | boolean | null)[]): (v: JsonValue) => boolean {
  const strings = new Set(values.filter((x): x is string => typeof x === 'string'));
  const numbers = new Set(values.filter((x): x is number => typeof x === 'number').map(String));
  const trueOk = values.includes(true);
  const falseOk = values.includes(false);
  const nullOk = values.includes(null);
  return (v) => {
    switch (typeof v) {
      case 'string': return strings.has(v);
      case 'number': return numbers.size > 0 && numbers.has(String(v));
      case 'bigint': return numbers.size > 0 && numbers.has(v.toString());
      case 'boolean': return v ? trueOk : falseOk;
      default: return v === null && nullOk;
    }
  };
}

/** The string tests of a constraint (pattern, max_length), or null when it has none. */
function stringTest(c: { pattern?: string; max_length?: number }): Compiled<((s: string) => boolean) | null> {
  const tests: ((s: string) => boolean)[] = [];
  if (c.max_length !== undefined) tests.push(withinLength(c.max_length));
  if (c.pattern !== undefined) {
    const p = compilePattern(c.pattern);
    if (!p.ok) return { ok: false, member: 'pattern', message: p.message };
    tests.push(p.matches);
  }
  if (tests.length === 0) return { ok: true, check: null };
  if (tests.length === 1) return { ok: true, check: tests[0]! };
  const [a, b] = tests as [(s: string) => boolean, (s: string) => boolean];
  return { ok: true, check: (s) => a(s) && b(s) };
}

/** A rule's value constraint as one predicate; null when the rule has none. */
export function compileConstraint(c: ConstraintSource): Compiled<ValueCheck | null> {
  const strings = stringTest(c);
  if (!strings.ok) return strings;
  const types: readonly ValueType[] | undefined = c.type ?? (strings.check !== null ? ['string'] : undefined);
  const enumOk = c.enum === undefined ? null : enumCheck(c.enum);
  if (types === undefined && enumOk === null) return { ok: true, check: null };
  const stringCheck = strings.check;
  // The shapes nearly every rule has get a predicate of their own: this runs for every value that
  // leaves, and one small function is cheaper than a general one calling three more.
  if (enumOk === null && stringCheck === null && types !== undefined && types.length === 1) {
    return { ok: true, check: TYPE_CHECKS[types[0]!] };
  }
  if (enumOk !== null && stringCheck === null && types !== undefined && types.length === 1 && types[0] === 'string') {
    return { ok: true, check: (v) => typeof v === 'string' && enumOk(v) };
  }
  if (enumOk === null && stringCheck !== null && types !== undefined && types.length === 1 && types[0] === 'string') {
    return { ok: true, check: (v) => typeof v === 'string' && stringCheck(v) };
  }
  const typeChecks = types?.map((t) => TYPE_CHECKS[t]) ?? null;
  const single = typeChecks !== null && typeChecks.length === 1 ? typeChecks[0]! : null;
  const typeOk = (v: JsonValue): boolean => {
    if (typeChecks === null) return true;
    if (single !== null) return single(v);
    for (let i = 0; i < typeChecks.length; i++) if (typeChecks[i]!(v)) return true;
    return false;
  };
  const check: ValueCheck = (v) => {
    if (typeof v === 'object' && v !== null) return false;
    if (!typeOk(v)) return false;
    if (enumOk !== null && !enumOk(v)) return false;
    return stringCheck === null || typeof v !== 'string' || stringCheck(v);
  };
  return { ok: true, check };
}

/** The `keys:` constraint of a wildcard rule; null when it has none. */
export function compileKeyConstraint(keys: NonNullable<ConstraintSource['keys']>): Compiled<KeyCheck | null> {
  const strings = stringTest(keys);
  if (!strings.ok) return { ok: false, member: `keys.${strings.member}`, message: strings.message };
  const allowed = keys.enum === undefined ? null : new Set(keys.enum);
  const s = strings.check;
  if (allowed === null) return { ok: true, check: s };
  return { ok: true, check: (k) => allowed.has(k) && (s === null || s(k)) };
}

/** Whether `types` lets strings through, so that `pattern` and `max_length` can mean something. */
export function admitsStrings(types: readonly ValueType[] | undefined): boolean {
  return types === undefined || types.some((t) => STRING_TYPES.has(t));
}

/** Types whose values no detector can find anything in: digits, dashes, colons, a T and a zone, or no string. */
const CLEAN_TYPES: ReadonlySet<ValueType> = new Set(['timestamp', 'uuid', 'boolean', 'number', 'integer', 'null']);

/**
 * Whether every value the constraint admits is one no detector of `mask` finds anything in, so that the
 * detectors need not run on it: a type like `timestamp`, or an enumeration of values the pack's author
 * wrote (each checked here, once, at load).
 */
export function admitsOnlyClean(c: ConstraintSource | undefined, clean: (text: string) => boolean): boolean {
  if (c === undefined) return false;
  if (c.type !== undefined && c.type.every((t) => CLEAN_TYPES.has(t))) return true;
  return c.enum !== undefined && c.enum.every((v) => typeof v !== 'string' || clean(v));
}
