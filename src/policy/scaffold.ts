/**
 * `telegate policy scaffold`: a draft policy for a vendor endpoint, made from bodies captured from the
 * instance (or from the unknown paths `audit drift` lists), for a security team to review.
 *
 * Every path is listed with `drop` at both levels, so the draft sends nothing until someone decides
 * otherwise, and with a category guessed from the key's name and the shapes of its values. The draft is a
 * complete policy file that `policy check` accepts. Never a value: a comment says what a guess rests on
 * ("looks like an e-mail address"), not what was seen, because drafts end up in repositories.
 *
 * Paths: `[*]` for array elements; an array of plain values gets one rule for the array; an object whose
 * keys are all data (numbers, UUIDs, long hex) is written `*` (a map keyed by ids); empty objects and arrays
 * get a rule of their own. With the vendor's current policy given, paths it already covers are left out:
 * the draft lists only what is new (a new client version), to paste into the current file.
 */
import type { JsonPrimitive, JsonValue } from '../json/types';
import { formatPath, type PathSegment } from './paths';
import { rootStateOf } from './compile';
import { ACT_UNKNOWN, type State } from './states';
import type { Endpoint, FieldCategory } from './types';

export interface ScaffoldBody { source: string; value: JsonValue }
/** A report path as the audit log writes it (`users[*].email`), with how often it was seen. */
export interface ScaffoldPath { segments: readonly PathSegment[]; occurrences: number; requests: number }
/**
 * An unknown path whose last key the log holds only as its keyed tag (`users[*].*3fa2…`: keys are data,
 * so a key no rule names is never written as sent). No rule can be drafted for a name that is not known.
 */
export interface UnnamedPath { path: string; occurrences: number; requests: number }

export interface ScaffoldInput {
  vendor: string;
  endpoint: string;
  method: string;
  localStatus: number;
  upstream?: string;
  hosts?: readonly string[];
  bodies: readonly ScaffoldBody[];
  paths?: readonly ScaffoldPath[];
  /** Unknown paths of the audit log that end in a key known only by its tag: listed for the reviewer. */
  unnamed?: readonly UnnamedPath[];
  /** The vendor's current endpoint, when it has one: paths it covers are left out. */
  existing?: Endpoint;
  /** For the header comment. */
  now?: Date;
}

export interface ScaffoldResult {
  yaml: string;
  /** Paths drafted. */
  drafted: number;
  /** Paths left out because the current policy covers them. */
  covered: number;
}

type Shape = 'email' | 'ip' | 'uuid' | 'url' | 'string' | 'number' | 'boolean' | 'null' | 'empty object' | 'empty array' | 'list of values';

interface Seen {
  segments: PathSegment[];
  shapes: Set<Shape>;
  occurrences: number;
  bodies: Set<string>;
  drift?: { occurrences: number; requests: number };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const IPV4 = /^(\d{1,3}\.){3}\d{1,3}$/;
const IPV6 = /^[0-9a-f:]+:[0-9a-f:.]*$/i;
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;
/** Keys that are data rather than names: a map keyed by ids. */
const DATA_KEY = /^(\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,})$/i;

function shapeOf(value: JsonValue): Shape {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean': return 'boolean';
    case 'number':
    case 'bigint': return 'number';
    case 'string':
      if (EMAIL.test(value)) return 'email';
      if (IPV4.test(value) || (value.includes(':') && IPV6.test(value))) return 'ip';
      if (UUID.test(value)) return 'uuid';
      if (URL_LIKE.test(value)) return 'url';
      return 'string';
    default: return Array.isArray(value) ? 'empty array' : 'empty object';
  }
}

const isPlain = (v: JsonValue): v is JsonPrimitive => v === null || typeof v !== 'object';

class PathCollector {
  readonly seen = new Map<string, Seen>();

  private note(segments: PathSegment[], shape: Shape | undefined, source: string): Seen {
    const text = formatPath(segments);
    let entry = this.seen.get(text);
    if (!entry) this.seen.set(text, entry = { segments: [...segments], shapes: new Set(), occurrences: 0, bodies: new Set() });
    if (shape) {
      entry.shapes.add(shape);
      entry.occurrences++;
      entry.bodies.add(source);
    }
    return entry;
  }

  body(value: JsonValue, source: string): void {
    const walk = (v: JsonValue, at: PathSegment[]): void => {
      if (isPlain(v)) {
        this.note(at, shapeOf(v), source);
        return;
      }
      if (Array.isArray(v)) {
        if (v.length === 0 || v.every(isPlain)) {
          this.note(at, v.length === 0 ? 'empty array' : 'list of values', source);
          return;
        }
        for (const element of v) walk(element, [...at, { kind: 'any-index' }]);
        return;
      }
      const keys = Object.keys(v);
      if (keys.length === 0) {
        this.note(at, 'empty object', source);
        return;
      }
      const dataKeys = keys.every((k) => DATA_KEY.test(k));
      for (const key of keys) walk(v[key]!, [...at, dataKeys ? { kind: 'any-key' } : { kind: 'key', name: key }]);
    };
    if (!isPlain(value) && !Array.isArray(value)) walk(value, []);
  }

