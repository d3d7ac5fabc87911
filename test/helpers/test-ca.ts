/**
 * A private certificate authority made with the openssl CLI at test time, as an enterprise makes one for DNS
 * interception: a CA the instances trust through NODE_EXTRA_CA_CERTS, and a server certificate for the
 * vendor's host name that telegate serves. Keys live in the caller's temporary folder only.
 *
 *   const ca = await createTestCa(dir);
 *   const server = await issueServerCertificate(ca, dir, ['telemetry.automatisch.io']);
 *   // configYaml: listen: { tls: { cert: server.certPath, key: server.keyPath } }
 *   // client env: NODE_EXTRA_CA_CERTS=ca.certPath
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const OPENSSL = '/usr/bin/openssl';
/** P-256 keys: generated in milliseconds, unlike RSA, and accepted by Node's default TLS settings. */
const KEY_ALGORITHM = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];

export interface TestCa {
  certPath: string;
  keyPath: string;
}

export interface ServerCertificate {
  certPath: string;
  keyPath: string;
}

export async function createTestCa(dir: string, commonName = 'telegate Test CA'): Promise<TestCa> {
  const certPath = path.join(dir, 'ca.pem');
  const keyPath = path.join(dir, 'ca-key.pem');
  await run(OPENSSL, [
    'req', '-x509', ...KEY_ALGORITHM, '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2',
    '-subj', `/CN=${commonName}`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { certPath, keyPath };
}

/** A leaf certificate for `dnsNames` only (no IP address), so a client must reach it by one of those names. */
export async function issueServerCertificate(ca: TestCa, dir: string, dnsNames: readonly string[]): Promise<ServerCertificate> {
  const [first] = dnsNames;
  if (first === undefined) throw new Error('issueServerCertificate: at least one DNS name');
  const stem = path.join(dir, first.replace(/[^A-Za-z0-9.-]/g, '_'));
  const keyPath = `${stem}-key.pem`;
  const csrPath = `${stem}.csr`;
  const certPath = `${stem}.pem`;
  const extPath = `${stem}.ext`;
  await run(OPENSSL, ['req', ...KEY_ALGORITHM, '-nodes', '-keyout', keyPath, '-out', csrPath, '-subj', `/CN=${first}`]);
  await writeFile(extPath, [
    `subjectAltName=${dnsNames.map((n) => `DNS:${n}`).join(',')}`,
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
    '',
  ].join('\n'));
  await run(OPENSSL, [
    'x509', '-req', '-in', csrPath, '-CA', ca.certPath, '-CAkey', ca.keyPath, '-CAcreateserial',
    '-out', certPath, '-days', '2', '-extfile', extPath,
  ]);
  return { certPath, keyPath };
}
