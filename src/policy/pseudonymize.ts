/**
 * Keyed, deterministic, format-preserving pseudonymization (SPEC §3).
 *
 * Construction (stable: changing any of it changes every pseudonym the vendor has ever received):
 *
 *   d = HMAC-SHA-256(key, "telegate/v1/" + kind + "\0" + canonical(value))
 *
 *   kind     canonical(value)            pseudonym
 *   uuid     lower-case 8-4-4-4-12        d[0..16] laid out as an RFC 9562 version 8 UUID (the nil and max
 *                                         UUIDs are kept: they mean "none" and identify nobody)
 *   ipv4     dotted quad                  240.0.0.0/4 (reserved, "future use"): 240 | d[0] & 0x0f, d[1], d[2], d[3]
 *   ipv6     RFC 5952 text                2001:db8::/32 (documentation prefix) + d[0..12], RFC 5952 text
 *   email    local "@" lower-case domain  hex(d[0..8]) "@" hex(d'[0..6]) ".invalid", where d' is the
 *                                         "email-domain" digest of the domain alone, so the vendor can
 *                                         still count users per company without learning the company
 *   string   the string                   hex(d[0..16]) (32 hex digits)
 *   number   its decimal text             d[0..8] as an unsigned integer below 2^53 (a JSON number that
 *                                         every decoder reads exactly)
 *
 *   key      the key (report paths)     hex(d[0..8]): the tag a key no rule names is reported under
 *
 * canonical(value) is hashed as its exact UTF-16 code units (wtf8.ts): UTF-8 for every well-formed
 * string, as v1 always did; a lone surrogate in 3 bytes no well-formed string produces.
 *
 * The kind prefix separates domains (a string "42" and the number 42 differ), while one value gives one
 * pseudonym in every field, so vendor-side joins (workspaces[*].owner_id to users[*].id) survive.
 * `""` stays `""`: an empty value carries nothing to hide, and a vendor decoder may treat it as absent.
 * Booleans, null, objects and arrays cannot keep their JSON type when hashed: `undefined`, so the
 * caller drops and reports them.
 */
import { createHmac } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { JsonValue } from '../json/types';
import { PseudonymCache } from './pseudonym-cache';
import type { Pseudonymizer } from './types';
import { isWellFormed, wtf8 } from './wtf8';

export interface PseudonymizerOptions {
  /**
   * Pseudonyms remembered (per JSON type), so a value repeated across a payload (owner ids, template
   * ids) and across Coder's 30-minute cycle is hashed once. Bounded so a hostile stream of distinct
   * values cannot grow memory. 0 disables the cache.
   */
  cacheSize?: number;
}

/** Keys shorter than this are refused: a short key can be brute-forced from a few known pseudonyms. */
export const MIN_KEY_BYTES = 16;
/**
 * A 5,000-user Coder snapshot (~45 MB) holds ~126,000 distinct identifiers; the cache holds any working
 * set up to half its size (pseudonym-cache.ts), so 2^18 keeps all of them, at ~150 bytes an entry
 * (~40 MB when full).
 */
const DEFAULT_CACHE_SIZE = 262_144;
/** Strings longer than this are hashed every time, never cached (see pseudonymizeString). */
const MAX_CACHED_LENGTH = 256;

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const NIL_UUID = '00000000-0000-0000-0000-000000000000';
const MAX_UUID = 'ffffffff-ffff-ffff-ffff-ffffffffffff';
/** One `@`, something on both sides, no spaces: the shape every mailer accepts, without RFC 5322's corners. */
const EMAIL = /^[^\s@]+@[^\s@]+$/;

type Kind = 'uuid' | 'ipv4' | 'ipv6' | 'email' | 'email-domain' | 'string' | 'number' | 'key';
const KINDS: readonly Kind[] = ['uuid', 'ipv4', 'ipv6', 'email', 'email-domain', 'string', 'number', 'key'];
/** The message prefix of each kind, encoded once. */
const PREFIXES = new Map(KINDS.map((kind) => [kind, Buffer.from(`telegate/v1/${kind}\0`, 'utf8')]));

