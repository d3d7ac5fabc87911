/**
 * ajv's errors, worded for whoever edits the file: `<dotted.key>: <what is wrong>`. No message repeats a
 * value from the file, because one of them (admin.token) is a secret and a wrong indentation can move it
 * under another key.
 */
import type { ErrorObject } from 'ajv';

const TYPE_NAMES: Record<string, string> = {
  string: 'a string', object: 'a mapping', array: 'a list', integer: 'an integer', number: 'a number',
  boolean: 'true or false', null: 'null',
};

/** One message per problem, in ajv's order (the file's order of keys). */
export function schemaErrorMessages(errors: readonly ErrorObject[]): string[] {
  const out: string[] = [];
  // A key that may take two shapes (listen: a mapping or a list) is type-checked twice: the first
  // message, which names both shapes, says it.
  const typed = new Set<string>();
  for (const e of errors) {
    if (e.keyword === 'type') {
      if (typed.has(e.instancePath)) continue;
      typed.add(e.instancePath);
    }
    const message = describe(e);
    if (message !== undefined && !out.includes(message)) out.push(message);
  }
  return out;
}

function describe(e: ErrorObject): string | undefined {
  const path = dottedPath(e.instancePath);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const allowed = propertyNames(e.parentSchema);
      return at(join(path, String(params['additionalProperty'])),
        `unknown key${allowed ? ` (allowed: ${allowed.join(', ')})` : ''}`);
    }
    case 'required':
      return at(join(path, String(params['missingProperty'])), 'missing');
    case 'type':
      return at(path, `must be ${String(params['type']).split(',').map((t) => TYPE_NAMES[t] ?? t).join(' or ')}`);
    case 'enum':
      return at(path, `must be ${oneOf((params['allowedValues'] as unknown[]).map(String))}`);
    case 'pattern': {
      // Under propertyNames the offending key is the problem: name it in the path.
      const name = params['propertyName'];
      const where = e.propertyName ?? (typeof name === 'string' ? name : undefined);
      return at(where === undefined ? path : join(path, where), description(e.parentSchema) ?? 'has the wrong form');
    }
    case 'propertyNames':
      return undefined; // ajv reports the name's own `pattern` error too; that one says what is wrong
    case 'if':
      return undefined; // "must match then/else schema": the branch's own errors say what is wrong
    case 'minItems':
      return at(path, `must not be an empty list (at least ${String(params['limit'])} entry)`);
    case 'minimum':
      return at(path, `must be at least ${String(params['limit'])}`);
    case 'maximum':
      return at(path, `must be at most ${String(params['limit'])}`);
    case 'minLength':
      return at(path, 'must not be empty');
    default:
      return at(path, e.message ?? 'is invalid');
  }
}

/** `/vendors/coder/level` -> `vendors.coder.level`. */
function dottedPath(pointer: string): string {
  return pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).join('.');
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function at(path: string, message: string): string {
  return path === '' ? `the file ${message}` : `${path}: ${message}`;
}

/** `0, 1 or 2` */
function oneOf(values: readonly string[]): string {
  return values.length <= 1 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}

function propertyNames(schema: unknown): string[] | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const properties = (schema as { properties?: unknown }).properties;
  return typeof properties === 'object' && properties !== null ? Object.keys(properties) : undefined;
}

function description(schema: unknown): string | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const d = (schema as { description?: unknown }).description;
  return typeof d === 'string' ? d : undefined;
}
