/**
 * An independent, deliberately naive statement of the precedence rules of docs/policy-language.md, used
 * as the oracle of the property tests: for a concrete place in a body, look at every rule, keep those
 * matching the place itself or its deepest matched ancestor, and pick the most specific one by comparing
 * segments from the left (literal < discriminator < wildcard), the earlier rule on a tie. The result is
 * what happens to the value at that place.
 */
import type { JsonValue } from '../../../../src/json/types';
import type { PathSegment } from '../../../../src/policy/paths';
import type { Action } from '../../../../src/policy/types';

export type Step = { key: string } | { index: number; element: JsonValue };

export interface ReferenceRule { segments: readonly PathSegment[]; actions: Record<1 | 2, Action> }

function textOf(v: JsonValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return undefined;
}

function segmentMatches(segment: PathSegment, step: Step): boolean {
  if ('key' in step) {
    return segment.kind === 'any-key' || (segment.kind === 'key' && segment.name === step.key);
  }
  if (segment.kind === 'any-index') return true;
  if (segment.kind !== 'match') return false;
  const e = step.element;
  if (typeof e !== 'object' || e === null || Array.isArray(e) || !Object.hasOwn(e, segment.field)) return false;
  return textOf(e[segment.field]) === segment.value;
}

const SPECIFICITY: Record<PathSegment['kind'], number> = { key: 0, 'any-key': 2, match: 1, 'any-index': 2 };

export function effectiveAction(rules: readonly ReferenceRule[], steps: readonly Step[], level: 1 | 2): Action | 'unknown' {
  for (let depth = steps.length; depth >= 1; depth--) {
    const candidates = rules.filter((r) => r.segments.length === depth && r.segments.every((s, i) => segmentMatches(s, steps[i]!)));
    if (candidates.length === 0) continue;
    let best = candidates[0]!;
    for (const c of candidates.slice(1)) {
      for (let i = 0; i < depth; i++) {
        const d = SPECIFICITY[c.segments[i]!.kind] - SPECIFICITY[best.segments[i]!.kind];
        if (d < 0) best = c;
        if (d !== 0) break;
      }
    }
    const action = best.actions[level];
    // `hash` on an ancestor hashes a container, which cannot be hashed: the container is dropped.
    return action === 'hash' && depth < steps.length ? 'drop' : action;
  }
  return 'unknown';
}
