/** The one entry point the gateway and `policy explain` share: an endpoint's rules at the enforced level. */
import type { JsonValue } from '../json/types';
import type { Endpoint, Level, Pseudonymizer, TransformResult } from './types';

export function transform(endpoint: Endpoint, level: Level, body: JsonValue, pseudonymizer: Pseudonymizer): TransformResult {
  if (level === 0) return { decision: 'block', body: null, dropped: {}, hashed: {}, unknown: {} };
  return endpoint.compiled[level].apply(body, pseudonymizer);
}
