/**
 * Random telemetry requests for the pipeline fuzz test, shaped by a fixed test policy (FUZZ_POLICY):
 * each top-level region of a body has one fate the test knows in advance (allowed whole, hashed, dropped,
 * unknown, governed per array element by a discriminator), and every value that must not leave carries a
 * marker, `zq` and 12 letters or digits, that no allowed value or key ever contains. A leak is then any
 * marker found in what the vendor received, in the audit files or in telegate's log, whatever path or
 * disguise (escapes, duplicate keys, `__proto__`) carried it.
 */
import fc from 'fast-check';
import { arr, num, obj, str, type RawNode, type RenderStyle } from './fuzz-json';

export const FUZZ_POLICY = `vendor: fuzz
upstream: https://telemetry.fuzz.example
hosts: [telemetry.fuzz.example]
headers: [X-Fuzz-Version]
endpoints:
  /v1/fuzz:
    method: POST
    local_reply: { status: 202 }
    fields:
      # Random trees of any JSON: passed whole (subtree), and unscanned, so that what arrives can be
      # compared with what was sent value for value (the detectors have a fuzz test of their own).
      keep:                          { 1: allow, 2: allow, subtree: true, detectors: off, reason: fuzz trees }
      '"dotted.key"':                { 1: allow, 2: allow, detectors: off, reason: fuzz strings }
      toString:                      { 1: allow, 2: allow, subtree: true, detectors: off, reason: fuzz trees }
      constructor:                   drop
      ids[*]:                        hash
      user.email:                    hash
      user.ip:                       hash
      user.ip6:                      hash
      user.name:                     hash
      user.password:                 drop
      secret:                        drop
      rows[*].visible:               { 1: allow, 2: allow, subtree: true, detectors: off, reason: fuzz trees }
      rows[*].hidden:                drop
      events[type=track].type:       allow
      events[type=track].props:      { 1: allow, 2: allow, subtree: true, detectors: off, reason: fuzz trees }
      events[type=track].props.pii:  drop
      events[type=identify]:         drop
`;

/** Keys the policy names at the top level: an unknown key is none of them. */
export const POLICY_KEYS = ['keep', 'dotted.key', 'toString', 'constructor', 'ids', 'user', 'secret', 'rows', 'events'] as const;

export const MARKER = /zq[a-v0-9]{12}/g;
const noMarkerPrefix = (s: string): boolean => !s.includes('zq');

// ---- allowed values: anything JSON can say ---------------------------------------------------------

const TRICKY_KEYS = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'prototype', '', 'a.b', '*', '[*]', 'x[k=v]', '0', '1', 'length', '\u0000', '\u{1F600}'];
export const keyArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
  { weight: 2, arbitrary: fc.constantFrom(...TRICKY_KEYS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
).filter(noMarkerPrefix);

/**
 * Numbers at the edges of what a double holds, all exact in the sense a decoder reads them back; integers
 * of at most 21 digits (longer ones are refused, 422 integer-out-of-range: hostile-input.test.ts).
 */
export const EXACT_NUMBERS = [
  '0', '-0', '1', '-1', '0.1', '-0.1', '1.5', '0.5e1', '1E2', '1e-7', '4.35',
  '9007199254740991', '-9007199254740991', '9007199254740992', '9007199254740993', '-9007199254740993',
  '18446744073709551615', '-9223372036854775808', '100000000000000000000', '-999999999999999999999',
  '5e-324', '-5e-324', '2.2250738585072014e-308', '1.7976931348623157e308', '1e308', '-1e308', '1e21', '1e16', '-1.5e300',
];
/** Numbers a double cannot hold: refused (422), never rounded. */
export const INEXACT_NUMBERS = ['1e400', '-1e400', '1e-400', '0.1000000000000000000000001', '9007199254740993.5', '1.00000000000000000001'];

const numberArb: fc.Arbitrary<RawNode> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...EXACT_NUMBERS) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => String(d)) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 21n - 1n), max: 10n ** 21n - 1n }).map(String) },
  { weight: 1, arbitrary: fc.integer().map(String) },
).map(num);

const longString = fc.tuple(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 }), fc.integer({ min: 500, max: 20_000 }))
  .map(([s, n]) => s.repeat(n));
const allowedString: fc.Arbitrary<string> = fc.oneof(
  { weight: 40, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 20, arbitrary: fc.string({ unit: 'binary', maxLength: 10 }) },
  { weight: 1, arbitrary: longString },
).filter(noMarkerPrefix);

const allowedLeaf: fc.Arbitrary<RawNode> = fc.oneof(
  { weight: 3, arbitrary: allowedString.map(str) },
  { weight: 3, arbitrary: numberArb },
  { weight: 1, arbitrary: fc.constantFrom<RawNode>({ t: 'lit', v: true }, { t: 'lit', v: false }, { t: 'lit', v: null }) },
);

