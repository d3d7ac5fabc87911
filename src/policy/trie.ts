/**
 * The rules of one endpoint as a trie over path segments: per node a map of literal keys, a list of
 * discriminators, and the two wildcards. Built once at load; compile.ts turns it into the states the
 * hot path walks.
 */
import type { CompiledRule } from './compiled-rule';
import { formatKey, type PathSegment } from './paths';

/** How specific a segment is; lower wins at equal depth (literal > discriminator > wildcard). */
export const SPECIFICITY = { literal: 0, discriminator: 1, wildcard: 2 } as const;
type Specificity = (typeof SPECIFICITY)[keyof typeof SPECIFICITY];

export interface MatchEdge { field: string; value: string; node: TrieNode }

export class TrieNode {
  /** The rule whose path ends here, if any. */
  rule: CompiledRule | null = null;
  readonly keys = new Map<string, TrieNode>();
  anyKey: TrieNode | null = null;
  anyIndex: TrieNode | null = null;
  readonly matches: MatchEdge[] = [];

  /**
   * @param rank specificity of each segment from the root, compared left to right
   * @param order creation order, which breaks ties between equally specific nodes (the earlier rule wins)
   * @param keyText this node's key as a report path writes it (literal key nodes only)
   */
  constructor(readonly rank: readonly Specificity[], readonly order: number, readonly keyText: string) {}

  get hasChildren(): boolean {
    return this.keys.size > 0 || this.anyKey !== null || this.anyIndex !== null || this.matches.length > 0;
  }

  private lets: Partial<Record<1 | 2, boolean>> = {};

  /** Whether a rule below this node lets anything out at `level` (an action other than drop). */
  descendantLetsOut(level: 1 | 2): boolean {
    const known = this.lets[level];
    if (known !== undefined) return known;
    const children = [...this.keys.values(), ...(this.anyKey ? [this.anyKey] : []), ...(this.anyIndex ? [this.anyIndex] : []), ...this.matches.map((m) => m.node)];
    const result = children.some((c) => (c.rule !== null && c.rule.actions[level] !== 'drop') || c.descendantLetsOut(level));
    this.lets[level] = result;
    return result;
  }
}

export interface TrieRule { segments: readonly PathSegment[]; rule: CompiledRule }

export function buildTrie(rules: readonly TrieRule[]): TrieNode {
  let created = 0;
  const root = new TrieNode([], created++, '');
  const child = (parent: TrieNode, segment: PathSegment): TrieNode => {
    switch (segment.kind) {
      case 'key': {
        let node = parent.keys.get(segment.name);
        if (!node) {
          node = new TrieNode([...parent.rank, SPECIFICITY.literal], created++, formatKey(segment.name));
          parent.keys.set(segment.name, node);
        }
        return node;
      }
      case 'any-key':
        return (parent.anyKey ??= new TrieNode([...parent.rank, SPECIFICITY.wildcard], created++, '*'));
      case 'any-index':
        return (parent.anyIndex ??= new TrieNode([...parent.rank, SPECIFICITY.wildcard], created++, ''));
      case 'match': {
        let edge = parent.matches.find((m) => m.field === segment.field && m.value === segment.value);
        if (!edge) {
          edge = { field: segment.field, value: segment.value,
            node: new TrieNode([...parent.rank, SPECIFICITY.discriminator], created++, '') };
          parent.matches.push(edge);
        }
        return edge.node;
      }
    }
  };
  for (const r of rules) {
    let node = root;
    for (const segment of r.segments) node = child(node, segment);
    node.rule = r.rule;
  }
  return root;
}

/** Orders the nodes that match one value: the most specific first. */
export function compareSpecificity(a: TrieNode, b: TrieNode): number {
  const n = Math.min(a.rank.length, b.rank.length);
  for (let i = 0; i < n; i++) {
    const d = a.rank[i]! - b.rank[i]!;
    if (d !== 0) return d;
  }
  return a.rank.length - b.rank.length || a.order - b.order;
}
