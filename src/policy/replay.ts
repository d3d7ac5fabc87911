/**
 * `telegate audit replay`: a candidate policy set run over what actually left (the bodies of the audit
 * log), compared with how it left. Pure: the caller reads the log and hands over each forwarded request.
 *
 * What a logged body can show, and what it cannot:
 * - Every value in it left, in clear or as a pseudonym (the record's `hashed` paths say which). The
 *   candidate's decision on each is known exactly: it stops leaving, becomes hashed, or becomes clear.
 * - What the current policy removed is not in the body; only its path and count are in the record
 *   (`dropped`, `unknown`). The candidate's decision for such a path is found by following the path
 *   through the candidate's rules: "newly leaves" when the candidate sends it (or may send part of it:
 *   it names something inside). Which values those were, no log can say.
 * - A path the logged requests never carried cannot show at all. So the candidate's rules are also
 *   compared with the current set's rules directly: a rule under which the candidate sends what the
 *   current set does not, and that no logged value or removed path exercised, is listed on its own.
 *
 * Levels: each record is replayed at the candidate level asked for, else at its own.
 */
import type { JsonValue } from '../json/types';
import { rootStateOf } from './compile';
import { formatKey, formatPath, parseFieldPath, type PathSegment } from './paths';
import { ACT_ALLOW, ACT_HASH, ACT_UNKNOWN, type State } from './states';
import type { Action, Endpoint, Level, PathCounts, PolicySet, SourcePosition } from './types';

export interface LoggedRequest {
  vendor: string;
  endpoint: string;
  /** The level the request was judged at (1 or 2: only forwarded requests have a body). */
  level: Level;
  /** The body as sent. */
  body: JsonValue;
  /** The record's report paths. */
  hashed: PathCounts;
  dropped: PathCounts;
  unknown: PathCounts;
  /**
   * The endpoint's rules that judged the request, when known (the current set, when its digest is the
   * record's): they tell exactly which sent values were pseudonyms, and why a removed one was removed.
   * Without them the record's report paths are read, which cannot tell discriminated elements apart.
   */
  judgedBy?: Endpoint;
}

export type ChangeKind = 'newly-leaves' | 'now-clear' | 'now-hashed' | 'stops';

export interface PathChange {
  path: string;
  /** Values (a removed object counts once). */
  values: number;
  /** Records with it. */
  requests: number;
  /** For newly-leaves: in clear, as a pseudonym, or some of it (the candidate names something inside). */
  as?: 'clear' | 'hashed' | 'partly';
}

export interface ReplayGroup {
  vendor: string;
  endpoint: string;
  records: number;
  levels: Level[];
  /** The candidate has no policy (or no such endpoint) for it: nothing would leave. */
  missing?: 'vendor' | 'endpoint';
  changes: Record<ChangeKind, PathChange[]>;
}

export interface UnexercisedRule {
  vendor: string;
  endpoint: string;
  path: string;
  level: 1 | 2;
  action: Action;
  position: SourcePosition;
  /** What the current set does with it. */
  current: 'removes' | 'hashes' | 'no policy';
}

export interface ReplayReport {
  records: number;
  groups: ReplayGroup[];
  unexercised: UnexercisedRule[];
  /** The candidate would send something the current set does not (in clear where it was hashed, too). */
  widens: boolean;
}

type Outcome = 'clear' | 'hashed' | 'none';

const CHANGE_KINDS: readonly ChangeKind[] = ['newly-leaves', 'now-clear', 'now-hashed', 'stops'];

interface Tally { values: number; requests: number; lastRecord: number; as?: PathChange['as'] }

class Group {
  records = 0;
  readonly levels = new Set<Level>();
  missing: ReplayGroup['missing'];
  readonly changes = new Map<ChangeKind, Map<string, Tally>>(CHANGE_KINDS.map((k) => [k, new Map()]));
  /** Candidate report paths met, to tell which candidate rules the log exercised. */
  readonly met = new Set<string>();

  constructor(readonly vendor: string, readonly endpoint: string) {}

  add(kind: ChangeKind, path: string, values: number, record: number, as?: PathChange['as']): void {
    const map = this.changes.get(kind)!;
    let t = map.get(path);
    if (!t) map.set(path, t = { values: 0, requests: 0, lastRecord: -1 });
    t.values += values;
    if (t.lastRecord !== record) {
      t.requests++;
      t.lastRecord = record;
    }
    // One path may newly leave in several ways across records: the widest says most.
    if (as !== undefined && (t.as === undefined || AS_RANK[as] > AS_RANK[t.as])) t.as = as;
  }
}

