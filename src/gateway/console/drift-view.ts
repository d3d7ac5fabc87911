/**
 * The drift view: fields the policies did not know, by vendor, endpoint and client version; then, where a
 * shadow level is configured, what it would have done differently (the records' `shadow` notes).
 */
import type { DriftRow } from '../../audit/query/drift';
import type { ShadowRow } from '../../audit/query/shadow';
import { CONSOLE_BASE } from './console-access';
import { html, type Html } from './html';

const WOULD_TEXT = { sent: 'send in clear', hashed: 'send hashed', dropped: 'not send' } as const;

function shadowSection(rows: readonly ShadowRow[]): Html {
  if (rows.length === 0) return html``;
  const body = rows.map((r) => html`<tr><th scope="row"><code>${r.path}</code></th><td>${r.vendor}</td><td><code>${r.endpoint}</code></td>
<td class="num">${r.level}</td><td class="num">${r.shadow_level}</td><td>${WOULD_TEXT[r.would]}</td><td class="num">${r.count}</td><td class="num">${r.requests}</td>
<td><time datetime="${r.first_seen}">${r.first_seen}</time></td><td><time datetime="${r.last_seen}">${r.last_seen}</time></td></tr>`);
  return html`<h2 id="shadow-h">Shadow level</h2>
<p>A shadow level (<code>vendors.&lt;vendor&gt;.shadow_level</code>) is computed beside the enforced one and never sent: these are the fields it would have treated differently, so a switch of level can be judged before it is made.</p>
<table aria-labelledby="shadow-h"><caption>What the shadow level would do differently (${rows.length} rows)</caption>
<thead><tr><th scope="col">Field path</th><th scope="col">Vendor</th><th scope="col">Endpoint</th><th scope="col" class="num">Enforced level</th><th scope="col" class="num">Shadow level</th><th scope="col">It would</th><th scope="col" class="num">Values</th><th scope="col" class="num">Requests</th><th scope="col">First seen (UTC)</th><th scope="col">Last seen (UTC)</th></tr></thead>
<tbody>${body}</tbody></table>`;
}

export function renderDriftBody(rows: readonly DriftRow[], vendors: readonly string[], vendor: string, shadow: readonly ShadowRow[] = []): Html {
  const form = html`<form class="filters" method="get" action="${CONSOLE_BASE}/drift" aria-label="Filter drift">
<div><label for="d-vendor">Vendor</label><select id="d-vendor" name="vendor"><option value="">any</option>${vendors.map((v) =>
    html`<option value="${v}"${v === vendor ? html` selected` : ''}>${v}</option>`)}</select></div>
<div><button type="submit">Show</button></div></form>`;
  const intro = html`<p>Unknown fields are those no rule names: default deny removed them before anything left. Invalid ones failed their rule's value constraint or shape, and were removed too. A row with a recent first-seen usually means a new client release started sending something; decide whether a rule should name it, or its constraint admit it. A key no rule names is shown as <code>*</code> and its keyed tag, never as sent.</p>`;
  if (rows.length === 0) return html`${intro}${form}<p role="status">No unknown fields in the audit log${vendor === '' ? '' : ` for ${vendor}`}.</p>${shadowSection(shadow)}`;
  const body = rows.map((r) => html`<tr><th scope="row"><code>${r.path}</code></th><td>${r.kind}</td><td>${r.vendor}</td><td><code>${r.endpoint}</code></td>
<td>${r.client_version ?? html`<span class="muted">not sent</span>`}</td><td class="num">${r.count}</td><td class="num">${r.requests}</td>
<td><time datetime="${r.first_seen}">${r.first_seen}</time></td><td><time datetime="${r.last_seen}">${r.last_seen}</time></td></tr>`);
  return html`${intro}${form}<table><caption>Unknown fields by vendor, endpoint and client version (${rows.length} rows)</caption>
<thead><tr><th scope="col">Field path</th><th scope="col">Kind</th><th scope="col">Vendor</th><th scope="col">Endpoint</th><th scope="col">Client version</th><th scope="col" class="num">Occurrences</th><th scope="col" class="num">Requests</th><th scope="col">First seen (UTC)</th><th scope="col">Last seen (UTC)</th></tr></thead>
<tbody>${body}</tbody></table>${shadowSection(shadow)}`;
}
