/**
 * An /etc/hosts override for one child process: a `--require` preload that makes dns.lookup answer chosen
 * host names with 127.0.0.1, so a client with a hard-coded vendor URL (Automatisch's
 * https://telemetry.automatisch.io/v1/batch) reaches telegate exactly as it would under an enterprise's DNS
 * interception, while the test process and the machine's resolver are left alone.
 *
 * Any other name fails with ENOTFOUND, so a client that tried to reach something else (the real vendor, or
 * 3.x's default hosted.rudderlabs.com) fails in the test instead of leaving the machine. IP literals never
 * reach dns.lookup and connect as usual.
 *
 *   const preload = await writeClientDnsPreload(dir, ['telemetry.automatisch.io']);
 *   runRudderClient({ ..., nodeArgs: ['--require', preload] });
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

const LOOPBACK_NAMES = ['localhost'];

function preloadSource(names: readonly string[]): string {
  return `'use strict';
// Written by test/helpers/client-dns-preload.ts. net and tls resolve through dns.lookup at call time.
const dns = require('dns');
const mapped = new Set(${JSON.stringify([...names, ...LOOPBACK_NAMES].map((n) => n.toLowerCase()))});
dns.lookup = function lookup(hostname, options, callback) {
  if (typeof options === 'function') { callback = options; options = {}; }
  if (typeof options === 'number') options = { family: options };
  const name = String(hostname).toLowerCase().replace(/\\.$/, '');
  process.nextTick(() => {
    if (!mapped.has(name)) {
      const error = new Error('getaddrinfo ENOTFOUND ' + hostname + ' (test preload: only mapped names resolve)');
      error.code = 'ENOTFOUND';
      error.hostname = hostname;
      return callback(error);
    }
    if (options && options.all) return callback(null, [{ address: '127.0.0.1', family: 4 }]);
    return callback(null, '127.0.0.1', 4);
  });
};
`;
}

/** Writes the preload into `dir` and returns its path, for `node --require <path>`. */
export async function writeClientDnsPreload(dir: string, names: readonly string[]): Promise<string> {
  const file = path.join(dir, 'client-dns-preload.js');
  await writeFile(file, preloadSource(names));
  return file;
}