export function createPseudonymizer(key: Buffer, options: PseudonymizerOptions = {}): Pseudonymizer {
  if (key.length < MIN_KEY_BYTES) {
    throw new RangeError(`hash key too short: ${key.length} bytes, at least ${MIN_KEY_BYTES} required`);
  }
  // Our own copy: a caller zeroing or reusing its buffer afterwards changes nothing here.
  const secret = Buffer.from(key);
  const cacheSize = Math.max(0, options.cacheSize ?? DEFAULT_CACHE_SIZE);
  const strings = new PseudonymCache<string>(cacheSize);
  const numbers = new PseudonymCache<number>(cacheSize);
  const keyTags = new PseudonymCache<string>(Math.min(cacheSize, 4096));

  /**
   * HMAC-SHA-256(key, "telegate/v1/" + kind + "\0" + canonical), by node:crypto (OpenSSL). A plain-JS
   * SHA-256 measured 2-3x faster per uncached value, but hand-written cryptography in a privacy gateway
   * is a liability the pseudonym cache makes unnecessary: a warm gateway hashes few values.
   */
  const digest = (kind: Kind, canonical: string): Uint8Array => {
    const hmac = createHmac('sha256', secret).update(PREFIXES.get(kind)!);
    return (isWellFormed(canonical) ? hmac.update(canonical, 'utf8') : hmac.update(wtf8(canonical))).digest();
  };

  function remember<V>(cache: PseudonymCache<V>, value: string, pseudonym: V): V {
    cache.set(value, pseudonym);
    return pseudonym;
  }

  function pseudonymizeString(value: string): string {
    if (value === '') return value;
    // Identifiers are short; a long string (free text, a blob) is not worth remembering, and the cache
    // keeps its key: caching 40 MB values would hold 40 MB per entry.
    if (value.length > MAX_CACHED_LENGTH) return computeString(value);
    const cached = strings.get(value);
    if (cached !== undefined) return cached;
    return remember(strings, value, computeString(value));
  }

  function computeString(value: string): string {
    if (UUID.test(value)) {
      const lower = value.toLowerCase();
      if (lower === NIL_UUID || lower === MAX_UUID) return lower;
      return formatUuidV8(digest('uuid', lower));
    }
    if (isIPv4(value)) return formatIPv4Reserved(digest('ipv4', value));
    if (isIPv6(value)) return formatIPv6Documentation(digest('ipv6', canonicalIPv6(value)));
    if (EMAIL.test(value)) {
      const at = value.lastIndexOf('@');
      const local = value.slice(0, at);
      const domain = value.slice(at + 1).toLowerCase();
      const localPart = hex(digest('email', `${local}@${domain}`), 0, 8);
      const domainPart = hex(digest('email-domain', domain), 0, 6);
      return `${localPart}@${domainPart}.invalid`;
    }
    return hex(digest('string', value), 0, 16);
  }

  function pseudonymizeNumber(decimal: string): number {
    const cached = numbers.get(decimal);
    if (cached !== undefined) return cached;
    const d = digest('number', decimal);
    // The low 53 bits of the first 8 bytes, big-endian: 21 bits of the high word, then the low word.
    const high = ((d[1]! & 0x1f) << 16) | (d[2]! << 8) | d[3]!;
    const low = ((d[4]! << 24) | (d[5]! << 16) | (d[6]! << 8) | d[7]!) >>> 0;
    return remember(numbers, decimal, high * 2 ** 32 + low);
  }

  return {
    keyTag(key: string): string {
      const cached = key.length > MAX_CACHED_LENGTH ? undefined : keyTags.get(key);
      if (cached !== undefined) return cached;
      const tag = hex(digest('key', key), 0, 8);
      if (key.length <= MAX_CACHED_LENGTH) keyTags.set(key, tag);
      return tag;
    },
    pseudonymize(value: JsonValue): JsonValue | undefined {
      switch (typeof value) {
        case 'string': return pseudonymizeString(value);
        case 'number': return Number.isFinite(value) ? pseudonymizeNumber(String(value)) : undefined;
        case 'bigint': return pseudonymizeNumber(value.toString());
        default: return undefined;
      }
    },
  };
}

/** ASCII codes of the two hex digits of every byte value. */
const HEX_CODES = Array.from({ length: 256 }, (_, b) => [...b.toString(16).padStart(2, '0')].map((c) => c.charCodeAt(0)));
const DASH = 0x2d;
/**
 * Pseudonyms are written here and read out as one flat string: built by concatenation they would be
 * rope trees of ~10 small strings, ~460 bytes a cache entry instead of ~100.
 */
const scratch = Buffer.alloc(64);

function writeHex(d: Uint8Array, from: number, to: number, at: number): number {
  for (let i = from; i < to; i++) {
    const codes = HEX_CODES[d[i]!]!;
    scratch[at++] = codes[0]!;
    scratch[at++] = codes[1]!;
  }
  return at;
}

function hex(d: Uint8Array, from: number, to: number): string {
  return scratch.toString('latin1', 0, writeHex(d, from, to, 0));
}

function formatUuidV8(d: Uint8Array): string {
  let at = writeHex(d, 0, 4, 0);
  scratch[at++] = DASH;
  at = writeHex(d, 4, 6, at);
  scratch[at++] = DASH;
  const version = HEX_CODES[(d[6]! & 0x0f) | 0x80]!; // version 8: custom
  scratch[at++] = version[0]!;
  scratch[at++] = version[1]!;
  at = writeHex(d, 7, 8, at);
  scratch[at++] = DASH;
  const variant = HEX_CODES[(d[8]! & 0x3f) | 0x80]!; // variant 10xx: RFC 9562
  scratch[at++] = variant[0]!;
  scratch[at++] = variant[1]!;
  at = writeHex(d, 9, 10, at);
  scratch[at++] = DASH;
  at = writeHex(d, 10, 16, at);
  return scratch.toString('latin1', 0, at);
}

function formatIPv4Reserved(d: Uint8Array): string {
  return `${0xf0 | (d[0]! & 0x0f)}.${d[1]!}.${d[2]!}.${d[3]!}`;
}

function formatIPv6Documentation(d: Uint8Array): string {
  const groups = [0x2001, 0x0db8];
  for (let i = 0; i < 12; i += 2) groups.push((d[i]! << 8) | d[i + 1]!);
  return formatIPv6Groups(groups);
}

/** One address, one pseudonym: `::1`, `0:0:0:0:0:0:0:1` and `::FFFF:10.0.0.1` spellings collapse first. */
function canonicalIPv6(value: string): string {
  const zone = value.indexOf('%');
  const address = zone >= 0 ? value.slice(0, zone) : value;
  try {
    // WHATWG URL parsing yields the RFC 5952 form; it refuses zone ids, which were cut off above.
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address.toLowerCase();
  }
}

/** RFC 5952 text: lower-case, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
function formatIPv6Groups(groups: number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLength) { bestStart = i; bestLength = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
