import fc from 'fast-check';
import { parse as losslessParse, stringify as losslessStringify, isInteger, isSafeNumber } from 'lossless-json';
import { parseJson } from '../../../src/json/parse';
import type { JsonValue } from '../../../src/json/types';

const parse = (text: string) => parseJson(Buffer.from(text, 'utf8'), { maxDepth: 128 });

/** A decimal's exact value as (mantissa, power of ten), trailing zeros moved into the power: equal pairs, equal numbers. */
function decimal(text: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text)!;
  let mantissa = BigInt(`${m[1]}${m[2]}${m[3] ?? ''}`);
  let power = Number(m[4] ?? 0) - (m[3] ?? '').length;
  while (mantissa !== 0n && mantissa % 10n === 0n) { mantissa /= 10n; power++; }
  return mantissa === 0n ? '0' : `${mantissa}e${power}`;
}

/**
 * The reference: the lossless parser on every number, which rounds nothing and refuses what it cannot
 * hold. A fraction or exponent form is held when the double's own shortest spelling is the same decimal
 * (1e21 and 1e+21), however large. An integer of more than 21 digits is refused (uint64 has 20; JS and Go write doubles below 1e21 with up to 21).
 */
function reference(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: losslessParse(text, null, (n: string) => {
      if (isSafeNumber(n)) return Number(n);
      if (isInteger(n)) {
        if (n.replace('-', '').length > 21) throw new Error('integer-out-of-range');
        return BigInt(n);
      }
      if (Number.isFinite(Number(n)) && decimal(String(Number(n))) === decimal(n)) return Number(n);
      throw new Error('inexact-number');
    }) };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

/** Whether a value holds a negative zero anywhere (what the parser must report, so the sign is written back). */
function holdsNegativeZero(value: unknown): boolean {
  if (typeof value === 'number') return Object.is(value, -0);
  if (Array.isArray(value)) return value.some(holdsNegativeZero);
  if (typeof value === 'object' && value !== null) return Object.values(value).some(holdsNegativeZero);
  return false;
}

const bigInteger = fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n });
const number = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.maxSafeInteger());
// Strings that look like what the byte scan must skip: digits, quotes, backslashes, brackets, U+0000.
const trickyString = fc.stringMatching(/^[0-9eE.\-"\\[\]{}\u0000a-z]{0,24}$/);
const json: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    bigInteger, number, trickyString, fc.boolean(), fc.constant(null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(trickyString, tie('value'), { maxKeys: 5 }),
  ),
})).value;

describe('parseJson: exact numbers on the fast path', () => {
  test('any body parses to exactly what the lossless parser gives, or is refused exactly when it is refused', () => {
    fc.assert(fc.property(json, (value) => {
      const text = losslessStringify(value)!;
      const expected = reference(text);
      const result = parse(text);
      if (expected.ok) expect(result).toEqual({ ok: true, value: expected.value, negativeZero: holdsNegativeZero(expected.value) });
      // Both refusals may apply to one body; which is named first may differ (the byte scan stops at a long integer).
      else expect(['inexact-number', 'integer-out-of-range']).toContain(result.ok ? 'parsed' : result.error.code);
    }), { numRuns: 500 });
  });

  test('a damaged body is refused exactly when the lossless parser refuses it, else parses the same', () => {
    const damaged = fc.tuple(json, fc.nat(), fc.constantFrom('', '1', '12345678901234567890', '"', ',', ':', '}', ']', '\\u0000'))
      .map(([value, at, insert]) => {
        const text = losslessStringify(value)!;
        const i = at % (text.length + 1);
        return text.slice(0, i) + insert + text.slice(i + (insert === '' ? 1 : 0));
      });
    fc.assert(fc.property(damaged, (text) => {
      const expected = reference(text);
      if (!expected.ok && expected.message.startsWith('Duplicate key')) return; // the native parser keeps the last
      const result = parse(text);
      expect(result.ok).toBe(expected.ok);
      if (result.ok && expected.ok) expect(result.value).toEqual(expected.value);
    }), { numRuns: 2000 });
  });

  test('a 16-digit integer that a double holds stays a number; one past 2^53 becomes a bigint', () => {
    expect(parse('[4519283746501234,9007199254740991,9007199254740993,-9007199254740993]'))
      .toEqual({ ok: true, value: [4519283746501234, 9007199254740991, 9007199254740993n, -9007199254740993n], negativeZero: false });
  });

  test('integers up to 21 digits (uint64, int64, a double JS writes in integer form) are exact; one digit more is refused as out of range', () => {
    expect(parse('[18446744073709551615,-9223372036854775808,100000000000000000000,999999999999999999999]'))
      .toEqual({ ok: true, value: [18446744073709551615n, -9223372036854775808n, 100000000000000000000n, 999999999999999999999n], negativeZero: false });
    for (const text of ['[1844674407370955161500]', '{"n":-1000000000000000000000}', `{"n":1${'7'.repeat(4_000_000)}}`]) {
      expect(parse(text)).toMatchObject({ ok: false, error: { code: 'integer-out-of-range' } });
    }
    // A fraction or exponent form is not an integer token: it is judged as a double.
    expect(parse('[100000000000000000000.0,1e20]')).toEqual({ ok: true, value: [1e20, 1e20], negativeZero: false });
  });

  test('a big integer where a key belongs is refused, not read as a key', () => {
    expect(parse('{12345678901234567890:1}')).toMatchObject({ ok: false, error: { code: 'invalid-json' } });
    expect(parse('[012345678901234567890]')).toMatchObject({ ok: false, error: { code: 'invalid-json' } });
  });

  test('a body holding the escape \\u0000 keeps its strings and its big integers', () => {
    expect(parse('{"s":"\\u000012345678901234567890","n":12345678901234567890}'))
      .toEqual({ ok: true, value: { s: '\u000012345678901234567890', n: 12345678901234567890n }, negativeZero: false });
  });

  test('a big integer under the key __proto__ is data, and the object keeps its prototype', () => {
    const result = parse('{"__proto__":12345678901234567890}');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const obj = result.value as Record<string, unknown>;
    expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(obj, '__proto__')?.value).toBe(12345678901234567890n);
  });

  test('an inexact fraction is refused even among big integers and safe long numbers', () => {
    expect(parse('[12345678901234567890,4519283746501234,0.12345678901234567890123]'))
      .toMatchObject({ ok: false, error: { code: 'inexact-number' } });
    expect(parse('[12345678901234567890,1e400]')).toMatchObject({ ok: false, error: { code: 'inexact-number' } });
  });
});
