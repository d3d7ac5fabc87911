/**
 * The compiled matcher: a tree of states, one for each distinct way a body path can meet the rules.
 *
 * Several rules can match one value (`a.*.c` and `*.b.c` both match `a.b.c`), so a state stands for the
 * set of trie nodes matching a path, ranked most specific first, together with the action inherited from
 * the nearest ancestor that had a rule. From that the state knows, once and for all, the value's effective
 * action, whether the value must be entered (a rule names something inside it), its report path, and its
 * transitions: per literal key, for any other key, and for array elements. Only transitions that depend on
 * an element's data (discriminators) are resolved at run time, and memoised.
 */
import { formatKey } from './paths';
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

export class State {
  /** The effective action on the value here (deeper rule beats ancestor; most specific node first). */
  readonly action: ActionCode;
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

  /**
   * @param nodes the trie nodes matching this path, most specific first
   * @param path the report path, or null when it is the parent's prefix plus the member's own key
   */
  constructor(
    private readonly nodes: readonly TrieNode[],
    inherited: ActionCode,
    readonly path: string | null,
    private readonly level: 1 | 2,
  ) {
    let action = inherited;
    for (const n of nodes) {
      if (n.actions) {
        action = ACTION_CODES[n.actions[level]];
        break;
      }
    }
    this.action = action;
    // The root is always entered: its members are decided one by one even when no rule names any.
    this.enter = path === '' || nodes.some((n) => n.hasChildren);
    this.prefix = path === null || path === '' ? '' : `${path}.`;
  }

  /** Builds every data-independent transition below this state, depth first. */
  build(): this {
    if (!this.enter) return this;
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
        this.keyed.set(key, this.child([...children, ...anyKeys], `${this.prefix}${formatKey(key)}`));
      }
    }
    // A key no literal names: reported as `*` where a wildcard covers it, else under its own name.
    this.otherKey = this.child(anyKeys, anyKeys.length > 0 ? `${this.prefix}*` : null);
    const elementPath = `${path === '' ? '$' : path}[*]`;
    this.element = this.child(this.nodes.flatMap((n) => (n.anyIndex ? [n.anyIndex] : [])), elementPath);
    const discriminators = this.nodes.flatMap((n) => n.matches);
    if (discriminators.length > 0) this.discriminators = discriminators;
    return this;
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
      state = this.child(nodes, this.element!.path);
      const memo = (this.combinations ??= new Map());
      if (memoisable && memo.size < MAX_MEMOISED_COMBINATIONS) memo.set(mask, state);
    }
    return state;
  }

  private child(nodes: TrieNode[], path: string | null): State {
    nodes.sort(compareSpecificity);
    return new State(nodes, this.action, path, this.level).build();
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

export function rootState(root: TrieNode, level: 1 | 2): State {
  return new State([root], ACT_UNKNOWN, '', level).build();
}
