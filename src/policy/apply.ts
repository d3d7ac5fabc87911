/**
 * The hot path: one pass over a parsed body, driven by the compiled states. No rule text is read here;
 * each member costs a map lookup and a switch. Report paths are written only when something is reported,
 * and are precomputed on the state wherever they do not depend on the member's own key (a key no rule
 * names is written as `*` and its keyed tag, never as sent). Wholly allowed subtrees are shared with the
 * input by reference; nothing of the input is ever written to.
 *
 * What an `allow` lets out, in order: the value must meet its rule's constraint (else `invalid`: removed,
 * or hashed where the rule says `invalid: hash`); a container passes only under `subtree: true` (else
 * `invalid`: shapes are part of the contract); a string that leaves as sent must pass the detectors
 * (else `redacted`: removed whole). A `hash` checks the constraint first, then pseudonymizes; pseudonyms
 * are telegate's own output and are not scanned.
 */
import type { JsonArray, JsonObject, JsonValue } from '../json/types';
import { detect } from './detectors';
import { memberPlan } from './member-plan';
import { ReportCounts, setMember } from './reports';
import { ACT_ALLOW, ACT_DROP, ACT_HASH, ACT_UNKNOWN, type State } from './states';
import type { DetectorKind, Pseudonymizer, ReportKind, TransformResult } from './types';

/** Per-call state: the counts, and hashed values counted by their state while its report path is fixed. */
class Reports extends ReportCounts {
  /** An identity lookup instead of a string one per value (a 5,000-user snapshot hashes ~400,000); folded in at the end. */
  readonly hashedByState = new Map<State, number>();
  readonly tagOf: (key: string) => string;
  constructor(readonly pseudonymizer: Pseudonymizer) {
    super();
    this.tagOf = (key) => keySegment(pseudonymizer, key);
  }

  /** Reports the member `key` of `parent`, judged by `state`, at its report path (made only when listed). */
  report(kind: ReportKind, state: State, parent: State, key: string): void {
    if (state.path !== null) this.add(kind, state.path);
    else this.addUnnamed(kind, parent.prefix, key, this.tagOf);
  }

  redactMember(state: State, parent: State, key: string, detector: DetectorKind): void {
    this.report('redacted', state, parent, key);
    this.detections[detector] = (this.detections[detector] ?? 0) + 1;
  }
}

/** A report path segment for a key no rule names: `*` and its keyed tag. */
export function keySegment(p: Pseudonymizer, key: string): string {
  return `*${p.keyTag(key)}`;
}

function reportPath(state: State, parent: State, key: string, r: Reports): string {
  return state.path ?? parent.prefix + keySegment(r.pseudonymizer, key);
}

/** A value that failed its rule's constraint (or shape): removed, or hashed where the rule says so. */
function invalid(state: State, value: JsonValue, r: Reports, parent: State, key: string): JsonValue | undefined {
  r.report('invalid', state, parent, key);
  return state.invalidHash ? r.pseudonymizer.pseudonymize(value) : undefined;
}

/** Applies a state's action to a value that is not entered. `undefined` means removed. */
function act(state: State, value: JsonValue, r: Reports, parent: State, key: string): JsonValue | undefined {
  switch (state.action) {
    case ACT_ALLOW: {
      if (state.check !== null && !state.check(value)) return invalid(state, value, r, parent, key);
      if (typeof value === 'string') {
        if (state.valueScan === 0) return value;
        const found = detect(value, state.valueScan);
        if (found === null) return value;
        r.redactMember(state, parent, key, found);
        return undefined;
      }
      if (typeof value !== 'object' || value === null) return value;
      if (!state.subtree) {
        r.report('invalid', state, parent, key);
        return undefined;
      }
      return state.scan === 0 ? value : scanSubtree(value, state.scan, r, reportPath(state, parent, key, r));
    }
    case ACT_HASH: {
      if (state.check !== null && !state.check(value)) return invalid(state, value, r, parent, key);
      const hashed = r.pseudonymizer.pseudonymize(value);
      if (hashed !== undefined && state.path !== null) r.hashedByState.set(state, (r.hashedByState.get(state) ?? 0) + 1);
      else r.report(hashed === undefined ? 'dropped' : 'hashed', state, parent, key);
      return hashed;
    }
    case ACT_DROP:
      r.report('dropped', state, parent, key);
      return undefined;
    default:
      r.report('unknown', state, parent, key);
      return undefined;
  }
}