  path(p: ScaffoldPath): void {
    const entry = this.note([...p.segments], undefined, '');
    entry.drift = { occurrences: (entry.drift?.occurrences ?? 0) + p.occurrences, requests: (entry.drift?.requests ?? 0) + p.requests };
  }
}

// --- categories --------------------------------------------------------------------------------------

const NAME_RULES: readonly [RegExp, FieldCategory, string][] = [
  [/pass(word)?|secret|token|api_?key|private_?key|credential|auth|cookie|session|signature/i, 'secret', 'its name suggests a credential'],
  [/e_?mail|phone|^ip$|ip_?addr|_ip$|user_?name|login|full_?name|first_?name|last_?name|avatar|device/i, 'personal', 'its name suggests data about a person'],
  [/(^|_)id$|[a-z]Id$|uuid|guid|host|url|uri|domain|org|name$|path|machine|address/i, 'identifier', 'its name suggests an identifier or a name'],
  [/count|total|num_|_num|number|_at$|[a-z]At$|time|date|duration|_ms$|seconds|size|bytes|usage/i, 'usage', 'its name suggests a count, a time or a size'],
  [/version|^os|arch|platform|enabled|^is_|^has_|type$|kind|mode|config|feature|flag|driver|provider/i, 'technical', 'its name suggests how the software is built or set up'],
];

const SHAPE_RULES: readonly [Shape, FieldCategory, string][] = [
  ['email', 'personal', 'a value looks like an e-mail address'],
  ['ip', 'personal', 'a value looks like an IP address'],
  ['uuid', 'identifier', 'a value looks like a UUID'],
  ['url', 'identifier', 'a value looks like a URL'],
];

function lastName(segments: readonly PathSegment[]): string {
  for (let i = segments.length - 1; i >= 0; i--) {
    const s = segments[i]!;
    if (s.kind === 'key') return s.name;
  }
  return '';
}

export function guessCategory(segments: readonly PathSegment[], shapes: ReadonlySet<Shape>): { category: FieldCategory; why: string } {
  // What a value looks like beats its name for personal data: an e-mail under `contact` is still personal.
  for (const [shape, category, why] of SHAPE_RULES.slice(0, 2)) if (shapes.has(shape)) return { category, why };
  const name = lastName(segments);
  for (const [pattern, category, why] of NAME_RULES) if (pattern.test(name)) return { category, why };
  for (const [shape, category, why] of SHAPE_RULES.slice(2)) if (shapes.has(shape)) return { category, why };
  if (shapes.has('string') || shapes.has('list of values')) return { category: 'identifier', why: 'free text may identify someone; no better guess' };
  if (shapes.has('number')) return { category: 'usage', why: 'a number; no better guess' };
  return { category: 'technical', why: 'no better guess' };
}

// --- coverage by the current policy ----------------------------------------------------------------------

/** Shapes that pass unreported where rules name members inside (apply.ts): nothing to draft for them. */
const EMPTY_SHAPES: ReadonlySet<Shape> = new Set(['null', 'empty object', 'empty array']);

/**
 * Whether the current rules (level 1; coverage does not depend on the level) decide this path already:
 * a rule covers it, or rules name members inside it and it was only ever seen empty or null, or it was
 * only seen as a list of values and a rule decides its elements (`tags[*]`).
 */
function covered(endpoint: Endpoint, segments: readonly PathSegment[], shapes: ReadonlySet<Shape>): boolean {
  let state = rootStateOf(endpoint.compiled[1]);
  for (const segment of segments) {
    if (state.action !== ACT_UNKNOWN && !state.enter) return true;
    // States below a subtree a secret path may run through are built on first use (states.ts).
    state.build();
    let next: State | null;
    if (segment.kind === 'key') next = state.keyed?.get(segment.name) ?? state.otherKey;
    else if (segment.kind === 'any-key') next = state.otherKey;
    else next = state.element;
    if (next === null) return state.action !== ACT_UNKNOWN;
    state = next;
  }
  if (state.action !== ACT_UNKNOWN) return true;
  if (!state.enter || shapes.size === 0) return false;
  if ([...shapes].every((shape) => EMPTY_SHAPES.has(shape))) return true;
  state.build();
  const element = state.element;
  return element !== null && element.action !== ACT_UNKNOWN && [...shapes].every((shape) => shape === 'list of values' || EMPTY_SHAPES.has(shape));
}

