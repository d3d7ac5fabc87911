/**
 * The checkpoint signing key: an Ed25519 private key in a PKCS#8 PEM file (`audit.checkpoint.key_file`,
 * TELEGATE_CHECKPOINT_KEY_FILE), separate from the hash key. Nothing here ever logs or returns the key
 * material; errors name the file and what is wrong with it.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { ED25519_TYPE, formatVerifierKey, isValidKeyName, keyId, type NoteSigner } from './signed-note';

export class SigningKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SigningKeyError';
  }
}

export interface CheckpointSigner extends NoteSigner {
  /** `name+<key id>+<base64(0x01 ‖ public key)>`, for auditors. */
  vkey: string;
}

/** The raw 32-byte public key of an Ed25519 key (private or public). */
export function ed25519PublicKey(key: KeyObject): Buffer {
  const jwk = (key.type === 'public' ? key : createPublicKey(key)).export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new SigningKeyError('not an Ed25519 key');
  return Buffer.from(jwk.x, 'base64url');
}

export function signerFor(privateKey: KeyObject, name: string): CheckpointSigner {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new SigningKeyError(`the key is ${privateKey.asymmetricKeyType ?? 'not asymmetric'}, not Ed25519`);
  if (!isValidKeyName(name)) throw new SigningKeyError(`"${name}" cannot name a key (no spaces, "+" or control characters)`);
  const publicKey = ed25519PublicKey(privateKey);
  return {
    name,
    keyId: keyId(name, ED25519_TYPE, publicKey),
    vkey: formatVerifierKey(name, publicKey),
    sign: (message) => sign(null, message, privateKey),
  };
}

/** Reads the key file; `warn` hears of a file others may read. */
export async function loadSigningKey(file: string, name: string, warn: (message: string) => void = () => undefined): Promise<CheckpointSigner> {
  let pem: Buffer;
  try {
    pem = await readFile(file);
  } catch (error) {
    throw new SigningKeyError(`audit.checkpoint.key_file ${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new SigningKeyError(`audit.checkpoint.key_file ${file}: not a PEM private key (make one with \`telegate audit keygen\`)`);
  }
  const mode = (await stat(file)).mode & 0o777;
  if ((mode & 0o077) !== 0) warn(`audit.checkpoint.key_file ${file} is readable by others (mode ${mode.toString(8).padStart(4, '0')}); it should be 0600`);
  try {
    return signerFor(key, name);
  } catch (error) {
    throw new SigningKeyError(`audit.checkpoint.key_file ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A new Ed25519 key pair: the private key as PKCS#8 PEM, and its raw public key. */
export function generateSigningKey(): { pem: string; publicKey: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey: ed25519PublicKey(publicKey) };
}
