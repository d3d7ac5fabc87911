/**
 * Re-indents JSON text without parsing its values: strings and numbers are copied as they are written,
 * so an integer beyond 2^53 (a Coder tailnet node id) keeps every digit and a string keeps its escapes.
 * The input must be valid JSON (audit bodies are; the writer refuses anything else). Output comes in
 * chunks so a 50 MB body is written out as it is produced instead of being built into one string twice.
 */
const CHUNK_CHARS = 1 << 16;

function isSpace(c: string): boolean {
  return c === ' ' || c === '\n' || c === '\r' || c === '\t';
}

/** Index after the string that opens at `i` (the next quote not escaped by an odd run of backslashes). */
function stringEnd(text: string, i: number): number {
  let from = i + 1;
  for (;;) {
    const q = text.indexOf('"', from);
    if (q < 0) return text.length;
    let k = q - 1;
    while (text[k] === '\\') k--;
    if ((q - 1 - k) % 2 === 0) return q + 1;
    from = q + 1;
  }
}

function nextNonSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text[i]!)) i++;
  return i;
}

export function* indentJsonChunks(text: string, indent = 2): Generator<string> {
  let out = '';
  let depth = 0;
  const pad = (): string => `\n${' '.repeat(depth * indent)}`;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      const end = stringEnd(text, i);
      out += text.slice(i, end);
      i = end;
    } else if (c === '{' || c === '[') {
      const next = nextNonSpace(text, i + 1);
      const close = c === '{' ? '}' : ']';
      if (text[next] === close) {
        out += c + close;
        i = next + 1;
      } else {
        depth++;
        out += c + pad();
        i++;
      }
    } else if (c === '}' || c === ']') {
      depth--;
      out += pad() + c;
      i++;
    } else if (c === ',') {
      out += `,${pad()}`;
      i++;
    } else if (c === ':') {
      out += ': ';
      i++;
    } else if (isSpace(c)) {
      i++;
    } else {
      // A number or literal: copy the run up to the next structural character as written.
      let j = i + 1;
      while (j < text.length && !',:]} \n\r\t'.includes(text[j]!)) j++;
      out += text.slice(i, j);
      i = j;
    }
    if (out.length >= CHUNK_CHARS) {
      yield out;
      out = '';
    }
  }
  if (out.length > 0) yield out;
}

export function indentJson(text: string, indent = 2): string {
  let out = '';
  for (const chunk of indentJsonChunks(text, indent)) out += chunk;
  return out;
}
