/**
 * `policy report --format html`: one self-contained page (no scripts, no external assets) with the
 * same content as the Markdown form; tables with captions and header scopes for screen readers.
 */
import type { Inventory } from '../policy/inventory';
import { ACTION_WORDS, CATEGORY_ORDER, DEFAULT_DENY_SENTENCE, LEVEL_SENTENCES } from './report-words';

export function renderReportHtml(inventory: Inventory, generatedAt: Date): string {
  const parts: string[] = [];
  parts.push('<!doctype html>', '<html lang="en">', '<head>', '<meta charset="utf-8">', '<title>Telemetry data inventory</title>',
    '<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem}table{border-collapse:collapse;width:100%;margin:1rem 0}'
    + 'th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}code{font-size:90%}.sent{color:#8a1c00}.pseudonymized{color:#5a4a00}.dropped{color:#1d5a1d}'
    + '.finding{background:#fff4e5;border-left:4px solid #b35c00;padding:.25rem .75rem}</style>', '</head>', '<body>');
  parts.push('<h1>Telemetry data inventory</h1>');
  parts.push(`<p>Generated <time datetime="${generatedAt.toISOString()}">${generatedAt.toISOString()}</time> by <code>telegate policy report</code>. ${esc(DEFAULT_DENY_SENTENCE)}</p>`);
  parts.push(`<ul>${LEVEL_SENTENCES.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>`);
  if (inventory.findings.length > 0) {
    parts.push('<section aria-labelledby="findings"><h2 id="findings">Findings to review</h2><ul>');
    for (const f of inventory.findings) {
      parts.push(`<li class="finding"><strong>${esc(f.vendor)} ${esc(f.endpoint)}</strong> <code>${esc(f.path)}</code> (${esc(f.position.file)}:${f.position.line}): ${esc(f.message)}</li>`);
    }
    parts.push('</ul></section>');
  }
  for (const vendor of inventory.vendors) {
    parts.push(`<section aria-labelledby="v-${esc(vendor.vendor)}"><h2 id="v-${esc(vendor.vendor)}">${esc(vendor.vendor)}</h2>`);
    parts.push('<dl>', `<dt>Upstream</dt><dd>${esc(vendor.upstream)}</dd>`, `<dt>Hosts</dt><dd>${esc(vendor.hosts.join(', ') || '(none)')}</dd>`,
      `<dt>Request headers that pass</dt><dd>${esc(vendor.headers.join(', ') || '(none)')}</dd>`,
      `<dt>Policy</dt><dd><code>${esc(vendor.file)}</code>, <code>${esc(vendor.digest)}</code></dd>`, '</dl>');
    for (const endpoint of vendor.endpoints) {
      const t1 = endpoint.totals[1];
      const t2 = endpoint.totals[2];
      parts.push(`<h3>${esc(endpoint.method)} ${esc(endpoint.path)}</h3>`);
      parts.push(`<p>Level 0 answers the instance ${endpoint.localReplyStatus} itself. Level 1: ${t1.allow} sent, ${t1.hash} pseudonymized, ${t1.drop} dropped. `
        + `Level 2: ${t2.allow} sent, ${t2.hash} pseudonymized, ${t2.drop} dropped.</p>`);
      parts.push(`<table><caption>${esc(vendor.vendor)} ${esc(endpoint.path)}: fields and their actions</caption>`,
        '<thead><tr><th scope="col">field</th><th scope="col">category</th><th scope="col">level 1</th><th scope="col">level 2</th></tr></thead><tbody>');
      const fields = [...endpoint.fields].sort((a, b) => CATEGORY_ORDER.indexOf(a.category) - CATEGORY_ORDER.indexOf(b.category) || a.path.localeCompare(b.path));
      for (const f of fields) {
        const a1 = ACTION_WORDS[f.actions[1]];
        const a2 = ACTION_WORDS[f.actions[2]];
        parts.push(`<tr><th scope="row"><code>${esc(f.path)}</code></th><td>${esc(f.category)}</td><td class="${a1}">${a1}</td><td class="${a2}">${a2}</td></tr>`);
      }
      parts.push('</tbody></table>', `<p>Any other field: ${esc(DEFAULT_DENY_SENTENCE.toLowerCase())}</p>`);
    }
    parts.push('</section>');
  }
  parts.push('</body>', '</html>');
  return `${parts.join('\n')}\n`;
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
