/**
 * ajv's errors, rewritten for a security reviewer: which key, where in the file, and what would be right.
 * An unknown key points at the key itself; a wrong value at the value; a missing key at the mapping's key.
 */
import type { ErrorObject } from 'ajv';
import { policyError, quoted } from './errors';
import { describeLocation, escapeSegment, segmentsOf } from './json-pointer';
import type { PolicyError } from './types';
import type { YamlLocator } from './yaml-positions';

const TYPE_NAMES: Record<string, string> = {
  string: 'a string', object: 'a mapping', array: 'a list', integer: 'an integer', number: 'a number',
  boolean: 'true or false', null: 'empty',
};

export function schemaErrorsToPolicyErrors(
  errors: readonly ErrorObject[], locator: YamlLocator, file: string,
): PolicyError[] {
  const out: PolicyError[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const mapped = mapOne(e, locator, file);
    const id = `${mapped.line}:${mapped.column}:${mapped.message}`;
    if (!seen.has(id)) {
      seen.add(id);
      out.push(mapped);
    }
  }
  return out;
}

function mapOne(e: ErrorObject, locator: YamlLocator, file: string): PolicyError {
  const segments = segmentsOf(e.instancePath);
  const where = describeLocation(segments);
  const lastKey = segments[segments.length - 1];
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(params['additionalProperty']);
      const at = locator.key(`${e.instancePath}/${escapeSegment(key)}`);
      return policyError('schema', { file, ...at }, unknownKeyMessage(where, key, segments, e.parentSchema), key);
    }
    case 'required': {
      const key = String(params['missingProperty']);
      const at = segments.length ? locator.key(e.instancePath) : { line: 1, column: 1 };
      const what = isRule(segments) ? `level ${key} (a rule mapping names both levels 1 and 2)` : `required key ${quoted(key)}`;
      const place = segments.length === 0 ? '' : `${where}: `;
      return policyError('schema', { file, ...at }, `${place}missing ${what}`, key);
    }
    case 'type': {
      const expected = String(params['type']).split(',').map((t) => TYPE_NAMES[t] ?? t);
      const message = isRule(segments)
        ? `${where}: a rule must be one action (allow, hash, drop) or a mapping with levels 1 and 2`
        : `${where}: must be ${expected.join(' or ')}`;
      return policyError('schema', { file, ...locator.value(e.instancePath) }, message, lastKey);
    }
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[]).map(String).join(', ');
      return policyError('schema', { file, ...locator.value(e.instancePath) },
        `${where}: ${quoted(String(e.data))} is not one of ${allowed}`, lastKey);
    }
    case 'pattern': {
      const description = schemaDescription(e.parentSchema) ?? `must match ${String(params['pattern'])}`;
      return policyError('schema', { file, ...locator.value(e.instancePath) },
        `${where}: ${quoted(String(e.data))} ${description}`, lastKey);
    }
    case 'minimum':
    case 'maximum':
      return policyError('schema', { file, ...locator.value(e.instancePath) },
        `${where}: must be ${String(params['comparison'])} ${String(params['limit'])}`, lastKey);
    case 'minProperties':
      return policyError('schema', { file, ...locator.key(e.instancePath) },
        `${where}: must name at least one ${segments[0] === 'endpoints' ? 'endpoint' : 'key'}`, lastKey);
    case 'anyOf':
      return policyError('schema', { file, ...locator.value(e.instancePath) }, `${where}: is not one of the forms this key takes`, lastKey);
    case 'uniqueItems':
      return policyError('schema', { file, ...locator.value(e.instancePath) }, `${where}: names an item twice`, lastKey);
    case 'minItems':
      return policyError('schema', { file, ...locator.value(e.instancePath) }, `${where}: must not be an empty list`, lastKey);
    case 'minLength':
      return policyError('schema', { file, ...locator.value(e.instancePath) }, `${where}: must not be empty`, lastKey);
    default:
      return policyError('schema', { file, ...locator.value(e.instancePath) }, `${where}: ${e.message ?? 'is invalid'}`, lastKey);
  }
}

function isRule(segments: readonly string[]): boolean {
  return segments.length === 4 && segments[0] === 'endpoints' && segments[2] === 'fields';
}

function unknownKeyMessage(where: string, key: string, segments: readonly string[], parentSchema: unknown): string {
  if (isRule(segments)) {
    const hint = key === '0' ? 'level 0 needs no rules: nothing leaves'
      : 'a rule mapping has 1, 2 and optionally category, type, pattern, enum, max_length, keys, invalid, subtree, detectors, reason';
    return `${where}: unknown key ${quoted(key)} (${hint})`;
  }
  const allowed = schemaPropertyNames(parentSchema);
  const place = segments.length === 0 ? '' : ` in ${where}`;
  return `unknown key ${quoted(key)}${place}${allowed ? ` (allowed: ${allowed.join(', ')})` : ''}`;
}

function schemaPropertyNames(schema: unknown): string[] | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const properties = (schema as { properties?: unknown }).properties;
  return typeof properties === 'object' && properties !== null ? Object.keys(properties) : undefined;
}

function schemaDescription(schema: unknown): string | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const d = (schema as { description?: unknown }).description;
  return typeof d === 'string' ? d : undefined;
}
