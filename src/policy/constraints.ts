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

function enumKey(v: JsonValue): string | undefined {
  switch (typeof v) {
    case 'string': return `s${v}`;
    case 'number': return `n${String(v)}`;
    case 'bigint': return `n${v.toString()}`;
    case 'boolean': return v ? 'btrue' : 'bfalse';
    default: return v === null ? 'z' : undefined;
  }
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
  const enumKeys = c.enum === undefined ? null : new Set(c.enum.map((v) => enumKey(v)!));
  if (types === undefined && enumKeys === null) return { ok: true, check: null };
  const typeChecks = types?.map((t) => TYPE_CHECKS[t]) ?? null;
  const stringCheck = strings.check;
  const check: ValueCheck = (v) => {
    if (typeof v === 'object' && v !== null) return false;
    if (typeChecks !== null && !typeChecks.some((t) => t(v))) return false;
    if (enumKeys !== null && !enumKeys.has(enumKey(v)!)) return false;
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
