/**
 * Whether a listen host is reachable only from this machine. The admin port answers POST /reload and
 * audit reads without a token only while this holds (SPEC §8).
 */
import net from 'node:net';

export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/\.$/, '');
  if (h === 'localhost') return true;
  const bare = h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
  if (net.isIPv4(bare)) return bare.startsWith('127.');
  if (!net.isIPv6(bare)) return false;
  // The URL parser writes an IPv6 address in its shortest form: 0:0:0:0:0:0:0:1 -> [::1],
  // ::ffff:127.0.0.1 -> [::ffff:7f00:1].
  const canonical = new URL(`http://[${bare}]/`).hostname;
  return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
}
