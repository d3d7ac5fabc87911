import { createHmac } from 'node:crypto';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';
import { createPseudonymizer, type JsonValue } from '../../../src/policy';

const KEY = Buffer.from('a test key of at least sixteen bytes', 'utf8');
const p = createPseudonymizer(KEY);

/** The construction as docs/policy-language.md states it, computed here with node:crypto alone. */
function hmac(kind: string, canonical: string, key = KEY): Buffer {
  return createHmac('sha256', key).update(`telegate/v1/${kind}\0${canonical}`, 'utf8').digest();
}

const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('pseudonymize: format-preserving, keyed, deterministic', () => {
  test('a UUID becomes the RFC 9562 version 8 UUID built from its HMAC', () => {
    const d = hmac('uuid', '0f3c5a52-8f4a-4a89-9c61-2d9e0b7d1a11');
    d[6] = (d[6]! & 0x0f) | 0x80;
    d[8] = (d[8]! & 0x3f) | 0x80;
    const h = d.toString('hex', 0, 16);
    const expected = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    expect(p.pseudonymize('0f3c5a52-8f4a-4a89-9c61-2d9e0b7d1a11')).toBe(expected);
    expect(expected).toMatch(UUID_V8);
  });

  test('a UUID in upper case joins with its lower-case spelling; nil and max UUIDs identify nobody and stay', () => {
    expect(p.pseudonymize('0F3C5A52-8F4A-4A89-9C61-2D9E0B7D1A11')).toBe(p.pseudonymize('0f3c5a52-8f4a-4a89-9c61-2d9e0b7d1a11'));
    expect(p.pseudonymize('00000000-0000-0000-0000-000000000000')).toBe('00000000-0000-0000-0000-000000000000');
    expect(p.pseudonymize('FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF')).toBe('ffffffff-ffff-ffff-ffff-ffffffffffff');
  });

  test('an IPv4 address stays IPv4, inside 240.0.0.0/4, from its HMAC', () => {
    const d = hmac('ipv4', '10.1.2.3');
    expect(p.pseudonymize('10.1.2.3')).toBe(`${240 + (d[0]! & 15)}.${d[1]}.${d[2]}.${d[3]}`);
    const reserved = new BlockList();
    reserved.addSubnet('240.0.0.0', 4, 'ipv4');
    fc.assert(fc.property(fc.ipV4(), (ip) => {
      const out = p.pseudonymize(ip) as string;
      return isIPv4(out) && reserved.check(out, 'ipv4') && out !== ip;
    }));
  });

  test('an IPv6 address stays IPv6, inside the documentation prefix 2001:db8::/32; its spellings join', () => {
    const documentation = new BlockList();
    documentation.addSubnet('2001:db8::', 32, 'ipv6');
    fc.assert(fc.property(fc.ipV6(), (ip) => {
      const out = p.pseudonymize(ip) as string;
      return isIPv6(out) && documentation.check(out, 'ipv6');
    }));
    expect(p.pseudonymize('::1')).toBe(p.pseudonymize('0:0:0:0:0:0:0:1'));
    expect(p.pseudonymize('FE80::A')).toBe(p.pseudonymize('fe80::a'));
    expect(p.pseudonymize('fe80::a')).not.toBe(p.pseudonymize('fe80::b'));
  });

  test('an e-mail address stays an address; local part and domain both pseudonymized; one domain, one pseudonym', () => {
    const out = p.pseudonymize('Alice.Smith@Example.com') as string;
    const local = hmac('email', 'Alice.Smith@example.com').toString('hex', 0, 8);
    const domain = hmac('email-domain', 'example.com').toString('hex', 0, 6);
    expect(out).toBe(`${local}@${domain}.invalid`);
    const bob = p.pseudonymize('bob@example.com') as string;
    expect(bob.split('@')[1]).toBe(`${domain}.invalid`);
    expect(bob.split('@')[0]).not.toBe(local);
    expect(out.toLowerCase()).not.toContain('example');
    expect(out.toLowerCase()).not.toContain('alice');
  });

  test('Coder\'s email_hashed (sha256 local part, company domain in clear) loses the domain', () => {
    const emailHashed = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855@acme-corp.com';
    const out = p.pseudonymize(emailHashed) as string;
    expect(out).toMatch(/^[0-9a-f]{16}@[0-9a-f]{12}\.invalid$/);
    expect(out).not.toContain('acme');
    expect(out).not.toContain('e3b0c442');
  });

  test('any other string becomes 32 hex digits of its HMAC; "" stays empty', () => {
    expect(p.pseudonymize('my-workspace')).toBe(hmac('string', 'my-workspace').toString('hex', 0, 16));
    expect(p.pseudonymize('')).toBe('');
    fc.assert(fc.property(fc.string({ minLength: 1 }), (s) => {
      const out = p.pseudonymize(s) as string;
      return typeof out === 'string' && out.length > 0 && (out !== s || s.length === 0);
    }));
  });

  test('a number becomes a non-negative safe integer; a bigint and a number of the same value join', () => {
    const d = hmac('number', '1234');
    expect(p.pseudonymize(1234)).toBe(Number(d.readBigUInt64BE(0) & ((1n << 53n) - 1n)));
    expect(p.pseudonymize(12345678901234567890n)).toBe(p.pseudonymize(12345678901234567890n));
    expect(p.pseudonymize(42n)).toBe(p.pseudonymize(42));
    fc.assert(fc.property(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.bigInt()), (n) => {
      const out = p.pseudonymize(n);
      return typeof out === 'number' && Number.isSafeInteger(out) && out >= 0;
    }));
  });

  test('a string and a number of the same text do not join (kinds are separated)', () => {
    expect(String(p.pseudonymize('42'))).not.toBe(String(p.pseudonymize(42)));
  });

  test('booleans, null, objects and arrays cannot be hashed: undefined, for the caller to drop', () => {
    const unhashable: JsonValue[] = [true, false, null, {}, { a: 1 }, [], ['x']];
    for (const v of unhashable) expect(p.pseudonymize(v)).toBeUndefined();
  });

  test('deterministic across instances and cache sizes; another key gives other pseudonyms', () => {
    const values = ['0f3c5a52-8f4a-4a89-9c61-2d9e0b7d1a11', '10.0.0.1', '::1', 'a@b.c', 'name', 7, 2n ** 64n];
    const uncached = createPseudonymizer(Buffer.from(KEY), { cacheSize: 0 });
    const tiny = createPseudonymizer(Buffer.from(KEY), { cacheSize: 2 });
    const other = createPseudonymizer(Buffer.from('another key, also sixteen+ bytes', 'utf8'));
    for (const round of [1, 2]) {
      for (const v of values) {
        expect([round, tiny.pseudonymize(v)]).toEqual([round, p.pseudonymize(v)]);
        expect(uncached.pseudonymize(v)).toEqual(p.pseudonymize(v));
        expect(other.pseudonymize(v)).not.toEqual(p.pseudonymize(v));
      }
    }
  });

  test('the key is copied: changing the caller\'s buffer afterwards changes nothing', () => {
    const key = Buffer.from(KEY);
    const q = createPseudonymizer(key, { cacheSize: 0 });
    key.fill(0);
    expect(q.pseudonymize('name')).toBe(p.pseudonymize('name'));
  });

  test('a key shorter than 16 bytes is refused without echoing it', () => {
    expect(() => createPseudonymizer(Buffer.from('short-secret'))).toThrow(/at least 16/);
    expect(() => createPseudonymizer(Buffer.from('short-secret'))).not.toThrow(/short-secret/);
  });
});
