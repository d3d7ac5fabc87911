/**
 * `telegate policy report [PATH…] [--format md|html]`: the data inventory a privacy officer attaches to
 * a DPIA. Exit 0 with the report on stdout; 1 when the policy set does not load (errors as policy check).
 */
import { formatPolicyError, loadPolicySet } from '../policy';
import { buildInventory } from '../policy/inventory';
import { EXIT_CHECK_FAILED, EXIT_OK, type CliIO } from './io';
import type { ConfigOption } from './cli-config';
import { policyTargets } from './policy-check';
import { renderReportHtml } from './render-report-html';
import { renderReportMarkdown } from './render-report-markdown';

export interface PolicyReportOptions extends ConfigOption { format: 'md' | 'html'; now?: Date }

export async function runPolicyReport(paths: readonly string[], options: PolicyReportOptions, io: CliIO): Promise<number> {
  const resolved = await policyTargets('policy report', paths, options, io);
  if (!resolved.ok) return resolved.code;
  const targets = resolved.value;
  const loaded = await loadPolicySet(targets);
  if (!loaded.ok) {
    for (const error of loaded.errors) io.stderr(`${formatPolicyError(error)}\n`);
    io.stderr('policy report: the policy set does not load; fix it first (telegate policy check)\n');
    return EXIT_CHECK_FAILED;
  }
  if (loaded.value.policies.size === 0) {
    io.stderr(`policy report: no policy files found in ${targets.join(', ')}\n`);
    return EXIT_CHECK_FAILED;
  }
  const inventory = buildInventory(loaded.value);
  const now = options.now ?? new Date();
  io.stdout(options.format === 'html' ? renderReportHtml(inventory, now) : renderReportMarkdown(inventory, now));
  if (inventory.findings.length > 0) io.stderr(`policy report: ${inventory.findings.length} finding(s) to review, listed at the top of the report\n`);
  return EXIT_OK;
}
