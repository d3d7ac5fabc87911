/**
 * The members of each record type after the fixed head, in the order docs/audit-log.md lists them.
 * The egress body is embedded as the bytes that were sent, never re-serialized: `body_sha256` and
 * `bytes` are computed from exactly those bytes, so an auditor compares them with the vendor's copy.
 */
import { hash } from 'node:crypto';
import type { RecordMember } from './chain';
import { AuditError } from './errors';
import type { TornTail } from './recovery';
import type { EgressFields, OutcomeFields, PolicyLoadFields } from './types';

const NEWLINE = 0x0a;

/**
 * `bodyBytes` (or `bodyText`) must be the compact JSON the gateway serialized (it is not parsed again
 * here: a 50 MB body would cost a second parse on the request path). It must not contain a raw newline, which would split
 * the record across two lines.
 */
export function egressMembers(f: EgressFields): RecordMember[] {
  const members: RecordMember[] = [
    { key: 'id', value: f.id },
    { key: 'vendor', value: f.vendor },
    { key: 'endpoint', value: f.endpoint },
    { key: 'level', value: f.level },
    { key: 'policy', value: f.policy },
    { key: 'decision', value: f.decision },
    { key: 'reason', value: f.reason },
    { key: 'upstream', value: f.upstream },
    { key: 'client', value: f.client },
    { key: 'client_version', value: f.client_version },
    { key: 'headers', value: f.headers },
    { key: 'headers_refused', value: f.headers_refused },
  ];
  const body = f.bodyBytes ?? (f.bodyText === undefined ? undefined : Buffer.from(f.bodyText, 'utf8'));
  if (body === undefined) {
    members.push({ key: 'bytes', value: 0 });
  } else {
    if (body.length === 0) {
      throw new AuditError('audit-body-invalid', `request ${f.id}: the body to record is empty; leave bodyText out when nothing is sent`);
    }
    if (body.includes(NEWLINE)) {
      throw new AuditError('audit-body-invalid', `request ${f.id}: the body to record contains a raw newline; it must be the compact single-line JSON sent upstream`);
    }
    members.push(
      { key: 'body', raw: body },
      { key: 'body_sha256', value: (f.bodyBytes !== undefined ? f.bodySha256 : undefined) ?? hash('sha256', body, 'hex') },
      { key: 'bytes', value: body.length },
    );
  }
  members.push(
    { key: 'dropped', value: f.dropped }, { key: 'hashed', value: f.hashed }, { key: 'unknown', value: f.unknown },
    { key: 'invalid', value: f.invalid }, { key: 'redacted', value: f.redacted }, { key: 'detections', value: f.detections },
    { key: 'unlisted', value: f.unlisted },
  );
  if (f.shadow !== undefined) {
    const { level, sent, hashed, dropped } = f.shadow;
    members.push({ key: 'shadow', value: { level, sent, hashed, dropped } });
  }
  return members;
}

export function outcomeMembers(f: OutcomeFields): RecordMember[] {
  return [
    { key: 'id', value: f.id },
    { key: 'status', value: f.status },
    { key: 'ms', value: f.ms },
    { key: 'error', value: f.error },
  ];
}

export function policyMembers(f: PolicyLoadFields): RecordMember[] {
  return [
    { key: 'policies', value: f.policies.map((p) => ({ vendor: p.vendor, file: p.file, digest: p.digest })) },
    { key: 'reload', value: f.reload },
  ];
}

export function recoveryMembers(t: TornTail): RecordMember[] {
  return [
    { key: 'file', value: t.file },
    { key: 'truncated_bytes', value: t.truncated_bytes },
    { key: 'torn_sha256', value: t.torn_sha256 },
  ];
}

export function startMembers(replica: string | null): RecordMember[] {
  return [{ key: 'replica', value: replica }];
}