/** Trees of `leaf`; with `duplicates`, some objects write a key twice. */
function treeOf(leaf: fc.Arbitrary<RawNode>, duplicates = false): fc.Arbitrary<RawNode> {
  const { tree } = fc.letrec<{ tree: RawNode; array: RawNode; object: RawNode; duplicated: RawNode }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { weight: 10, arbitrary: leaf }, { weight: 3, arbitrary: tie('array') }, { weight: 3, arbitrary: tie('object') },
      ...(duplicates ? [{ weight: 1, arbitrary: tie('duplicated') }] : []),
    ),
    array: fc.array(tie('tree'), { maxLength: 5 }).map(arr),
    object: fc.uniqueArray(fc.tuple(keyArb, tie('tree')), { maxLength: 5, selector: ([k]) => k }).map(obj),
    // A key written twice, the first value shadowed by the last (as JSON.parse reads it).
    duplicated: fc.tuple(keyArb, tie('tree'), tie('tree'), fc.uniqueArray(fc.tuple(keyArb, tie('tree')), { maxLength: 3, selector: ([k]) => k }))
      .map(([k, first, last, rest]) => obj([[k, first], ...rest.filter(([r]) => r !== k), [k, last]])),
  }));
  return tree;
}

/** Nested `depth` times around a leaf: deep, but within the gateway's default limit of 128. */
const deepArb = fc.tuple(fc.integer({ min: 1, max: 110 }), fc.boolean(), allowedLeaf).map(([depth, asArrays, leaf]) => {
  let node = leaf;
  for (let i = 0; i < depth; i++) node = asArrays ? arr([node]) : obj([['d', node]]);
  return node;
});
const wideArb = fc.uniqueArray(fc.tuple(keyArb, allowedLeaf), { minLength: 50, maxLength: 300, selector: ([k]) => k }).map(obj);

export const allowedTree: fc.Arbitrary<RawNode> = fc.oneof(
  { weight: 6, arbitrary: treeOf(allowedLeaf) },
  { weight: 1, arbitrary: deepArb },
  { weight: 1, arbitrary: wideArb },
);
/** An allowed tree, in one case of six with duplicate keys in it. */
const keepArb = fc.oneof({ weight: 5, arbitrary: allowedTree }, { weight: 1, arbitrary: treeOf(allowedLeaf, true) });

// ---- values that must not leave ----------------------------------------------------------------------

const CORE = 'abcdefghijklmnopqrstuv0123456789'.split('');
export const markerArb = fc.array(fc.constantFrom(...CORE), { minLength: 12, maxLength: 12 }).map((cs) => `zq${cs.join('')}`);
// No '@': a marked value with one would be an e-mail address, which has a pseudonym format of its own.
const noise = fc.string({ unit: 'grapheme', maxLength: 6 }).filter((s) => !s.includes('@'));
/** A marker in unicode noise, sometimes followed by a long tail (a value a log might cut short). */
export const secretString = fc.tuple(noise, markerArb, noise, fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 0, 0, 500, 20_000))
  .map(([a, m, b, pad]) => `${a}${m}${b}${'ß'.repeat(pad)}`);
const secretLeaf: fc.Arbitrary<RawNode> = fc.oneof(
  { weight: 5, arbitrary: secretString.map(str) },
  { weight: 1, arbitrary: numberArb },
  { weight: 1, arbitrary: fc.constantFrom<RawNode>({ t: 'lit', v: true }, { t: 'lit', v: null }) },
);
/** Always holds at least one marker, so a test can see it is gone. */
export const secretTree: fc.Arbitrary<RawNode> = fc.tuple(fc.oneof({ weight: 5, arbitrary: treeOf(secretLeaf) }, { weight: 1, arbitrary: treeOf(secretLeaf, true) }), secretString)
  .map(([tree, s]) => obj([['m', str(s)], ['t', tree]]));

// ---- hashed values: the formats pseudonyms keep -------------------------------------------------------

const hexDigits = (n: number): fc.Arbitrary<string> => fc.array(fc.constantFrom(...'0123456789abcdef'.split('')), { minLength: n, maxLength: n }).map((d) => d.join(''));
const upperSome = (s: string, upper: boolean): string => (upper ? s.toUpperCase() : s);

export type IdInput = { kind: 'uuid'; v: string } | { kind: 'string'; v: string } | { kind: 'empty'; v: '' } | { kind: 'nil'; v: string };
const uuidArb = fc.tuple(hexDigits(32), fc.boolean()).map(([h, up]) =>
  upperSome(`${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`, up));
