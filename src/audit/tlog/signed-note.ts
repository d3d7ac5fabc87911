/**
 * C2SP signed-note (c2sp.org/signed-note): a text ending in a newline, a blank line, then signature lines
 * `— <key name> <base64(key ID ‖ signature)>`. Ed25519 only (signature type 0x01), through node:crypto.
 *
 *   key ID       = SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key)[:4], big-endian
 *   verifier key = <key name>+<key ID, 8 hex>+<base64(0x01 ‖ public key)>
 *
 * Opening follows the spec: signatures by unknown keys (sharing the name or the ID of a known key, but
 * not both) are ignored; every signature by a known key is verified, repeats included, and one that fails
 * rejects the whole note; a note no known key signed is rejected. A signature line that is not
 * `— <name> <base64 of at least 5 bytes>` makes the note malformed, as in Go's golang.org/x/mod/sumdb/note
 * (which differs on one point: it skips a known key's repeated signatures unchecked).
 */
import { isUtf8 } from 'node:buffer';
import { createHash, createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import { decodeBase64Strict } from './base64';

export const ED25519_TYPE = 0x01;
const ED25519_KEY_BYTES = 32;
/** As Go's note.Open: enough for any witness set, not enough to make parsing a note expensive. */
const MAX_SIGNATURES = 100;
const SIGNATURE_PREFIX = '\u2014 ';

/** Key names: non-empty, no Unicode space (Go's unicode.IsSpace, and U+FEFF), no '+', no control character. */
export function isValidKeyName(name: string): boolean {
  return name !== '' && !/[\s\u0085+\x00-\x1f\x7f]/u.test(name);
}

export function keyId(name: string, type: number, publicKey: Buffer): number {
  return createHash('sha256').update(name, 'utf8').update(Buffer.from([0x0a, type])).update(publicKey).digest().readUInt32BE(0);
}

export const hex8 = (id: number): string => id.toString(16).padStart(8, '0');

export function formatVerifierKey(name: string, publicKey: Buffer): string {
  return `${name}+${hex8(keyId(name, ED25519_TYPE, publicKey))}+${Buffer.concat([Buffer.from([ED25519_TYPE]), publicKey]).toString('base64')}`;
}

export interface NoteVerifier {
  name: string;
  keyId: number;
  /** The verifier key as given. */
  vkey: string;
  verify(message: Buffer, signature: Buffer): boolean;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** Reads a verifier key `name+hex+base64(0x01 ‖ key)`; the key ID must be the one the name and key give. */
export function parseVerifierKey(vkey: string): Parsed<NoteVerifier> {
  // The name holds no '+' and the ID is hex; the base64 key after them may hold '+' itself.
  const [name = '', id = '', ...keyParts] = vkey.trim().split('+');
  const key = keyParts.join('+');
  const bad = (why: string): Parsed<NoteVerifier> => ({ ok: false, message: `not a verifier key (name+<8 hex>+<base64 key>): ${why}` });
  if (!isValidKeyName(name)) return bad('the key name is empty or holds a space or control character');
  if (!/^[0-9a-fA-F]{8}$/.test(id)) return bad('the key ID is not 8 hex digits');
  const bytes = decodeBase64Strict(key);
  if (!bytes || bytes.length === 0) return bad('the key is not standard base64');
  if (bytes[0] !== ED25519_TYPE) return bad(`signature type 0x${bytes[0]!.toString(16).padStart(2, '0')} is not supported (only Ed25519, 0x01)`);
  const publicKey = bytes.subarray(1);
  if (publicKey.length !== ED25519_KEY_BYTES) return bad(`an Ed25519 key is ${ED25519_KEY_BYTES} bytes, this one ${publicKey.length}`);
  const expected = keyId(name, ED25519_TYPE, publicKey);
  if (Number.parseInt(id, 16) !== expected) return bad(`the key ID ${id.toLowerCase()} is not the one its name and key give (${hex8(expected)})`);
  let keyObject: KeyObject;
  try {
    keyObject = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey.toString('base64url') }, format: 'jwk' });
  } catch {
    return bad('the key is not an Ed25519 public key');
  }
  return {
    ok: true,
    value: {
      name, keyId: expected, vkey: vkey.trim(),
      verify: (message, signature) => {
        try {
          return verifySignature(null, message, keyObject, signature);
        } catch {
          return false;
        }
      },
    },
  };
}

export interface NoteSignature {
  name: string;
  keyId: number;
  /** The signature bytes after the key ID. */
  signature: Buffer;
}

