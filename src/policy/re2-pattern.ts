/**
 * Regular expressions written in policies (`pattern`, `keys.pattern`): RE2 syntax, run by re2js, a
 * JavaScript port of RE2 whose matching time is linear in the input whatever the pattern, so no policy
 * and no payload can make telegate backtrack for ever (ReDoS). A policy pattern always matches the
 * whole value (`testExact`): `[a-z]+` means `^(?:[a-z]+)$`.
 */
import { RE2JS } from 're2js';

export type CompiledPattern = { ok: true; matches: (text: string) => boolean } | { ok: false; message: string };

/** Longer patterns are refused: a policy pattern describes a field's format, not a data set. */
export const MAX_PATTERN_LENGTH = 4096;

/**
 * Telemetry repeats its values (one SDK version in every event of a batch, one status in every row), and
 * an RE2 run costs a microsecond or two where a map lookup costs tens of nanoseconds: the last answers
 * for short strings are remembered, per pattern, in a bounded memo that is emptied when full.
 */
const MEMO_ENTRIES = 512;
const MEMO_MAX_LENGTH = 128;

function memoised(test: (text: string) => boolean): (text: string) => boolean {
  let memo = new Map<string, boolean>();
  return (text) => {
    if (text.length > MEMO_MAX_LENGTH) return test(text);
    const known = memo.get(text);
    if (known !== undefined) return known;
    const answer = test(text);
    if (memo.size >= MEMO_ENTRIES) memo = new Map();
    memo.set(text, answer);
    return answer;
  };
}

export function compilePattern(source: string): CompiledPattern {
  if (source.length > MAX_PATTERN_LENGTH) return { ok: false, message: `the pattern is longer than ${MAX_PATTERN_LENGTH} characters` };
  try {
    const re = RE2JS.compile(`(?:${source})`);
    return { ok: true, matches: memoised((text) => re.testExact(text)) };
  } catch (err) {
    // re2js says what is wrong and where ("missing closing ): `(?:[a-z`"); the pattern is the policy's own text.
    return { ok: false, message: `not an RE2 regular expression: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** An unanchored search, for the detectors: does the pattern occur anywhere in the text. */
export function compileSearch(source: string, caseInsensitive = false): (text: string) => boolean {
  const re = RE2JS.compile(source, caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
  return (text) => re.test(text);
}
