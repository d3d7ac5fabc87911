/**
 * What the policy did to each value of one body, for `policy explain`'s diff: every value removed (drop,
 * default deny) or replaced (hash), at its concrete place in the input (`users[0].email`), with the
 * original and the pseudonym. It walks the same compiled states as apply.ts with the same decisions, but
 * records instead of building, so the gateway's hot path stays free of it; a test holds the two to the
 * same counts. A removed container is one change (its whole value); the renderer expands leaves.
 */
import type { JsonArray, JsonObject, JsonValue } from '../json/types';
import { formatKey } from './paths';
import { ACT_ALLOW, ACT_DROP, ACT_HASH, ACT_UNKNOWN, type State } from './states';
import type { FieldChange, Pseudonymizer } from './types';

export function traceStates(root: State, body: JsonValue, pseudonymizer: Pseudonymizer): FieldChange[] {
  const changes: FieldChange[] = [];
  const at: (string | number)[] = [];

  const record = (kind: FieldChange['kind'], reportPath: string, original: JsonValue, pseudonym?: JsonValue): void => {
    changes.push(pseudonym === undefined ? { kind, at: [...at], reportPath, original } : { kind, at: [...at], reportPath, original, pseudonym });
  };

  const act = (state: State, value: JsonValue, parent: State, key: string): void => {
    const reportPath = state.path ?? parent.prefix + formatKey(key);
    switch (state.action) {
      case ACT_ALLOW:
        return;
      case ACT_HASH: {
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
    for (const key of Object.keys(obj)) {
      const child = state.keyed?.get(key) ?? state.otherKey!;
      if (!child.enter && child.action === ACT_ALLOW) continue;
      at.push(key);
      visit(child, obj[key]!, state, key);
      at.pop();
    }
  };

  const visitArray = (state: State, arr: JsonArray): void => {
    const selective = state.discriminators !== null;
    arr.forEach((value, i) => {
      at.push(i);
      visit(selective ? state.elementState(value) : state.element!, value, state, '');
      at.pop();
    });
  };

  if (typeof body === 'object' && body !== null && !Array.isArray(body)) visitObject(root, body);
  else record('unknown', '$', body);
  return changes;
}