/** What `act` does with a value, reported nowhere (the shadow level's walk, shadow.ts). */
export const FATE_SENT = 0;
export const FATE_HASHED = 1;
export const FATE_REMOVED = 2;
export type Fate = typeof FATE_SENT | typeof FATE_HASHED | typeof FATE_REMOVED;

/** The pseudonymizer keeps strings and numbers only (types.ts): anything else under `hash` is dropped. */
function hashable(value: JsonValue): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint';
}

/**
 * The fate `act` gives a value that is not entered, decided by the same checks in the same order. A
 * container passed whole under `subtree: true` counts as sent, though the detectors may still cut
 * strings out of it.
 */
export function fateOf(state: State, value: JsonValue): Fate {
  switch (state.action) {
    case ACT_ALLOW:
      if (state.check !== null && !state.check(value)) return state.invalidHash && hashable(value) ? FATE_HASHED : FATE_REMOVED;
      if (typeof value === 'string') return state.valueScan !== 0 && detect(value, state.valueScan) !== null ? FATE_REMOVED : FATE_SENT;
      if (typeof value !== 'object' || value === null) return FATE_SENT;
      return state.subtree ? FATE_SENT : FATE_REMOVED;
    case ACT_HASH:
      if (state.check !== null && !state.check(value)) return state.invalidHash && hashable(value) ? FATE_HASHED : FATE_REMOVED;
      return hashable(value) ? FATE_HASHED : FATE_REMOVED;
    default:
      return FATE_REMOVED;
  }
}

/**
 * An allowed subtree, scanned: every string and every key in it meets the detectors, and what they find
 * is removed (a member whole, an element from its array). Copy on write, like the walk itself.
 */
function scanSubtree(value: JsonValue, mask: number, r: Reports, path: string): JsonValue | undefined {
  if (typeof value === 'string') {
    const found = detect(value, mask);
    if (found === null) return value;
    r.redact(path, found);
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const elementPath = `${path}[*]`;
    let out: JsonArray | null = null;
    for (let i = 0; i < value.length; i++) {
      const v = value[i]!;
      const result = scanSubtree(v, mask, r, elementPath);
      if (out === null) {
        if (result === v) continue;
        out = value.slice(0, i);
      }
      if (result !== undefined) out.push(result);
    }
    return out ?? value;
  }
  const keys = Object.keys(value);
  let out: JsonObject | null = null;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const v = value[key]!;
    const memberPath = `${path}.${keySegment(r.pseudonymizer, key)}`;
    const keyFound = detect(key, mask);
    let result: JsonValue | undefined;
    if (keyFound !== null) {
      r.redact(memberPath, keyFound);
      result = undefined;
    } else {
      result = scanSubtree(v, mask, r, memberPath);
    }
    if (out === null) {
      if (result === v) continue;
      out = {};
      for (let j = 0; j < i; j++) putMember(out, keys[j]!, value[keys[j]!]!);
    }
    if (result !== undefined) putMember(out, key, result);
  }
  return out ?? value;
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
  state.build();
  // Own keys only: a polluted Object.prototype must never contribute members to what leaves.
  const keys = Object.keys(obj);
  const { children, active, verdicts } = memberPlan(state, keys);
  let out: JsonObject | null = null;
  let next = 0; // members before this one are in `out` already
  for (let a = 0; a < active.length; a++) {
    const i = active[a]!;
    const key = keys[i]!;
    const value = obj[key]!;
    const child = children[i]!;
    const verdict = verdicts === null ? null : verdicts[i]!;
    let result: JsonValue | undefined;
    if (verdict === null) {
      result = child.enter ? visit(child, value, r, state, key) : act(child, value, r, state, key);
    } else {
      if (verdict === 'invalid') r.report('invalid', child, state, key); else r.redactMember(child, state, key, verdict);
      result = undefined;
    }
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
  state.build();
  const element = state.element!;
  const selective = state.discriminators !== null;
  let out: JsonArray | null = null;
  for (let i = 0; i < arr.length; i++) {
    const value = arr[i]!;
    const child = selective ? state.elementState(value) : element;
    const result = child.enter ? visit(child, value, r, state, '') : act(child, value, r, state, '');
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
    r.add('unknown', '$'); // the body's root must be an object: nothing of anything else is covered
    out = {};
  }
  for (const [state, n] of r.hashedByState) r.add('hashed', state.path!, n);
  return r.result(out);
}
