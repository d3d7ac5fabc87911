import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { KeyedSha256 } from '../../../src/policy/hmac-sha256';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const reference = (key: Uint8Array, prefix: Uint8Array, text: string) =>
  createHmac('sha256', key).update(prefix).update(text, 'utf8').digest('hex');

/** Any UTF-16 text, lone surrogates included: a JSON string can hold them (`"\ud800"`). */
const utf16 = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 300 }).map((units) => String.fromCharCode(...units));

describe('KeyedSha256: HMAC-SHA-256, bit for bit as node:crypto computes it', () => {
  test('every message length across the block and padding boundaries, one key', () => {
    const key = randomBytes(32);
    const h = new KeyedSha256(key);
    const prefix = Buffer.from('telegate/v1/uuid\0', 'utf8');
    for (let n = 0; n <= 300; n++) {
      const text = 'x'.repeat(n);
      expect([n, hex(h.digest(prefix, text))]).toEqual([n, reference(key, prefix, text)]);
    }
  });

  test('random keys (shorter and longer than a block), prefixes and texts', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 200 }), fc.uint8Array({ maxLength: 80 }), utf16,
      (key, prefix, text) => {
        expect(hex(new KeyedSha256(key).digest(prefix, text))).toBe(reference(key, prefix, text));
      }), { numRuns: 500 });
  });

  test('one instance gives the same as a fresh one after long and short messages in any order', () => {
    const key = randomBytes(48);
    const h = new KeyedSha256(key);
    fc.assert(fc.property(fc.array(utf16, { maxLength: 5 }), (texts) => {
      for (const text of texts) expect(hex(h.digest(new Uint8Array(0), text))).toBe(reference(key, new Uint8Array(0), text));
    }));
    const long = 'é'.repeat(50_000);
    expect(hex(h.digest(new Uint8Array(0), long))).toBe(reference(key, new Uint8Array(0), long));
  });
});
