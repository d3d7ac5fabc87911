/**
 * One request: what the log says about it, the body exactly as it was sent (re-indented without being
 * parsed, so integers beyond 2^53 keep every digit), and beside it what the policy dropped, hashed or
 * did not know, with counts. Original values never reach the log, so none can appear here.
 */
import type { FieldCounts } from '../../audit/query/entries';
import type { ShownRequest } from '../../audit/query/show';
import { indentJson } from '../../json/indent';
import { CONSOLE_BASE } from './console-access';
import { html, type Html } from './html';
import { fieldTotal, outcomeText } from './records-view';

/** Unknown first: a field no rule names is what a reviewer most needs to see. */
const FIELD_REPORTS = [
  { key: 'unknown', title: 'Unknown', what: 'named by no rule: removed by default deny' },
  { key: 'dropped', title: 'Dropped', what: 'removed by a drop rule (or not hashable)' },
  { key: 'hashed', title: 'Hashed', what: 'replaced by a keyed pseudonym' },
  { key: 'invalid', title: 'Invalid', what: 'failed its rule\'s value constraint or shape: removed (or hashed)' },
  { key: 'redacted', title: 'Redacted', what: 'a detector found an address, a host or a credential in it: removed' },
] as const;

const SHADOW_REPORTS = [
  { key: 'sent', title: 'Would send in clear', what: 'sent in clear at the shadow level, not at the enforced one' },
  { key: 'hashed', title: 'Would hash', what: 'sent as a pseudonym at the shadow level' },
  { key: 'dropped', title: 'Would not send', what: 'removed at the shadow level, sent at the enforced one' },
] as const;

/** Beyond this many paths a list starts folded (a Coder snapshot hashes ~80), so the next one stays in view. */
const FOLD_AFTER = 20;

function countsTable(id: string, title: string, what: string, counts: FieldCounts): Html {
  const paths = Object.keys(counts).sort();
  const heading = html`<h3 id="${id}">${title}: ${paths.length} ${paths.length === 1 ? 'path' : 'paths'}, ${fieldTotal(counts)} ${fieldTotal(counts) === 1 ? 'value' : 'values'}</h3>`;
  if (paths.length === 0) return html`${heading}<p class="muted">None.</p>`;
  const table = html`<table aria-labelledby="${id}"><caption class="visually-hidden">${title} fields: ${what}</caption>
<thead><tr><th scope="col">Field path</th><th scope="col" class="num">Count</th></tr></thead>
<tbody>${paths.map((p) => html`<tr><th scope="row"><code>${p}</code></th><td class="num">${counts[p] ?? 0}</td></tr>`)}</tbody></table>`;
  return paths.length > FOLD_AFTER ? html`<details><summary>${heading}</summary>${table}</details>` : html`${heading}${table}`;
}

export function renderRecordBody(shown: ShownRequest): Html {
  const e = shown.egress;
  const facts: [string, string | Html | undefined][] = [
    ['Request id', html`<code>${e.id}</code>`],
    ['Time (UTC)', html`<time datetime="${e.ts}">${e.ts}</time>`],
    ['Vendor', e.vendor],
    ['Endpoint', html`<code>${e.endpoint}</code>`],
    ['Level', String(e.level)],
    ['Decision', html`<span class="decision-${e.decision}">${e.decision}</span>${e.reason === undefined ? '' : `: ${e.reason}`}`],
    ['Upstream', e.upstream],
    ['Client', e.client_version === undefined ? e.client : `${e.client} (version ${e.client_version})`],
    ['Headers sent', Object.keys(e.headers ?? {}).length === 0 ? 'none' : html`${Object.entries(e.headers ?? {}).map(([k, v]) => html`<code>${k}: ${v}</code><br>`)}`],
    ['Headers refused', e.headers_refused === undefined ? undefined : Object.entries(e.headers_refused).map(([k, why]) => `${k} (${why})`).join(', ')],
    ['Redacted by detector', Object.keys(e.detections ?? {}).length === 0 ? undefined : Object.entries(e.detections ?? {}).map(([k, n]) => `${k} ${n}`).join(', ')],
    ['Policy digest', html`<code>${e.policy}</code>`],
    ['Sent', e.body_sha256 === undefined ? 'nothing' : html`${e.bytes} bytes, sha256 <code>${e.body_sha256}</code>`],
    ['Vendor reply', outcomeText(e, shown.outcome)],
    ['Audit record', `${e.file}:${e.line} (seq ${e.seq})`],
  ];
  const dl = html`<dl class="facts">${facts.filter((f) => f[1] !== undefined).map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
  const payload = shown.body === undefined
    ? html`<p>Nothing was sent upstream (${e.decision}).</p>`
    : html`<pre class="payload" tabindex="0" aria-labelledby="payload-h">${indentJson(shown.body.toString('utf8'))}</pre>`;
  return html`<p><a href="${CONSOLE_BASE}/records">Back to the egress records</a></p>
${dl}
<div class="split">
<section aria-labelledby="payload-h"><h2 id="payload-h">Payload as sent</h2>${payload}</section>
<section aria-labelledby="changes-h"><h2 id="changes-h">What the policy changed</h2>
${FIELD_REPORTS.map((r) => countsTable(`f-${r.key}`, r.title, r.what, e[r.key] ?? {}))}
${e.shadow === undefined ? '' : html`<h3 id="shadow-h">Shadow level ${e.shadow.level}: what it would have done differently</h3>
<p class="muted">Computed beside level ${e.level} and never sent; counts only.</p>
${SHADOW_REPORTS.map((r) => countsTable(`s-${r.key}`, r.title, r.what, e.shadow![r.key]))}`}
</section>
</div>`;
}
