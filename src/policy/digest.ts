/** A policy's identity in the audit log: `sha256:` and the hex SHA-256 of the file's bytes as read. */
import { createHash } from 'node:crypto';
import type { PolicyDigest } from './types';

export function policyDigest(bytes: Uint8Array): PolicyDigest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
