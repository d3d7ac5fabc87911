/** The egress records view: the filter form, then the matching records newest first, a page at a time. */
import type { EgressEntry, FieldCounts, OutcomeEntry } from '../../audit/query/entries';
import { FIELD_ACTIONS } from '../../audit/query/field-query';
import { formatCursor, type NewestPage } from '../../audit/query/newest';
import { CONSOLE_BASE } from './console-access';
import { html, type Html } from './html';
import { DECISIONS, PAGE_SIZES, recordsHref, type RecordsQuery } from './records-query';

export const fieldTotal = (c: FieldCounts): number => Object.values(c).reduce((a, b) => a + b, 0);

export function outcomeText(e: EgressEntry, o: OutcomeEntry | null): string {
  if (o === null) return e.decision === 'forwarded' ? 'none recorded' : '—';
  const ms = o.ms === undefined ? '' : ` in ${o.ms} ms`;
  return o.error !== undefined ? `error${ms}: ${o.error}` : `HTTP ${o.status ?? '?'}${ms}`;
}

export function recordHref(id: string): string {
  return `${CONSOLE_BASE}/records/${encodeURIComponent(id)}`;
}

function select(name: string, label: string, value: string, options: readonly { value: string; label: string }[], error: string | undefined): Html {
  return html`<div><label for="f-${name}">${label}</label><select id="f-${name}" name="${name}"${error ? html` aria-invalid="true" aria-describedby="e-${name}"` : ''}>${options.map((o) =>
    html`<option value="${o.value}"${o.value === value ? html` selected` : ''}>${o.label}</option>`)}</select></div>`;
}

function input(name: string, label: string, value: string, placeholder: string, error: string | undefined): Html {
  return html`<div><label for="f-${name}">${label}</label><input id="f-${name}" name="${name}" value="${value}" placeholder="${placeholder}"${error ? html` aria-invalid="true" aria-describedby="e-${name}"` : ''}></div>`;
}

export function renderRecordsBody(query: RecordsQuery, vendors: readonly string[], page: NewestPage | null): Html {
  const f = query.form;
  const err = (name: string): string | undefined => query.errors.find((e) => e.field === name)?.message;
  const vendorOptions = [{ value: '', label: 'any' }, ...[...new Set([...vendors, ...(f.vendor === '' ? [] : [f.vendor])])].sort().map((v) => ({ value: v, label: v }))];
  const form = html`<form class="filters" method="get" action="${CONSOLE_BASE}/records" aria-label="Filter egress records">
${select('vendor', 'Vendor', f.vendor, vendorOptions, err('vendor'))}
${input('endpoint', 'Endpoint', f.endpoint, '/snapshot', err('endpoint'))}
${select('level', 'Level', f.level, [{ value: '', label: 'any' }, { value: '0', label: '0' }, { value: '1', label: '1' }, { value: '2', label: '2' }], err('level'))}
${select('decision', 'Decision', f.decision, [{ value: '', label: 'any' }, ...DECISIONS.map((d) => ({ value: d, label: d }))], err('decision'))}
${input('since', 'Since', f.since, '24h or 2026-01-31', err('since'))}
${input('until', 'Until', f.until, '2026-02-01T00:00Z', err('until'))}
${input('field', 'Field path', f.field, 'users[*].email', err('field'))}
${select('action', 'Field was', f.action, [{ value: '', label: 'any action' }, ...FIELD_ACTIONS.map((a) => ({ value: a, label: a }))], err('action'))}
${select('limit', 'Per page', f.limit === '' ? '50' : f.limit, PAGE_SIZES.map((n) => ({ value: String(n), label: String(n) })), err('limit'))}
<div><button type="submit">Filter</button></div>
</form>`;
  const errors = query.errors.length === 0 ? null
    : html`<div role="alert" class="notice"><p class="error">The filters could not be used:</p><ul>${query.errors.map((e) => html`<li id="e-${e.field}">${e.message}</li>`)}</ul></div>`;
  if (page === null) return html`${form}${errors}`;
  const rows = page.hits.map(({ egress: e, outcome }) => html`<tr>
<td><time datetime="${e.ts}">${e.ts.replace('T', ' ').replace('Z', '')}</time></td>
<th scope="row"><a href="${recordHref(e.id)}">${e.id}</a></th>
<td>${e.vendor}</td><td><code>${e.endpoint}</code></td><td class="num">${e.level}</td>
<td class="decision-${e.decision}">${e.decision}${e.reason === undefined ? '' : html`<br><span class="muted">${e.reason}</span>`}</td>
<td class="num">${e.bytes}</td><td class="num">${fieldTotal(e.dropped)}</td><td class="num">${fieldTotal(e.hashed)}</td><td class="num">${fieldTotal(e.unknown)}</td>
<td>${outcomeText(e, outcome)}</td></tr>`);
  const table = page.hits.length === 0
    ? html`<p role="status">No egress records match these filters.</p>`
    : html`<table><caption>Egress records, newest first: ${page.hits.length} shown${page.next ? ', older ones on the next page' : ''}</caption>
<thead><tr><th scope="col">Time (UTC)</th><th scope="col">Request id</th><th scope="col">Vendor</th><th scope="col">Endpoint</th><th scope="col" class="num">Level</th><th scope="col">Decision</th><th scope="col" class="num">Bytes sent</th><th scope="col" class="num">Dropped</th><th scope="col" class="num">Hashed</th><th scope="col" class="num">Unknown</th><th scope="col">Vendor reply</th></tr></thead>
<tbody>${rows}</tbody></table>`;
  const pager = html`<nav class="pager" aria-label="Pages">${query.before ? html`<a href="${recordsHref(`${CONSOLE_BASE}/records`, f)}">Newest</a>` : ''}${page.next ? html`<a href="${recordsHref(`${CONSOLE_BASE}/records`, f, formatCursor(page.next))}" rel="next">Older records</a>` : ''}</nav>`;
  const note = html`<p class="muted">Each page reads the whole audit log for its filters (newest first needs the end of the log); a Since bound skips the older files and is the quickest way to narrow a large log.</p>`;
  return html`${form}${errors}${table}${pager}${note}`;
}
