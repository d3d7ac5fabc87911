/**
 * The volume chart as inline SVG, drawn on the server: one line per vendor over the buckets, axes with
 * a few labelled ticks. No script and no style attributes (the CSP allows neither); colours come from
 * the stylesheet's series classes. The page puts the same numbers in a table for screen readers.
 */
import type { VolumeReport } from '../../audit/query/volume';
import { html, join, type Html } from './html';

export type VolumeMetric = 'requests' | 'bytes';

const W = 900;
const H = 320;
const M = { left: 64, right: 16, top: 16, bottom: 44 };
const SERIES = 6;

/** 1, 2 or 5 times a power of ten, at least `v`: round tick steps. */
function niceCeil(v: number): number {
  if (v <= 0) return 1;
  if (v < 1) return v <= 0.5 ? 0.5 : 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export function formatQuantity(n: number, metric: VolumeMetric): string {
  if (metric === 'requests') return String(n);
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

export function bucketLabel(start: number, bucket: VolumeReport['bucket']): string {
  const iso = new Date(start).toISOString();
  return bucket === 'day' ? iso.slice(0, 10) : `${iso.slice(5, 10)} ${iso.slice(11, 13)}:00`;
}

export function seriesClass(index: number): string {
  return `series-${index % SERIES}`;
}

export function renderVolumeChart(report: VolumeReport, metric: VolumeMetric, titleId: string): Html {
  const n = report.starts.length;
  const values = report.vendors.map((v) => (metric === 'requests' ? v.requests : v.bytes));
  // Four equal steps of a round size: whole numbers for request counts.
  const step = Math.max(metric === 'requests' ? 1 : 0, niceCeil(Math.max(0, ...values.flat()) / 4));
  const max = step * 4;
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const x = (i: number): number => M.left + (n <= 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const y = (v: number): number => M.top + plotH - (v / max) * plotH;
  const r1 = (v: number): string => v.toFixed(1);

  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
  const grid = yTicks.map((t) => html`<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${r1(y(t))}" y2="${r1(y(t))}"/><text x="${M.left - 6}" y="${r1(y(t) + 4)}" text-anchor="end">${formatQuantity(t, metric)}</text>`);
  const every = Math.max(1, Math.ceil(n / 8));
  const xTicks: Html[] = [];
  for (let i = 0; i < n; i += every) {
    xTicks.push(html`<line class="axis" x1="${r1(x(i))}" x2="${r1(x(i))}" y1="${M.top + plotH}" y2="${M.top + plotH + 4}"/><text x="${r1(x(i))}" y="${M.top + plotH + 18}" text-anchor="middle">${bucketLabel(report.starts[i] ?? 0, report.bucket)}</text>`);
  }
  const lines = values.map((series, s) => {
    const points = series.map((v, i) => `${r1(x(i))},${r1(y(v))}`).join(' ');
    const dots = n <= 60 ? series.map((v, i) => html`<circle class="${seriesClass(s)}" cx="${r1(x(i))}" cy="${r1(y(v))}" r="3"><title>${report.vendors[s]?.vendor ?? ''} ${bucketLabel(report.starts[i] ?? 0, report.bucket)}: ${formatQuantity(v, metric)}</title></circle>`) : [];
    return html`<g data-vendor="${report.vendors[s]?.vendor ?? ''}"><polyline class="line ${seriesClass(s)}" points="${points}"/>${dots}</g>`;
  });
  const unit = metric === 'requests' ? 'requests' : 'bytes sent';
  const desc = report.vendors.length === 0
    ? `No egress records in this window.`
    : `${report.vendors.map((v, s) => `${v.vendor}: ${values[s]?.reduce((a, b) => a + b, 0) ?? 0} ${unit}`).join('; ')}, over ${n} ${report.bucket} buckets.`;
  return html`<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="${titleId} ${titleId}-desc">
<title id="${titleId}">Egress ${unit} per vendor per ${report.bucket}</title>
<desc id="${titleId}-desc">${desc}</desc>
${join(grid)}
<line class="axis" x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + plotH}"/>
<line class="axis" x1="${M.left}" x2="${W - M.right}" y1="${M.top + plotH}" y2="${M.top + plotH}"/>
${join(xTicks)}
${join(lines)}
${report.vendors.length === 0 ? html`<text x="${W / 2}" y="${H / 2}" text-anchor="middle">No egress in this window</text>` : ''}
</svg>`;
}
