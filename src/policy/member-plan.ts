/**
 * What to do with the members of an object, per key set. The elements of one array nearly always share
 * their keys, in one order (JSON.parse even hands out the same key strings), so each state remembers the
 * plan for the last key set it saw: each member's state, and which members need a look at all. A
 * member whose state is a plain allow, not entered, passes as it is; on a Coder snapshot that is most of
 * them, and a matching key set costs one pointer comparison per key instead of a map lookup.
 */
import { ACT_ALLOW, type State } from './states';

export interface MemberPlan {
  readonly keys: readonly string[];
  /** The state of each member, by position in `keys`. */
  readonly children: readonly State[];
  /** Positions of the members that are entered or acted on; ascending. */
  readonly active: readonly number[];
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function memberPlan(state: State, keys: readonly string[]): MemberPlan {
  const last = state.lastPlan;
  if (last !== null && sameKeys(last.keys, keys)) return last;
  const keyed = state.keyed;
  const other = state.otherKey!;
  const children: State[] = [];
  const active: number[] = [];
  for (let i = 0; i < keys.length; i++) {
    const child = keyed === null ? other : (keyed.get(keys[i]!) ?? other);
    children.push(child);
    if (child.enter || child.action !== ACT_ALLOW) active.push(i);
  }
  const plan = { keys, children, active };
  state.lastPlan = plan;
  return plan;
}
