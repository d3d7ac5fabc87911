/**
 * The exact UTF-16 code units of a string as bytes, for the pseudonym HMAC: WTF-8 ("Wobbly
 * Transformation Format", simonsapin.github.io/wtf-8), which is UTF-8 for every well-formed string and
 * writes a lone surrogate as the three bytes UTF-8 would give its code point (U+D800 -> ED A0 80). Those
 * sequences are never valid UTF-8, so no well-formed string encodes to them: distinct strings, distinct
 * bytes, and every pseudonym of a well-formed string stays what it was (Buffer's 'utf8' would have
 * turned every lone surrogate into U+FFFD, so "\ud800", "\udbff" and "\ufffd" shared one pseudonym).
 */
/** In `u` mode a surrogate pair is one code point, so this finds only lone surrogates. */
const LONE_SURROGATE = /[\ud800-\udfff]/u;

export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

export function wtf8(text: string): Buffer {
  if (isWellFormed(text)) return Buffer.from(text, 'utf8');
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Buffer.from(out);
}
