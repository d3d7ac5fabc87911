/** `policy report --format md`: the inventory as Markdown, to attach to a DPIA or paste into a wiki. */
import type { Inventory } from '../policy/inventory';
import { ACTION_WORDS, CATEGORY_ORDER, DEFAULT_DENY_SENTENCE, LEVEL_SENTENCES } from './report-words';

export function renderReportMarkdown(inventory: Inventory, generatedAt: Date): string {
  const out: string[] = [];
  out.push('# Telemetry data inventory', '');
  out.push(`Generated ${generatedAt.toISOString()} by \`telegate policy report\` from the policy files below. ${DEFAULT_DENY_SENTENCE}`, '');
  for (const sentence of LEVEL_SENTENCES) out.push(`- ${sentence}`);
  out.push('');
  if (inventory.findings.length > 0) {
    out.push('## Findings to review', '');
    for (const f of inventory.findings) out.push(`- **${f.vendor} ${f.endpoint}** \`${f.path}\` (${f.position.file}:${f.position.line}): ${f.message}`);
    out.push('');
  }
  for (const vendor of inventory.vendors) {
    out.push(`## ${vendor.vendor}`, '');
    out.push(`- Upstream: ${vendor.upstream}`);
    out.push(`- Hosts: ${vendor.hosts.join(', ') || '(none)'}`);
    out.push(`- Request headers that pass: ${vendor.headers.join(', ') || '(none)'}`);
    out.push(`- Policy: \`${vendor.file}\`, \`${vendor.digest}\``, '');
    for (const endpoint of vendor.endpoints) {
      out.push(`### ${endpoint.method} ${endpoint.path}`, '');
      out.push(`Level 0 answers the instance ${endpoint.localReplyStatus} itself. ` +
        `Level 1: ${totalsText(endpoint.totals[1])}. Level 2: ${totalsText(endpoint.totals[2])}.`, '');
      out.push('| field | category | level 1 | level 2 |', '|---|---|---|---|');
      const fields = [...endpoint.fields].sort((a, b) => CATEGORY_ORDER.indexOf(a.category) - CATEGORY_ORDER.indexOf(b.category) || a.path.localeCompare(b.path));
      for (const f of fields) out.push(`| \`${escapeCell(f.path)}\` | ${f.category} | ${ACTION_WORDS[f.actions[1]]} | ${ACTION_WORDS[f.actions[2]]} |`);
      out.push('', `Any other field: ${DEFAULT_DENY_SENTENCE.toLowerCase()}`, '');
    }
  }
  return `${out.join('\n')}\n`;
}

function totalsText(t: { allow: number; hash: number; drop: number }): string {
  return `${t.allow} sent, ${t.hash} pseudonymized, ${t.drop} dropped`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/`/g, '\\`');
}
