/**
 * Semantic checks of one policy file, beyond its JSON Schema: path syntax, actions, duplicate paths after
 * normalising quotes, `hash` on a container, the vendor/file-name match, endpoint paths, the upstream URL
 * and headers that must never pass. The checks read the document defensively (a shape error is the
 * schema's to report), so one run of `policy check` shows every problem of the file at once.
 */
import path from 'node:path';
import { policyError, quoted } from './errors';
import { describeLocation, pointerOf } from './json-pointer';
import { parseFieldPath, type FieldPath, type PathSegment } from './paths';
import type { Action, FieldCategory, PolicyError, RuleSource, SourcePosition } from './types';
import type { YamlLocator } from './yaml-positions';

export const ACTIONS: readonly Action[] = ['allow', 'hash', 'drop'];

/** A rule that passed every check: its path parsed, its key as written, its place in the file. */
export interface ValidatedRule { path: FieldPath; written: string; source: RuleSource; order: number }

export interface SemanticResult { errors: PolicyError[]; rules: Map<string, ValidatedRule[]> }

/** Headers telegate never lets pass (SPEC §2), and those it writes itself. */
const NEVER_PASS = new Set(['forwarded', 'via', 'cookie', 'x-real-ip', 'connection', 'keep-alive', 'proxy-authenticate',
  'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
const SET_BY_TELEGATE = new Set(['host', 'content-length', 'content-encoding']);

type Doc = Record<string, unknown>;

function isMapping(v: unknown): v is Doc {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isAction(v: unknown): v is Action {
  return typeof v === 'string' && (ACTIONS as readonly string[]).includes(v);
}

class SemanticChecker {
  readonly errors: PolicyError[] = [];
  readonly rules = new Map<string, ValidatedRule[]>();

  constructor(private readonly locator: YamlLocator, private readonly file: string) {}

  private valueAt(segments: readonly (string | number)[]): SourcePosition {
    return { file: this.file, ...this.locator.value(pointerOf(segments)) };
  }

  private keyAt(segments: readonly (string | number)[]): SourcePosition {
    return { file: this.file, ...this.locator.key(pointerOf(segments)) };
  }

  check(doc: unknown): void {
    if (!isMapping(doc)) return;
    this.checkVendor(doc['vendor']);
    this.checkUpstream(doc['upstream']);
    this.checkHeaders(doc['headers']);
    const endpoints = doc['endpoints'];
    if (isMapping(endpoints)) {
      for (const [endpointPath, endpoint] of Object.entries(endpoints)) this.checkEndpoint(endpointPath, endpoint);
    }
  }

  private checkVendor(vendor: unknown): void {
    if (typeof vendor !== 'string') return;
    const base = path.basename(this.file);
    const expected = base.replace(/\.ya?ml$/i, '');
    if (vendor !== expected) {
      this.errors.push(policyError('vendor-name', this.valueAt(['vendor']),
        `vendor ${quoted(vendor)} differs from the file name ${quoted(base)}: the policy of vendor V lives in V.yaml`,
        'vendor'));
    }
  }

  private checkUpstream(upstream: unknown): void {
    if (typeof upstream !== 'string' || upstream === '') return;
    let url: URL | undefined;
    try {
      url = new URL(upstream);
    } catch {
      url = undefined;
    }
    let problem: string | undefined;
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.hostname === '') {
      problem = 'must be an http(s) URL, e.g. https://telemetry.example.com';
    } else if (url.username !== '' || url.password !== '') {
      problem = 'must not hold credentials: a policy file is reviewed and versioned, not secret';
    } else if (url.search !== '' || url.hash !== '') {
      problem = 'must not hold a query or fragment';
    }
    if (problem) {
      // Never echo a URL that holds credentials: the error goes to terminals and CI logs.
      const shown = url && (url.username !== '' || url.password !== '') ? '' : ` ${quoted(upstream)}`;
      this.errors.push(policyError('upstream', this.valueAt(['upstream']), `upstream${shown} ${problem}`, 'upstream'));
    }
  }

  private checkHeaders(headers: unknown): void {
    if (!Array.isArray(headers)) return;
    headers.forEach((h: unknown, i) => {
      if (typeof h !== 'string') return;
      const name = h.toLowerCase();
      let why: string | undefined;
      if (NEVER_PASS.has(name) || name.startsWith('x-forwarded-')) why = 'never passes: it identifies the client or the hop';
      else if (SET_BY_TELEGATE.has(name)) why = 'is written by telegate itself for the body it sends';
      if (why) this.errors.push(policyError('forbidden-header', this.valueAt(['headers', i]), `header ${quoted(h)} ${why}`, h));
    });
  }

  private checkEndpoint(endpointPath: string, endpoint: unknown): void {
    if (!endpointPath.startsWith('/') || /[?#\s]/.test(endpointPath)) {
      this.errors.push(policyError('endpoint-path', this.keyAt(['endpoints', endpointPath]),
        `endpoint ${quoted(endpointPath)}: an endpoint is an exact request path starting with "/" (no query, no spaces)`,
        endpointPath));
    }
    if (!isMapping(endpoint)) return;
    const fields = endpoint['fields'];
    if (!isMapping(fields)) return;
    const rules: ValidatedRule[] = [];
    const byNormalForm = new Map<string, ValidatedRule>();
    let order = 0;
    for (const [written, rule] of Object.entries(fields)) {
      const at = ['endpoints', endpointPath, 'fields', written];
      const parsed = parseFieldPath(written);
      const actions = this.checkActions(rule, at);
      if (!parsed.ok) {
        this.errors.push(policyError('path-syntax', this.keyAt(at),
          `${describeLocation(at)}: ${parsed.message} (at character ${parsed.offset + 1})`, written));
        continue;
      }
      const twin = byNormalForm.get(parsed.path.text);
      if (twin) {
        this.errors.push(policyError('duplicate-rule', this.keyAt(at),
          `${describeLocation(at)}: the same path as ${quoted(twin.written)} on line ${twin.source.position.line}` +
          ' (paths are compared after normalising quotes): keep one rule', written));
        continue;
      }
      if (!actions) continue;
      const source: RuleSource = { path: parsed.path.text, actions, position: this.keyAt(at), actionPositions: this.actionPositions(rule, at) };
      const category = isMapping(rule) ? rule['category'] : undefined;
      if (typeof category === 'string') source.category = category as FieldCategory;
      const validated: ValidatedRule = { path: parsed.path, written, source, order: order++ };
      byNormalForm.set(parsed.path.text, validated);
      rules.push(validated);
    }
    this.checkHashOnContainers(endpointPath, rules);
    this.rules.set(endpointPath, rules);
  }

  private actionPositions(rule: unknown, at: readonly string[]): Record<1 | 2, SourcePosition> {
    if (!isMapping(rule)) {
      const both = this.valueAt(at);
      return { 1: both, 2: both };
    }
    return { 1: this.valueAt([...at, '1']), 2: this.valueAt([...at, '2']) };
  }

  /** Both levels' actions, or undefined after reporting an unknown one (a wrong shape is the schema's). */
  private checkActions(rule: unknown, at: readonly string[]): Record<1 | 2, Action> | undefined {
    if (typeof rule === 'string') {
      if (isAction(rule)) return { 1: rule, 2: rule };
      this.unknownAction(rule, at);
      return undefined;
    }
    if (!isMapping(rule)) return undefined;
    const one = rule['1'];
    const two = rule['2'];
    let ok = true;
    for (const [level, action] of [['1', one], ['2', two]] as const) {
      if (typeof action === 'string' && !isAction(action)) {
        this.unknownAction(action, [...at, level]);
        ok = false;
      }
    }
    return ok && isAction(one) && isAction(two) ? { 1: one, 2: two } : undefined;
  }

  private unknownAction(action: string, at: readonly string[]): void {
    this.errors.push(policyError('unknown-action', this.valueAt(at),
      `${describeLocation(at)}: unknown action ${quoted(action)} (expected allow, hash or drop)`, at[3]));
  }

  /** A container cannot be hashed: `hash` on a path that another rule descends into is a contradiction. */
  private checkHashOnContainers(endpointPath: string, rules: readonly ValidatedRule[]): void {
    for (const r of rules) {
      const hashLevels = ([1, 2] as const).filter((l) => r.source.actions[l] === 'hash');
      if (hashLevels.length === 0) continue;
      const inner = rules.find((s) => s !== r && descendsInto(s.path.segments, r.path.segments));
      if (!inner) continue;
      const written = r.written;
      const at = ['endpoints', endpointPath, 'fields', written];
      const pointAt = this.locator.has(pointerOf([...at, String(hashLevels[0])])) ? [...at, String(hashLevels[0])] : at;
      this.errors.push(policyError('hash-on-container', this.valueAt(pointAt),
        `${describeLocation(at)}: hash at level${hashLevels.length > 1 ? 's 1 and 2' : ` ${hashLevels[0]}`} on a container: rule ` +
        `${quoted(inner.source.path)} (line ${inner.source.position.line}) descends into it. ` +
        'A container cannot be hashed; allow or drop it and hash the fields inside', written));
    }
  }
}

/** Whether some value could be matched by `ancestor` and have a descendant matched by `deeper`. */
export function descendsInto(deeper: readonly PathSegment[], ancestor: readonly PathSegment[]): boolean {
  if (deeper.length <= ancestor.length) return false;
  for (let i = 0; i < ancestor.length; i++) {
    if (!mayMatchSameValue(deeper[i]!, ancestor[i]!)) return false;
  }
  return true;
}

function mayMatchSameValue(a: PathSegment, b: PathSegment): boolean {
  const aIsKey = a.kind === 'key' || a.kind === 'any-key';
  const bIsKey = b.kind === 'key' || b.kind === 'any-key';
  if (aIsKey !== bIsKey) return false;
  if (a.kind === 'key' && b.kind === 'key') return a.name === b.name;
  // Two discriminators on one field with different values never select the same element.
  if (a.kind === 'match' && b.kind === 'match') return a.field !== b.field || a.value === b.value;
  return true;
}

export function checkSemantics(doc: unknown, locator: YamlLocator, file: string): SemanticResult {
  const checker = new SemanticChecker(locator, file);
  checker.check(doc);
  return { errors: checker.errors, rules: checker.rules };
}
