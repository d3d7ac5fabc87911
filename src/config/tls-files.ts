/**
 * Whether a listener's TLS files load as node:tls loads them (the call https.createServer makes): the
 * certificate chain alone first, so that the message names the file at fault, then with its key. Asked
 * by `config validate` and by the start before the audit chain is opened, so both refuse the same files
 * with the same words (the configuration's own checks only ask that the files can be read).
 */
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';

export interface TlsProblem {
  /** `listen.tls.cert`, `listen.1.tls.key`, …: the key the configuration wrote. */
  key: string;
  message: string;
}

/** The key a listener's settings are written under: `listen` for one, `listen.<i>` among several. */
export const listenKey = (count: number, index: number): string => (count > 1 ? `listen.${index}` : 'listen');

export function tlsMaterialProblem(prefix: string, files: { cert: string; key: string }, cert: Buffer, key: Buffer): TlsProblem | undefined {
  const why = (err: unknown): string => (err instanceof Error ? err.message : String(err));
  try {
    createSecureContext({ cert });
  } catch (err) {
    return { key: `${prefix}.tls.cert`, message: `${files.cert} does not load as a PEM certificate: ${why(err)}` };
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    return { key: `${prefix}.tls.key`, message: `${files.key} does not load as the PEM private key of ${files.cert}: ${why(err)}` };
  }
  return undefined;
}

/** Reads and loads the files; undefined also when they cannot be read (the configuration's checks say so). */
export async function tlsFilesProblem(prefix: string, files: { cert: string; key: string }): Promise<TlsProblem | undefined> {
  let cert: Buffer;
  let key: Buffer;
  try {
    [cert, key] = await Promise.all([readFile(files.cert), readFile(files.key)]);
  } catch {
    return undefined;
  }
  return tlsMaterialProblem(prefix, files, cert, key);
}
