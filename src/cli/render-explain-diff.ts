/**
 * `policy explain`'s diff: every leaf the policy changed, in the payload's own order, one line each:
 *   - users[0].email                      dropped
 *   ~ users[0].id → "3f2a…"               hashed (the pseudonym is what leaves)
 *   ? hostname                            unknown: no rule names it, default deny removed it
 * A removed object or array is listed leaf by leaf (an empty one as itself). Original values appear only
 * when asked for (`--originals`): by default explain's output holds nothing the vendor would not get,
 * so it can be pasted into a ticket. Colour only through `style`, which is plain off a terminal.
 */
import { serializeJson } from '../json/serialize';
import type { JsonValue } from '../json/types';
import type { FieldChange } from '../policy';
import { formatKey } from '../policy/paths';
import type { Style } from './render-style';

const MARK: Record<FieldChange['kind'], string> = { dropped: '-', hashed: '~', unknown: '?', invalid: '!', redacted: 'x' };
/** Longer values are cut in the diff; the body above shows what leaves in full. */
const MAX_VALUE_CHARS = 160;

export interface DiffOptions { originals: boolean }

/** `users[0].email`, `"a.b".c`, `$` for the root. */
export function concretePath(at: readonly (string | number)[]): string {
  if (at.length === 0) return '$';
  let out = '';
  at.forEach((step, i) => {
    if (typeof step === 'number') out += `${i === 0 ? '$' : ''}[${step}]`;
    else out += i === 0 ? formatKey(step) : `.${formatKey(step)}`;
  });
  return out;
}

function valueText(value: JsonValue): string {
  const text = serializeJson(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

/**
 * The leaves under a removed value, each with its own path; an empty container stands for itself. The
 * keys inside a removed value are data no rule names: written `*` unless originals are asked for.
 */
function leaves(at: string, value: JsonValue, out: { at: string; value: JsonValue }[], originals: boolean): void {
  if (Array.isArray(value) && value.length > 0) {
    value.forEach((v, i) => leaves(`${at}[${i}]`, v, out, originals));
  } else if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length > 0) {
    for (const k of Object.keys(value)) leaves(`${at}.${originals ? formatKey(k) : '*'}`, value[k]!, out, originals);
  } else {
    out.push({ at, value });
  }
}

export function renderExplainDiff(changes: readonly FieldChange[], style: Style, options: DiffOptions): string {
  const legend = `- dropped, ~ hashed, ? unknown, ! invalid, x redacted${options.originals ? '' : '; --originals shows the input\'s values'}`;
  if (changes.length === 0) return `${style.bold('changes: none')} (the body leaves as it came)\n`;
  const paint = { dropped: style.fail, hashed: style.warn, unknown: style.note, invalid: style.warn, redacted: style.fail };
  const lines: string[] = [`${style.bold(`changes (${legend}):`)}`];
  for (const c of changes) {
    const mark = MARK[c.kind];
    // Keys no rule names are data: shown by their tag unless originals are asked for.
    const where = options.originals ? concretePath(c.at) : c.shown;
    const why = c.kind === 'redacted' && c.detector !== undefined ? ` (${c.detector})` : '';
    if (c.pseudonym !== undefined) {
      const from = options.originals ? `: ${valueText(c.original)}` : '';
      lines.push(paint[c.kind](`  ${mark} ${where}${from} → ${valueText(c.pseudonym)}`));
      continue;
    }
    const removed: { at: string; value: JsonValue }[] = [];
    leaves(where, c.original, removed, options.originals);
    for (const leaf of removed) {
      lines.push(paint[c.kind](`  ${mark} ${leaf.at}${options.originals ? `: ${valueText(leaf.value)}` : ''}${why}`));
    }
  }
  return `${lines.join('\n')}\n`;
}
