/**
 * The check of a vendor upstream override, shared by the file and TELEGATE_UPSTREAM_<VENDOR>. The
 * URL is the only place telegate will send a vendor's data, so it must parse and name an http(s) host.
 * The message never repeats the URL: it may carry credentials.
 */
export function upstreamUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http:// or https:// URL';
  if (url.hostname === '') return 'must name a host';
  // The upstream URL is written into every egress audit record, which auditors read.
  if (url.username !== '' || url.password !== '') return 'must not hold credentials: it is written to every audit record';
  if (url.search !== '' || url.hash !== '') return 'must not hold a query or fragment';
  return undefined;
}
