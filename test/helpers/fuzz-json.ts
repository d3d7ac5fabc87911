/**
 * JSON as a fuzzer writes it: a small syntax tree rendered to raw text with the freedoms the grammar
 * allows (whitespace, `\u` escapes, duplicate keys, number spellings such as `-0` or `5e-324`), and the
 * meaning a conforming receiver takes from it (the last of duplicate keys wins; a number is its value,
 * exact for integers). The meaning is computed here, independently of telegate's parser, so a test
 * can compare what the vendor received with what the instance meant.
 */
import { parse as losslessParse, stringify as losslessStringify, isLosslessNumber, type LosslessNumber } from 'lossless-json';

export type RawNode =
  | { t: 'str'; v: string }
  /** A number exactly as written in the text. */
  | { t: 'num'; text: string }
  | { t: 'lit'; v: boolean | null }
  | { t: 'arr'; items: RawNode[] }
  /** Entries in text order; a key may repeat. */
  | { t: 'obj'; entries: [string, RawNode][] };

/** How strings are spelled: as JSON.stringify does, every non-ASCII unit escaped, or every unit escaped. */
export type Escaping = 'native' | 'ascii' | 'all';

export interface RenderStyle { ws: string; escaping: Escaping }

export interface Rendered { text: string; duplicateKeys: boolean }

export const str = (v: string): RawNode => ({ t: 'str', v });
export const num = (text: string): RawNode => ({ t: 'num', text });
export const obj = (entries: [string, RawNode][]): RawNode => ({ t: 'obj', entries });
export const arr = (items: RawNode[]): RawNode => ({ t: 'arr', items });

const hex4 = (unit: number): string => `\\u${unit.toString(16).padStart(4, '0')}`;

function quote(s: string, escaping: Escaping): string {
  if (escaping === 'all') {
    let out = '"';
    for (let i = 0; i < s.length; i++) out += hex4(s.charCodeAt(i));
    return `${out}"`;
  }
  const native = JSON.stringify(s);
  return escaping === 'ascii' ? native.replace(/[^\x00-\x7f]/g, (c) => hex4(c.charCodeAt(0))) : native;
}

export function render(node: RawNode, style: RenderStyle): Rendered {
  let duplicateKeys = false;
  const { ws } = style;
  const walk = (n: RawNode): string => {
    switch (n.t) {
      case 'str': return quote(n.v, style.escaping);
      case 'num': return n.text;
      case 'lit': return String(n.v);
      case 'arr': return `[${ws}${n.items.map(walk).join(`${ws},${ws}`)}${ws}]`;
      case 'obj': {
        const keys = n.entries.map(([k]) => k);
        if (new Set(keys).size !== keys.length) duplicateKeys = true;
        return `{${ws}${n.entries.map(([k, v]) => `${quote(k, style.escaping)}${ws}:${ws}${walk(v)}`).join(`${ws},${ws}`)}${ws}}`;
      }
    }
  };
  return { text: walk(node), duplicateKeys };
}

/** What a receiver understands: objects as maps (last duplicate wins), numbers by their written text. */
export type Meaning = string | { num: string } | boolean | null | Meaning[] | Map<string, Meaning>;

export function meaningOf(node: RawNode): Meaning {
  switch (node.t) {
    case 'str': return node.v;
    case 'num': return { num: node.text };
    case 'lit': return node.v;
    case 'arr': return node.items.map(meaningOf);
    case 'obj': {
      const m = new Map<string, Meaning>();
      for (const [k, v] of node.entries) m.set(k, meaningOf(v));
      return m;
    }
  }
}

/** Parses received JSON keeping every number's text; throws on duplicate keys (lossless-json refuses them). */
export function parseReceived(text: string): unknown {
  return losslessParse(text);
}

/** The received text written back with each number's own digits: equal to the text when it is canonical. */
export function reserialize(value: unknown): string {
  const text = losslessStringify(value);
  if (text === undefined) throw new Error('received value has no JSON form');
  return text;
}

/** A received (lossless-parsed) value as a Meaning. */
export function meaningOfReceived(value: unknown): Meaning {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (isLosslessNumber(value)) return { num: (value as LosslessNumber).value };
  if (Array.isArray(value)) return value.map(meaningOfReceived);
  if (typeof value === 'object') {
    const m = new Map<string, Meaning>();
    const record = value as Record<string, unknown>;
    for (const k of Object.keys(record)) m.set(k, meaningOfReceived(record[k]));
    return m;
  }
  throw new Error(`unexpected received value of type ${typeof value}`);
}

const INTEGER = /^-?\d+$/;

/**
 * Two number spellings mean the same value: integers digit for digit (no rounding beyond 2^53), other
 * numbers as the double a decoder reads (`1e308` and `1e+308`; `-0` and `0`, which JSON does not tell apart).
 */
export function sameNumber(written: string, received: string): boolean {
  if (INTEGER.test(written) && INTEGER.test(received)) return BigInt(written) === BigInt(received);
  return Number(written) === Number(received);
}

/** undefined when equal, else where and how they differ. */
export function meaningDiff(expected: Meaning, actual: Meaning, at = '$'): string | undefined {
  const show = (m: Meaning): string => JSON.stringify(m, (_k, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v))?.slice(0, 120) ?? 'undefined';
  if (expected instanceof Map || actual instanceof Map) {
    if (!(expected instanceof Map && actual instanceof Map)) return `${at}: expected ${show(expected)}, got ${show(actual)}`;
    for (const k of expected.keys()) if (!actual.has(k)) return `${at}: key ${JSON.stringify(k)} missing`;
    for (const k of actual.keys()) if (!expected.has(k)) return `${at}: unexpected key ${JSON.stringify(k)}`;
    for (const [k, v] of expected) {
      const d = meaningDiff(v, actual.get(k)!, `${at}[${JSON.stringify(k)}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (Array.isArray(expected) || Array.isArray(actual)) {
    if (!(Array.isArray(expected) && Array.isArray(actual))) return `${at}: expected ${show(expected)}, got ${show(actual)}`;
    if (expected.length !== actual.length) return `${at}: expected ${expected.length} elements, got ${actual.length}`;
    for (let i = 0; i < expected.length; i++) {
      const d = meaningDiff(expected[i]!, actual[i]!, `${at}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (typeof expected === 'object' && expected !== null && typeof actual === 'object' && actual !== null) {
    return sameNumber(expected.num, actual.num) ? undefined : `${at}: number ${expected.num} arrived as ${actual.num}`;
  }
  return expected === actual ? undefined : `${at}: expected ${show(expected)}, got ${show(actual)}`;
}
