/**
 * Reads a policy fixture test (`*.test.yaml`, see docs/policy-language.md §Fixture tests) into a typed
 * value, with every input and expected-body file resolved relative to the fixture and parsed exactly.
 * A malformed fixture gives errors naming file, line, column and key, like a malformed policy.
 */
import { MIN_KEY_BYTES } from './pseudonymize';
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parseJson } from '../json/parse';
import type { JsonObject, JsonValue } from '../json/types';
import { pointerOf } from './json-pointer';
import type { Level, PathCounts, PolicyError, SourcePosition } from './types';
import { parseYamlDocument } from './yaml-document';
import type { YamlLocator } from './yaml-positions';

/**
 * The fixed key fixtures are pseudonymized under, unless a fixture names its own with `key:`. It is public on
 * purpose: fixture pseudonyms must be reproducible by anyone, and must never equal a deployment's.
 */
export const FIXTURE_TEST_KEY = 'telegate-fixture-key';

/** Deep enough for any real telemetry body; the gateway's own limit is configurable (`limits.depth`). */
const FIXTURE_MAX_DEPTH = 512;

export type CountReport = 'dropped' | 'hashed' | 'unknown' | 'invalid' | 'redacted';
export const COUNT_REPORTS: readonly CountReport[] = ['dropped', 'hashed', 'unknown', 'invalid', 'redacted'];

export type LevelExpectation =
  | { decision: 'block'; position: SourcePosition }
  | {
    decision: 'forward';
    position: SourcePosition;
    /** The exact body the vendor must receive, `{"$hash": original}` markers still in it; absent: not compared. */
    body?: JsonValue;
    /** Compared exactly when present. */
    counts: Partial<Record<CountReport, PathCounts>>;
  };

export interface Fixture {
  file: string;
  name: string;
  vendor: string;
  endpoint: string;
  key: string;
  input: JsonValue;
  /** In level order. */
  expect: ReadonlyMap<Level, LevelExpectation>;
  positions: { vendor: SourcePosition; endpoint: SourcePosition };
}

export type FixtureLoadResult = { ok: true; value: Fixture } | { ok: false; errors: PolicyError[] };

const TOP_LEVEL_KEYS = new Set(['name', 'vendor', 'endpoint', 'key', 'input', 'body', 'expect']);
const EXPECTATION_KEYS = new Set(['body', 'file', ...COUNT_REPORTS]);

type Segment = string | number;

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Accumulates errors with positions; each check returns undefined when it failed. */
class FixtureReader {
  readonly errors: PolicyError[] = [];

  constructor(readonly file: string, private readonly locator: YamlLocator) {}

  /** The key of the entry at `path`, or its nearest ancestor the document has. */
  at(path: readonly Segment[]): SourcePosition {
    return { file: this.file, ...this.locator.key(pointerOf(path)) };
  }

  fail(path: readonly Segment[], code: string, message: string): undefined {
    const key = path.length === 0 ? undefined : path.join('.');
    this.errors.push({ ...this.at(path), code, message, ...(key === undefined ? {} : { key }) });
    return undefined;
  }

  string(value: unknown, path: readonly Segment[], what: string): string | undefined {
    if (typeof value === 'string' && value !== '') return value;
    return this.fail(path, 'fixture-schema', `${path.join('.')} must be ${what} (a non-empty string)`);
  }

  json(value: unknown, path: readonly Segment[]): JsonValue | undefined {
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
    if (typeof value === 'number') {
      if (Number.isFinite(value)) return value;
      return this.fail(path, 'fixture-schema', `${path.join('.')} is not a JSON number (${String(value)})`);
    }
    if (Array.isArray(value)) {
      const items: JsonValue[] = [];
      value.forEach((item, i) => { items.push(this.json(item, [...path, i]) ?? null); });
      return items;
    }
    if (isMapping(value)) {
      const object: JsonObject = {};
      for (const [key, item] of Object.entries(value)) {
        Object.defineProperty(object, key, { value: this.json(item, [...path, key]) ?? null, enumerable: true, writable: true, configurable: true });
      }
      return object;
    }
    return this.fail(path, 'fixture-schema', `${path.join('.')} holds a value JSON cannot (${typeof value})`);
  }

  jsonFile(name: string, path: readonly Segment[]): JsonValue | undefined {
    const full = resolve(dirname(this.file), name);
    let bytes: Buffer;
    try {
      bytes = readFileSync(full);
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      return this.fail(path, 'fixture-file', `cannot read ${name} (${full}): ${reason}`);
    }
    const parsed = parseJson(bytes, { maxDepth: FIXTURE_MAX_DEPTH });
    if (!parsed.ok) return this.fail(path, 'fixture-json', `${name} is not usable JSON (${parsed.error.code}): ${parsed.error.detail}`);
    return parsed.value;
  }

  counts(value: unknown, path: readonly Segment[]): PathCounts | undefined {
    if (!isMapping(value)) return this.fail(path, 'fixture-schema', `${path.join('.')} must map field paths to counts`);
    const counts: PathCounts = {};
    for (const [field, count] of Object.entries(value)) {
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
        this.fail([...path, field], 'fixture-schema', `${path.join('.')}.${field}: the count must be a positive integer`);
        continue;
      }
      counts[field] = count;
    }
    return counts;
  }

  unknownKeys(value: Record<string, unknown>, allowed: ReadonlySet<string>, path: readonly Segment[]): void {
    for (const key of Object.keys(value)) {
      if (!allowed.has(key)) {
        this.fail([...path, key], 'fixture-schema', `unknown key "${key}" (expected one of: ${[...allowed].join(', ')})`);
      }
    }
  }
}

