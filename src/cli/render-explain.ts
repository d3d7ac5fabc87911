/**
 * `policy explain` in human form: the verdict, the body exactly as it would be sent (pretty-printed), the
 * diff of what the policy changed leaf by leaf, then the counts of what it dropped, hashed, and did not
 * know. Only post-policy values are shown unless the diff is asked for originals (render-explain-diff.ts).
 */
import { serializeJson } from '../json/serialize';
import { MAX_REPORT_PATHS, type Endpoint, type FieldChange, type Level, type Policy, type TransformResult } from '../policy';
import { renderCounts } from './render-counts';
import { renderExplainDiff } from './render-explain-diff';
import { prettyJson } from './render-json';
import type { Style } from './render-style';

export interface ExplainView {
  policy: Policy;
  endpoint: Endpoint;
  level: Level;
  result: TransformResult;
  /** The same transform value by value (traceTransform). */
  changes: readonly FieldChange[];
  /** Show the input's values in the diff. */
  originals: boolean;
}

export function renderExplain(view: ExplainView, style: Style): string {
  const { policy, endpoint, level, result, changes, originals } = view;
  const where = `${policy.vendor} ${endpoint.method} ${endpoint.path} at level ${level}`;
  const source = style.dim(`policy ${policy.file} ${policy.digest}`);
  const parts: string[] = [];
  if (result.decision === 'block' || result.body === null) {
    parts.push(`${style.bold(where)}: ${style.warn('block')}, nothing leaves\n${source}\n`);
    parts.push(`The instance gets telegate's local reply: ${endpoint.localReply.status}${endpoint.localReply.body === '' ? '' : ` ${JSON.stringify(endpoint.localReply.body)}`}\n`);
    return parts.join('\n');
  }
  const bytes = Buffer.byteLength(serializeJson(result.body), 'utf8');
  parts.push(`${style.bold(where)}: ${style.ok('forward')}\n${source}\n`);
  parts.push(`${style.bold(`body sent (${bytes} bytes compact; shown indented):`)}\n${prettyJson(result.body)}\n`);
  parts.push(renderExplainDiff(changes, style, { originals }));
  parts.push(renderCounts('dropped', result.dropped, style));
  parts.push(renderCounts('hashed', result.hashed, style));
  parts.push(renderCounts('unknown', result.unknown, style));
  parts.push(renderCounts('invalid', result.invalid, style));
  parts.push(renderCounts('redacted', result.redacted, style));
  const kinds = Object.entries(result.detections);
  if (kinds.length > 0) parts.push(`${style.bold('redacted by detector:')} ${kinds.map(([k, n]) => `${k} ${n}`).join(', ')}\n`);
  if (result.unlisted !== undefined) {
    parts.push(style.warn(`${result.unlisted.paths} more report paths not listed (a record lists ${MAX_REPORT_PATHS}); their values: ${JSON.stringify(result.unlisted.values)}\n`));
  }
  return parts.join('\n');
}
