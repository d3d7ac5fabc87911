/**
 * One pass over a body's bytes, before any tree is built: how deep it nests, and where the number tokens
 * are that a double might not hold exactly. Strings are skipped natively (indexOf), since they are most
 * of a telemetry body's bytes; brackets and digits inside them are text.
 */

export interface ByteScan {
  /** Nesting passed the limit: the scan stopped there. */
  depthExceeded: boolean;
  /** More values (strings, numbers, objects, arrays; keys count) than the limit: the scan stopped there. */
  valuesExceeded: boolean;
  /**
   * An integer token (no fraction, no exponent) with more than MAX_INTEGER_DIGITS digits: the scan
   * stopped there, before any BigInt is made of it (BigInt parsing grows faster than the digits).
   */
  integerTooLong: boolean;
  /**
   * Byte ranges [start, end) of the number tokens outside strings with 16 or more digits or an exponent,
   * flattened as start, end, start, end, … Every other number token has at most 15 significant digits
   * and no exponent, so a double holds it exactly (DBL_DIG is 15).
   */
  risky: number[];
  /**
   * A number token outside strings is a negative zero (`-0`, `-0.0`, `-0e5`): JSON.parse keeps its sign,
   * JSON.stringify does not, so the serializer must be told (serialize.ts).
   */
  negativeZero: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

const MANY_DIGITS = 16;
/**
 * uint64's largest value, 18446744073709551615, has 20 digits; JavaScript and Go write a double below 1e21
 * in integer form (1e20 as "100000000000000000000", 21 digits) and from 1e21 on with an exponent. No
 * client writes an integer token longer than that.
 */
export const MAX_INTEGER_DIGITS = 21;

const DONE = { depthExceeded: false, valuesExceeded: false, integerTooLong: false };

export function scanBytes(bytes: Buffer, maxDepth: number, maxValues = Number.POSITIVE_INFINITY): ByteScan {
  const risky: number[] = [];
  let negativeZero = false;
  let depth = 0;
  let values = 0;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    if (c === QUOTE) {
      let j = i;
      for (;;) {
        j = bytes.indexOf(QUOTE, j + 1);
        if (j === -1) return { ...DONE, risky, negativeZero }; // unterminated: JSON.parse reports it
        let backslashes = 0;
        for (let k = j - 1; bytes[k] === BACKSLASH; k--) backslashes++;
        if ((backslashes & 1) === 0) break;
      }
      i = j;
      if (++values > maxValues) return { ...DONE, valuesExceeded: true, risky, negativeZero };
    } else if ((c >= DIGIT_0 && c <= DIGIT_9) || c === MINUS) {
      // The whole token, as far as number characters go: for valid JSON exactly the number's text.
      const start = i;
      let digits = 0;
      let exponent = false;
      let fraction = false;
      /** A digit other than 0 before any exponent: the value is not zero. */
      let nonZero = false;
      for (; i < n; i++) {
        const d = bytes[i]!;
        if (d >= DIGIT_0 && d <= DIGIT_9) {
          digits++;
          if (d !== DIGIT_0 && !exponent) nonZero = true;
        } else if (d === LOWER_E || d === UPPER_E) exponent = true;
        else if (d === DOT) fraction = true;
        else if (d !== MINUS && d !== PLUS) break;
      }
      // Only a well-formed integer: a malformed token is the parser's to report as malformed.
      if (digits > MAX_INTEGER_DIGITS && !exponent && !fraction && digits === i - start - (c === MINUS ? 1 : 0) && bytes[start + (c === MINUS ? 1 : 0)] !== DIGIT_0) {
        return { ...DONE, integerTooLong: true, risky, negativeZero };
      }
      if (digits >= MANY_DIGITS || exponent) risky.push(start, i);
      if (c === MINUS && !nonZero) negativeZero = true;
      i--;
      if (++values > maxValues) return { ...DONE, valuesExceeded: true, risky, negativeZero };
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return { ...DONE, depthExceeded: true, risky, negativeZero };
      if (++values > maxValues) return { ...DONE, valuesExceeded: true, risky, negativeZero };
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return { ...DONE, risky, negativeZero };
}
