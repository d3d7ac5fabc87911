/**
 * Undoes Content-Encoding within `limits.inflated_bytes`: identity, gzip (x-gzip), deflate (zlib or, as
 * some clients send it, raw) and br, also stacked (`gzip, br`). zlib stops at the limit
 * (maxOutputLength), so a decompression bomb costs at most the limit in memory. A body that starts with
 * the gzip magic bytes but declares no encoding is gunzipped too: clients mislabel, and the bytes, not
 * the headers, decide what a body is (RudderStack SDK 3.x sends gzip as a form content type).
 *
 * A small body may not decode to much: past INFLATE_FREE_BYTES, the decoded size is held within
 * `limits.inflate_ratio` × the size received. Real telemetry decodes to 3-80× its gzip; a 14 KB body of
 * millions of empty objects or a 200 KB one holding one 200 MB string is a ratio of ~1,000, and zlib
 * stops at the bound, so neither costs more than the bound to decode nor anything to parse.
 */
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { GatewayError } from './http-error';

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const inflateRaw = promisify(zlib.inflateRaw);
const brotli = promisify(zlib.brotliDecompress);

type Coding = 'gzip' | 'deflate' | 'br';
const CODINGS: Record<string, Coding | 'identity'> = { gzip: 'gzip', 'x-gzip': 'gzip', deflate: 'deflate', br: 'br', identity: 'identity' };
/** More layers than this is no client's doing. */
const MAX_LAYERS = 3;

/** Any body may decode to this much, whatever its ratio: a 450 KiB RudderStack batch of alike events compresses ~80×. */
export const INFLATE_FREE_BYTES = 1024 * 1024;

/** `maxBytes`: limits.inflated_bytes; `maxRatio`: limits.inflate_ratio. */
export async function decodeBody(raw: Buffer, contentEncoding: string | undefined, maxBytes: number, maxRatio = Number.POSITIVE_INFINITY): Promise<Buffer> {
  const layers = parseContentEncoding(contentEncoding);
  if (layers.length === 0 && raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) layers.push('gzip');
  if (layers.length === 0) return raw;
  const byRatio = Math.max(INFLATE_FREE_BYTES, Math.floor(raw.length * maxRatio));
  const bound: Bound = byRatio < maxBytes ? { bytes: byRatio, ratio: maxRatio } : { bytes: maxBytes };
  let body = raw;
  // Codings are listed in the order they were applied: undo them last first.
  for (const coding of layers.reverse()) body = await undo(coding, body, bound);
  return body;
}

/** How far a body may decode, and whether the ratio (not limits.inflated_bytes) set it. */
interface Bound { bytes: number; ratio?: number }

function parseContentEncoding(header: string | undefined): Coding[] {
  if (header === undefined) return [];
  const names = header.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  if (names.length > MAX_LAYERS) {
    throw new GatewayError(415, 'unsupported-encoding', `Content-Encoding has ${names.length} layers; at most ${MAX_LAYERS} are decoded`);
  }
  const layers: Coding[] = [];
  for (const name of names) {
    const coding = CODINGS[name];
    if (coding === undefined) {
      throw new GatewayError(415, 'unsupported-encoding', `Content-Encoding "${name.slice(0, 32)}" is not supported (identity, gzip, deflate, br)`);
    }
    if (coding !== 'identity') layers.push(coding);
  }
  return layers;
}

async function undo(coding: Coding, body: Buffer, bound: Bound): Promise<Buffer> {
  // 64 KiB chunks (zlib's default is 16 KiB): a quarter of the calls and copies for a large body.
  const options = { maxOutputLength: bound.bytes, chunkSize: 64 * 1024 };
  try {
    switch (coding) {
      case 'gzip': return await gunzip(body, options);
      case 'br': return await brotli(body, options);
      case 'deflate':
        // RFC 9110 deflate is zlib-wrapped; raw DEFLATE has no 0x78 header byte.
        return body[0] === 0x78 ? await inflate(body, options) : await inflateRaw(body, options);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      if (bound.ratio !== undefined) {
        throw new GatewayError(413, 'inflate-ratio', `the ${coding} body inflates past ${bound.ratio} times its size (limits.inflate_ratio) and past ${INFLATE_FREE_BYTES} bytes`);
      }
      throw new GatewayError(413, 'inflated-too-large', `the ${coding} body inflates past limits.inflated_bytes (${bound.bytes} bytes)`);
    }
    throw new GatewayError(400, 'undecodable-body', `the body is not valid ${coding} data`);
  }
}