const AS_RANK = { partly: 0, hashed: 1, clear: 2 } as const;

/** A value's outcome under a state that is not entered (apply.ts: hash keeps strings and numbers only). */
function outcomeOf(state: State, value: JsonValue): Outcome {
  switch (state.action) {
    case ACT_ALLOW: return 'clear';
    case ACT_HASH: return typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' ? 'hashed' : 'none';
    default: return 'none';
  }
}

/** Report paths as the records write them, parsed once: `*` any key, `[*]` any element. */
class PathPatterns {
  private readonly patterns: { text: string; segments: readonly PathSegment[] }[] = [];
  constructor(counts: PathCounts) {
    for (const text of Object.keys(counts)) {
      const parsed = parseFieldPath(text);
      if (parsed.ok) this.patterns.push({ text, segments: parsed.path.segments });
    }
  }

  get size(): number { return this.patterns.length; }

  /** The pattern that names this concrete place, if any. */
  match(at: readonly (string | number)[]): string | undefined {
    outer: for (const p of this.patterns) {
      if (p.segments.length !== at.length) continue;
      for (let i = 0; i < at.length; i++) {
        const s = p.segments[i]!;
        const a = at[i]!;
        const ok = typeof a === 'number' ? s.kind === 'any-index' || s.kind === 'match' : s.kind === 'any-key' || (s.kind === 'key' && s.name === a);
        if (!ok) continue outer;
      }
      return p.text;
    }
    return undefined;
  }
}

/**
 * The places of a sent body that hold pseudonyms, found by walking the rules that judged it over what they
 * produced: a value in the output whose deciding rule hashes was hashed. (A discriminator on a field the
 * same rules hashed would no longer select its element here; no shipped pack does that.)
 */
class HashedPlaces {
  private readonly places = new Map<string, string>();

  constructor(endpoint: Endpoint, level: Level, body: JsonValue) {
    if (level === 0) return;
    const root = rootStateOf(endpoint.compiled[level]);
    const at: (string | number)[] = [];
    const visit = (state: State, value: JsonValue, parent: State, key: string): void => {
      if (state.enter && typeof value === 'object' && value !== null) {
        if (Array.isArray(value)) {
          value.forEach((v, i) => { at.push(i); visit(state.discriminators !== null ? state.elementState(v) : state.element!, v, state, ''); at.pop(); });
        } else {
          for (const k of Object.keys(value)) { at.push(k); visit(state.keyed?.get(k) ?? state.otherKey!, value[k]!, state, k); at.pop(); }
        }
        return;
      }
      if (state.action === ACT_HASH) this.places.set(placeKey(at), reportPath(state, parent, key));
    };
    if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
      for (const k of Object.keys(body)) { at.push(k); visit(root.keyed?.get(k) ?? root.otherKey!, body[k]!, root, k); at.pop(); }
    }
  }

  get size(): number { return this.places.size; }

  /** The report path the pseudonym at this place was counted under, if the place holds one. */
  match(at: readonly (string | number)[]): string | undefined {
    return this.places.get(placeKey(at));
  }
}

function placeKey(at: readonly (string | number)[]): string {
  return JSON.stringify(at);
}

function reportPath(state: State, parent: State, key: string): string {
  return state.path ?? parent.prefix + formatKey(key);
}

export class ReplayComparison {
  private readonly groups = new Map<string, Group>();
  private records = 0;

  /** @param level the candidate level; undefined: each record's own */
  constructor(private readonly candidate: PolicySet, private readonly level: Level | undefined) {}