/** Comments for the unknown keys the log names only by tag: where they were, how often, and what to do. */
function unnamedNotes(unnamed: readonly UnnamedPath[]): string[] {
  if (unnamed.length === 0) return [];
  return [
    `    # The audit log also holds ${plural(unnamed.length, 'unknown path')} ending in a key no rule names, which it`,
    '    # writes only as its keyed tag (keys are data): no rule can be drafted from it. Capture a body the',
    '    # client sends (telegate policy scaffold … FILE) to see the names:',
    ...unnamed.map((u) => `    #   ${u.path}   unknown ${plural(u.occurrences, 'time')} in ${plural(u.requests, 'request')}`),
  ];
}

// --- YAML --------------------------------------------------------------------------------------------------

/** A plain YAML scalar where it stays one, else single-quoted. */
function yamlKey(text: string): string {
  return /^[A-Za-z0-9_$/][^:#'"\s{}&!|>%@`,]*$/.test(text) ? text : `'${text.replace(/'/g, "''")}'`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function evidence(s: Seen): string {
  const parts: string[] = [];
  if (s.occurrences > 0) parts.push(`seen ${plural(s.occurrences, 'time')} in ${plural(s.bodies.size, 'body', 'bodies')}`);
  if (s.drift) parts.push(`unknown in the audit log ${plural(s.drift.occurrences, 'time')} in ${plural(s.drift.requests, 'request')}`);
  const shapes = [...s.shapes].filter((x) => x !== 'string' && x !== 'number' && x !== 'boolean' && x !== 'null');
  if (shapes.length > 0) parts.push(`shape: ${shapes.join(', ')}`);
  return parts.join('; ');
}

export function scaffoldPolicy(input: ScaffoldInput): ScaffoldResult {
  const collector = new PathCollector();
  for (const body of input.bodies) collector.body(body.value, body.source);
  for (const p of input.paths ?? []) collector.path(p);

  const rows: { key: string; rule: string; comment: string }[] = [];
  let skipped = 0;
  for (const [text, seen] of [...collector.seen].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    if (input.existing && covered(input.existing, seen.segments, seen.shapes)) {
      skipped++;
      continue;
    }
    const guess = guessCategory(seen.segments, seen.shapes);
    rows.push({ key: yamlKey(text), rule: `{ 1: drop, 2: drop, category: ${guess.category} }`, comment: `guessed: ${guess.why}; ${evidence(seen)}` });
  }

  const width = Math.min(48, Math.max(0, ...rows.map((r) => r.key.length + 1)));
  const sources = input.bodies.map((b) => b.source);
  const from = [
    ...(sources.length > 0 ? [`${plural(sources.length, 'captured body', 'captured bodies')} (${sources.join(', ')})`] : []),
    ...(input.paths && input.paths.length > 0 ? [`${plural(input.paths.length, 'unknown path')} from the audit log (telegate audit drift)`] : []),
  ].join(' and ');
  const date = (input.now ?? new Date()).toISOString().slice(0, 10);
  const lines = [
    `# DRAFT by telegate policy scaffold, ${date}, from ${from || 'nothing'}.`,
    '# Every field is dropped at both levels: nothing leaves until a reviewer decides. For each rule, choose',
    '# what the vendor may have at level 2 (allow, hash or drop), and at level 1 (anonymous) only what',
    '# identifies no person or organization (hash identifiers, drop the rest); check each guessed category.',
    '# Arrays of events can be scoped per event with a discriminator: batch[event=Name].properties.x.',
    ...(input.existing
      ? [`# Only paths the current policy of ${input.vendor} ${input.endpoint} does not cover are listed (${skipped} covered ones left out):`,
        '# paste the rules you keep into its fields.']
      : []),
    `vendor: ${input.vendor}`,
    `upstream: ${input.upstream ?? `https://telemetry.${input.vendor}.invalid`}${input.upstream === undefined ? '   # TODO: the vendor\'s telemetry endpoint' : ''}`,
    `hosts: [${(input.hosts ?? []).join(', ')}]${(input.hosts ?? []).length === 0 ? '   # host names an instance reaches this vendor by, for DNS interception' : ''}`,
    'headers: []   # request headers that may pass, e.g. the client version',
    'endpoints:',
    `  ${yamlKey(input.endpoint)}:`,
    `    method: ${input.method}`,
    `    local_reply: { status: ${input.localStatus} }   # what the vendor answers: telegate's reply at level 0`,
    rows.length === 0 ? '    fields: {}' : '    fields:',
    ...rows.map((r) => `      ${`${r.key}:`.padEnd(width)} ${r.rule}   # ${r.comment}`),
    ...unnamedNotes(input.unnamed ?? []),
  ];
  return { yaml: `${lines.join('\n')}\n`, drafted: rows.length, covered: skipped };
}
