/**
 * `telegate policy check [PATH…]`: validate policy files as the gateway would load them, then lint them:
 * level 1 must send nothing that level 2 does not (level-lint.ts). Without PATH, the configured policies
 * folder (`--config`, TELEGATE_POLICIES, else ./policies).
 *
 * The result is the command's product, so it goes to stdout either way: one `file:line:col: message` per
 * error (the form editors and CI problem matchers jump to), or one summary line naming each vendor with the
 * digest that audit records will carry.
 */
import { formatPolicyError, formatPolicyWarning, loadPolicySet, type EndpointLimits } from '../policy';
import { buildInventory } from '../policy/inventory';
import { lintLevels } from '../policy/level-lint';
import { configuredDefault, type ConfigOption } from './cli-config';
import { EXIT_CHECK_FAILED, EXIT_OK, type CliIO } from './io';

export interface PolicyCheckOptions extends ConfigOption {
  /** Also fail (exit 1) on the findings `policy report` lists (SPEC §7). */
  strict?: boolean;
}

/** The policy paths a `policy …` command reads: those given, else the configured folder. */
export async function policyTargets(command: string, paths: readonly string[], options: ConfigOption, io: CliIO) {
  return configuredDefault(command, paths.length > 0 ? [...paths] : undefined, options, io, (c) => [c.policies]);
}

export async function runPolicyCheck(paths: readonly string[], io: CliIO, options: PolicyCheckOptions = {}): Promise<number> {
  const resolved = await policyTargets('policy check', paths, options, io);
  if (!resolved.ok) return resolved.code;
  const targets = resolved.value;
  const loaded = await loadPolicySet(targets);
  if (!loaded.ok) {
    for (const error of loaded.errors) io.stdout(`${formatPolicyError(error)}\n`);
    const count = loaded.errors.length;
    io.stderr(`policy check: ${count} error${count === 1 ? '' : 's'}; the gateway would refuse this policy set\n`);
    return EXIT_CHECK_FAILED;
  }
  const policies = [...loaded.value.policies.values()];
  if (policies.length === 0) {
    // An empty set is most often a wrong path; passing it would let a CI check pass on nothing.
    io.stdout(`policy check: no policy files found in ${targets.join(', ')}\n`);
    return EXIT_CHECK_FAILED;
  }
  // Warnings (a subtree allow, a detector opt-out) are for the reviewer; they never fail the check.
  for (const warning of loaded.value.warnings) io.stdout(`${formatPolicyWarning(warning)}\n`);
  let failed = false;
  const lint = lintLevels(loaded.value);
  if (lint.length > 0) {
    for (const error of lint) io.stdout(`${formatPolicyError(error)}\n`);
    io.stderr(`policy check: ${lint.length} rule${lint.length === 1 ? '' : 's'} where level 1 sends more than level 2; the gateway would load this set, yet level 1 would not be anonymous\n`);
    failed = true;
  }
  if (options.strict === true) {
    const { findings } = buildInventory(loaded.value);
    for (const f of findings) io.stdout(`${f.position.file}:${f.position.line}:${f.position.column}: finding: ${f.vendor} ${f.endpoint} ${f.path}: ${f.message}\n`);
    if (findings.length > 0) {
      io.stderr(`policy check --strict: ${findings.length} finding${findings.length === 1 ? '' : 's'} (telegate policy report lists them)\n`);
      failed = true;
    }
  }
  if (failed) return EXIT_CHECK_FAILED;
  // An endpoint's own limits, so a reviewer sees what a pack bounds (the gateway applies the smaller of each and its config's).
  for (const p of policies) {
    for (const e of p.endpoints.values()) {
      const own = endpointLimitsText(e.limits);
      if (own !== '') io.stdout(`policy check: ${p.vendor} ${e.method} ${e.path} limits: ${own}\n`);
    }
  }
  const listed = policies.map((p) => `${p.vendor} ${p.digest} (${p.file})`).join(', ');
  const warned = loaded.value.warnings.length;
  io.stdout(`policy check: ok, ${policies.length} polic${policies.length === 1 ? 'y' : 'ies'}: ${listed}${warned > 0 ? `; ${warned} warning${warned === 1 ? '' : 's'}` : ''}\n`);
  return EXIT_OK;
}

/** `body_bytes 524288, values 200000`: the limits an endpoint sets, by their names in the file; '' for none. */
export function endpointLimitsText(limits: EndpointLimits | undefined): string {
  if (limits === undefined) return '';
  const named: [string, number | undefined][] = [
    ['body_bytes', limits.bodyBytes], ['inflated_bytes', limits.inflatedBytes], ['values', limits.values], ['depth', limits.depth],
  ];
  return named.filter(([, n]) => n !== undefined).map(([name, n]) => `${name} ${n}`).join(', ');
}
