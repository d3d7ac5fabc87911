/**
 * Runs a policy fixture test: applies the fixture's endpoint policy to its input at every level it states,
 * and compares the outcome exactly with what it expects. The result is data (no printing), so the CLI
 * renders it and other test suites can assert on it.
 *
 * Expected bodies say *which* values are pseudonymized with `{"$hash": <original>}`; the runner puts the
 * pseudonym of that original under the fixture key in its place before comparing, so a fixture states the
 * policy's choices and the joins they keep, not the hash arithmetic (tested on its own against vectors).
 */
import type { JsonObject, JsonValue } from '../json/types';
import { diffJson, formatValuePath, type JsonDifference } from './fixture-diff';
import { COUNT_REPORTS, type CountReport, type Fixture, type LevelExpectation } from './fixture-load';
import { createPseudonymizer } from './pseudonymize';
import { transform } from './transform';
import type { Level, PathCounts, PolicyError, PolicySet, Pseudonymizer, TransformResult } from './types';

export { FIXTURE_TEST_KEY, loadFixture, type Fixture, type FixtureLoadResult, type LevelExpectation } from './fixture-load';

/** How many body differences a failure lists; the total is always given. */
const MAX_LISTED_DIFFERENCES = 10;

export interface BodyDifference extends JsonDifference {
  /** Set when the expected value was a `{"$hash": original}` marker: the original it names. */
  hashOf?: JsonValue;
}

export interface CountDifference { path: string; expected?: number; actual?: number }

export type Mismatch =
  | { kind: 'decision'; expected: TransformResult['decision']; actual: TransformResult['decision'] }
  | { kind: 'body'; differences: BodyDifference[]; total: number }
  | { kind: 'counts'; report: CountReport; differences: CountDifference[] };

export interface LevelOutcome {
  level: Level;
  /** true when nothing differs. */
  ok: boolean;
  mismatches: Mismatch[];
  /** What the policy produced, for callers that show or inspect it. */
  result: TransformResult;
}

export type FixtureRunResult = { ok: true; value: LevelOutcome[] } | { ok: false; errors: PolicyError[] };

const HASH_MARKER = '$hash';

function isObject(value: JsonValue): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function markerOriginal(value: JsonObject): JsonValue | undefined {
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === HASH_MARKER ? value[HASH_MARKER] : undefined;
}

export interface ResolvedBody { body: JsonValue; markers: Map<string, JsonValue>; unhashable: string[] }

/** Replaces every `{"$hash": original}` by the pseudonym of `original`; remembers where each marker was. */
export function resolveMarkers(expected: JsonValue, pseudonymizer: Pseudonymizer): ResolvedBody {
  const markers = new Map<string, JsonValue>();
  const unhashable: string[] = [];
  const path: (string | number)[] = [];
  const visit = (value: JsonValue): JsonValue => {
    if (Array.isArray(value)) {
      return value.map((item, i) => { path.push(i); const out = visit(item); path.pop(); return out; });
    }
    if (!isObject(value)) return value;
    const original = markerOriginal(value);
    if (original !== undefined) {
      const where = formatValuePath(path);
      const pseudonym = pseudonymizer.pseudonymize(original);
      if (pseudonym === undefined) {
        unhashable.push(where);
        return value;
      }
      markers.set(where, original);
      return pseudonym;
    }
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) {
      path.push(key);
      Object.defineProperty(out, key, { value: visit(item), enumerable: true, writable: true, configurable: true });
      path.pop();
    }
    return out;
  };
  return { body: visit(expected), markers, unhashable };
}

function compareCounts(expected: PathCounts, actual: PathCounts): CountDifference[] {
  const differences: CountDifference[] = [];
  const paths = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  for (const path of paths) {
    const e = Object.prototype.hasOwnProperty.call(expected, path) ? expected[path] : undefined;
    const a = Object.prototype.hasOwnProperty.call(actual, path) ? actual[path] : undefined;
    if (e !== a) differences.push({ path, ...(e === undefined ? {} : { expected: e }), ...(a === undefined ? {} : { actual: a }) });
  }
  return differences;
}

