/**
 * The hot path: one pass over a parsed body, driven by the compiled states. No rule text is read here;
 * each member costs a map lookup and a switch. Report paths are written only when something is reported,
 * and are precomputed on the state wherever they do not depend on the member's own key. Wholly allowed
 * subtrees are shared with the input by reference; nothing of the input is ever written to.
 */
import type { JsonArray, JsonObject, JsonValue } from '../json/types';
import { formatKey } from './paths';
import { memberPlan } from './member-plan';
import { ACT_ALLOW, ACT_DROP, ACT_HASH, ACT_UNKNOWN, type State } from './states';
import type { PathCounts, Pseudonymizer, TransformResult } from './types';

/** Per-call report counters, keyed by report path. */
class Reports {
  readonly dropped = new Map<string, number>();
  readonly hashed = new Map<string, number>();
  readonly unknown = new Map<string, number>();
  /** Hashed values counted by their state when its report path is fixed: an identity lookup instead of
   * a string one per value (a 5,000-user snapshot hashes ~400,000); folded into `hashed` at the end. */
  readonly hashedByState = new Map<State, number>();
  constructor(readonly pseudonymizer: Pseudonymizer) {}
}

function count(counts: Map<string, number>, path: string): void {
  counts.set(path, (counts.get(path) ?? 0) + 1);
}

/** Sets an own, enumerable data member even for `__proto__`, whose plain assignment would be a prototype link. */
function setMember(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

function toPathCounts(counts: Map<string, number>): PathCounts {
  const out: PathCounts = {};
  for (const [path, n] of counts) setMember(out, path, n);
  return out;
}

function reportPath(state: State, parent: State, key: string): string {
  return state.path ?? parent.prefix + formatKey(key);
}

/** Applies a state's action to a value that is not entered. `undefined` means removed. */
function act(state: State, value: JsonValue, r: Reports, parent: State, key: string): JsonValue | undefined {
  switch (state.action) {
    case ACT_ALLOW:
      return value;
    case ACT_HASH: {
      const hashed = r.pseudonymizer.pseudonymize(value);
      if (hashed !== undefined && state.path !== null) r.hashedByState.set(state, (r.hashedByState.get(state) ?? 0) + 1);
      else count(hashed === undefined ? r.dropped : r.hashed, reportPath(state, parent, key));
      return hashed;
    }
    case ACT_DROP:
      count(r.dropped, reportPath(state, parent, key));
      return undefined;
    default:
      count(r.unknown, reportPath(state, parent, key));
      return undefined;
  }
}

function visit(state: State, value: JsonValue, r: Reports, parent: State, key: string): JsonValue | undefined {
  if (state.enter && typeof value === 'object') {
    if (value !== null) return Array.isArray(value) ? visitArray(state, value, r) : visitObject(state, value, r);
    // A null where rules name members is an empty collection as Go and others encode it (`users: null`):
    // it carries nothing, like the `{}` or `[]` it would otherwise become, so it passes unreported.
    if (state.action === ACT_UNKNOWN) return null;
  }
  return act(state, value, r, parent, key);
}

/*
 * Copy on write: a container whose members all come through unchanged is returned as it is (the output
 * is the same JSON either way), so a body the policy leaves mostly intact costs no new objects. The first
 * change allocates the output and copies the members passed so far.
 */

function visitObject(state: State, obj: JsonObject, r: Reports): JsonObject {
  // Own keys only: a polluted Object.prototype must never contribute members to what leaves.
  const keys = Object.keys(obj);
  const { children, active } = memberPlan(state, keys);
  let out: JsonObject | null = null;
  let next = 0; // members before this one are in `out` already
  for (let a = 0; a < active.length; a++) {
    const i = active[a]!;
    const key = keys[i]!;
    const value = obj[key]!;
    const result = visit(children[i]!, value, r, state, key);
    if (out === null) {
      if (result === value) continue;
      out = {};
    }
    // Every member skipped since the last one written is unchanged.
    for (; next < i; next++) putMember(out, keys[next]!, obj[keys[next]!]!);
    if (result !== undefined) putMember(out, key, result);
    next = i + 1;
  }
  if (out === null) return obj;
  for (; next < keys.length; next++) putMember(out, keys[next]!, obj[keys[next]!]!);
  return out;
}

function putMember(out: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__') setMember(out, key, value);
  else out[key] = value;
}

function visitArray(state: State, arr: JsonArray, r: Reports): JsonArray {
  const element = state.element!;
  const selective = state.discriminators !== null;
  let out: JsonArray | null = null;
  for (let i = 0; i < arr.length; i++) {
    const value = arr[i]!;
    const result = visit(selective ? state.elementState(value) : element, value, r, state, '');
    if (out === null) {
      if (result === value) continue;
      out = arr.slice(0, i);
    }
    if (result !== undefined) out.push(result);
  }
  return out ?? arr;
}

export function applyStates(root: State, body: JsonValue, pseudonymizer: Pseudonymizer): TransformResult {
  const r = new Reports(pseudonymizer);
  let out: JsonObject;
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    out = visitObject(root, body, r);
  } else {
    count(r.unknown, '$'); // the body's root must be an object: nothing of anything else is covered
    out = {};
  }
  for (const [state, n] of r.hashedByState) r.hashed.set(state.path!, (r.hashed.get(state.path!) ?? 0) + n);
  return {
    decision: 'forward',
    body: out,
    dropped: toPathCounts(r.dropped),
    hashed: toPathCounts(r.hashed),
    unknown: toPathCounts(r.unknown),
  };
}
