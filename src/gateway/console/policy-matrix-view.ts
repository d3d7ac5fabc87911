/**
 * The policy matrix of the running policy set: per vendor and endpoint, every field a rule names with its
 * category and its action at levels 1 and 2, the vendor's enforced level marked. The same inventory model
 * as `telegate policy report`, so the console and the DPIA attachment cannot disagree.
 */
import type { Inventory, InventoryCategory } from '../../policy/inventory';
import type { Action } from '../../policy/types';
import { html, type Html } from './html';

/** The report's words (src/cli/report-words.ts): the console says what the DPIA attachment says. */
const ACTION_WORDS: Record<Action, string> = { allow: 'sent', hash: 'pseudonymized', drop: 'dropped' };
const CATEGORY_ORDER: readonly InventoryCategory[] = ['secret', 'personal', 'identifier', 'technical', 'usage', 'unclassified'];

/** A fragment id from vendor and endpoint path (ids may hold any character but space; keep them readable). */
function anchor(vendor: string, endpointPath: string): string {
  return `m-${vendor}-${endpointPath}`.replace(/[^A-Za-z0-9_-]+/g, '-');
}

export function renderPolicyMatrixBody(inventory: Inventory, enforced: ReadonlyMap<string, number>): Html {
  const intro = html`<p>Level 0 sends nothing (telegate answers the instance itself). Any field no rule names is removed at every level (default deny) and reported as unknown. The column of each vendor's enforced level is highlighted.</p>`;
  const findings = inventory.findings.length === 0 ? null : html`<section aria-labelledby="findings-h"><h2 id="findings-h">Findings to review</h2><ul>${inventory.findings.map((f) =>
    html`<li class="notice">${f.vendor} <code>${f.endpoint}</code> <code>${f.path}</code> (${f.position.file}:${f.position.line}): ${f.message}</li>`)}</ul></section>`;
  const vendors = inventory.vendors.map((v) => {
    const level = enforced.get(v.vendor);
    const endpoints = v.endpoints.map((e) => {
      const fields = [...e.fields].sort((a, b) => CATEGORY_ORDER.indexOf(a.category) - CATEGORY_ORDER.indexOf(b.category) || a.path.localeCompare(b.path));
      const col = (l: 1 | 2): Html => html`<th scope="col"${level === l ? html` class="enforced"` : ''}>Level ${l}${level === l ? ' (enforced)' : ''}</th>`;
      const cell = (a: Action, l: 1 | 2): Html => html`<td class="act-${ACTION_WORDS[a]}${level === l ? ' enforced' : ''}">${ACTION_WORDS[a]}</td>`;
      return html`<table id="${anchor(v.vendor, e.path)}"><caption>${v.vendor} ${e.method} ${e.path}: ${fields.length} fields (level 1: ${e.totals[1].allow} sent, ${e.totals[1].hash} pseudonymized, ${e.totals[1].drop} dropped)</caption>
<thead><tr><th scope="col">Field</th><th scope="col">Category</th>${col(1)}${col(2)}</tr></thead>
<tbody>${fields.map((f) => html`<tr><th scope="row"><code>${f.path}</code></th><td>${f.category}</td>${cell(f.actions[1], 1)}${cell(f.actions[2], 2)}</tr>`)}</tbody></table>`;
    });
    return html`<section aria-labelledby="v-${v.vendor}"><h2 id="v-${v.vendor}">${v.vendor}</h2>
<dl class="facts"><dt>Enforced level</dt><dd>${level === undefined ? 'not configured' : String(level)}</dd><dt>Policy file</dt><dd><code>${v.file}</code></dd><dt>Digest</dt><dd><code>${v.digest}</code></dd><dt>Upstream (policy)</dt><dd>${v.upstream}</dd></dl>
${endpoints}</section>`;
  });
  const contents = html`<nav class="contents" aria-label="Endpoints"><ul>${inventory.vendors.flatMap((v) => v.endpoints.map((e) =>
    html`<li><a href="#${anchor(v.vendor, e.path)}">${v.vendor} ${e.method} ${e.path}</a> (${e.fields.length} fields)</li>`))}</ul></nav>`;
  return html`${intro}${contents}${findings}${vendors}`;
}
