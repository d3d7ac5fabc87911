/**
 * A failed fixture case as a reviewer reads it: which paths differ, what the fixture expected and what the
 * policy produced. A pseudonymized expectation is shown as the marker the fixture wrote, with the pseudonym
 * it stands for, so a field that leaks in clear is obvious at a glance.
 */
import { serializeJson } from '../json/serialize';
import type { JsonValue } from '../json/types';
import { formatValuePath } from '../policy/fixture-diff';
import type { BodyDifference, CountDifference, Mismatch } from '../policy/fixture-runner';

const MAX_VALUE_CHARS = 72;

function shown(value: JsonValue | undefined): string {
  if (value === undefined) return '(absent)';
  const text = serializeJson(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

function bodyLine(d: BodyDifference): string {
  const expected = d.hashOf === undefined
    ? shown(d.expected)
    : `{"$hash": ${shown(d.hashOf)}} = ${shown(d.expected)}`;
  return `${formatValuePath(d.path)}: expected ${expected}, got ${shown(d.actual)}`;
}

function countLine(d: CountDifference): string {
  return `${d.path}: expected ${d.expected ?? '(none)'}, got ${d.actual ?? '(none)'}`;
}

/** Lines without indentation; the caller indents them under the case they belong to. */
export function renderMismatch(mismatch: Mismatch): string[] {
  switch (mismatch.kind) {
    case 'decision':
      return [`decision: expected ${mismatch.expected}, got ${mismatch.actual}`];
    case 'body': {
      const more = mismatch.total - mismatch.differences.length;
      return [
        `body differs at ${mismatch.total} path${mismatch.total === 1 ? '' : 's'}:`,
        ...mismatch.differences.map((d) => `  ${bodyLine(d)}`),
        ...(more > 0 ? [`  … and ${more} more`] : []),
      ];
    }
    case 'counts':
      return [`${mismatch.report} differs:`, ...mismatch.differences.map((d) => `  ${countLine(d)}`)];
  }
}
