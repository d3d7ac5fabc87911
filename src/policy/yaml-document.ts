/**
 * One YAML document with positions: js-yaml's event stream is parsed once, then used both to build the
 * value (`constructFromEvents`, which also refuses duplicate keys) and the locator.
 */
import { EVENT_ID, YAMLException, constructFromEvents, parseEvents, type Event } from 'js-yaml';
import { policyError, quoted } from './errors';
import type { PolicyError } from './types';
import { YamlLocator } from './yaml-positions';

export type YamlDocumentResult =
  | { ok: true; value: unknown; locator: YamlLocator }
  | { ok: false; errors: PolicyError[] };

const DUPLICATE_KEY_REASON = 'duplicated mapping key';

export function parseYamlDocument(source: string, file: string): YamlDocumentResult {
  let events: Event[];
  try {
    events = parseEvents(source, { filename: file });
  } catch (err) {
    return { ok: false, errors: [yamlError(err, file)] };
  }
  const locator = new YamlLocator(source, events);
  const documents = events.filter((e) => e.type === EVENT_ID.DOCUMENT).length;
  if (documents === 0) {
    return { ok: false, errors: [policyError('yaml', { file, line: 1, column: 1 }, 'the policy file is empty')] };
  }
  if (documents > 1) {
    const at = secondDocumentStart(events, locator);
    return {
      ok: false,
      errors: [policyError('yaml', { file, ...at }, 'a policy file holds one YAML document; a second one starts here')],
    };
  }
  try {
    const [value] = constructFromEvents(events, { source, filename: file });
    return { ok: true, value, locator };
  } catch (err) {
    return { ok: false, errors: [yamlError(err, file, locator)] };
  }
}

function yamlError(err: unknown, file: string, locator?: YamlLocator): PolicyError {
  if (!(err instanceof YAMLException)) throw err;
  const mark = err.mark;
  const at = { file, line: mark ? mark.line + 1 : 1, column: mark ? mark.column + 1 : 1 };
  if (err.reason === DUPLICATE_KEY_REASON) {
    const key = mark && locator ? locator.keyAt(mark.position) : undefined;
    const message = key === undefined
      ? 'duplicate key: a key may appear only once in a mapping'
      : `duplicate key ${quoted(key)}: a key may appear only once in a mapping`;
    return policyError('duplicate-key', at, message, key);
  }
  return policyError('yaml', at, `YAML syntax: ${err.reason}`);
}

function secondDocumentStart(events: readonly Event[], locator: YamlLocator): { line: number; column: number } {
  let documents = 0;
  for (const ev of events) {
    if (ev.type === EVENT_ID.DOCUMENT) documents++;
    else if (documents === 2) {
      if (ev.type === EVENT_ID.SCALAR) return locator.lineColumn(ev.valueStart);
      if (ev.type === EVENT_ID.MAPPING || ev.type === EVENT_ID.SEQUENCE) return locator.lineColumn(ev.start);
    }
  }
  return { line: 1, column: 1 };
}
