/**
 * Compiles one endpoint's validated rules, once per level, into the matcher the hot path walks. After
 * this, applying a policy reads no YAML and interprets no path text.
 */
import type { JsonValue } from '../json/types';
import { applyStates } from './apply';
import { rootState, type State } from './states';
import { traceStates } from './trace';
import { buildTrie } from './trie';
import type { CompiledRules, FieldChange, Pseudonymizer, TransformResult } from './types';
import type { ValidatedRule } from './validate';

class CompiledEndpointRules implements CompiledRules {
  constructor(readonly level: 1 | 2, readonly root: State) {}

  apply(body: JsonValue, pseudonymizer: Pseudonymizer): TransformResult {
    return applyStates(this.root, body, pseudonymizer);
  }

  trace(body: JsonValue, pseudonymizer: Pseudonymizer): FieldChange[] {
    return traceStates(this.root, body, pseudonymizer);
  }
}

/**
 * The state tree behind compiled rules, for the walks inside this module that read decisions without
 * building a body (shadow level, replay, scaffold coverage).
 */
export function rootStateOf(rules: CompiledRules): State {
  if (!(rules instanceof CompiledEndpointRules)) throw new Error('rules not compiled by compileRules');
  return rules.root;
}

export function compileRules(rules: readonly ValidatedRule[]): Readonly<Record<1 | 2, CompiledRules>> {
  const trie = buildTrie(rules);
  return {
    1: new CompiledEndpointRules(1, rootState(trie, 1)),
    2: new CompiledEndpointRules(2, rootState(trie, 2)),
  };
}
