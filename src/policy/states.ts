/**
 * The compiled matcher: a tree of states, one for each distinct way a body path can meet the rules.
 *
 * Several rules can match one value (`a.*.c` and `*.b.c` both match `a.b.c`), so a state stands for the
 * set of trie nodes matching a path, ranked most specific first, together with what it inherits from the
 * nearest ancestor that had a rule (its action, whether it passes subtrees, its detectors). From that the
 * state knows, once and for all, the value's effective action, its own rule's constraint, whether the
 * value must be entered (a rule names something inside it), its report path, and its transitions: per
 * literal key, for any other key, and for array elements. Only transitions that depend on an element's
 * data (discriminators) or on a key's spelling (secret-paths.ts) are resolved at run time, and memoised.
 */
import type { KeyCheck, ValueCheck } from './constraints';
import { formatKey } from './paths';
import { foldKey, goesOn, isFinal, namedKeys, stepIndex, stepKey, type SecretSet } from './secret-paths';
import { compareSpecificity, type MatchEdge, type TrieNode } from './trie';
import type { JsonValue } from '../json/types';
import type { MemberPlan } from './member-plan';

export const ACT_UNKNOWN = 0;
export const ACT_ALLOW = 1;
export const ACT_HASH = 2;
export const ACT_DROP = 3;
export type ActionCode = typeof ACT_UNKNOWN | typeof ACT_ALLOW | typeof ACT_HASH | typeof ACT_DROP;

const ACTION_CODES = { allow: ACT_ALLOW, hash: ACT_HASH, drop: ACT_DROP } as const;

/** Beyond this many memoised discriminator outcomes per state, outcomes are computed each time. */
const MAX_MEMOISED_COMBINATIONS = 1024;

/** What a state hands down to the values below it that no rule of their own names. */
export interface Inherited { action: ActionCode; subtree: boolean; scan: number }

export class State {
  /** The effective action on the value here (deeper rule beats ancestor; most specific node first). */
  readonly action: ActionCode;
  /** `allow` passes a container here whole (the governing rule says `subtree: true`). */
  readonly subtree: boolean;
  /** Detector bits run on strings that leave as sent below here (members, keys, subtrees). */
  readonly scan: number;
  /** Detector bits run on this value itself: 0 where its own rule's constraint admits only clean values. */
  readonly valueScan: number;
  /** The value constraint of this state's own rule (never inherited: constraints describe one field). */
  readonly check: ValueCheck | null;
  readonly invalidHash: boolean;
  /** For the state of keys no literal names: the wildcards' `keys:` constraints the key must meet. */
  readonly keyChecks: readonly KeyCheck[] | null;
  /** A secret rule matches this path in some spelling or shape: dropped, whatever the other rules say. */
  readonly secretDrop: boolean;
  /** A rule names something inside the value: build a new container and decide member by member. */
  readonly enter: boolean;
  /** Report path prefix for members reported by their own key (`a[*].` ; `` at the root). */
  readonly prefix: string;
  keyed: Map<string, State> | null = null;
  otherKey: State | null = null;
  element: State | null = null;
  discriminators: readonly MatchEdge[] | null = null;
  /** The member plan for the last key set an object here had (member-plan.ts). */
  lastPlan: MemberPlan | null = null;
  private combinations: Map<number, State> | null = null;
  /** Folded keys a secret rule names below here, and the states of members spelling one. */
  private secretNames: ReadonlySet<string> | null = null;
  private bySecretName: Map<string, State> | null = null;
  /** Transitions built. A state entered only because a secret path may run through it is built on first use:
   * its element state has the same secret set again (arrays are transparent), so building it eagerly would not end. */
  private built = false;

  /**
   * @param nodes the trie nodes matching this path, most specific first
   * @param path the report path, or null when it is the parent's prefix plus the member's own key
   * @param secrets the secret-path NFA nodes this path reached (null: none)
   */
  constructor(
    private readonly nodes: readonly TrieNode[],
    private readonly inherited: Inherited,
    readonly path: string | null,
    private readonly level: 1 | 2,
    private readonly secrets: SecretSet | null,
    keyedByWildcard: boolean,
  ) {
    const own = nodes.find((n) => n.rule !== null)?.rule ?? null;
    this.secretDrop = isFinal(secrets);
    this.action = this.secretDrop ? ACT_DROP : own ? ACTION_CODES[own.actions[level]] : inherited.action;
    this.subtree = own ? own.subtree : inherited.subtree;
    this.scan = own ? own.scan[level] : inherited.scan;
    this.valueScan = own ? own.valueScan[level] : inherited.scan;
    this.check = own?.check ?? null;
    this.invalidHash = own?.invalidHash ?? false;
    const keyChecks = keyedByWildcard ? nodes.flatMap((n) => (n.rule?.keyCheck ? [n.rule.keyCheck] : [])) : [];
    this.keyChecks = keyChecks.length > 0 ? keyChecks : null;
    // The root is always entered: its members are decided one by one even when no rule names any. A
    // subtree that a secret path could run through is entered too, so that the secret is found.
    // A dropped container whose inner rules all drop at this level too is removed whole, reported once:
    // entering it would only leave its empty shell and, for a map, its keys.
    const inner = this.action === ACT_DROP ? nodes.some((n) => n.descendantLetsOut(level)) : nodes.some((n) => n.hasChildren);
    this.enter = !this.secretDrop && (path === '' || inner || (this.action === ACT_ALLOW && this.subtree && goesOn(secrets)));
    this.prefix = path === null || path === '' ? '' : `${path}.`;
  }

