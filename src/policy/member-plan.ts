/**
 * What to do with the members of an object, per key set. The elements of one array nearly always share
 * their keys, in one order (JSON.parse even hands out the same key strings), so each state remembers the
 * plan for the last key set it saw: each member's state, which members need a look at all, and what is
 * wrong with a key itself. On a matching key set that costs one pointer comparison per key.
 *
 * A key no rule names is data: where its member would leave, the key leaves with it, so it must meet the
 * wildcard's `keys:` constraint and pass the detectors, or the member is removed.
 */
import { detect } from './detectors';
import { ACT_ALLOW, ACT_HASH, type State } from './states';
import type { DetectorKind } from './types';

/** Why a member's key keeps it from leaving: its constraint failed, or a detector found something. */
export type KeyVerdict = 'invalid' | DetectorKind;

export interface MemberPlan {
  readonly keys: readonly string[];
  /** The state of each member, by position in `keys`. */
  readonly children: readonly State[];
  /** Positions of the members that need a look (entered, acted on, checked or scanned); ascending. */
  readonly active: readonly number[];
  /** Per position, what is wrong with the key (null: nothing); null when no key has anything wrong. */
  readonly verdicts: readonly (KeyVerdict | null)[] | null;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function keyVerdict(child: State, key: string): KeyVerdict | null {
  if (!child.enter && child.action !== ACT_ALLOW && child.action !== ACT_HASH) return null;
  if (child.keyChecks !== null && !child.keyChecks.every((check) => check(key))) return 'invalid';
  return detect(key, child.scan);
}

/** Whether a member can be passed on without a look: an allowed number, boolean or null needs none. */
function needsLook(child: State): boolean {
  return child.enter || child.action !== ACT_ALLOW || child.check !== null || child.valueScan !== 0 || !child.subtree;
}

export function memberPlan(state: State, keys: readonly string[]): MemberPlan {
  const last = state.lastPlan;
  if (last !== null && sameKeys(last.keys, keys)) return last;
  const keyed = state.keyed;
  const children: State[] = [];
  const active: number[] = [];
  let verdicts: (KeyVerdict | null)[] | null = null;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const named = keyed === null ? undefined : keyed.get(key);
    const child = named ?? state.otherFor(key);
    children.push(child);
    const verdict = named === undefined ? keyVerdict(child, key) : null;
    if (verdict !== null) {
      verdicts ??= new Array<KeyVerdict | null>(keys.length).fill(null);
      verdicts[i] = verdict;
    }
    if (verdict !== null || needsLook(child)) active.push(i);
  }
  const plan = { keys, children, active, verdicts };
  state.lastPlan = plan;
  return plan;
}
