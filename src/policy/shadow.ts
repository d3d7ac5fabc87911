/**
 * The shadow level (`vendors.<v>.shadow_level`): while one level is enforced, what another level would
 * have sent differently, path by path, with counts and never a value. The gateway records it in the
 * egress record (`shadow`), so a team can switch levels knowing exactly what changes.
 *
 * One walk over the parsed body drives the enforced and the shadow level's states side by side. Both come
 * from one trie, so they enter the same containers and only their actions differ (level-lint.ts says why);
 * nothing is hashed and no body is built, so the walk costs less than the transform it shadows. A value
 * whose outcome differs (sent in clear, sent as a pseudonym, or not sent) is counted under its report path
 * in the map of what the shadow level would do with it. Paths are those of the rules that decide: a key
 * no rule names is written `*`, since keys are data too.
 */
import type { JsonValue } from '../json/types';
import { rootStateOf } from './compile';
import { ACT_ALLOW, ACT_HASH, ACT_UNKNOWN, type State } from './states';
import type { Endpoint, PathCounts } from './types';

/** What the shadow level would have done differently: `sent` in clear, `hashed`, or `dropped` (not sent). */
export interface ShadowDifference {
  level: 1 | 2;
  sent: PathCounts;
  hashed: PathCounts;
  dropped: PathCounts;
}

const CLEAR = 0;
const HASHED = 1;
const NONE = 2;
type Outcome = typeof CLEAR | typeof HASHED | typeof NONE;

function outcome(state: State, value: JsonValue): Outcome {
  if (state.action === ACT_ALLOW) return CLEAR;
  if (state.action === ACT_HASH) return typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' ? HASHED : NONE;
  return NONE;
}

function count(counts: Map<string, number>, path: string): void {
  counts.set(path, (counts.get(path) ?? 0) + 1);
}

function toPathCounts(counts: Map<string, number>): PathCounts {
  const out: PathCounts = {};
  for (const [path, n] of counts) Object.defineProperty(out, path, { value: n, enumerable: true, writable: true, configurable: true });
  return out;
}

/**
 * Whether anything at or below this pair of states can come out differently at the two levels: a subtree
 * where every rule has one action at both levels is skipped whole. Computed once per state (its partner
 * in the other level's tree is fixed by the trie). Discriminators are resolved per element at run time,
 * so a state that has some is always entered.
 */
const differs = new WeakMap<State, boolean>();

function mayDiffer(a: State, b: State): boolean {
  const known = differs.get(a);
  if (known !== undefined) return known;
  let result = a.action !== b.action;
  if (!result && a.enter) {
    result = a.discriminators !== null
      || (a.otherKey !== null && mayDiffer(a.otherKey, b.otherKey!))
      || (a.element !== null && mayDiffer(a.element, b.element!));
    if (!result && a.keyed !== null) {
      for (const [key, child] of a.keyed) {
        if (mayDiffer(child, b.keyed!.get(key)!)) { result = true; break; }
      }
    }
  }
  differs.set(a, result);
  return result;
}

/**
 * Per object state, the members worth a look for the last key set seen (array elements nearly always
 * share theirs, as member-plan.ts notes): each one's pair of states, and only those that may differ.
 */
interface PairPlan { keys: readonly string[]; active: readonly number[]; a: readonly State[]; b: readonly State[] }
const plans = new WeakMap<State, PairPlan>();

function pairPlan(a: State, b: State, keys: readonly string[]): PairPlan {
  const last = plans.get(a);
  if (last !== undefined && last.keys.length === keys.length && last.keys.every((k, i) => k === keys[i])) return last;
  const as: State[] = [];
  const bs: State[] = [];
  const active: number[] = [];
  keys.forEach((k, i) => {
    const ca = a.keyed?.get(k) ?? a.otherKey!;
    const cb = b.keyed?.get(k) ?? b.otherKey!;
    as.push(ca);
    bs.push(cb);
    if (mayDiffer(ca, cb)) active.push(i);
  });
  const plan = { keys, active, a: as, b: bs };
  plans.set(a, plan);
  return plan;
}

/**
 * Compares the enforced level with the shadow level on one body (the parsed input, as the transform got
 * it). Level 0 has no rules: there is nothing to compare.
 */
export function shadowDifference(endpoint: Endpoint, enforced: 1 | 2, shadow: 1 | 2, body: JsonValue): ShadowDifference {
  const sent = new Map<string, number>();
  const hashed = new Map<string, number>();
  const dropped = new Map<string, number>();
  const into = [sent, hashed, dropped] as const;

  const visit = (a: State, b: State, value: JsonValue, parent: State): void => {
    if (!mayDiffer(a, b)) return;
    if (a.enter && typeof value === 'object') {
      if (value !== null) {
        if (Array.isArray(value)) {
          const selective = a.discriminators !== null;
          for (const element of value) {
            visit(selective ? a.elementState(element) : a.element!, selective ? b.elementState(element) : b.element!, element, a);
          }
        } else {
          const keys = Object.keys(value);
          const plan = pairPlan(a, b, keys);
          for (const i of plan.active) visit(plan.a[i]!, plan.b[i]!, value[keys[i]!]!, a);
        }
        return;
      }
      // apply.ts: a null where rules name members passes unreported at both levels.
      if (a.action === ACT_UNKNOWN) return;
    }
    if (a.action === b.action) return;
    const was = outcome(a, value);
    const would = outcome(b, value);
    // Never a key no rule names (the actions differ, so a rule decides this value: its path, or `*`).
    if (was !== would) count(into[would], a.path ?? `${parent.prefix}*`);
  };

  const rootA = rootStateOf(endpoint.compiled[enforced]);
  const rootB = rootStateOf(endpoint.compiled[shadow]);
  if (enforced !== shadow && typeof body === 'object' && body !== null && !Array.isArray(body)) visit(rootA, rootB, body, rootA);
  return { level: shadow, sent: toPathCounts(sent), hashed: toPathCounts(hashed), dropped: toPathCounts(dropped) };
}
