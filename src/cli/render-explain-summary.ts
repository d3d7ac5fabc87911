/**
 * `policy explain --summary` in human form: one verdict line with the totals, then one line per action and
 * path with its count. No value of the payload, original or pseudonym, is printed.
 */
import type { Endpoint, Level, PathCounts, Policy } from '../policy';
import type { TransformSummary } from '../policy/summary';
import type { Style } from './render-style';

export interface ExplainSummaryView { policy: Policy; endpoint: Endpoint; level: Level; summary: TransformSummary }

/** Removed first: what a reviewer checks first is what did not leave, and what no rule knew. */
const ACTIONS = ['unknown', 'dropped', 'hashed', 'sent'] as const;

const total = (counts: PathCounts): number => Object.values(counts).reduce((a, b) => a + b, 0);

export function renderExplainSummary(view: ExplainSummaryView, style: Style): string {
  const { policy, endpoint, level, summary } = view;
  const where = `${policy.vendor} ${endpoint.method} ${endpoint.path} at level ${level}`;
  const source = style.dim(`policy ${policy.file} ${policy.digest}`);
  if (summary.decision === 'block') return `${style.bold(where)}: ${style.warn('block')}, nothing leaves\n${source}\n`;
  const totals = ACTIONS.map((a) => `${total(summary[a])} ${a}`).join(', ');
  const rows = ACTIONS.flatMap((action) => Object.entries(summary[action]).map(([path, n]) => [action, String(n), path] as const));
  const width = Math.max(5, ...rows.map((r) => r[1].length));
  const lines = [
    `${style.bold(where)}: ${style.ok('forward')}; values: ${totals}`,
    source,
    `${'ACTION'.padEnd(8)}${'COUNT'.padStart(width)}  PATH`,
    ...rows.map(([action, n, path]) => `${(action === 'unknown' ? style.warn(action) : action).padEnd(8 + (action === 'unknown' ? style.warn('').length : 0))}${n.padStart(width)}  ${path}`),
  ];
  return `${lines.join('\n')}\n`;
}
