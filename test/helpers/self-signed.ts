/** A throwaway self-signed certificate made with the openssl CLI, for TLS tests (never committed). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export function selfSignedCertificate(commonName: string): { cert: Buffer; key: Buffer } {
  const dir = mkdtempSync(path.join(tmpdir(), 'telegate-cert-'));
  try {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
      '-subj', `/CN=${commonName}`, '-addext', `subjectAltName=DNS:${commonName},IP:127.0.0.1`], { stdio: 'ignore' });
    return { cert: readFileSync(cert), key: readFileSync(key) };
  } finally {
    // The key lives in memory from here on; nothing of it stays on disk.
    rmSync(dir, { recursive: true, force: true });
  }
}