const idArb: fc.Arbitrary<IdInput> = fc.oneof(
  { weight: 8, arbitrary: uuidArb.map((v): IdInput => ({ kind: 'uuid', v })) },
  { weight: 2, arbitrary: secretString.map((v): IdInput => ({ kind: 'string', v })) },
  { weight: 1, arbitrary: fc.constant<IdInput>({ kind: 'empty', v: '' }) },
  { weight: 1, arbitrary: fc.constantFrom<IdInput>({ kind: 'nil', v: '00000000-0000-0000-0000-000000000000' }, { kind: 'nil', v: 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF' }) },
);
/** Ids, some repeated in another letter case: one value, one pseudonym. */
export const idsArb = fc.tuple(fc.array(idArb, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 3 }))
  .map(([ids, repeats]) => {
    const out = [...ids];
    for (const r of repeats) {
      const pick = ids[r % Math.max(ids.length, 1)];
      if (pick?.kind === 'uuid') out.push({ kind: 'uuid', v: pick.v === pick.v.toUpperCase() ? pick.v.toLowerCase() : pick.v.toUpperCase() });
    }
    return out;
  });

export interface UserInput { email?: string; ip?: string; ip6?: string; name?: string; password?: RawNode; extra?: [string, RawNode] }
// Addresses outside the pseudonyms' ranges (240.0.0.0/4, 2001:db8::/32), so an original is never mistaken for one.
const ipv4Arb = fc.tuple(fc.integer({ min: 1, max: 223 }), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
/** Eight four-digit groups, none zero: the full form is already canonical, so a leak is found as written. */
const ipv6Arb = fc.tuple(fc.array(fc.integer({ min: 0x1000, max: 0xffff }), { minLength: 8, maxLength: 8 }), fc.boolean())
  .filter(([g]) => g[0] !== 0x2001)
  .map(([g, up]) => upperSome(g.map((n) => n.toString(16)).join(':'), up));
export const userArb: fc.Arbitrary<UserInput> = fc.record({
  email: fc.tuple(markerArb, markerArb, fc.boolean()).map(([l, d, up]) => `${l}@${upperSome(d, up)}.example.com`),
  ip: ipv4Arb,
  ip6: ipv6Arb,
  name: fc.oneof(secretString, fc.constant('')),
  password: secretTree,
  extra: fc.tuple(keyArb.filter((k) => !['email', 'ip', 'ip6', 'name', 'password'].includes(k)), secretTree),
}, { requiredKeys: [] });

// ---- arrays governed per element ------------------------------------------------------------------------

export interface RowInput { visible: RawNode; hidden?: RawNode; other?: RawNode }
export const rowsArb: fc.Arbitrary<RowInput[]> = fc.array(fc.record({ visible: allowedTree, hidden: secretTree, other: secretTree }, { requiredKeys: ['visible'] }), { maxLength: 4 });

export type EventInput =
  | { type: 'track'; props: [string, RawNode][]; pii?: RawNode }
  | { type: 'identify'; traits: RawNode }
  | { type: string; kind: 'other'; x: RawNode };
const propsArb = fc.uniqueArray(fc.tuple(keyArb.filter((k) => k !== 'pii'), allowedTree), { maxLength: 4, selector: ([k]) => k });
export const eventsArb: fc.Arbitrary<EventInput[]> = fc.array(fc.oneof(
  { weight: 3, arbitrary: fc.record({ type: fc.constant('track' as const), props: propsArb, pii: secretTree }, { requiredKeys: ['type', 'props'] }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('identify' as const), traits: secretTree }) },
  { weight: 1, arbitrary: fc.record({ type: keyArb.filter((k) => k !== 'track' && k !== 'identify'), kind: fc.constant('other' as const), x: secretTree }) },
), { maxLength: 4 });

// ---- the request ---------------------------------------------------------------------------------------

export type Encoding = 'none' | 'identity' | 'gzip' | 'x-gzip' | 'gzip-unlabelled' | 'deflate' | 'deflate-raw' | 'br' | 'gzip, br';
export type Corruption = 'truncate' | 'inexact' | 'too-deep' | 'array' | 'not-utf8' | 'mislabelled-gzip' | 'unknown-encoding' | 'bare-value';

export interface FuzzCase {
  keep?: RawNode;
  dotted?: string;
  toStringValue?: RawNode;
  constructorValue?: RawNode;
  secret?: RawNode;
  ids?: IdInput[];
  user?: UserInput;
  rows?: RowInput[];
  events?: EventInput[];
  /** Keys no rule names, each with a marked value. */
  unknown: [string, RawNode][];
  /** Regions written twice, a marked decoy first: the last occurrence is the one that counts. */
  decoys: boolean;
  /** Sort keys deciding the order of the top-level members. */
  order: number[];
  style: RenderStyle;
  encoding: Encoding;
  contentType: string | null;
  route: 'endpoint' | 'prefix' | 'host';
  version: string;
  corruption: Corruption | null;
  inexact: string;
  bare: string;
  truncateAt: number;
}

export const caseArb: fc.Arbitrary<FuzzCase> = fc.record({
  keep: keepArb,
  dotted: allowedString,
  toStringValue: allowedTree,
  constructorValue: secretTree,
  secret: secretTree,
  ids: idsArb,
  user: userArb,
  rows: rowsArb,
  events: eventsArb,
  unknown: fc.uniqueArray(fc.tuple(keyArb.filter((k) => !(POLICY_KEYS as readonly string[]).includes(k)), secretTree), { maxLength: 4, selector: ([k]) => k }),
  decoys: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  order: fc.array(fc.nat(), { minLength: 16, maxLength: 16 }),
  style: fc.record({ ws: fc.constantFrom('', '', ' ', '\n\t', ' \r\n '), escaping: fc.constantFrom('native', 'native', 'ascii', 'all') }),
  encoding: fc.constantFrom<Encoding>('none', 'identity', 'gzip', 'x-gzip', 'gzip-unlabelled', 'deflate', 'deflate-raw', 'br', 'gzip, br'),
  contentType: fc.constantFrom(null, 'application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-8'),
  route: fc.constantFrom('endpoint', 'prefix', 'host'),
  version: fc.string({ unit: 'grapheme-ascii', maxLength: 12 }).map((s) => s.replace(/[^\x21-\x7e]/g, 'v')),
  corruption: fc.oneof({ weight: 5, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom<Corruption>('truncate', 'inexact', 'too-deep', 'array', 'not-utf8', 'mislabelled-gzip', 'unknown-encoding', 'bare-value') }),
  inexact: fc.constantFrom(...INEXACT_NUMBERS),
  /** A marker sent without quotes (`bare-value`): the parser meets it first, and must not quote it back. */
  bare: markerArb,
  truncateAt: fc.double({ min: 0, max: 1, noNaN: true }),
}, { requiredKeys: ['unknown', 'decoys', 'order', 'style', 'encoding', 'contentType', 'route', 'version', 'corruption', 'inexact', 'bare', 'truncateAt'] });

// ---- the body as raw JSON ------------------------------------------------------------------------------

function idNode(id: IdInput): RawNode { return str(id.v); }

function userNode(u: UserInput): RawNode {
  const entries: [string, RawNode][] = [];
  if (u.email !== undefined) entries.push(['email', str(u.email)]);
  if (u.ip !== undefined) entries.push(['ip', str(u.ip)]);
  if (u.ip6 !== undefined) entries.push(['ip6', str(u.ip6)]);
  if (u.name !== undefined) entries.push(['name', str(u.name)]);
  if (u.password !== undefined) entries.push(['password', u.password]);
  if (u.extra !== undefined) entries.push(u.extra);
  return obj(entries);
}

function rowNode(r: RowInput): RawNode {
  const entries: [string, RawNode][] = [['visible', r.visible]];
  if (r.hidden) entries.push(['hidden', r.hidden]);
  if (r.other) entries.push(['other', r.other]);
  return obj(entries);
}

function eventNode(e: EventInput): RawNode {
  if ('props' in e) {
    const props: [string, RawNode][] = [...e.props];
    if (e.pii) props.push(['pii', e.pii]);
    return obj([['type', str('track')], ['props', obj(props)]]);
  }
  if ('traits' in e) return obj([['type', str('identify')], ['traits', e.traits]]);
  return obj([['type', str(e.type)], ['x', e.x]]);
}

/** The body's top-level members in the case's order, decoys before the members they shadow. */
export function bodyNode(c: FuzzCase, decoy: RawNode): RawNode {
  const members: [string, RawNode][] = [];
  if (c.keep) members.push(['keep', c.keep]);
  if (c.dotted !== undefined) members.push(['dotted.key', str(c.dotted)]);
  if (c.toStringValue) members.push(['toString', c.toStringValue]);
  if (c.constructorValue) members.push(['constructor', c.constructorValue]);
  if (c.secret) members.push(['secret', c.secret]);
  if (c.ids) members.push(['ids', arr(c.ids.map(idNode))]);
  if (c.user) members.push(['user', userNode(c.user)]);
  if (c.rows) members.push(['rows', arr(c.rows.map(rowNode))]);
  if (c.events) members.push(['events', arr(c.events.map(eventNode))]);
  members.push(...c.unknown);
  const ordered = members.map((m, i) => ({ m, k: c.order[i % c.order.length]! + i / 100 })).sort((a, b) => a.k - b.k).map((x) => x.m);
  if (!c.decoys) return obj(ordered);
  const shadowed = new Set(['keep', 'toString', 'rows', 'events', 'user', 'ids'].filter((k) => ordered.some(([key]) => key === k)));
  return obj([...[...shadowed].map((k): [string, RawNode] => [k, decoy]), ...ordered]);
}