  /** Builds every data-independent transition below this state, depth first (lazily below subtrees: see `built`). */
  build(): this {
    if (this.built || !this.enter) return this;
    this.built = true;
    const path = this.path ?? '';
    const anyKeys = this.nodes.flatMap((n) => (n.anyKey ? [n.anyKey] : []));
    const literal = new Map<string, TrieNode[]>();
    for (const n of this.nodes) {
      for (const [key, child] of n.keys) {
        const list = literal.get(key);
        if (list) list.push(child); else literal.set(key, [child]);
      }
    }
    if (literal.size > 0) {
      this.keyed = new Map();
      for (const [key, children] of literal) {
        this.keyed.set(key, this.child([...children, ...anyKeys], `${this.prefix}${formatKey(key)}`, stepKey(this.secrets, foldKey(key)), false));
      }
    }
    // A key no literal names: reported as `*` where a wildcard covers it, else by its keyed tag.
    this.otherKey = this.child(anyKeys, anyKeys.length > 0 ? `${this.prefix}*` : null, stepKey(this.secrets, undefined), true);
    this.secretNames = namedKeys(this.secrets);
    const elementPath = `${path === '' ? '$' : path}[*]`;
    this.element = this.child(this.nodes.flatMap((n) => (n.anyIndex ? [n.anyIndex] : [])), elementPath, stepIndex(this.secrets), false);
    const discriminators = this.nodes.flatMap((n) => n.matches);
    if (discriminators.length > 0) this.discriminators = discriminators;
    return this;
  }

  /** The state of a member no literal key names: the wildcard one, unless the key spells a secret's. */
  otherFor(key: string): State {
    const names = this.secretNames;
    if (names === null) return this.otherKey!;
    const folded = foldKey(key);
    if (!names.has(folded)) return this.otherKey!;
    let state = this.bySecretName?.get(folded);
    if (state === undefined) {
      const other = this.otherKey!;
      state = this.child([...other.nodes], other.path, stepKey(this.secrets, folded), true);
      (this.bySecretName ??= new Map()).set(folded, state);
    }
    return state;
  }

  /** The state of one array element: the default one unless a discriminator selects the element. */
  elementState(value: JsonValue): State {
    const discriminators = this.discriminators!;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return this.element!;
    let mask = 0;
    for (let i = 0; i < discriminators.length; i++) {
      if (sameText(value[discriminators[i]!.field], discriminators[i]!.value)) mask += 2 ** i;
    }
    if (mask === 0) return this.element!;
    const memoisable = discriminators.length <= 52;
    let state = memoisable ? this.combinations?.get(mask) : undefined;
    if (state === undefined) {
      const nodes: TrieNode[] = this.nodes.flatMap((n) => (n.anyIndex ? [n.anyIndex] : []));
      for (const d of discriminators) if (sameText(value[d.field], d.value)) nodes.push(d.node);
      state = this.child(nodes, this.element!.path, stepIndex(this.secrets), false);
      const memo = (this.combinations ??= new Map());
      if (memoisable && memo.size < MAX_MEMOISED_COMBINATIONS) memo.set(mask, state);
    }
    return state;
  }

  private child(nodes: TrieNode[], path: string | null, secrets: SecretSet | null, keyedByWildcard: boolean): State {
    nodes.sort(compareSpecificity);
    const inherited: Inherited = { action: this.action, subtree: this.subtree, scan: this.scan };
    const state = new State(nodes, inherited, path, this.level, secrets, keyedByWildcard);
    return nodes.some((n) => n.hasChildren) ? state.build() : state;
  }
}

/** Discriminator values are compared by their text: `[id=7]` selects both 7 and "7". */
function sameText(v: JsonValue | undefined, text: string): boolean {
  switch (typeof v) {
    case 'string': return v === text;
    case 'number':
    case 'bigint': return String(v) === text;
    case 'boolean': return (v ? 'true' : 'false') === text;
    default: return false;
  }
}

export function rootState(root: TrieNode, level: 1 | 2, scan: number, secrets: SecretSet | null): State {
  return new State([root], { action: ACT_UNKNOWN, subtree: false, scan }, '', level, secrets, false).build();
}