function parseLevel(text: string): Level | undefined {
  return text === '0' ? 0 : text === '1' ? 1 : text === '2' ? 2 : undefined;
}

function readExpectation(reader: FixtureReader, level: Level, value: unknown): LevelExpectation | undefined {
  const path: Segment[] = ['expect', level];
  const position = reader.at(path);
  if (value === 'block') return { decision: 'block', position };
  if (level === 0) return reader.fail(path, 'fixture-schema', 'at level 0 nothing leaves: write `0: block`');
  if (typeof value === 'string') {
    const body = reader.jsonFile(value, path);
    return body === undefined ? undefined : { decision: 'forward', position, body, counts: {} };
  }
  if (!isMapping(value)) {
    return reader.fail(path, 'fixture-schema', `expect.${level} must be \`block\`, an expected-body file, or a mapping of body/file/dropped/hashed/unknown/invalid/redacted`);
  }
  reader.unknownKeys(value, EXPECTATION_KEYS, path);
  if (value['body'] !== undefined && value['file'] !== undefined) {
    return reader.fail(path, 'fixture-schema', `expect.${level}: give the expected body inline (body) or as a file (file), not both`);
  }
  let body: JsonValue | undefined;
  if (value['file'] !== undefined) {
    const name = reader.string(value['file'], [...path, 'file'], 'a file name');
    body = name === undefined ? undefined : reader.jsonFile(name, [...path, 'file']);
  } else if (value['body'] !== undefined) {
    body = reader.json(value['body'], [...path, 'body']);
  }
  const counts: Partial<Record<CountReport, PathCounts>> = {};
  for (const report of COUNT_REPORTS) {
    if (value[report] === undefined) continue;
    const parsed = reader.counts(value[report] ?? {}, [...path, report]);
    if (parsed !== undefined) counts[report] = parsed;
  }
  return { decision: 'forward', position, ...(body === undefined ? {} : { body }), counts };
}

function readFixture(reader: FixtureReader, document: unknown, file: string): Fixture | undefined {
  if (!isMapping(document)) return reader.fail([], 'fixture-schema', 'a fixture must be a mapping with vendor, endpoint, input and expect');
  reader.unknownKeys(document, TOP_LEVEL_KEYS, []);
  const vendor = reader.string(document['vendor'], ['vendor'], 'the vendor whose policy is tested');
  const endpoint = reader.string(document['endpoint'], ['endpoint'], 'the endpoint path, e.g. /snapshot');
  const name = document['name'] === undefined ? basename(file, '.test.yaml') : reader.string(document['name'], ['name'], 'a name');
  const key = document['key'] === undefined ? FIXTURE_TEST_KEY : reader.string(document['key'], ['key'], 'the hash key for this fixture');
  if (key !== undefined && Buffer.byteLength(key, 'utf8') < MIN_KEY_BYTES) {
    reader.fail(['key'], 'fixture-schema', `the hash key must be at least ${MIN_KEY_BYTES} bytes, as the gateway's must`);
  }

  let input: JsonValue | undefined;
  if ((document['input'] === undefined) === (document['body'] === undefined)) {
    reader.fail([], 'fixture-schema', 'give the input payload either as a file (input:) or inline (body:), exactly one');
  } else if (document['input'] !== undefined) {
    const inputFile = reader.string(document['input'], ['input'], 'the input payload file');
    input = inputFile === undefined ? undefined : reader.jsonFile(inputFile, ['input']);
  } else {
    input = reader.json(document['body'], ['body']);
  }

  const expect = new Map<Level, LevelExpectation>();
  const expectValue = document['expect'];
  if (!isMapping(expectValue) || Object.keys(expectValue).length === 0) {
    reader.fail(['expect'], 'fixture-schema', 'expect must map at least one level (0, 1, 2) to its expected result');
  } else {
    for (const [levelText, value] of Object.entries(expectValue)) {
      const level = parseLevel(levelText);
      if (level === undefined) {
        reader.fail(['expect', levelText], 'fixture-schema', `"${levelText}" is not a level (0, 1 or 2)`);
        continue;
      }
      const expectation = readExpectation(reader, level, value);
      if (expectation !== undefined) expect.set(level, expectation);
    }
  }

  if (reader.errors.length > 0 || vendor === undefined || endpoint === undefined || name === undefined
    || key === undefined || input === undefined) return undefined;
  const ordered = new Map([...expect].sort(([a], [b]) => a - b));
  return {
    file, name, vendor, endpoint, key, input, expect: ordered,
    positions: { vendor: reader.at(['vendor']), endpoint: reader.at(['endpoint']) },
  };
}

export function loadFixture(file: string): FixtureLoadResult {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return { ok: false, errors: [{ file, line: 1, column: 1, code: 'fixture-file', message: `cannot read the fixture: ${reason}` }] };
  }
  // The policy loader's YAML reader: one parse for value and positions, duplicate keys refused.
  const yaml = parseYamlDocument(source, file);
  if (!yaml.ok) return yaml;
  const reader = new FixtureReader(file, yaml.locator);
  const fixture = readFixture(reader, yaml.value, file);
  return fixture === undefined ? { ok: false, errors: reader.errors } : { ok: true, value: fixture };
}