export interface SignedNote {
  /** The signed text, ending in its newline (without the blank line). */
  text: string;
  signatures: NoteSignature[];
}

/** Splits a signed note into text and signature lines, checking the syntax alone (no signature yet). */
export function parseNote(input: Buffer | string): Parsed<SignedNote> {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const bad = (why: string): Parsed<SignedNote> => ({ ok: false, message: `not a signed note: ${why}` });
  if (!isUtf8(bytes)) return bad('not valid UTF-8');
  for (const byte of bytes) if (byte < 0x20 && byte !== 0x0a) return bad('holds a control character other than newline');
  const msg = bytes.toString('utf8');
  const split = msg.lastIndexOf('\n\n');
  if (split < 0) return bad('no blank line before the signatures');
  const text = msg.slice(0, split + 1);
  const block = msg.slice(split + 2);
  if (block === '' || !block.endsWith('\n')) return bad('the signature lines must end in a newline');
  const signatures: NoteSignature[] = [];
  for (const line of block.slice(0, -1).split('\n')) {
    if (!line.startsWith(SIGNATURE_PREFIX)) return bad('a signature line must start with an em dash and a space');
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.indexOf(' ');
    const name = space < 0 ? rest : rest.slice(0, space);
    const encoded = space < 0 ? '' : rest.slice(space + 1);
    const raw = decodeBase64Strict(encoded);
    if (!isValidKeyName(name) || !raw || raw.length < 5) return bad(`malformed signature line "${line.slice(0, 80)}"`);
    if (signatures.length === MAX_SIGNATURES) return bad(`more than ${MAX_SIGNATURES} signatures`);
    signatures.push({ name, keyId: raw.readUInt32BE(0), signature: raw.subarray(4) });
  }
  return { ok: true, value: { text, signatures } };
}

export type NoteFailure = 'malformed' | 'unknown-key' | 'bad-signature';

export type OpenedNote =
  | { ok: true; note: SignedNote; verifiedBy: NoteVerifier[] }
  | { ok: false; reason: NoteFailure; message: string; note?: SignedNote };

/** Parses a note and checks its signatures against the known verifiers (c2sp.org/signed-note, "Signatures"). */
export function openNote(input: Buffer | string, known: readonly NoteVerifier[]): OpenedNote {
  const parsed = parseNote(input);
  if (!parsed.ok) return { ok: false, reason: 'malformed', message: parsed.message };
  const note = parsed.value;
  const text = Buffer.from(note.text, 'utf8');
  const verifiedBy: NoteVerifier[] = [];
  for (const sig of note.signatures) {
    // Name and ID both: a signature sharing only one of them with a known key is another key's, ignored.
    const verifier = known.find((v) => v.name === sig.name && v.keyId === sig.keyId);
    if (!verifier) continue;
    // Every signature of a known key is verified, a repeated one too ("MUST verify the signature"; Go's
    // note.Open skips repeats unchecked, which would let a forged copy beside a good one pass unseen).
    if (!verifier.verify(text, sig.signature)) {
      return { ok: false, reason: 'bad-signature', note, message: `the signature by ${sig.name}+${hex8(sig.keyId)} does not verify: the note was altered after it was signed, or signed by another key` };
    }
    if (!verifiedBy.includes(verifier)) verifiedBy.push(verifier);
  }
  if (verifiedBy.length === 0) {
    const by = note.signatures.map((s) => `${s.name}+${hex8(s.keyId)}`).join(', ');
    const given = known.map((v) => `${v.name}+${hex8(v.keyId)}`).join(', ') || 'none';
    return { ok: false, reason: 'unknown-key', note, message: `signed by ${by}, none of which is a given key (${given})` };
  }
  return { ok: true, note, verifiedBy };
}

export interface NoteSigner {
  name: string;
  keyId: number;
  sign(message: Buffer): Buffer;
}

/** The signed note: `text` (ending in a newline), a blank line, one signature line per signer. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  if (!text.endsWith('\n')) throw new Error('a note text must end in a newline');
  const message = Buffer.from(text, 'utf8');
  const lines = signers.map((s) => {
    if (!isValidKeyName(s.name)) throw new Error(`"${s.name}" is not a valid key name`);
    const id = Buffer.alloc(4);
    id.writeUInt32BE(s.keyId);
    return `${SIGNATURE_PREFIX}${s.name} ${Buffer.concat([id, s.sign(message)]).toString('base64')}\n`;
  });
  return `${text}\n${lines.join('')}`;
}
