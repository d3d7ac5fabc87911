/** The volume view: the chart, its controls, and the same numbers as a table. */
import type { VolumeReport } from '../../audit/query/volume';
import { CONSOLE_BASE } from './console-access';
import { html, type Html } from './html';
import { bucketLabel, formatQuantity, renderVolumeChart, seriesClass, type VolumeMetric } from './volume-chart';

export interface VolumeForm { bucket: string; metric: string; since: string }

function radio(name: string, value: string, label: string, current: string): Html {
  return html`<label><input type="radio" name="${name}" value="${value}"${value === current ? html` checked` : ''}> ${label}</label>`;
}

export function renderVolumeBody(report: VolumeReport | null, metric: VolumeMetric, form: VolumeForm, error: string | undefined): Html {
  const controls = html`<form class="filters" method="get" action="${CONSOLE_BASE}/volume" aria-label="Chart options">
<fieldset><legend>Per</legend>${radio('bucket', 'hour', 'hour', form.bucket)} ${radio('bucket', 'day', 'day', form.bucket)}</fieldset>
<fieldset><legend>Measure</legend>${radio('metric', 'requests', 'requests', form.metric)} ${radio('metric', 'bytes', 'bytes sent', form.metric)}</fieldset>
<div><label for="v-since">Since</label><input id="v-since" name="since" value="${form.since}" placeholder="48h, 30d or 2026-01-01"${error ? html` aria-invalid="true" aria-describedby="v-error"` : ''}></div>
<div><button type="submit">Draw</button></div></form>`;
  if (report === null) return html`${controls}<p id="v-error" role="alert" class="error">${error ?? ''}</p>`;
  const legend = html`<ul class="legend" aria-label="Vendors">${report.vendors.map((v, i) => html`<li><span class="swatch ${seriesClass(i)}" aria-hidden="true"></span>${v.vendor}</li>`)}</ul>`;
  const busy = report.starts.map((start, i) => ({ start, i })).filter(({ i }) => report.vendors.some((v) => (v.requests[i] ?? 0) > 0));
  const table = busy.length === 0 ? html`<p role="status">No egress records in this window.</p>`
    : html`<table><caption>Egress per vendor per ${report.bucket} (only ${report.bucket}s with traffic; UTC)</caption>
<thead><tr><th scope="col">${report.bucket === 'day' ? 'Day' : 'Hour'}</th>${report.vendors.map((v) => html`<th scope="col" class="num">${v.vendor} requests</th><th scope="col" class="num">${v.vendor} bytes sent</th>`)}</tr></thead>
<tbody>${busy.map(({ start, i }) => html`<tr><th scope="row">${bucketLabel(start, report.bucket)}</th>${report.vendors.map((v) => html`<td class="num">${v.requests[i] ?? 0}</td><td class="num">${formatQuantity(v.bytes[i] ?? 0, 'bytes')}</td>`)}</tr>`)}</tbody></table>`;
  return html`${controls}<figure><figcaption id="chart-caption" class="visually-hidden">Egress volume chart</figcaption>${renderVolumeChart(report, metric, 'volume-chart')}</figure>${legend}${table}`;
}
