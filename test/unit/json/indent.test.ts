import { parse as losslessParse, isLosslessNumber } from 'lossless-json';
import { indentJson, indentJsonChunks } from '../../../src/json/indent';

describe('indentJson', () => {
  it('indents by two spaces, keeping numbers digit for digit and strings with their escapes', () => {
    const text = '{"node_id":18446744073709551615,"f":1.50,"e":-2E+3,"s":"a\\"b\\\\","u":"\\u00e9,:[]{}","n":null,"t":true,"a":[1,{"x":[]}],"o":{}}';
    expect(indentJson(text)).toBe([
      '{',
      '  "node_id": 18446744073709551615,',
      '  "f": 1.50,',
      '  "e": -2E+3,',
      '  "s": "a\\"b\\\\",',
      '  "u": "\\u00e9,:[]{}",',
      '  "n": null,',
      '  "t": true,',
      '  "a": [',
      '    1,',
      '    {',
      '      "x": []',
      '    }',
      '  ],',
      '  "o": {}',
      '}',
    ].join('\n'));
  });

  it('gives the same JSON value back, whatever whitespace the input had', () => {
    const text = ' { "a" : [ 1 , 2 ,\n 3 ] , "b" : { } , "big" : 123456789012345678901234567890 } ';
    const out = indentJson(text);
    const value = losslessParse(out) as { big: unknown };
    expect(isLosslessNumber(value.big)).toBe(true);
    expect(String(value.big)).toBe('123456789012345678901234567890');
    expect(JSON.parse(out)).toEqual(JSON.parse(text));
  });

  it('streams a large body in bounded chunks that join to the whole', () => {
    const big = JSON.stringify({ users: Array.from({ length: 20_000 }, (_, i) => ({ id: `u-${i}`, n: i })) });
    const chunks = [...indentJsonChunks(big)];
    expect(chunks.length).toBeGreaterThan(10);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(70_000);
    expect(JSON.parse(chunks.join(''))).toEqual(JSON.parse(big));
  });
});
