/**
 * Reads one record line as bytes: splits the top-level object into members without parsing the `body`
 * member, so the body's exact bytes (what was sent upstream) can be hashed and compared, and a query
 * that does not need the body never builds it. Each member value other than the body is parsed with
 * JSON.parse; together with the strict top-level grammar here, a line that passes is valid JSON.
 */
import { isUtf8 } from 'node:buffer';
import type { AuditRecord } from './types';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** A top-level member: its key and the byte range of its value in the line. */
export interface MemberSpan { key: string; start: number; end: number }

/** A line that is not a well-formed record object; `offset` is the byte where reading stopped. */
export interface LineSyntaxError { message: string; offset: number }

export type ParsedLine =
  | {
    ok: true;
    /** Every member but `body`, parsed; keys in line order. */
    record: AuditRecord;
    keys: string[];
    /** Byte range of the `body` member's value, when present. */
    body?: { start: number; end: number };
  }
  | { ok: false; error: LineSyntaxError };

class ScanError extends Error {
  constructor(message: string, readonly offset: number) { super(message); }
}

function isWhitespace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function skipWhitespace(line: Buffer, i: number): number {
  while (isWhitespace(line[i])) i++;
  return i;
}

/** End (exclusive) of the string starting at `i`: the next quote not preceded by an odd run of backslashes. */
function skipString(line: Buffer, i: number): number {
  let from = i + 1;
  for (;;) {
    const q = line.indexOf(QUOTE, from);
    if (q < 0) throw new ScanError('unterminated string', i);
    let k = q - 1;
    while (line[k] === BACKSLASH) k--;
    if ((q - 1 - k) % 2 === 0) return q + 1;
    from = q + 1;
  }
}

/** End (exclusive) of the value starting at `i`. Brackets are only counted here; JSON.parse checks the rest. */
function skipValue(line: Buffer, i: number): number {
  const first = line[i];
  if (first === QUOTE) return skipString(line, i);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    let j = i;
    while (j < line.length) {
      const c = line[j];
      if (c === QUOTE) { j = skipString(line, j); continue; }
      if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    throw new ScanError('unterminated object or array', i);
  }
  let j = i;
  while (j < line.length && line[j] !== COMMA && line[j] !== CLOSE_BRACE && !isWhitespace(line[j])) j++;
  if (j === i) throw new ScanError('missing value', i);
  return j;
}

/** The members of the line's top-level object, in order. */
export function scanMembers(line: Buffer): MemberSpan[] {
  const members: MemberSpan[] = [];
  let i = skipWhitespace(line, 0);
  if (line[i] !== OPEN_BRACE) throw new ScanError('not a JSON object', i);
  i = skipWhitespace(line, i + 1);
  if (line[i] === CLOSE_BRACE) i++;
  else {
    for (;;) {
      if (line[i] !== QUOTE) throw new ScanError('expected a member name', i);
      const keyEnd = skipString(line, i);
      const key: unknown = JSON.parse(line.toString('utf8', i, keyEnd));
      if (typeof key !== 'string') throw new ScanError('expected a member name', i);
      i = skipWhitespace(line, keyEnd);
      if (line[i] !== COLON) throw new ScanError(`expected ':' after "${key}"`, i);
      const start = skipWhitespace(line, i + 1);
      const end = skipValue(line, start);
      members.push({ key, start, end });
      i = skipWhitespace(line, end);
      if (line[i] === COMMA) { i = skipWhitespace(line, i + 1); continue; }
      if (line[i] === CLOSE_BRACE) { i++; break; }
      throw new ScanError(`expected ',' or '}' after "${key}"`, i);
    }
  }
  i = skipWhitespace(line, i);
  if (i !== line.length) throw new ScanError('text after the record object', i);
  return members;
}

/**
 * Parses a record line (without its newline). The body is left as a byte range; `validateBody` parses it
 * once to prove it is JSON, then lets it go.
 */
export function parseRecordLine(line: Buffer, options: { validateBody: boolean }): ParsedLine {
  if (!isUtf8(line)) return { ok: false, error: { message: 'not valid UTF-8', offset: 0 } };
  let members: MemberSpan[];
  try {
    members = scanMembers(line);
  } catch (err) {
    if (err instanceof ScanError) return { ok: false, error: { message: `not a JSON object: ${err.message}`, offset: err.offset } };
    if (err instanceof SyntaxError) return { ok: false, error: { message: 'not a JSON object: bad member name', offset: 0 } };
    throw err;
  }
  // A null-prototype object: a forged `__proto__` member stays data.
  const record = Object.create(null) as AuditRecord;
  const keys: string[] = [];
  let body: { start: number; end: number } | undefined;
  for (const m of members) {
    if (keys.includes(m.key)) return { ok: false, error: { message: `member "${m.key}" appears twice`, offset: m.start } };
    keys.push(m.key);
    if (m.key === 'body') {
      body = { start: m.start, end: m.end };
      if (!options.validateBody) continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(line.toString('utf8', m.start, m.end));
    } catch {
      return { ok: false, error: { message: `not valid JSON in member "${m.key}"`, offset: m.start } };
    }
    if (m.key !== 'body') record[m.key] = value;
  }
  return body ? { ok: true, record, keys, body } : { ok: true, record, keys };
}

/** The seq a damaged line claims in its first bytes, to name it in a report even when it does not parse. */
export function sniffSeq(line: Buffer): number | undefined {
  const m = /^\{"v":\d+,"seq":(\d{1,15}),/.exec(line.toString('latin1', 0, Math.min(line.length, 48)));
  return m ? Number(m[1]) : undefined;
}
