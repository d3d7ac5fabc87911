/**
 * Judging one decoded body: parse within the limits, apply the policy at the enforced level (and compare
 * the shadow level), serialize what leaves. The one function both the event loop (small bodies) and the
 * judge threads (large ones, judge-pool.ts) run, so a body is judged the same wherever it is judged.
 * Throws a GatewayError for a body that cannot be judged; nothing here does I/O.
 */
import { parseJson } from '../json/parse';
import { serializeJson } from '../json/serialize';
import { transform, type Endpoint, type Pseudonymizer, type TransformResult } from '../policy';
import { shadowDifference, type ShadowDifference } from '../policy/shadow';
import { GatewayError } from './http-error';

export type FieldCounts = Pick<TransformResult, 'dropped' | 'hashed' | 'unknown' | 'invalid' | 'redacted' | 'detections' | 'unlisted'>;

/** What a judged body leaves: the bytes to send and what the policy did (never the trees). */
export interface Judged extends FieldCounts {
  bytes: Buffer;
  shadow?: ShadowDifference;
  /** The sha256 (hex) of `bytes`, when a judge thread computed it (the audit record's body_sha256). */
  sha256?: string;
}

export interface JudgeRequest {
  endpoint: Endpoint;
  level: 1 | 2;
  /** The shadow level, when one differs from the enforced level. */
  shadow: 1 | 2 | undefined;
  limits: { depth: number; values: number };
}

export function judgeBody(body: Buffer, request: JudgeRequest, pseudonymizer: Pseudonymizer): Judged {
  const parsed = parseJson(body, { maxDepth: request.limits.depth, maxValues: request.limits.values });
  if (!parsed.ok) {
    const status = parsed.error.code === 'too-many-values' ? 413
      : parsed.error.code === 'inexact-number' || parsed.error.code === 'integer-out-of-range' || parsed.error.code === 'too-deep' ? 422 : 400;
    throw new GatewayError(status, parsed.error.code, parsed.error.detail);
  }
  const value = parsed.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new GatewayError(422, 'not-an-object', 'the body must be a JSON object, as every vendor endpoint sends');
  }
  const result = transform(request.endpoint, request.level, value, pseudonymizer);
  // The shadow level, compared right after the transform on the same parsed body: its only call site.
  const shadow = request.shadow === undefined ? undefined : shadowDifference(request.endpoint, request.level, request.shadow, value);
  // The counts only: the output tree is not kept past serialization.
  return {
    bytes: Buffer.from(serializeJson(result.body ?? {}, { negativeZero: parsed.negativeZero }), 'utf8'),
    dropped: result.dropped, hashed: result.hashed, unknown: result.unknown,
    invalid: result.invalid, redacted: result.redacted, detections: result.detections, unlisted: result.unlisted,
    ...(shadow === undefined ? {} : { shadow }),
  };
}
