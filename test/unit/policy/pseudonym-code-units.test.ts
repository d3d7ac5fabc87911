/**
 * Pseudonyms of strings with lone surrogates (issue 12, point 7): every distinct string gets its own
 * pseudonym. Expected values are computed here with node:crypto over bytes written out by hand from the
 * WTF-8 definition (a lone surrogate is the three bytes UTF-8 would give its code point), and well-formed
 * strings keep the v1 pseudonyms of pseudonymize.test.ts (UTF-8 bytes, unchanged).
 */
import { createHmac } from 'node:crypto';
import { createPseudonymizer } from '../../../src/policy/pseudonymize';

const KEY = Buffer.from('0123456789abcdef0123456789abcdef', 'utf8');
const p = createPseudonymizer(KEY, { cacheSize: 0 });

function hex16(kind: string, bytes: Buffer): string {
  return createHmac('sha256', KEY).update(Buffer.from(`telegate/v1/${kind}\0`, 'utf8')).update(bytes).digest('hex').slice(0, 32);
}

test('"\\ud800", "\\udbff", "\\ufffd" and "\\udc00" have four distinct pseudonyms', () => {
  const values = ['\ud800', '\udbff', '\ufffd', '\udc00'].map((s) => p.pseudonymize(s));
  expect(new Set(values).size).toBe(4);
});

test('a lone surrogate is hashed as its three WTF-8 bytes', () => {
  expect(p.pseudonymize('\ud800')).toBe(hex16('string', Buffer.from([0xed, 0xa0, 0x80])));
  expect(p.pseudonymize('\udbff')).toBe(hex16('string', Buffer.from([0xed, 0xaf, 0xbf])));
  expect(p.pseudonymize('a\udc00b')).toBe(hex16('string', Buffer.from([0x61, 0xed, 0xb0, 0x80, 0x62])));
  // A lead surrogate at the end, after a well-formed pair: the pair is four bytes, the lone one three.
  expect(p.pseudonymize('\ud83d\ude00\ud83d')).toBe(hex16('string', Buffer.from([0xf0, 0x9f, 0x98, 0x80, 0xed, 0xa0, 0xbd])));
});

test('well-formed strings keep the v1 pseudonym: UTF-8 bytes, as before', () => {
  for (const s of ['\ufffd', 'café', '😀', 'plain']) expect(p.pseudonymize(s)).toBe(hex16('string', Buffer.from(s, 'utf8')));
});

test('an e-mail address with a lone surrogate in its local part: distinct from the U+FFFD one', () => {
  expect(p.pseudonymize('\ud800@corp.example')).not.toBe(p.pseudonymize('\ufffd@corp.example'));
});

test('key tags follow the same construction (kind "key", 16 hex digits)', () => {
  expect(p.keyTag('hostname')).toBe(hex16('key', Buffer.from('hostname', 'utf8')).slice(0, 16));
  expect(p.keyTag('\ud800')).not.toBe(p.keyTag('\ufffd'));
});
