/**
 * Semantic checks of one policy file, beyond its JSON Schema: path syntax, actions, duplicate paths after
 * normalising quotes, `hash` on a container, the vendor/file-name match, endpoint paths, the upstream URL
 * and headers that must never pass. The checks read the document defensively (a shape error is the
 * schema's to report), so one run of `policy check` shows every problem of the file at once.
 */
import path from 'node:path';
import { scanWithout, vendorScan } from './compiled-rule';
import { admitsStrings, compileConstraint, compileKeyConstraint, type KeyCheck, type ValueCheck } from './constraints';
import { DETECTOR_KINDS, SECRET_DETECTOR_KINDS } from './detector-kinds';
import { policyError, quoted } from './errors';
import { describeLocation, pointerOf } from './json-pointer';
import { parseFieldPath, type FieldPath, type PathSegment } from './paths';
import {
  VALUE_TYPES, type Action, type ConstraintSource, type DetectorKind, type FieldCategory, type HeaderRule, type PolicyError,
  type PolicyWarning, type RuleSource, type SourcePosition, type ValueType, type VendorDetectors,
} from './types';
import type { YamlLocator } from './yaml-positions';

export const ACTIONS: readonly Action[] = ['allow', 'hash', 'drop'];

/** A rule that passed every check: its path parsed, its key as written, its place in the file, its constraint compiled. */
export interface ValidatedRule {
  path: FieldPath; written: string; source: RuleSource; order: number;
  check: ValueCheck | null; keyCheck: KeyCheck | null;
}

export interface SemanticResult {
  errors: PolicyError[];
  warnings: PolicyWarning[];
  rules: Map<string, ValidatedRule[]>;
  headers: HeaderRule[];
  detectors: VendorDetectors;
}

