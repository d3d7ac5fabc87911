/**
 * Secret rules in any spelling and any shape. A rule of category `secret` that drops at a level also
 * drops, at that level, every value whose path spells the rule's keys in another letter case (Go's
 * encoding/json, which Coder's receiver uses, matches keys case-insensitively) or meets them through
 * another container shape: an array where an object was (`oidc: [{client_secret}]`), an object where an
 * array was (`providers: {"x": {key}}`), or a single object where an array of them was.
 *
 * The rules become one small NFA over body steps: a key step compares folded keys, `*` takes any key,
 * `[*]` (and a discriminator) takes an element, any key, or nothing, and any node takes an array element
 * and stays. states.ts keeps the set of NFA nodes each state stands for, so the hot path pays nothing on
 * paths no secret rule could reach.
 */
import type { PathSegment } from './paths';

/**
 * A key as Go's encoding/json compares it (fold.go, `foldName`): ASCII letters without case, the
 * Kelvin sign as k, the long s as s; other letters by their lower case, which folds at least as much.
 */
export function foldKey(key: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(key)) return key.toLowerCase();
  return key.toLowerCase().replace(/\u017f/g, 's').replace(/\u212a/g, 'k');
}

export class SecretNode {
  readonly keys = new Map<string, SecretNode[]>();
  readonly anyKey: SecretNode[] = [];
  readonly anyIndex: SecretNode[] = [this];
  readonly skip: SecretNode[] = [];
  final = false;
}

/** A set of NFA nodes, closed under skips; shared and compared by identity of its members. */
export type SecretSet = readonly SecretNode[];

function close(nodes: Iterable<SecretNode>): SecretSet {
  const out = new Set<SecretNode>();
  const stack = [...nodes];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (out.has(n)) continue;
    out.add(n);
    stack.push(...n.skip);
  }
  return [...out];
}

/** The start set for the secret rules' paths (null when there are none). */
export function secretStart(paths: readonly (readonly PathSegment[])[]): SecretSet | null {
  if (paths.length === 0) return null;
  const starts: SecretNode[] = [];
  for (const segments of paths) {
    let node = new SecretNode();
    starts.push(node);
    for (const s of segments) {
      const next = new SecretNode();
      switch (s.kind) {
        case 'key': {
          const name = foldKey(s.name);
          const list = node.keys.get(name);
          if (list) list.push(next); else node.keys.set(name, [next]);
          break;
        }
        case 'any-key':
          node.anyKey.push(next);
          break;
        case 'any-index':
        case 'match':
          node.anyIndex.push(next);
          node.anyKey.push(next);
          node.skip.push(next);
      }
      node = next;
    }
    node.final = true;
  }
  return close(starts);
}

export function isFinal(set: SecretSet | null): boolean {
  return set !== null && set.some((n) => n.final);
}

/** Whether any member key or element could still lead to a secret path. */
export function goesOn(set: SecretSet | null): boolean {
  return set !== null && set.some((n) => n.keys.size > 0 || n.anyKey.length > 0 || n.anyIndex.length > 1);
}

/** After an object member whose key folds to `folded` (undefined: a key no secret step names). */
export function stepKey(set: SecretSet | null, folded: string | undefined): SecretSet | null {
  if (set === null) return null;
  const next: SecretNode[] = [];
  for (const n of set) {
    next.push(...n.anyKey);
    if (folded !== undefined) next.push(...(n.keys.get(folded) ?? []));
  }
  return next.length === 0 ? null : close(next);
}

/** After an array element. */
export function stepIndex(set: SecretSet | null): SecretSet | null {
  if (set === null) return null;
  const next: SecretNode[] = [];
  for (const n of set) next.push(...n.anyIndex);
  // Only the self-loops: no secret path goes on through an element here.
  return next.length === 0 || !goesOnOrFinal(next) ? null : close(next);
}

function goesOnOrFinal(nodes: readonly SecretNode[]): boolean {
  return nodes.some((n) => n.final || n.keys.size > 0 || n.anyKey.length > 0 || n.anyIndex.length > 1);
}

/** The folded keys some node of the set steps on by name: only these keys need a look of their own. */
export function namedKeys(set: SecretSet | null): ReadonlySet<string> | null {
  if (set === null) return null;
  const names = new Set<string>();
  for (const n of set) for (const k of n.keys.keys()) names.add(k);
  return names.size === 0 ? null : names;
}
