/**
 * The policy engine's entry points. The gateway and the CLI import from here only.
 *
 *   loadPolicySet(paths)  -> files or folders -> { ok, value: PolicySet } | { ok: false, errors }
 *   loadPolicyFile(file)  -> one file         -> { ok, value: Policy }    | { ok: false, errors }
 *   formatPolicyError(e)  -> "file:line:col: message"
 *   transform(endpoint, level, body, pseudonymizer) -> TransformResult (level 0: decision block)
 *   traceTransform(...)   -> FieldChange[]: the same decisions value by value, with originals (explain)
 *   judgeHeaders(policy, level, headers) -> which request headers are forwarded, which refused and why
 *   createPseudonymizer(key) -> Pseudonymizer
 *   loadHashKey(options)  -> the HMAC key from env, key file, or generated into the data dir
 *
 * Module map (load time, then the hot path):
 *   load.ts            read -> yaml-document.ts -> schema.ts -> validate.ts -> compile.ts; whole-set checks
 *   yaml-document.ts   one js-yaml event parse gives the value and, via yaml-positions.ts, a locator of
 *                      every JSON pointer's key and value (line, column)
 *   schema.ts          the JSON Schema of a policy file (ajv); schema-errors.ts words ajv's errors
 *   validate.ts        semantic checks; paths.ts parses and normalises field paths
 *   errors.ts          PolicyError values and their `file:line:col: message` form; digest.ts the sha256
 *   trie.ts, states.ts rules -> trie -> a state tree per level (effective action, report path, transitions)
 *   compiled-rule.ts   a rule's actions, compiled constraint (constraints.ts, value-types.ts, re2-pattern.ts),
 *                      subtree flag and detector masks; secret-paths.ts the secret rules in any spelling
 *   apply.ts           the one-pass, copy-on-write walk of a body; transform.ts chooses block or apply;
 *                      member-plan.ts per key set; reports.ts the counts and the bound on report paths
 *   detectors.ts       the detector table (detector-kinds.ts names the kinds); headers.ts judges headers
 *   trace.ts           the same walk recording each change with its original, for policy explain
 *   pseudonymize.ts, hash-key.ts   keyed format-preserving hashing and its key
 *   fixture-*.ts       `telegate policy test`: fixture loading, running and diffing
 */
export * from './types';
export type { JsonArray, JsonObject, JsonPrimitive, JsonValue } from '../json/types';
export { loadPolicyFile, loadPolicySet, type LoadResult } from './load';
export { formatPolicyError } from './errors';
export { traceTransform, transform } from './transform';
export { createPseudonymizer } from './pseudonymize';
export { loadHashKey, type HashKeyOptions } from './hash-key';
export { judgeHeaders, type HeaderJudgement, type HeaderRefusal } from './headers';
export { formatPolicyWarning } from './errors';
export { MAX_REPORT_PATHS } from './reports';
