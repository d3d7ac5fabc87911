/**
 * Integers beyond 2^53 (Coder's uint64 tailnet node ids) through the native parser: each such token is
 * rewritten as a marked string, JSON.parse runs at full speed, and a walk turns the marked strings back
 * into bigints. The mark is a leading U+0000, which a body can only hold written as the escape `\u0000`
 * (raw control characters are not JSON); a body containing that escape anywhere is not rewritten.
 */
import type { JsonValue } from './types';

const MARK = 0;
const MARK_ESCAPE = Buffer.from('\\u0000', 'latin1');
const MARKED_OPEN = Buffer.from('"\\u0000', 'latin1');
const MARKED_CLOSE = Buffer.from('"', 'latin1');

/** The mark cannot be told from a body's own text: such a body takes the lossless parser. */
export function canMark(bytes: Buffer): boolean {
  return bytes.indexOf(MARK_ESCAPE) === -1;
}

/** The body with the tokens at `ranges` (flattened start, end pairs, ascending) as marked strings. */
export function markTokens(bytes: Buffer, ranges: readonly number[]): Buffer {
  const extra = (ranges.length / 2) * (MARKED_OPEN.length + MARKED_CLOSE.length);
  // One buffer, copied into piece by piece: a body of nothing but big integers creates no object per token.
  const out = Buffer.allocUnsafe(bytes.length + extra);
  let from = 0;
  let at = 0;
  for (let r = 0; r < ranges.length; r += 2) {
    const start = ranges[r]!;
    const end = ranges[r + 1]!;
    at += bytes.copy(out, at, from, start);
    at += MARKED_OPEN.copy(out, at);
    at += bytes.copy(out, at, start, end);
    at += MARKED_CLOSE.copy(out, at);
    from = end;
  }
  bytes.copy(out, at, from);
  return out;
}

/**
 * Turns the marked strings of a parsed body back into bigints, in place (the tree is the parser's own,
 * fresh). Returns how many it found: fewer than were marked means a mark landed where no value stands
 * (an object key, a member a duplicate key replaced), which only a malformed body produces.
 */
export function unmark(value: JsonValue, expected: number): number {
  let found = 0;
  const visit = (container: JsonValue[] | { [key: string]: JsonValue }): void => {
    if (Array.isArray(container)) {
      for (let i = 0; i < container.length && found < expected; i++) {
        const v = container[i]!;
        if (typeof v === 'string') {
          if (v.charCodeAt(0) === MARK) { container[i] = BigInt(v.slice(1)); found++; }
        } else if (typeof v === 'object' && v !== null) visit(v);
      }
      return;
    }
    const keys = Object.keys(container);
    for (let i = 0; i < keys.length && found < expected; i++) {
      const key = keys[i]!;
      const v = container[key]!;
      if (typeof v === 'string') {
        // An own data member: plain assignment replaces it, even under the key `__proto__`.
        if (v.charCodeAt(0) === MARK) { container[key] = BigInt(v.slice(1)); found++; }
      } else if (typeof v === 'object' && v !== null) visit(v);
    }
  };
  if (typeof value === 'object' && value !== null) visit(value);
  return found;
}
