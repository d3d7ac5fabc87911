/** The policy set in force: each vendor's policy digest and level, the last reload's result, and the reload button. */
import type { ReadinessReport } from '../admin-app';
import { CONSOLE_BASE } from './console-access';
import { html, type Html } from './html';

export function renderStatusBody(report: ReadinessReport, csrf: string | undefined): Html {
  const policies = html`<table><caption>Policies in force</caption>
<thead><tr><th scope="col">Vendor</th><th scope="col" class="num">Level</th><th scope="col">Policy file</th><th scope="col">Digest</th><th scope="col">Upstream</th></tr></thead>
<tbody>${report.policies.map((p) => html`<tr><th scope="row">${p.vendor}</th><td class="num">${p.level}</td><td><code class="long">${p.file}</code></td><td><code class="long">${p.digest}</code></td><td><code class="long">${p.upstream}</code></td></tr>`)}</tbody></table>`;
  const last = report.last_reload;
  const reload = last === null
    ? html`<p>No reload since the gateway started.</p>`
    : last.ok
      ? html`<p><span class="ok">Last reload succeeded</span> at <time datetime="${last.at}">${last.at}</time>.</p>`
      : html`<div role="alert"><p><span class="error">Last reload was refused</span> at <time datetime="${last.at}">${last.at}</time>; the policy set above stays in force.</p><ul>${(last.errors ?? []).map((e) => html`<li><code>${e}</code></li>`)}</ul></div>`;
  const button = csrf === undefined ? null : html`<form method="post" action="${CONSOLE_BASE}/reload"><input type="hidden" name="_csrf" value="${csrf}"><button type="submit">Reload policies now</button></form>`;
  return html`<dl class="facts"><dt>Ready</dt><dd>${report.ready ? 'yes' : 'no'}</dd><dt>Audit log writable</dt><dd>${report.audit.writable ? 'yes' : 'no'}</dd>
<dt>Policy set loaded at</dt><dd>${report.loaded_at ?? 'never'}</dd></dl>
${policies}
<h2>Reload</h2>${reload}${button}
<p class="muted">A reload reads the policy folder again; a set with any error is refused whole and the running one stays.</p>`;
}
