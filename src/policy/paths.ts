/**
 * Field paths: `users[*].email`, `derp_map.Regions.*.region_id`, `"a.b".c`, `batch[event=flowCreated]`.
 *
 * Parsed once at load into segments. The normalised text (bare keys where quoting is not needed, JSON
 * double quotes otherwise, discriminator values unquoted where they can be) is how duplicates are found
 * and how report paths are written, so a rule and the report of what it matched read the same.
 */

export type PathSegment =
  | { kind: 'key'; name: string }
  | { kind: 'any-key' }
  | { kind: 'any-index' }
  | { kind: 'match'; field: string; value: string };

export interface FieldPath {
  segments: readonly PathSegment[];
  /** The normalised form. */
  text: string;
}

export type FieldPathResult =
  | { ok: true; path: FieldPath }
  | { ok: false; offset: number; message: string };

// Characters that end a bare key: the path syntax's own, quotes, whitespace, controls and the backslash.
const BARE_KEY = /^[^.[\]"'*=\s\\\u0000-\u001f\u007f]+$/u;
const BARE_KEY_CHAR = /[^.[\]"'*=\s\\\u0000-\u001f\u007f]/u;
// A discriminator value may hold dots (`[version=1.2]`), nothing else of the syntax.
const BARE_VALUE = /^[^[\]"'*=\s\\\u0000-\u001f\u007f]+$/u;
const BARE_VALUE_CHAR = /[^[\]"'*=\s\\\u0000-\u001f\u007f]/u;

/** A key as written in a path: bare when it can be, JSON-quoted otherwise (`"a.b"`, `"*"`, `""`). */
export function formatKey(name: string): string {
  return BARE_KEY.test(name) ? name : JSON.stringify(name);
}

function formatValue(value: string): string {
  return BARE_VALUE.test(value) ? value : JSON.stringify(value);
}

export function formatSegment(segment: PathSegment, first: boolean): string {
  switch (segment.kind) {
    case 'key': return first ? formatKey(segment.name) : `.${formatKey(segment.name)}`;
    case 'any-key': return first ? '*' : '.*';
    case 'any-index': return '[*]';
    case 'match': return `[${formatKey(segment.field)}=${formatValue(segment.value)}]`;
  }
}

export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  segments.forEach((s, i) => { out += formatSegment(s, i === 0); });
  return out;
}

class PathSyntaxError extends Error {
  constructor(readonly offset: number, message: string) { super(message); }
}

export function parseFieldPath(text: string): FieldPathResult {
  try {
    const segments = new PathReader(text).read();
    return { ok: true, path: { segments, text: formatPath(segments) } };
  } catch (err) {
    if (err instanceof PathSyntaxError) return { ok: false, offset: err.offset, message: err.message };
    throw err;
  }
}

class PathReader {
  private i = 0;
  private readonly segments: PathSegment[] = [];

  constructor(private readonly text: string) {}

  read(): PathSegment[] {
    const t = this.text;
    if (t === '') throw new PathSyntaxError(0, 'the path is empty');
    for (;;) {
      this.readKey();
      while (t[this.i] === '[') this.readBracket();
      if (this.i === t.length) return this.segments;
      if (t[this.i] !== '.') {
        if (t[this.i - 1] === ']') throw new PathSyntaxError(this.i, 'expected "." or "[" after "]"');
        throw this.unexpected();
      }
      this.i++;
      if (this.i === t.length) throw new PathSyntaxError(this.i - 1, 'the path ends with "."');
    }
  }

  private readKey(): void {
    const t = this.text;
    const c = t[this.i];
    if (c === '*') {
      this.i++;
      this.segments.push({ kind: 'any-key' });
    } else if (c === '"' || c === "'") {
      this.segments.push({ kind: 'key', name: this.readQuoted() });
    } else if (c !== undefined && BARE_KEY_CHAR.test(c)) {
      this.segments.push({ kind: 'key', name: this.readBare(BARE_KEY_CHAR) });
    } else if (c === '[' && this.i === 0) {
      throw new PathSyntaxError(0, 'a path starts with a key: the body\'s root is an object (write e.g. items[*])');
    } else if (c === '.') {
      throw new PathSyntaxError(this.i, this.i === 0 ? 'the path starts with "."' : 'an empty key between dots (quote it: "")');
    } else {
      throw this.unexpected();
    }
  }

  private readBracket(): void {
    const t = this.text;
    const open = this.i++;
    if (t[this.i] === '*' && t[this.i + 1] === ']') {
      this.i += 2;
      this.segments.push({ kind: 'any-index' });
      return;
    }
    const c = t[this.i];
    let field: string;
    if (c === '"' || c === "'") field = this.readQuoted();
    else if (c !== undefined && BARE_KEY_CHAR.test(c)) field = this.readBare(BARE_KEY_CHAR);
    else throw new PathSyntaxError(this.i, 'expected [*] or [field=value] after "["');
    if (t[this.i] !== '=') {
      if (t[this.i] === ']' && /^\d+$/.test(field)) {
        throw new PathSyntaxError(open, `array positions like [${field}] are not supported: use [*] or [field=value]`);
      }
      throw new PathSyntaxError(this.i, 'expected "=" in the discriminator [field=value]');
    }
    this.i++;
    const v = t[this.i];
    let value: string;
    if (v === '"' || v === "'") value = this.readQuoted();
    else if (v !== undefined && BARE_VALUE_CHAR.test(v)) value = this.readBare(BARE_VALUE_CHAR);
    else throw new PathSyntaxError(this.i, 'expected a value after "=" (quote an empty or special one: "")');
    if (t[this.i] !== ']') throw new PathSyntaxError(this.i, `expected "]" to close the "[" at character ${open + 1}`);
    this.i++;
    this.segments.push({ kind: 'match', field, value });
  }

  private readBare(allowed: RegExp): string {
    const t = this.text;
    const start = this.i;
    while (this.i < t.length && allowed.test(t[this.i]!)) this.i++;
    return t.slice(start, this.i);
  }

  private readQuoted(): string {
    const t = this.text;
    const start = this.i;
    const quote = t[start];
    if (quote === "'") {
      const end = t.indexOf("'", start + 1);
      if (end === -1) throw new PathSyntaxError(start, 'unterminated quote');
      this.i = end + 1;
      return t.slice(start + 1, end);
    }
    let j = start + 1;
    while (j < t.length && t[j] !== '"') j += t[j] === '\\' ? 2 : 1;
    if (j >= t.length) throw new PathSyntaxError(start, 'unterminated quote');
    this.i = j + 1;
    try {
      return JSON.parse(t.slice(start, j + 1)) as string;
    } catch {
      throw new PathSyntaxError(start, 'invalid escape in a quoted key (JSON string escapes apply in "…")');
    }
  }

  private unexpected(): PathSyntaxError {
    const c = this.text[this.i]!;
    return new PathSyntaxError(this.i, `unexpected ${JSON.stringify(c)}: a key that holds it must be quoted, e.g. "a${c}b"`);
  }
}

/** A key no rule names, as reports write it: `*` and 16 hex digits of its keyed tag. */
const TAG = /\*([0-9a-f]{16})(?![0-9a-zA-Z_])/g;
const TAG_NAME = /^\u0000tag([0-9a-f]{16})$/;

/**
 * A report path as records write it, for searching them: the path syntax, plus the `*<tag>` segments of
 * keys no rule names. The normalised text is the records' own form, tags as they are.
 */
export function parseReportPath(text: string): FieldPathResult {
  const parsed = parseFieldPath(text.replace(TAG, (_m, hex: string) => JSON.stringify(`\u0000tag${hex}`)));
  if (!parsed.ok) return parsed;
  let out = '';
  parsed.path.segments.forEach((segment, i) => {
    const tag = segment.kind === 'key' ? TAG_NAME.exec(segment.name) : null;
    out += tag ? `${i === 0 ? '' : '.'}*${tag[1]}` : formatSegment(segment, i === 0);
  });
  return { ok: true, path: { segments: parsed.path.segments, text: out } };
}
