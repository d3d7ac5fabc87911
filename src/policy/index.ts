/**
 * The policy engine's entry points. The gateway and the CLI import from here only.
 *
 *   loadPolicySet(paths)  -> files or folders -> { ok, value: PolicySet } | { ok: false, errors }
 *   loadPolicyFile(file)  -> one file         -> { ok, value: Policy }    | { ok: false, errors }
 *   formatPolicyError(e)  -> "file:line:col: message"
 *   transform(endpoint, level, body, pseudonymizer) -> TransformResult (level 0: decision block)
 *   createPseudonymizer(key) -> Pseudonymizer
 *   loadHashKey(options)  -> the HMAC key from env, key file, or generated into the data dir
 */
export * from './types';
export type { JsonArray, JsonObject, JsonPrimitive, JsonValue } from '../json/types';
export { loadPolicyFile, loadPolicySet, type LoadResult } from './load';
export { formatPolicyError } from './errors';
export { transform } from './transform';
export { createPseudonymizer } from './pseudonymize';
export { loadHashKey, type HashKeyOptions } from './hash-key';
