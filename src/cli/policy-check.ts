/**
 * `telegate policy check [PATH…]`: validate policy files as the gateway would load them.
 *
 * The result is the command's product, so it goes to stdout either way: one `file:line:col: message` per
 * error (the form editors and CI problem matchers jump to), or one summary line naming each vendor with the
 * digest that audit records will carry.
 */
import { formatPolicyError, loadPolicySet } from '../policy';
import { EXIT_CHECK_FAILED, EXIT_OK, type CliIO } from './io';

export const DEFAULT_POLICY_PATHS: readonly string[] = ['policies'];

export async function runPolicyCheck(paths: readonly string[], io: CliIO): Promise<number> {
  const targets = paths.length > 0 ? [...paths] : [...DEFAULT_POLICY_PATHS];
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
  const listed = policies.map((p) => `${p.vendor} ${p.digest} (${p.file})`).join(', ');
  io.stdout(`policy check: ok, ${policies.length} polic${policies.length === 1 ? 'y' : 'ies'}: ${listed}\n`);
  return EXIT_OK;
}
