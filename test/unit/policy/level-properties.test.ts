/**
 * The two-level tools held to the transforms themselves, over random policies and bodies (fast-check):
 * - the level lint of `policy check` is sound: on a policy it passes, no value of any body leaves at
 *   level 1 in a form level 2 does not send (clear > pseudonym > nothing);
 * - the shadow level's difference names every value whose outcome differs between the two levels, in the
 *   map of what the shadow level would do with it, under a path that matches where the value is.
 * Outcomes are read from what the transform actually sent (the token in clear, or its pseudonym).
 */
import fc from 'fast-check';
import { NO_VENDOR_DETECTORS } from '../../../src/policy/compile';
import { lintLevels } from '../../../src/policy/level-lint';
import { parseFieldPath, type PathSegment } from '../../../src/policy/paths';
import { shadowDifference } from '../../../src/policy/shadow';
import type { JsonObject } from '../../../src/json/types';
import type { Endpoint, PolicySet } from '../../../src/policy/types';
import { fakePseudonym, fakePseudonymizer } from './support/fake-pseudonymizer';
import { bodyArb, policyArb, RUNS, tokenLeaves, variedBodyArb, variedPolicyArb, type GeneratedPolicy } from './support/random-policies';
import type { Step } from './support/reference-precedence';

type Outcome = 'clear' | 'hashed' | 'none';
const RANK: Record<Outcome, number> = { none: 0, hashed: 1, clear: 2 };

function endpointOf(policy: GeneratedPolicy): Endpoint {
  return { path: '/t', method: 'POST', localReply: { status: 202, body: '', contentType: 'text/plain' }, rules: policy.rules.map((r) => r.source), compiled: policy.compiled };
}

function setOf(policy: GeneratedPolicy): PolicySet {
  const endpoint = endpointOf(policy);
  return {
    policies: new Map([['acme', { vendor: 'acme', file: 'acme.yaml', digest: 'sha256:0', upstream: 'https://a.example', hosts: [], headers: [], headerRules: [], detectors: NO_VENDOR_DETECTORS, endpoints: new Map([['/t', endpoint]]) }]]),
    loadedAt: new Date(0),
    warnings: [],
  };
}

function outcomes(policy: GeneratedPolicy, level: 1 | 2, body: JsonObject): Map<string, Outcome> {
  const text = JSON.stringify(policy.compiled[level].apply(body, fakePseudonymizer).body);
  const out = new Map<string, Outcome>();
  for (const { token } of tokenLeaves(body)) {
    out.set(token, text.includes(JSON.stringify(token)) ? 'clear' : text.includes(fakePseudonym(token)) ? 'hashed' : 'none');
  }
  return out;
}

/** Whether a report path (`*` any key, `[*]` any element) names the place `steps` leads to, or an ancestor of it. */
function pathCovers(path: string, steps: readonly Step[]): boolean {
  const parsed = parseFieldPath(path);
  if (!parsed.ok) return false;
  const segments: readonly PathSegment[] = parsed.path.segments;
  if (segments.length > steps.length) return false;
  return segments.every((s, i) => {
    const step = steps[i]!;
    return 'key' in step ? s.kind === 'any-key' || (s.kind === 'key' && s.name === step.key) : s.kind === 'any-index';
  });
}

describe('the level lint', () => {
  test('passes a policy only if no value leaves at level 1 in a form level 2 does not send', () => {
    fc.assert(fc.property(policyArb, bodyArb, (policy, body) => {
      if (lintLevels(setOf(policy)).length > 0) return;
      const one = outcomes(policy, 1, body);
      const two = outcomes(policy, 2, body);
      for (const [token, o1] of one) expect([token, o1, two.get(token)]).toEqual([token, o1, RANK[o1] <= RANK[two.get(token)!] ? two.get(token) : 'a level-2 outcome at least as wide']);
    }), RUNS);
  });

  test('reports a rule whose level 1 is wider, and only such rules', () => {
    fc.assert(fc.property(policyArb, (policy) => {
      const reported = new Set(lintLevels(setOf(policy)).map((e) => e.key));
      for (const r of policy.rules) {
        const wider = RANK[({ allow: 'clear', hash: 'hashed', drop: 'none' } as const)[r.source.actions[1]]]
          > RANK[({ allow: 'clear', hash: 'hashed', drop: 'none' } as const)[r.source.actions[2]]];
        expect([r.source.path, reported.has(r.source.path)]).toEqual([r.source.path, wider]);
      }
    }), RUNS);
  });
});

describe('the shadow level', () => {
  // Plain: precedence alone. Varied: allows of scalars only, constraints (failing values dropped or
  // hashed) and e-mail addresses that level 1's detectors remove, so the two levels' trees differ in shape.
  test.each([
    [1, 2, 'plain', policyArb, bodyArb], [2, 1, 'plain', policyArb, bodyArb],
    [1, 2, 'varied', variedPolicyArb, variedBodyArb], [2, 1, 'varied', variedPolicyArb, variedBodyArb],
  ] as const)('enforcing %d, shadow %d, %s policies: every value whose outcome differs is named where the shadow level puts it', (enforced, shadow, _kind, policies, bodies) => {
    fc.assert(fc.property(policies, bodies, (policy, body) => {
      const diff = shadowDifference(endpointOf(policy), enforced, shadow, body);
      expect(diff.level).toBe(shadow);
      const was = outcomes(policy, enforced, body);
      const would = outcomes(policy, shadow, body);
      const mapOf = { clear: diff.sent, hashed: diff.hashed, none: diff.dropped } as const;
      for (const { token, steps } of tokenLeaves(body)) {
        const a = was.get(token)!;
        const b = would.get(token)!;
        if (a === b) continue;
        const named = Object.keys(mapOf[b]).some((p) => pathCovers(p, steps));
        expect([token, a, b, named]).toEqual([token, a, b, true]);
      }
      // Counts only, every one at least 1; nothing of a value.
      for (const counts of [diff.sent, diff.hashed, diff.dropped]) {
        for (const [path, n] of Object.entries(counts)) {
          expect(n).toBeGreaterThan(0);
          expect(path).not.toMatch(/<t\d+>|@corp/);
        }
      }
    }), RUNS);
  });
});
