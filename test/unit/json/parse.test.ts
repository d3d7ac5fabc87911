import { parseJson } from '../../../src/json/parse';
import { serializeJson } from '../../../src/json/serialize';

const parse = (text: string | Buffer, maxDepth = 128) =>
  parseJson(typeof text === 'string' ? Buffer.from(text, 'utf8') : text, { maxDepth });

describe('parseJson', () => {
  it('parses ordinary JSON with the native parser semantics', () => {
    expect(parse('{"a":[1,2.5,"x",true,null]}')).toEqual({ ok: true, value: { a: [1, 2.5, 'x', true, null] }, negativeZero: false });
  });

  it('keeps integers beyond 2^53 exactly, and writes them back digit for digit', () => {
    const text = '{"node_id_self":18446744073709551615,"small":3}';
    const result = parse(text);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect((result.value as Record<string, unknown>)['node_id_self']).toBe(18446744073709551615n);
    expect(serializeJson(result.value)).toBe(text);
  });

  it('refuses a fraction a double cannot hold instead of rounding it', () => {
    const result = parse('{"x":0.12345678901234567890123}');
    expect(result).toMatchObject({ ok: false, error: { code: 'inexact-number' } });
  });

  it('refuses numbers that overflow to Infinity', () => {
    expect(parse('{"x":1e400}')).toMatchObject({ ok: false, error: { code: 'inexact-number' } });
  });

  it('accepts exponent forms that are exact', () => {
    expect(parse('{"x":1.5e3}')).toEqual({ ok: true, value: { x: 1500 }, negativeZero: false });
  });

  it('accepts doubles past 2^53 written as floats, and refuses one that would round', () => {
    // 1e21 is exactly 10^21 as a double; 1e308 and 1.5e300 read back digit for digit, as any decoder reads them.
    expect(parse('{"a":1e21,"b":1e308,"c":-1.5e300,"d":1.7976931348623157e308,"e":1E16}')).toEqual({ ok: true, value: { a: 1e21, b: 1e308, c: -1.5e300, d: Number.MAX_VALUE, e: 10_000_000_000_000_000 }, negativeZero: false });
    expect(serializeJson({ b: 1e308 })).toBe('{"b":1e+308}');
    for (const text of ['9007199254740993.0', '1.00000000000000000001e300', '4.9e-324', '1e-400']) {
      expect([text, parse(`{"x":${text}}`)]).toMatchObject([text, { ok: false, error: { code: 'inexact-number' } }]);
    }
  });

  it('does not mistake digits inside strings for numbers', () => {
    const result = parse('{"s":"12345678901234567890123","t":"a\\"1e999"}');
    expect(result).toEqual({ ok: true, value: { s: '12345678901234567890123', t: 'a"1e999' }, negativeZero: false });
  });

  it('refuses nesting deeper than the limit, counting brackets inside strings as text', () => {
    expect(parse('[[[1]]]', 3).ok).toBe(true);
    expect(parse('[[[[1]]]]', 3)).toMatchObject({ ok: false, error: { code: 'too-deep' } });
    expect(parse('{"a":"[[[[[[[["}', 2).ok).toBe(true);
  });

  it('refuses invalid UTF-8 rather than replacing it', () => {
    const bytes = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    expect(parse(bytes)).toMatchObject({ ok: false, error: { code: 'not-utf8' } });
  });

  it('says where a body stops being JSON, never what it holds there', () => {
    for (const text of ['ceo@example.com', '{"email": ceo@example.com}', '{"ceo@example.com":1,"ceo@example.com":2,"n":12345678901234567890,"z":"\\u0000"}']) {
      const result = parse(text);
      expect(result).toMatchObject({ ok: false, error: { code: 'invalid-json' } });
      if (!result.ok) expect([text, result.error.detail]).toEqual([text, expect.not.stringContaining('ceo')]);
    }
  });

  it('reports truncated JSON as invalid', () => {
    expect(parse('{"a":[1,2')).toMatchObject({ ok: false, error: { code: 'invalid-json' } });
  });

  it('keeps __proto__ as data on both parse paths, never as a prototype', () => {
    for (const text of ['{"__proto__":{"polluted":1}}', '{"__proto__":{"polluted":1},"n":12345678901234567890}']) {
      const result = parse(text);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      const obj = result.value as Record<string, unknown>;
      expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
      expect(Object.prototype.hasOwnProperty.call(obj, '__proto__')).toBe(true);
      expect((obj as { polluted?: unknown }).polluted).toBeUndefined();
    }
  });
});

describe('limits.values: the parsed tree is bounded, not only the text', () => {
  // {"a":[1,"x",{}]} holds: the object, key "a", the array, 1, "x", {} = 6 values.
  const six = Buffer.from('{"a":[1,"x",{}]}');

  test('a body with exactly the limit of values parses', () => {
    expect(parseJson(six, { maxDepth: 8, maxValues: 6 })).toEqual({ ok: true, value: { a: [1, 'x', {}] }, negativeZero: false });
  });

  test('one value more is refused before any tree is built, naming the limit', () => {
    const result = parseJson(six, { maxDepth: 8, maxValues: 5 });
    expect(result).toEqual({ ok: false, error: { code: 'too-many-values', detail: 'the body holds more than 5 JSON values (limits.values)' } });
  });

  test('brackets and quotes inside strings are not counted as values', () => {
    expect(parseJson(Buffer.from('{"k":"[[[{\\"x\\":1}]]]"}'), { maxDepth: 8, maxValues: 3 }).ok).toBe(true);
  });
});

describe('negative zero keeps its sign (SPEC §5: values that pass are not silently altered)', () => {
  // IEEE 754 -0 is a value of its own (1 / -0 is -Infinity); JSON writes it `-0`, and every spelling of a
  // zero mantissa with a minus sign is that value. JSON.stringify alone writes it `0`.
  const spellings = ['-0', '-0.0', '-0e0', '-0E+5', '-0.000e-3', '-0e-400'];

  it.each(spellings)('%s parses to -0, reported, and is written back as -0', (token) => {
    const result = parse(`{"n":${token},"m":[${token}]}`);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.negativeZero).toBe(true);
    const value = result.value as { n: number; m: number[] };
    expect(Object.is(value.n, -0)).toBe(true);
    expect(serializeJson(result.value, { negativeZero: result.negativeZero })).toBe('{"n":-0,"m":[-0]}');
    // Without the parser's word (the CLI's callers), the serializer finds it itself.
    expect(serializeJson(result.value)).toBe('{"n":-0,"m":[-0]}');
  });

  it('zero, negative numbers, and "-0" inside strings are not negative zeros', () => {
    const result = parse('{"a":0,"b":-1,"c":-0.5,"d":"-0","e":["x-0", -10e-1],"-0":1}');
    expect(result).toEqual({ ok: true, value: { a: 0, b: -1, c: -0.5, d: '-0', e: ['x-0', -1], '-0': 1 }, negativeZero: false });
    if (result.ok) expect(serializeJson(result.value, { negativeZero: false })).toBe('{"a":0,"b":-1,"c":-0.5,"d":"-0","e":["x-0",-1],"-0":1}');
  });

  it('a body with both -0 and a big integer keeps both exactly', () => {
    const result = parse('[-0,18446744073709551615,0.5]');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.negativeZero).toBe(true);
    expect(serializeJson(result.value, { negativeZero: true })).toBe('[-0,18446744073709551615,0.5]');
  });

  it('a number that underflows to -0 is refused, not written as -0 or 0', () => {
    expect(parse('[-1e-400]')).toMatchObject({ ok: false, error: { code: 'inexact-number' } });
  });
});
