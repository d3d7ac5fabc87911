/**
 * Standard base64 (RFC 4648 §4), strictly: padded, no other characters, canonical. Buffer.from(s,
 * 'base64') accepts almost anything (missing padding, the URL alphabet, stray characters skipped), which
 * would let two spellings of one signature or hash pass as the same.
 */
const STRICT = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function decodeBase64Strict(text: string): Buffer | undefined {
  if (!STRICT.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  // Non-zero padding bits decode to the same bytes: only the canonical spelling is accepted.
  return bytes.toString('base64') === text ? bytes : undefined;
}
