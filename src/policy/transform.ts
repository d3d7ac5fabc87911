/** The one entry point the gateway and `policy explain` share: an endpoint's rules at the enforced level. */
import type { JsonValue } from '../json/types';
import type { Endpoint, FieldChange, Level, Pseudonymizer, TransformResult } from './types';

export function transform(endpoint: Endpoint, level: Level, body: JsonValue, pseudonymizer: Pseudonymizer): TransformResult {
  if (level === 0) return { decision: 'block', body: null, dropped: {}, hashed: {}, unknown: {}, invalid: {}, redacted: {}, detections: {} };
  return endpoint.compiled[level].apply(body, pseudonymizer);
}

/** Value by value, what `transform` removes or replaces (level 0: nothing is traced, nothing leaves). */
export function traceTransform(endpoint: Endpoint, level: Level, body: JsonValue, pseudonymizer: Pseudonymizer): FieldChange[] {
  if (level === 0) return [];
  return endpoint.compiled[level].trace(body, pseudonymizer);
}
