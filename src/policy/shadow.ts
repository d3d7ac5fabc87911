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
 * Compares the enforced level with the shadow level on one body (the parsed input, as the transform got
 * it). Level 0 has no rules: there is nothing to compare.
 */
export function shadowDifference(endpoint: Endpoint, enforced: 1 | 2, shadow: 1 | 2, body: JsonValue): ShadowDifference {
  const sent = new Map<string, number>();
  const hashed = new Map<string, number>();
  const dropped = new Map<string, number>();
  const into = [sent, hashed, dropped] as const;

  const visit = (a: State, b: State, value: JsonValue, parent: State): void => {
    if (a.enter && typeof value === 'object') {
      if (value !== null) {
        if (Array.isArray(value)) {
          const selective = a.discriminators !== null;
          for (const element of value) {
            visit(selective ? a.elementState(element) : a.element!, selective ? b.elementState(element) : b.element!, element, a);
          }
        } else {
          for (const k of Object.keys(value)) visit(a.keyed?.get(k) ?? a.otherKey!, b.keyed?.get(k) ?? b.otherKey!, value[k]!, a);
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
  if (enforced !== shadow && typeof body === 'object' && body !== null && !Array.isArray(body)) {
    for (const k of Object.keys(body)) visit(rootA.keyed?.get(k) ?? rootA.otherKey!, rootB.keyed?.get(k) ?? rootB.otherKey!, body[k]!, rootA);
  }
  return { level: shadow, sent: toPathCounts(sent), hashed: toPathCounts(hashed), dropped: toPathCounts(dropped) };
}
