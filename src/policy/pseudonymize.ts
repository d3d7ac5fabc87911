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
 * The kind prefix separates domains (a string "42" and the number 42 differ), while one value gives one
 * pseudonym in every field, so vendor-side joins (workspaces[*].owner_id to users[*].id) survive.
 * `""` stays `""`: an empty value carries nothing to hide, and a vendor decoder may treat it as absent.
 * Booleans, null, objects and arrays cannot keep their JSON type when hashed: `undefined`, so the
 * caller drops and reports them.
 */
import { createHmac } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { JsonValue } from '../json/types';
import type { Pseudonymizer } from './types';

export interface PseudonymizerOptions {
  /**
   * Pseudonyms remembered, so a value repeated across a payload (owner ids, template ids) is hashed
   * once. Bounded so a hostile stream of distinct values cannot grow memory. 0 disables the cache.
   */
  cacheSize?: number;
}

/** Keys shorter than this are refused: a short key can be brute-forced from a few known pseudonyms. */
export const MIN_KEY_BYTES = 16;
const DEFAULT_CACHE_SIZE = 65_536;

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const NIL_UUID = '00000000-0000-0000-0000-000000000000';
const MAX_UUID = 'ffffffff-ffff-ffff-ffff-ffffffffffff';
/** One `@`, something on both sides, no spaces: the shape every mailer accepts, without RFC 5322's corners. */
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const SAFE_BITS_MASK = (1n << 53n) - 1n;

type Kind = 'uuid' | 'ipv4' | 'ipv6' | 'email' | 'email-domain' | 'string' | 'number';

export function createPseudonymizer(key: Buffer, options: PseudonymizerOptions = {}): Pseudonymizer {
  if (key.length < MIN_KEY_BYTES) {
    throw new RangeError(`hash key too short: ${key.length} bytes, at least ${MIN_KEY_BYTES} required`);
  }
  const secret = Buffer.from(key); // our own copy: a caller zeroing or reusing its buffer changes nothing here
  const cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
  const strings = new Map<string, string>();
  const numbers = new Map<string, number>();

  const digest = (kind: Kind, canonical: string): Buffer =>
    createHmac('sha256', secret).update(`telegate/v1/${kind}\0`).update(canonical, 'utf8').digest();

  function remember<V>(cache: Map<string, V>, value: string, pseudonym: V): V {
    if (cacheSize <= 0) return pseudonym;
    // Evict the oldest insertion: cheap, and bounded is what matters here, not perfect recency.
    if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string);
    cache.set(value, pseudonym);
    return pseudonym;
  }

  function pseudonymizeString(value: string): string {
    if (value === '') return value;
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
      const localPart = digest('email', `${local}@${domain}`).toString('hex', 0, 8);
      const domainPart = digest('email-domain', domain).toString('hex', 0, 6);
      return `${localPart}@${domainPart}.invalid`;
    }
    return digest('string', value).toString('hex', 0, 16);
  }

  function pseudonymizeNumber(decimal: string): number {
    const cached = numbers.get(decimal);
    if (cached !== undefined) return cached;
    const d = digest('number', decimal);
    return remember(numbers, decimal, Number(d.readBigUInt64BE(0) & SAFE_BITS_MASK));
  }

  return {
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

function formatUuidV8(d: Buffer): string {
  const b = Buffer.from(d.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x80; // version 8: custom
  b[8] = (b[8]! & 0x3f) | 0x80; // variant 10xx: RFC 9562
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function formatIPv4Reserved(d: Buffer): string {
  return `${0xf0 | (d[0]! & 0x0f)}.${d[1]!}.${d[2]!}.${d[3]!}`;
}

function formatIPv6Documentation(d: Buffer): string {
  const groups = [0x2001, 0x0db8];
  for (let i = 0; i < 12; i += 2) groups.push(d.readUInt16BE(i));
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