  add(req: LoggedRequest): void {
    const record = this.records++;
    const key = `${req.vendor}\u0000${req.endpoint}`;
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, group = new Group(req.vendor, req.endpoint));
    group.records++;
    group.levels.add(req.level);
    const policy = this.candidate.policies.get(req.vendor);
    const endpoint = policy?.endpoints.get(req.endpoint);
    const level = this.level ?? req.level;
    if (!endpoint || level === 0) {
      // Nothing would leave: every logged value stops (at level 0 the candidate blocks the request).
      group.missing = !policy ? 'vendor' : !endpoint ? 'endpoint' : undefined;
      this.allStop(group, req.body, record);
      return;
    }
    const root = rootStateOf(endpoint.compiled[level]);
    this.walkLogged(group, root, req, record);
    this.walkRemoved(group, root, req.dropped, record, req);
    this.walkRemoved(group, root, req.unknown, record, req);
  }

  /** Values that left, under the candidate's decisions. */
  private walkLogged(group: Group, root: State, req: LoggedRequest, record: number): void {
    const hashed = req.judgedBy ? new HashedPlaces(req.judgedBy, req.level, req.body) : new PathPatterns(req.hashed);
    const at: (string | number)[] = [];
    /** The logged values under a subtree the candidate lets pass whole: hashed ones would now be clear. */
    const passWhole = (value: JsonValue): void => {
      if (hashed.size === 0) return;
      if (value !== null && typeof value === 'object') {
        if (Array.isArray(value)) value.forEach((v, i) => { at.push(i); passWhole(v); at.pop(); });
        else for (const k of Object.keys(value)) { at.push(k); passWhole(value[k]!); at.pop(); }
        return;
      }
      const was = hashed.match(at);
      if (was !== undefined) group.add('now-clear', was, 1, record);
    };
    const visit = (state: State, value: JsonValue, parent: State, key: string): void => {
      if (state.enter && typeof value === 'object') {
        if (value !== null) {
          if (Array.isArray(value)) {
            value.forEach((v, i) => {
              at.push(i);
              visit(state.discriminators !== null ? state.elementState(v) : state.element!, v, state, '');
              at.pop();
            });
          } else {
            for (const k of Object.keys(value)) {
              at.push(k);
              visit(state.keyed?.get(k) ?? state.otherKey!, value[k]!, state, k);
              at.pop();
            }
          }
          return;
        }
        if (state.action === ACT_UNKNOWN) return;
      }
      const path = reportPath(state, parent, key);
      group.met.add(path);
      const outcome = outcomeOf(state, value);
      if (outcome === 'none') group.add('stops', path, 1, record);
      else if (outcome === 'clear') passWhole(value);
      else if (hashed.match(at) === undefined) group.add('now-hashed', path, 1, record);
    };
    if (req.body !== null && typeof req.body === 'object' && !Array.isArray(req.body)) {
      for (const k of Object.keys(req.body)) {
        at.push(k);
        visit(root.keyed?.get(k) ?? root.otherKey!, req.body[k]!, root, k);
        at.pop();
      }
    }
  }

  /** Paths the current policy removed, followed through the candidate's rules. */
  private walkRemoved(group: Group, root: State, counts: PathCounts, record: number, req: LoggedRequest): void {
    for (const [text, n] of Object.entries(counts)) {
      const parsed = parseFieldPath(text);
      if (!parsed.ok) continue;
      const states = statesAlong(root, parsed.path.segments);
      for (const s of states) if (s.path !== null) group.met.add(s.path);
      const outcomes = new Set<Outcome>();
      for (const s of states) for (const o of possibleOutcomes(s)) outcomes.add(o);
      // Removed under a `hash` that judged it: the value could not keep its type as a pseudonym (a
      // boolean, null or object), so a candidate's `hash` removes it too.
      if (req.judgedBy && outcomesAlong(req.judgedBy, req.level as 1 | 2, parsed.path.segments).has('hashed')) outcomes.delete('hashed');
      if (!outcomes.has('clear') && !outcomes.has('hashed')) continue;
      const whole = states.every((s) => !s.enter);
      const as = !whole ? 'partly' : outcomes.has('clear') ? 'clear' : 'hashed';
      group.add('newly-leaves', text, n, record, as);
    }
  }

  private allStop(group: Group, body: JsonValue, record: number): void {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return;
    for (const k of Object.keys(body)) group.add('stops', formatKey(k), 1, record);
  }

  /**
   * The report. `current` is the set in force (the configured folder), for the rules no logged request
   * exercised; `levelOf` the level to compare them at (the candidate level, else the vendor's).
   */
  report(current: PolicySet | undefined, levelOf: (vendor: string) => Level): ReplayReport {
    const groups: ReplayGroup[] = [...this.groups.values()]
      .sort((a, b) => cmp(a.vendor, b.vendor) || cmp(a.endpoint, b.endpoint))
      .map((g) => ({
        vendor: g.vendor, endpoint: g.endpoint, records: g.records, levels: [...g.levels].sort(),
        ...(g.missing ? { missing: g.missing } : {}),
        changes: Object.fromEntries(CHANGE_KINDS.map((k) => [k, [...g.changes.get(k)!].sort((a, b) => cmp(a[0], b[0]))
          .map(([path, t]) => ({ path, values: t.values, requests: t.requests, ...(t.as ? { as: t.as } : {}) }))])) as Record<ChangeKind, PathChange[]>,
      }));
    const unexercised = current === undefined ? [] : this.unexercised(current, levelOf);
    const widens = unexercised.length > 0 || groups.some((g) => g.changes['newly-leaves'].length > 0 || g.changes['now-clear'].length > 0);
    return { records: this.records, groups, unexercised, widens };
  }

  private unexercised(current: PolicySet, levelOf: (vendor: string) => Level): UnexercisedRule[] {
    const out: UnexercisedRule[] = [];
    for (const policy of [...this.candidate.policies.values()].sort((a, b) => cmp(a.vendor, b.vendor))) {
      const level = this.level ?? levelOf(policy.vendor);
      if (level === 0) continue;
      for (const endpoint of [...policy.endpoints.values()].sort((a, b) => cmp(a.path, b.path))) {
        const met = this.groups.get(`${policy.vendor}\u0000${endpoint.path}`)?.met ?? new Set<string>();
        const now = current.policies.get(policy.vendor)?.endpoints.get(endpoint.path);
        for (const rule of endpoint.rules) {
          const action = rule.actions[level];
          if (action === 'drop') continue;
          const parsed = parseFieldPath(rule.path);
          if (!parsed.ok || exercised(parsed.path.segments, met)) continue;
          const currentOutcomes = now === undefined ? new Set<Outcome>(['none']) : outcomesAlong(now, level, parsed.path.segments);
          const widened = action === 'allow' ? !currentOutcomes.has('clear') : !currentOutcomes.has('clear') && !currentOutcomes.has('hashed');
          if (!widened) continue;
          out.push({
            vendor: policy.vendor, endpoint: endpoint.path, path: rule.path, level, action, position: rule.position,
            current: now === undefined ? 'no policy' : currentOutcomes.has('hashed') ? 'hashes' : 'removes',
          });
        }
      }
    }
    return out;
  }
}

