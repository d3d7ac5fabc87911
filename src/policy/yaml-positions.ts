/**
 * Source positions for a YAML document. js-yaml's `load()` returns plain values without positions, so the
 * locator walks js-yaml's event stream (`parseEvents`) once and records, for every JSON pointer, where its
 * key and its value start. ajv's `instancePath` and the semantic checks then name a line and column.
 */
import { EVENT_ID, SCALAR_STYLE, getScalarValue, type Event } from 'js-yaml';
import { escapeSegment, parentPointer } from './json-pointer';

export interface LineColumn { line: number; column: number }

interface Entry { keyOffset: number; valueOffset: number }

type Frame =
  | { kind: 'map'; pointer: string; expectKey: boolean; key: string; keyOffset: number }
  | { kind: 'seq'; pointer: string; index: number }
  | { kind: 'complex-key' };

export class YamlLocator {
  private readonly lineStarts: number[] = [0];
  private readonly entries = new Map<string, Entry>();
  private readonly keysByOffset = new Map<number, string>();

  constructor(private readonly source: string, events: readonly Event[]) {
    for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
    this.walk(events);
  }

  /** 1-based line and column of a 0-based offset into the source. */
  lineColumn(offset: number): LineColumn {
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid; else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 };
  }

  /** Where the value at `pointer` starts; for a place the document lacks, its nearest ancestor. */
  value(pointer: string): LineColumn {
    const entry = this.nearest(pointer);
    return entry ? this.lineColumn(entry.valueOffset) : { line: 1, column: 1 };
  }

  /** Where the key of the member at `pointer` starts (array elements and the root: their value). */
  key(pointer: string): LineColumn {
    const entry = this.nearest(pointer);
    if (!entry) return { line: 1, column: 1 };
    return this.lineColumn(entry.keyOffset >= 0 ? entry.keyOffset : entry.valueOffset);
  }

  /** Whether the document has a value at exactly this pointer. */
  has(pointer: string): boolean {
    return this.entries.has(pointer);
  }

  /** The text of the mapping key that starts at `offset`, if one does (names duplicate keys). */
  keyAt(offset: number): string | undefined {
    return this.keysByOffset.get(offset);
  }

  private nearest(pointer: string): Entry | undefined {
    for (let p = pointer; ; p = parentPointer(p)) {
      const entry = this.entries.get(p);
      if (entry || p === '') return entry;
    }
  }

  private walk(events: readonly Event[]): void {
    const stack: Frame[] = [];
    let documents = 0;
    for (const ev of events) {
      if (ev.type === EVENT_ID.DOCUMENT) {
        if (++documents > 1) return; // only the first document is a policy; more is an error reported elsewhere
        continue;
      }
      if (ev.type === EVENT_ID.POP) {
        stack.pop();
        continue;
      }
      const parent = stack[stack.length - 1];
      if (parent?.kind === 'complex-key') {
        if (ev.type === EVENT_ID.MAPPING || ev.type === EVENT_ID.SEQUENCE) stack.push(parent);
        continue;
      }
      const offset = nodeStart(ev);
      if (parent?.kind === 'map' && parent.expectKey) {
        parent.expectKey = false;
        parent.keyOffset = offset;
        if (ev.type === EVENT_ID.SCALAR) {
          parent.key = getScalarValue(this.source, ev);
          this.keysByOffset.set(offset, parent.key);
        } else {
          parent.key = '<complex key>';
          if (ev.type === EVENT_ID.MAPPING || ev.type === EVENT_ID.SEQUENCE) stack.push({ kind: 'complex-key' });
        }
        continue;
      }
      let pointer: string;
      let keyOffset = -1;
      if (parent?.kind === 'map') {
        pointer = `${parent.pointer}/${escapeSegment(parent.key)}`;
        keyOffset = parent.keyOffset;
        parent.expectKey = true;
      } else if (parent?.kind === 'seq') {
        pointer = `${parent.pointer}/${parent.index++}`;
      } else {
        pointer = '';
      }
      if (!this.entries.has(pointer)) this.entries.set(pointer, { keyOffset, valueOffset: offset });
      if (ev.type === EVENT_ID.MAPPING) stack.push({ kind: 'map', pointer, expectKey: true, key: '', keyOffset: -1 });
      else if (ev.type === EVENT_ID.SEQUENCE) stack.push({ kind: 'seq', pointer, index: 0 });
    }
  }
}

/** Where a node starts in the source: its tag or anchor if it has one, the opening quote of a quoted scalar. */
function nodeStart(ev: Exclude<Event, { type: typeof EVENT_ID.DOCUMENT | typeof EVENT_ID.POP }>): number {
  if (ev.type === EVENT_ID.ALIAS) return ev.anchorStart - 1; // the `*` before the alias name
  let start: number;
  if (ev.type === EVENT_ID.SCALAR) {
    const quoted = ev.style === SCALAR_STYLE.SINGLE_QUOTED || ev.style === SCALAR_STYLE.DOUBLE_QUOTED;
    start = quoted ? ev.valueStart - 1 : ev.valueStart;
  } else {
    start = ev.start;
  }
  // js-yaml's anchorStart is the anchor's name, one past its `&`; tagStart is the `!` itself.
  if (ev.anchorStart >= 1 && ev.anchorStart - 1 < start) start = ev.anchorStart - 1;
  if (ev.tagStart >= 0 && ev.tagStart < start) start = ev.tagStart;
  return start;
}
