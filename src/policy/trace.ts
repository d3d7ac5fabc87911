/**
 * What the policy did to each value of one body, for `policy explain`'s diff: every value removed (drop,
 * default deny, a failed constraint, a detector's find) or replaced (hash), at its concrete place in the
 * input (`users[0].email`), with the original and the pseudonym. It walks the same compiled states as
 * apply.ts with the same decisions, but records instead of building, so the gateway's hot path stays free
 * of it; a test holds the two to the same counts. A removed container is one change (its whole value);
 * the renderer expands leaves.
 */
import type { JsonArray, JsonObject, JsonValue } from '../json/types';
import { keySegment } from './apply';
import { detect } from './detectors';
import { memberPlan } from './member-plan';
import { formatKey } from './paths';
import { ACT_ALLOW, ACT_DROP, ACT_HASH, ACT_UNKNOWN, type State } from './states';
import type { DetectorKind, FieldChange, Pseudonymizer } from './types';

export function traceStates(root: State, body: JsonValue, pseudonymizer: Pseudonymizer): FieldChange[] {
  const changes: FieldChange[] = [];
  const at: (string | number)[] = [];
  /** `at` written as `shown`: one text per step. */
  const shownAt: string[] = [];
  const push = (step: string | number, named: boolean): void => {
    at.push(step);
    shownAt.push(typeof step === 'number' ? `${shownAt.length === 0 ? '$' : ''}[${step}]`
      : `${shownAt.length === 0 ? '' : '.'}${named ? formatKey(step) : keySegment(pseudonymizer, step)}`);
  };
  const pop = (): void => { at.pop(); shownAt.pop(); };

  const record = (kind: FieldChange['kind'], reportPath: string, original: JsonValue, pseudonym?: JsonValue, detector?: DetectorKind): void => {
    const change: FieldChange = { kind, at: [...at], reportPath, shown: shownAt.length === 0 ? '$' : shownAt.join(''), original };
    if (pseudonym !== undefined) change.pseudonym = pseudonym;
    if (detector !== undefined) change.detector = detector;
    changes.push(change);
  };
  const pathOf = (state: State, parent: State, key: string): string => state.path ?? parent.prefix + keySegment(pseudonymizer, key);

  const invalid = (state: State, value: JsonValue, path: string): void => {
    record('invalid', path, value, state.invalidHash ? pseudonymizer.pseudonymize(value) : undefined);
  };

  const scanSubtree = (value: JsonValue, mask: number, path: string): void => {
    if (typeof value === 'string') {
      const found = detect(value, mask);
      if (found !== null) record('redacted', path, value, undefined, found);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      value.forEach((v, i) => { push(i, true); scanSubtree(v, mask, `${path}[*]`); pop(); });
      return;
    }
    for (const key of Object.keys(value)) {
      push(key, false);
      const memberPath = `${path}.${keySegment(pseudonymizer, key)}`;
      const found = detect(key, mask);
      if (found !== null) record('redacted', memberPath, value[key]!, undefined, found);
      else scanSubtree(value[key]!, mask, memberPath);
      pop();
    }
  };

  const act = (state: State, value: JsonValue, parent: State, key: string): void => {
    const reportPath = pathOf(state, parent, key);
    switch (state.action) {
      case ACT_ALLOW: {
        if (state.check !== null && !state.check(value)) return invalid(state, value, reportPath);
        if (typeof value === 'string') {
          const found = state.valueScan === 0 ? null : detect(value, state.valueScan);
          if (found !== null) record('redacted', reportPath, value, undefined, found);
          return;
        }
        if (typeof value !== 'object' || value === null) return;
        if (!state.subtree) return record('invalid', reportPath, value);
        if (state.scan !== 0) scanSubtree(value, state.scan, reportPath);
        return;
      }
      case ACT_HASH: {
        if (state.check !== null && !state.check(value)) return invalid(state, value, reportPath);
        const hashed = pseudonymizer.pseudonymize(value);
        if (hashed === undefined) record('dropped', reportPath, value);
        else record('hashed', reportPath, value, hashed);
        return;
      }
      case ACT_DROP:
        record('dropped', reportPath, value);
        return;
      default:
        record('unknown', reportPath, value);
    }
  };

  const visit = (state: State, value: JsonValue, parent: State, key: string): void => {
    if (state.enter && typeof value === 'object') {
      if (value !== null) {
        if (Array.isArray(value)) visitArray(state, value);
        else visitObject(state, value);
        return;
      }
      // apply.ts: a null where rules name members passes unreported.
      if (state.action === ACT_UNKNOWN) return;
    }
    act(state, value, parent, key);
  };

  const visitObject = (state: State, obj: JsonObject): void => {
    state.build();
    const keys = Object.keys(obj);
    const { children, active, verdicts } = memberPlan(state, keys);
    for (const i of active) {
      const key = keys[i]!;
      const child = children[i]!;
      const verdict = verdicts === null ? null : verdicts[i]!;
      push(key, state.keyed?.get(key) === child);
      if (verdict === null) visit(child, obj[key]!, state, key);
      else if (verdict === 'invalid') record('invalid', pathOf(child, state, key), obj[key]!);
      else record('redacted', pathOf(child, state, key), obj[key]!, undefined, verdict);
      pop();
    }
  };

  const visitArray = (state: State, arr: JsonArray): void => {
    state.build();
    const selective = state.discriminators !== null;
    arr.forEach((value, i) => {
      push(i, true);
      visit(selective ? state.elementState(value) : state.element!, value, state, '');
      pop();
    });
  };

  if (typeof body === 'object' && body !== null && !Array.isArray(body)) visitObject(root, body);
  else record('unknown', '$', body);
  return changes;
}
