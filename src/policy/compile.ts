/**
 * Compiles one endpoint's validated rules, once per level, into the matcher the hot path walks. After
 * this, applying a policy reads no YAML and interprets no path text or pattern.
 */
import type { JsonValue } from '../json/types';
import { applyStates } from './apply';
import { compiledRule, vendorScan } from './compiled-rule';
import { secretStart } from './secret-paths';
import { rootState, type State } from './states';
import { traceStates } from './trace';
import { buildTrie } from './trie';
import type { CompiledRules, FieldChange, Pseudonymizer, TransformResult, VendorDetectors } from './types';
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

export const NO_VENDOR_DETECTORS: VendorDetectors = { skip: [], level2: [] };

export function compileRules(rules: readonly ValidatedRule[], detectors: VendorDetectors = NO_VENDOR_DETECTORS): Readonly<Record<1 | 2, CompiledRules>> {
  const scan = vendorScan(detectors);
  const trie = buildTrie(rules.map((r) => ({ segments: r.path.segments, rule: compiledRule(r.source, r.check, r.keyCheck, scan) })));
  // Secret rules that drop at a level hold at that level in any spelling and shape (secret-paths.ts).
  const secrets = (level: 1 | 2) => secretStart(rules
    .filter((r) => r.source.category === 'secret' && r.source.actions[level] === 'drop')
    .map((r) => r.path.segments));
  return {
    1: new CompiledEndpointRules(1, rootState(trie, 1, scan[1], secrets(1))),
    2: new CompiledEndpointRules(2, rootState(trie, 2, scan[2], secrets(2))),
  };
}
