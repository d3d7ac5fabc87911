/**
 * C2SP tlog-proof (c2sp.org/tlog-proof@v1): an offline-verifiable proof that an entry is in a log.
 *
 *   c2sp.org/tlog-proof@v1
 *   [extra <base64>]
 *   index <n>
 *   <base64 hash>            the inclusion proof, the leaf's sibling first (RFC 6962 §2.1.1)
 *   …
 *   <empty line>
 *   <the signed checkpoint, verbatim>
 */
import { decodeBase64Strict } from './base64';
import { HASH_BYTES } from './merkle';
import type { Parsed } from './signed-note';

export const TLOG_PROOF_HEADER = 'c2sp.org/tlog-proof@v1';

export interface TlogProof {
  /** Opaque, unauthenticated extra data (telegate writes none). */
  extra?: Buffer;
  index: number;
  proof: Buffer[];
  /** The signed checkpoint note, byte for byte. */
  checkpoint: string;
}

export function formatTlogProof(p: TlogProof): string {
  const extra = p.extra === undefined ? '' : `extra ${p.extra.toString('base64')}\n`;
  return `${TLOG_PROOF_HEADER}\n${extra}index ${p.index}\n${p.proof.map((h) => `${h.toString('base64')}\n`).join('')}\n${p.checkpoint}`;
}

export function parseTlogProof(text: string): Parsed<TlogProof> {
  const bad = (why: string): Parsed<TlogProof> => ({ ok: false, message: `not a ${TLOG_PROOF_HEADER} proof: ${why}` });
  let at = 0;
  const nextLine = (): string | undefined => {
    const nl = text.indexOf('\n', at);
    if (nl < 0) return undefined;
    const line = text.slice(at, nl);
    at = nl + 1;
    return line;
  };
  if (nextLine() !== TLOG_PROOF_HEADER) return bad(`the first line must be ${TLOG_PROOF_HEADER}`);
  let line = nextLine();
  let extra: Buffer | undefined;
  if (line?.startsWith('extra ')) {
    extra = decodeBase64Strict(line.slice('extra '.length));
    if (!extra) return bad('the extra line is not base64');
    line = nextLine();
  }
  const index = /^index (0|[1-9]\d*)$/.exec(line ?? '');
  if (!index || !Number.isSafeInteger(Number(index[1]))) return bad('expected "index <n>" (a decimal number without leading zeros)');
  const proof: Buffer[] = [];
  for (line = nextLine(); line !== undefined && line !== ''; line = nextLine()) {
    const hash = decodeBase64Strict(line);
    if (!hash || hash.length !== HASH_BYTES) return bad(`proof line ${proof.length + 1} is not the base64 of a 32-byte hash`);
    proof.push(hash);
  }
  if (line === undefined) return bad('no empty line before the checkpoint');
  const result: TlogProof = { index: Number(index[1]), proof, checkpoint: text.slice(at) };
  if (extra) result.extra = extra;
  return { ok: true, value: result };
}
