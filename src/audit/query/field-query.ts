/**
 * `--field PATH` and `--action`: which egress records touched a field, and how. Paths are the records'
 * own (array indices `[*]`); the caller hands them in already normalised (the CLI uses the policy
 * language's parser, so `'users[*]'.email` and `users[*].email` are one path). The audit module keeps
 * its own copy of the segment shape instead of importing the policy engine: the two know nothing of each
 * other.
 */
import type { EgressEntry } from './entries';

export type FieldAction = 'sent' | 'dropped' | 'hashed' | 'unknown';
export const FIELD_ACTIONS: readonly FieldAction[] = ['sent', 'dropped', 'hashed', 'unknown'];

export type FieldSegment =
  | { kind: 'key'; name: string }
  | { kind: 'any-key' }
  | { kind: 'any-index' }
  | { kind: 'match'; field: string; value: string };

export interface FieldQuery {
  /** Normalised text, as the records' dropped/hashed/unknown keys are written. */
  text: string;
  segments: readonly FieldSegment[];
}

const REPORTED: readonly Exclude<FieldAction, 'sent'>[] = ['dropped', 'hashed', 'unknown'];

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

/** A discriminator compares the member's value as written in a path: strings as they are, scalars as text. */
function discriminatorMatches(element: unknown, field: string, value: string): boolean {
  if (typeof element !== 'object' || element === null || Array.isArray(element)) return false;
  if (!Object.hasOwn(element, field)) return false;
  const v = (element as Record<string, unknown>)[field];
  if (typeof v === 'string') return v === value;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v) === value;
  return false;
}

/** Whether the sent body has a value at the path (any element, for `[*]` and `*`). */
export function bodyHasPath(body: unknown, segments: readonly FieldSegment[], from = 0): boolean {
  if (from === segments.length) return true;
  const s = segments[from]!;
  switch (s.kind) {
    case 'key':
      if (typeof body !== 'object' || body === null || Array.isArray(body) || !Object.hasOwn(body, s.name)) return false;
      return bodyHasPath((body as Record<string, unknown>)[s.name], segments, from + 1);
    case 'any-key':
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
      return Object.values(body).some((v) => bodyHasPath(v, segments, from + 1));
    case 'any-index':
      return Array.isArray(body) && body.some((v) => bodyHasPath(v, segments, from + 1));
    case 'match':
      return Array.isArray(body) && body.some((v) => discriminatorMatches(v, s.field, s.value) && bodyHasPath(v, segments, from + 1));
  }
}

/**
 * Whether the record matches `--field` / `--action` (either may be absent). `sentBody` parses the body
 * only when it is needed: most records are decided by their counts, and a body can be 50 MB.
 */
export function matchesField(
  entry: EgressEntry,
  field: FieldQuery | undefined,
  action: FieldAction | undefined,
  sentBody: () => unknown,
): boolean {
  const reported = action === undefined ? REPORTED : action === 'sent' ? [] : [action];
  for (const kind of reported) {
    const counts = entry[kind];
    if (field === undefined ? hasKeys(counts) : Object.hasOwn(counts, field.text)) return true;
  }
  if (action !== undefined && action !== 'sent') return false;
  if (entry.body_sha256 === undefined) return false;
  if (field === undefined) return action === 'sent';
  return bodyHasPath(sentBody(), field.segments);
}