/** The members of a rule mapping that make a value constraint. */
const CONSTRAINT_MEMBERS = ['type', 'pattern', 'enum', 'max_length', 'keys'] as const;

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
  readonly warnings: PolicyWarning[] = [];
  readonly rules = new Map<string, ValidatedRule[]>();
  readonly headers: HeaderRule[] = [];
  detectors: VendorDetectors = { skip: [], level2: [] };

  constructor(private readonly locator: YamlLocator, private readonly file: string) {}

  private valueAt(segments: readonly (string | number)[]): SourcePosition {
    return { file: this.file, ...this.locator.value(pointerOf(segments)) };
  }

  private keyAt(segments: readonly (string | number)[]): SourcePosition {
    return { file: this.file, ...this.locator.key(pointerOf(segments)) };
  }

  private warn(code: string, at: SourcePosition, message: string, key?: string): void {
    const w: PolicyWarning = { ...at, code, message };
    if (key !== undefined) w.key = key;
    this.warnings.push(w);
  }

  check(doc: unknown): void {
    if (!isMapping(doc)) return;
    this.checkVendor(doc['vendor']);
    this.checkUpstream(doc['upstream']);
    this.checkDetectors(doc['detectors']);
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

  /** Per vendor: detector kinds skipped (with a reason) and kinds added at level 2. */
  private checkDetectors(detectors: unknown): void {
    if (!isMapping(detectors)) return;
    const kinds = (v: unknown): DetectorKind[] => (Array.isArray(v) ? v.filter((k): k is DetectorKind => (DETECTOR_KINDS as readonly unknown[]).includes(k)) : []);
    const skip = kinds(detectors['skip']);
    this.detectors = { skip, level2: kinds(detectors['level_2']) };
    if (skip.length === 0) return;
    if (typeof detectors['reason'] !== 'string') {
      this.errors.push(policyError('needs-reason', this.keyAt(['detectors', 'skip']),
        'detectors.skip turns detectors off for every field of this vendor: say why in detectors.reason', 'detectors'));
    }
    const secrets = skip.filter((k) => SECRET_DETECTOR_KINDS.includes(k));
    this.warn('detectors-off', this.keyAt(['detectors', 'skip']),
      `detectors ${skip.join(', ')} do not run on this vendor's values${secrets.length > 0 ? ` (credentials among them: ${secrets.join(', ')})` : ''}`, 'detectors');
  }

  private checkHeaders(headers: unknown): void {
    if (!Array.isArray(headers)) return;
    const scan = vendorScan(this.detectors);
    headers.forEach((h: unknown, i) => {
      const entry = isMapping(h) ? h : undefined;
      const written = entry ? entry['name'] : h;
      if (typeof written !== 'string') return;
      const name = written.toLowerCase();
      const at = ['headers', i] as const;
      let why: string | undefined;
      if (NEVER_PASS.has(name) || name.startsWith('x-forwarded-')) why = 'never passes: it identifies the client or the hop';
      else if (SET_BY_TELEGATE.has(name)) why = 'is written by telegate itself for the body it sends';
      if (why) {
        this.errors.push(policyError('forbidden-header', this.valueAt(entry ? [...at, 'name'] : [...at]), `header ${quoted(written)} ${why}`, written));
        return;
      }
      if (this.headers.some((r) => r.name === name)) {
        this.errors.push(policyError('duplicate-rule', this.valueAt([...at]), `header ${quoted(written)} is listed twice`, written));
        return;
      }
      const constraint = entry ? this.readConstraint(entry, [...at], `header ${quoted(written)}`) : undefined;
      if (constraint === null) return;
      const off = entry ? this.detectorsOff(entry, [...at], `header ${quoted(written)}`) : undefined;
      let check: ((value: string) => boolean) | null = null;
      if (constraint !== undefined) {
        const compiled = compileConstraint(constraint);
        if (!compiled.ok) {
          this.errors.push(policyError('constraint', this.valueAt([...at, compiled.member]), `header ${quoted(written)}: ${compiled.member}: ${compiled.message}`, written));
          return;
        }
        const valueCheck = compiled.check;
        check = valueCheck === null ? null : (value) => valueCheck(value);
      }
      const rule: HeaderRule = { name, position: this.valueAt([...at]), check, scan: scanWithout(scan, off) };
      if (constraint !== undefined) rule.constraint = constraint;
      if (off !== undefined) rule.detectorsOff = off;
      this.headers.push(rule);
    });
  }

  /**
   * The constraint members of a rule or header mapping, normalised (`type` always a list); undefined when
   * it has none; null after reporting why it cannot mean anything.
   */
  private readConstraint(m: Doc, at: readonly (string | number)[], what: string): ConstraintSource | undefined | null {
    if (!CONSTRAINT_MEMBERS.some((k) => m[k] !== undefined)) return undefined;
    const c: ConstraintSource = {};
    const type = m['type'];
    if (typeof type === 'string' || Array.isArray(type)) {
      const types = (Array.isArray(type) ? type : [type]).filter((t): t is ValueType => (VALUE_TYPES as readonly unknown[]).includes(t));
      c.type = types;
    }
    if (typeof m['pattern'] === 'string') c.pattern = m['pattern'];
    if (Array.isArray(m['enum'])) c.enum = m['enum'] as ConstraintSource['enum'] & unknown[];
    if (typeof m['max_length'] === 'number') c.max_length = m['max_length'];
    if (isMapping(m['keys'])) {
      const k = m['keys'];
      const keys: NonNullable<ConstraintSource['keys']> = {};
      if (typeof k['pattern'] === 'string') keys.pattern = k['pattern'];
      if (Array.isArray(k['enum'])) keys.enum = k['enum'].filter((e): e is string => typeof e === 'string');
      if (typeof k['max_length'] === 'number') keys.max_length = k['max_length'];
      c.keys = keys;
    }
    if ((c.pattern !== undefined || c.max_length !== undefined) && !admitsStrings(c.type)) {
      this.errors.push(policyError('constraint', this.valueAt([...at, c.pattern !== undefined ? 'pattern' : 'max_length']),
        `${what}: pattern and max_length describe strings, but type ${c.type!.join(', ')} admits none`));
      return null;
    }
    return c;
  }

  /** `detectors: off | [kind…]`, which needs a `reason`; undefined when the mapping has none. */
  private detectorsOff(m: Doc, at: readonly (string | number)[], what: string): 'all' | DetectorKind[] | undefined {
    const d = m['detectors'];
    let off: 'all' | DetectorKind[] | undefined;
    if (d === 'off') off = 'all';
    else if (Array.isArray(d)) off = d.filter((k): k is DetectorKind => (DETECTOR_KINDS as readonly unknown[]).includes(k));
    // An unknown kind is the schema's to report.
    if (off === undefined || (Array.isArray(d) && off.length !== d.length)) return undefined;
    if (typeof m['reason'] !== 'string') {
      this.errors.push(policyError('needs-reason', this.keyAt([...at, 'detectors']),
        `${what}: detectors ${off === 'all' ? 'off' : off.join(', ')} lets values out unscanned: say why in reason`, String(at[at.length - 1])));
    }
    this.warn('detectors-off', this.keyAt([...at, 'detectors']),
      `${what}: detectors ${off === 'all' ? 'all off' : `${off.join(', ')} off`} (reason: ${typeof m['reason'] === 'string' ? m['reason'] : 'none'})`, String(at[at.length - 1]));
    return off;
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
      const options = isMapping(rule) ? this.ruleOptions(rule, at, parsed.path, actions, source) : { check: null, keyCheck: null };
      if (options === null) continue;
      const validated: ValidatedRule = { path: parsed.path, written, source, order: order++, ...options };
      byNormalForm.set(parsed.path.text, validated);
      rules.push(validated);
    }
    this.checkHashOnContainers(endpointPath, rules);
    this.checkConstraintsOnContainers(endpointPath, rules);
    this.rules.set(endpointPath, rules);
  }

  private actionPositions(rule: unknown, at: readonly string[]): Record<1 | 2, SourcePosition> {
    if (!isMapping(rule)) {
      const both = this.valueAt(at);
      return { 1: both, 2: both };
    }
    return { 1: this.valueAt([...at, '1']), 2: this.valueAt([...at, '2']) };
  }

  /** A rule mapping's category, constraint and options, into `source`; null after reporting an error. */
  private ruleOptions(rule: Doc, at: readonly string[], fieldPath: FieldPath, actions: Record<1 | 2, Action>, source: RuleSource)
    : { check: ValueCheck | null; keyCheck: KeyCheck | null } | null {
    const written = at[3]!;
    const where = describeLocation(at);
    if (typeof rule['category'] === 'string') source.category = rule['category'] as FieldCategory;
    if (typeof rule['reason'] === 'string') source.reason = rule['reason'];
    const constraint = this.readConstraint(rule, at, where);
    if (constraint === null) return null;
    let ok = true;
    const fail = (member: string, message: string): void => {
      ok = false;
      this.errors.push(policyError('constraint', this.locator.has(pointerOf([...at, member])) ? this.valueAt([...at, member]) : this.keyAt(at), `${where}: ${message}`, written));
    };
    let check: ValueCheck | null = null;
    let keyCheck: KeyCheck | null = null;
    if (constraint !== undefined) {
      const { keys, ...value } = constraint;
      source.constraint = constraint;
      const compiled = compileConstraint(value);
      if (compiled.ok) check = compiled.check; else fail(compiled.member, `${compiled.member}: ${compiled.message}`);
      if (keys !== undefined) {
        const last = fieldPath.segments[fieldPath.segments.length - 1];
        if (last?.kind !== 'any-key') fail('keys', 'keys: constrains the keys a wildcard matches, and this path does not end in *');
        const compiledKeys = compileKeyConstraint(keys);
        if (compiledKeys.ok) keyCheck = compiledKeys.check; else fail('keys', `${compiledKeys.member}: ${compiledKeys.message}`);
      }
    }
    const invalid = rule['invalid'];
    if (invalid === 'drop' || invalid === 'hash') {
      if (check === null) fail('invalid', 'invalid: says what a value failing the rule\'s constraint becomes, but the rule has no value constraint');
      source.invalid = invalid;
    }
    if (rule['subtree'] === true) {
      source.subtree = true;
      if (actions[1] !== 'allow' && actions[2] !== 'allow') fail('subtree', 'subtree: true says what allow lets through, but the rule allows at no level');
      if (check !== null) fail('subtree', 'subtree: true passes a whole container, which no value constraint (they describe scalars) admits');
      if (typeof rule['reason'] !== 'string') {
        this.errors.push(policyError('needs-reason', this.keyAt([...at, 'subtree']),
          `${where}: subtree: true lets a whole object or array out unchecked: say why in reason (what the vendor sends there)`, written));
        ok = false;
      }
      this.warn('subtree', this.keyAt([...at, 'subtree']),
        `${where}: subtree: true passes whatever object or array arrives here, unchecked by rules (reason: ${typeof rule['reason'] === 'string' ? rule['reason'] : 'none'})`, written);
    }
    const off = this.detectorsOff(rule, at, where);
    if (off !== undefined) source.detectorsOff = off;
    return ok ? { check, keyCheck } : null;
  }

  /** A value constraint describes a scalar; a path other rules descend into holds a container. */
  private checkConstraintsOnContainers(endpointPath: string, rules: readonly ValidatedRule[]): void {
    for (const r of rules) {
      if (r.check === null) continue;
      const inner = rules.find((s) => s !== r && descendsInto(s.path.segments, r.path.segments));
      if (!inner) continue;
      this.errors.push(policyError('constraint-on-container', this.keyAt(['endpoints', endpointPath, 'fields', r.written]),
        `${describeLocation(['endpoints', endpointPath, 'fields', r.written])}: a value constraint on a container: rule ${quoted(inner.source.path)} ` +
        `(line ${inner.source.position.line}) descends into it. Constrain the fields inside instead`, r.written));
    }
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
  return { errors: checker.errors, warnings: checker.warnings, rules: checker.rules, headers: checker.headers, detectors: checker.detectors };
}