/**
 * An expected report path may name a key no rule names as `*(key)`: the fixture states the key, the
 * runner writes it as reports do (`*` and its tag under the fixture's key).
 */
export function resolveKeyTags(expected: PathCounts, pseudonymizer: Pseudonymizer): PathCounts {
  const out: PathCounts = {};
  for (const [path, n] of Object.entries(expected)) {
    const resolved = path.replace(/\*\(((?:[^()\\]|\\.)*)\)/g, (_m, key: string) => `*${pseudonymizer.keyTag(key.replace(/\\(.)/g, '$1'))}`);
    Object.defineProperty(out, resolved, { value: n, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function compare(expectation: LevelExpectation, resolved: ResolvedBody | undefined, result: TransformResult, pseudonymizer: Pseudonymizer): Mismatch[] {
  if (expectation.decision !== result.decision) {
    return [{ kind: 'decision', expected: expectation.decision, actual: result.decision }];
  }
  if (expectation.decision === 'block') return [];
  const mismatches: Mismatch[] = [];
  if (resolved !== undefined) {
    const diff = diffJson(resolved.body, result.body ?? null, MAX_LISTED_DIFFERENCES);
    if (diff.total > 0) {
      const differences = diff.differences.map((d): BodyDifference => {
        const hashOf = resolved.markers.get(formatValuePath(d.path));
        return hashOf === undefined ? d : { ...d, hashOf };
      });
      mismatches.push({ kind: 'body', differences, total: diff.total });
    }
  }
  for (const report of COUNT_REPORTS) {
    const expected = expectation.counts[report];
    if (expected === undefined) continue;
    const differences = compareCounts(resolveKeyTags(expected, pseudonymizer), result[report]);
    if (differences.length > 0) mismatches.push({ kind: 'counts', report, differences });
  }
  return mismatches;
}

/** Runs every level the fixture states against the policy set; a fixture that names no policy is an error. */
export function runFixture(fixture: Fixture, policies: PolicySet): FixtureRunResult {
  const policy = policies.policies.get(fixture.vendor);
  if (policy === undefined) {
    const known = [...policies.policies.keys()].join(', ') || 'none';
    return {
      ok: false,
      errors: [{ ...fixture.positions.vendor, code: 'fixture-vendor', key: 'vendor', message: `no policy for vendor "${fixture.vendor}" (loaded: ${known})` }],
    };
  }
  const endpoint = policy.endpoints.get(fixture.endpoint);
  if (endpoint === undefined) {
    const known = [...policy.endpoints.keys()].join(', ');
    return {
      ok: false,
      errors: [{ ...fixture.positions.endpoint, code: 'fixture-endpoint', key: 'endpoint', message: `${fixture.vendor} has no endpoint "${fixture.endpoint}" (it declares: ${known})` }],
    };
  }
  const pseudonymizer = createPseudonymizer(Buffer.from(fixture.key, 'utf8'));
  const outcomes: LevelOutcome[] = [];
  const errors: PolicyError[] = [];
  for (const [level, expectation] of fixture.expect) {
    let resolved: ResolvedBody | undefined;
    if (expectation.decision === 'forward' && expectation.body !== undefined) {
      resolved = resolveMarkers(expectation.body, pseudonymizer);
      for (const where of resolved.unhashable) {
        errors.push({
          ...expectation.position, code: 'fixture-hash', key: `expect.${level}`,
          message: `{"$hash": …} at ${where} names a value that cannot be pseudonymized (only strings and numbers keep their type when hashed)`,
        });
      }
    }
    const result = transform(endpoint, level, fixture.input, pseudonymizer);
    const mismatches = compare(expectation, resolved, result, pseudonymizer);
    outcomes.push({ level, ok: mismatches.length === 0, mismatches, result });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: outcomes };
}
