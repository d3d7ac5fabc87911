/** Each chain's latest signed checkpoint: size, root, when written, and whether the witness accepted it. */
import type { ChainCheckpointStatus } from '../../audit/tlog/checkpoint-status';
import { html, type Html } from './html';

function witnessCell(s: ChainCheckpointStatus): Html {
  const w = s.witness;
  if (!w) return html`<span class="muted">no witness answer recorded</span>`;
  if (s.witness_accepted_latest) return html`<span class="ok">accepted</span> <time datetime="${w.at}">${w.at}</time>`;
  const why = w.accepted ? `accepted an older checkpoint (size ${w.size})` : w.status === undefined ? `failed: ${w.error ?? 'no answer'}` : `refused: HTTP ${w.status}`;
  return html`<span class="error">not accepted</span>: ${why} (<time datetime="${w.at}">${w.at}</time>)`;
}

export function renderCheckpointsBody(rows: readonly ChainCheckpointStatus[]): Html {
  const intro = html`<p>A signed checkpoint vouches for the first <em>size</em> records of a chain. Keep copies elsewhere (or let a witness keep them): <code>telegate audit verify --checkpoint FILE --key VKEY</code> then proves that nothing they vouched for was cut or rewritten. See docs/audit-log.md.</p>`;
  if (rows.length === 0) return html`${intro}<p role="status">No audit chains yet.</p>`;
  const body = rows.map((r) => html`<tr><th scope="row">${r.chain}</th>${r.latest
    ? html`<td><code>${r.latest.origin}</code></td><td class="num">${r.latest.size}</td><td><code class="long">${r.latest.root}</code></td><td><time datetime="${r.latest.written_at}">${r.latest.written_at}</time></td>`
    : html`<td colspan="4">${r.problem === undefined ? html`<span class="muted">no checkpoint (audit.checkpoint.key_file not set, or not written yet)</span>` : html`<span class="error">unreadable: ${r.problem}</span>`}</td>`}<td>${witnessCell(r)}</td></tr>`);
  return html`${intro}<table><caption>Latest checkpoint per chain (${rows.length})</caption>
<thead><tr><th scope="col">Chain</th><th scope="col">Origin</th><th scope="col" class="num">Size</th><th scope="col">Root hash</th><th scope="col">Written (UTC)</th><th scope="col">Witness</th></tr></thead>
<tbody>${body}</tbody></table>`;
}
