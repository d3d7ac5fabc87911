/**
 * The report-path tag of a key no rule names, computed from the documented construction with node:crypto
 * (HMAC-SHA-256(key, "telegate/v1/key\0" + name), first 8 bytes in hex, after `*`), independently of
 * src/policy: what a test expects a record or a report to say for that key.
 */
import { createHmac } from 'node:crypto';
import { TEST_HASH_KEY } from './gateway-harness';

export function keyTag(name: string, hashKey: string = TEST_HASH_KEY): string {
  return `*${createHmac('sha256', Buffer.from(hashKey, 'utf8')).update(`telegate/v1/key\0${name}`, 'utf8').digest('hex').slice(0, 16)}`;
}
