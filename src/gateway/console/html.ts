/**
 * HTML built only through `html`: every interpolated value is escaped unless it is already `Html` made
 * here. Payload values in the audit log are hostile input (a client chose them), so no page concatenates
 * raw strings; a view that forgets to escape cannot be written.
 */
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export class Html {
  constructor(readonly text: string) {}
  toString(): string { return this.text; }
}

export type HtmlPart = Html | string | number | null | undefined | readonly HtmlPart[];

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function render(part: HtmlPart): string {
  if (part === null || part === undefined) return '';
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return (part as readonly HtmlPart[]).map(render).join('');
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...values: HtmlPart[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new Html(out);
}

/** Joins parts (escaping strings) into one Html. */
export function join(parts: readonly HtmlPart[], separator = ''): Html {
  return new Html(parts.map(render).join(separator));
}
