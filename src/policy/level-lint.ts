/**
 * The level lint of `telegate policy check`: level 1 (anonymous) must send nothing that level 2 (vendor
 * default) does not, for every value of every endpoint (SPEC §1: 1 is a subset of 2).
 *
 * Ordered by what leaves, drop < hash < allow: a pseudonym is less than the value in clear, and more than
 * nothing. So `{1: hash, 2: drop}` sends at level 1 a pseudonym level 2 does not send, and
 * `{1: allow, 2: hash}` sends in clear what level 2 only sends hashed; both are violations.
 *
 * Why checking each rule is a proof for every value: the engine decides a value by one trie node, the most
 * specific one matching its path (or, with none, its nearest ancestor's), and which node that is depends on
 * the paths alone (specificity, discriminators and the element's data), never on the level; the level only
 * picks which of that rule's two actions applies. Whether a container is entered depends on the trie too,
 * so the same containers are rebuilt at both levels. Hence a value's actions at levels 1 and 2 are always
 * the two actions of one rule, and 1 ⊆ 2 holds for every value exactly when it holds for every rule that
 * decides some value. (A rule can only fail to decide any value when more specific rules cover every path
 * it matches; it is still reported: the next edit of those rules would expose it.) A property test holds
 * this to the transforms themselves.
 */
import { policyError } from './errors';
import type { Action, PolicyError, PolicySet, RuleSource } from './types';

const RANK: Record<Action, number> = { drop: 0, hash: 1, allow: 2 };

const SENDS: Record<Action, string> = { drop: 'drops it', hash: 'sends its pseudonym', allow: 'sends it in clear' };

/** Every rule whose level 1 sends more than its level 2, at the level-1 action, naming where level 2 is. */
export function lintLevels(set: PolicySet): PolicyError[] {
  const errors: PolicyError[] = [];
  for (const policy of set.policies.values()) {
    for (const endpoint of policy.endpoints.values()) {
      for (const rule of endpoint.rules) {
        const violation = levelViolation(rule);
        if (violation) errors.push(violation);
      }
    }
  }
  return errors;
}

export function levelViolation(rule: RuleSource): PolicyError | undefined {
  const one = rule.actions[1];
  const two = rule.actions[2];
  if (RANK[one] <= RANK[two]) return undefined;
  const at1 = rule.actionPositions?.[1] ?? rule.position;
  const at2 = rule.actionPositions?.[2] ?? rule.position;
  return policyError('level-order', at1,
    `${rule.path}: level 1 ${SENDS[one]} (${one}, here) but level 2 ${SENDS[two]} (${two} at ${at2.file}:${at2.line}:${at2.column}): ` +
    'level 1 (anonymous) must send nothing that level 2 does not', rule.path);
}
