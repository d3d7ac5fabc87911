/**
 * Request headers that never reach a vendor, whatever a policy lists (SPEC §2): hop-by-hop headers,
 * the ones that describe the client or its path (Forwarded, X-Forwarded-*, X-Real-IP, Via, Cookie), and
 * the ones that describe the client's body, since the vendor receives telegate's body, not the client's.
 */
const NEVER: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade',
  'proxy-authorization', 'proxy-authenticate',
  'forwarded', 'x-real-ip', 'via', 'cookie', 'host',
  'content-length', 'content-encoding', 'content-type', 'expect',
]);

export function isForbiddenRequestHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return NEVER.has(lower) || lower.startsWith('x-forwarded-');
}

/** What is relayed of a vendor's reply to the instance: enough to read it and to back off, no cookies. */
export const RELAYED_RESPONSE_HEADERS: readonly string[] = ['content-type', 'content-length', 'content-encoding', 'retry-after'];
