/**
 * The shadow level (`vendors.<v>.shadow_level`): while one level is enforced, what another level would
 * have sent differently, path by path, with counts and never a value. The gateway records it in the
 * egress record (`shadow`), so a team can switch levels knowing exactly what changes.
 *
 * One walk over the parsed body drives the enforced and the shadow level's states side by side. The two
 * levels' trees need not have one shape: a secret rule, a dropped container or a subtree allow can make
 * one level decide a whole container that the other enters member by member. So each side is either a
 * state, a subtree allowed whole that the detectors still scan, or the fate an ancestor gave its whole
 * value; a value is compared where neither side goes into it, by the very checks the transform makes
 * (apply.ts `fateOf`: constraints, shapes, detectors, hashability).
 * Nothing is hashed and no body is built. A value whose fate differs (sent in clear, sent as a pseudonym,
 * or not sent) is counted under its report path in the map of what the shadow level would do with it.
 * Paths are those of the rules that decide: a key no rule names is written `*`, since keys are data too.
 */
import type { JsonObject, JsonValue } from '../json/types';
import { FATE_REMOVED, FATE_SENT, fateOf, type Fate } from './apply';
import { rootStateOf } from './compile';
import { detect } from './detectors';
import { memberPlan } from './member-plan';
import { ACT_UNKNOWN, State } from './states';
import type { Endpoint, PathCounts } from './types';

/** What the shadow level would have done differently: `sent` in clear, `hashed`, or `dropped` (not sent). */
export interface ShadowDifference {
  level: 1 | 2;
  sent: PathCounts;
  hashed: PathCounts;
  dropped: PathCounts;
}

/** An allowed subtree passed whole, whose strings and keys the detectors of `mask` still scan (apply.ts). */
class Scan {
  constructor(readonly mask: number) {}
}
const scans = new Map<number, Scan>();
const scanOf = (mask: number): Scan => {
  let scan = scans.get(mask);
  if (scan === undefined) scans.set(mask, (scan = new Scan(mask)));
  return scan;
};

/**
 * A level's view of one value: the state that decides it, a scanned subtree it lies in, or the fate an
 * ancestor gave the whole of it.
 */
type Side = State | Scan | Fate;

/** What a side does with this value: goes into it (a state entering it, a scan over a container), or decides it whole. */
function resolve(side: Side, value: JsonValue): Side {
  const container = typeof value === 'object' && value !== null;
  if (side instanceof State) {
    if (side.enter && container) return side;
    // As apply.ts: a null where rules name members passes unreported (an empty collection, as Go encodes one).
    if (side.enter && value === null && side.action === ACT_UNKNOWN) return FATE_SENT;
    const fate = fateOf(side, value);
    return fate === FATE_SENT && container && side.scan !== 0 ? scanOf(side.scan) : fate;
  }
  if (side instanceof Scan) {
    if (container) return side;
    return typeof value === 'string' && detect(value, side.mask) !== null ? FATE_REMOVED : FATE_SENT;
  }
  return side;
}

function count(counts: Map<string, number>, path: string): void {
  counts.set(path, (counts.get(path) ?? 0) + 1);
}

function toPathCounts(counts: Map<string, number>): PathCounts {
  const out: PathCounts = {};
  for (const [path, n] of counts) Object.defineProperty(out, path, { value: n, enumerable: true, writable: true, configurable: true });
  return out;
}

/** Each member's side under a side that goes into an object. */
function membersOf(side: Side, obj: JsonObject, keys: readonly string[]): readonly Side[] {
  if (side instanceof State) {
    side.build();
    const plan = memberPlan(side, keys);
    // A key that fails the wildcard's constraint or a detector keeps its member from leaving at all.
    return plan.children.map((child, i) => (plan.verdicts?.[i] ? FATE_REMOVED : child));
  }
  // In a scanned subtree, a key a detector finds removes its member (apply.ts scanSubtree).
  if (side instanceof Scan) return keys.map((k) => (detect(k, side.mask) !== null ? FATE_REMOVED : side));
  return keys.map(() => side);
}

/** An element's side under a side that goes into an array. */
function elementOf(side: Side, element: JsonValue): Side {
  if (!(side instanceof State)) return side;
  side.build();
  return side.discriminators !== null ? side.elementState(element) : side.element!;
}

/**
 * Compares the enforced level with the shadow level on one body (the parsed input, as the transform got
 * it). Level 0 has no rules: there is nothing to compare.
 */
export function shadowDifference(endpoint: Endpoint, enforced: 1 | 2, shadow: 1 | 2, body: JsonValue): ShadowDifference {
  const into = [new Map<string, number>(), new Map<string, number>(), new Map<string, number>()] as const;

  const visit = (a: Side, b: Side, value: JsonValue, path: string): void => {
    const ra = resolve(a, value);
    const rb = resolve(b, value);
    if (typeof ra === 'number' && typeof rb === 'number') {
      if (ra !== rb) count(into[rb], path);
      return;
    }
    // One side at least goes into the value; a side that decided it whole gives each member its fate.
    const named = ra instanceof State ? ra : rb instanceof State ? rb : undefined;
    const pathOf = (ca: Side, cb: Side, fallback: string): string =>
      (ca instanceof State && ca.path !== null ? ca.path : cb instanceof State && cb.path !== null ? cb.path : fallback);
    if (Array.isArray(value)) {
      for (const element of value) {
        const ca = elementOf(ra, element);
        const cb = elementOf(rb, element);
        visit(ca, cb, element, pathOf(ca, cb, `${path === '' ? '$' : path}[*]`));
      }
      return;
    }
    const obj = value as JsonObject;
    const keys = Object.keys(obj);
    const as = membersOf(ra, obj, keys);
    const bs = membersOf(rb, obj, keys);
    const prefix = named?.prefix ?? `${path}.`;
    for (let i = 0; i < keys.length; i++) visit(as[i]!, bs[i]!, obj[keys[i]!]!, pathOf(as[i]!, bs[i]!, `${prefix}*`));
  };

  if (enforced !== shadow && typeof body === 'object' && body !== null && !Array.isArray(body)) {
    visit(rootStateOf(endpoint.compiled[enforced]), rootStateOf(endpoint.compiled[shadow]), body, '');
  }
  const [sent, hashed, dropped] = into;
  return { level: shadow, sent: toPathCounts(sent), hashed: toPathCounts(hashed), dropped: toPathCounts(dropped) };
}