/** A rule is exercised when a logged value or removed path met its path or one inside it. */
function exercised(segments: readonly PathSegment[], met: ReadonlySet<string>): boolean {
  // Report paths write a discriminated element as `[*]`.
  const text = formatPath(segments.map((s) => (s.kind === 'match' ? { kind: 'any-index' as const } : s)));
  for (const m of met) if (m === text || m.startsWith(`${text}.`) || m.startsWith(`${text}[`)) return true;
  return false;
}

function outcomesAlong(endpoint: Endpoint, level: 1 | 2, segments: readonly PathSegment[]): Set<Outcome> {
  const out = new Set<Outcome>();
  for (const s of statesAlong(rootStateOf(endpoint.compiled[level]), segments)) for (const o of possibleOutcomes(s)) out.add(o);
  return out;
}

/**
 * The states a path can reach. A `*` or `[*]` in a report path stands for keys or elements the log does
 * not name, so every transition it could have taken is followed: each literal key and the other-key state
 * for `*`, the plain element and each discriminator's element for `[*]`.
 */
function statesAlong(root: State, segments: readonly PathSegment[]): State[] {
  let states = [root];
  for (const segment of segments) {
    const next: State[] = [];
    for (const s of states) {
      if (!s.enter) { next.push(s); continue; }
      switch (segment.kind) {
        case 'key': next.push(s.keyed?.get(segment.name) ?? s.otherKey!); break;
        case 'any-key': next.push(...(s.keyed?.values() ?? []), s.otherKey!); break;
        case 'any-index':
        case 'match': next.push(...elementStates(s)); break;
      }
    }
    states = [...new Set(next)];
  }
  return states;
}

function elementStates(s: State): State[] {
  const out = [s.element!];
  for (const d of s.discriminators ?? []) out.push(s.elementState({ [d.field]: d.value }));
  return out;
}

const possible = new WeakMap<State, Set<Outcome>>();

/** What a value in this state could become, whatever its shape: a container entered may hold anything. */
function possibleOutcomes(state: State): Set<Outcome> {
  const known = possible.get(state);
  if (known) return known;
  const out = new Set<Outcome>();
  possible.set(state, out);
  if (state.action === ACT_ALLOW) out.add('clear');
  else if (state.action === ACT_HASH) out.add('hashed').add('none');
  else out.add('none');
  if (state.enter) {
    const children = [...(state.keyed?.values() ?? []), ...(state.otherKey ? [state.otherKey] : []), ...(state.element ? elementStates(state) : [])];
    for (const c of children) for (const o of possibleOutcomes(c)) out.add(o);
  }
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
