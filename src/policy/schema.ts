/**
 * The JSON Schema of a policy file (docs/policy-language.md), compiled once with ajv. It checks shape
 * only; what a schema cannot say well (path syntax, actions, duplicates, names) is validate.ts's job.
 * `description` texts of constrained strings double as the error message a reviewer reads.
 */
import Ajv, { type ErrorObject, type JSONSchemaType } from 'ajv';
import { DETECTOR_KINDS } from './detector-kinds';
import { VALUE_TYPES, type FieldCategory } from './types';

export const FIELD_CATEGORIES: readonly FieldCategory[] = ['personal', 'identifier', 'secret', 'technical', 'usage'];
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** A value constraint as written; its meaning is checked in validate.ts and compiled in constraints.ts. */
export interface ConstraintDocument {
  type?: string | string[];
  pattern?: string;
  enum?: (string | number | boolean | null)[];
  max_length?: number;
  detectors?: 'off' | string[];
}

/** A rule as written: one action for both levels, or one per level (actions are checked in validate.ts). */
export type RuleDocument = string | (ConstraintDocument & {
  '1': string; '2': string; category?: FieldCategory;
  keys?: { pattern?: string; enum?: string[]; max_length?: number };
  invalid?: 'drop' | 'hash'; subtree?: boolean; reason?: string;
});

export type HeaderDocument = string | (ConstraintDocument & { name: string; reason?: string });

export interface EndpointDocument {
  description?: string;
  method: (typeof HTTP_METHODS)[number];
  local_reply: { status: number; body?: string; content_type?: string };
  /** This endpoint's own limits (SPEC §5 "Bounded cost"); the gateway applies the smaller of these and its config's. */
  limits?: { body_bytes?: number; inflated_bytes?: number; values?: number; depth?: number };
  fields: Record<string, RuleDocument>;
}

export interface PolicyDocument {
  vendor: string;
  description?: string;
  upstream: string;
  hosts?: string[];
  headers?: HeaderDocument[];
  detectors?: { skip?: string[]; level_2?: string[]; reason?: string };
  endpoints: Record<string, EndpointDocument>;
}

const HOST_NAME = '^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$';
const HEADER_NAME = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";

const detectorKind = { type: 'string', enum: DETECTOR_KINDS, description: `is not a detector (one of ${DETECTOR_KINDS.join(', ')})` } as const;
const valueType = { type: 'string', enum: VALUE_TYPES, description: `is not a value type (one of ${VALUE_TYPES.join(', ')})` } as const;

/** The members every value constraint may have (fields and headers alike). */
const constraintProperties = {
  type: { anyOf: [valueType, { type: 'array', items: valueType, minItems: 1, uniqueItems: true }] },
  pattern: { type: 'string', minLength: 1 },
  enum: { type: 'array', minItems: 1, items: { type: ['string', 'number', 'boolean', 'null'] } },
  max_length: { type: 'integer', minimum: 0 },
  detectors: { anyOf: [{ type: 'string', enum: ['off'], description: 'must be "off" or a list of detector kinds' }, { type: 'array', items: detectorKind, minItems: 1, uniqueItems: true }] },
} as const;

// ajv's JSONSchemaType cannot express a string-or-object union, so the rule schema is typed loosely and
// the whole schema is checked against PolicyDocument by the cast below.
const ruleSchema = {
  type: ['string', 'object'],
  required: ['1', '2'],
  additionalProperties: false,
  properties: {
    '1': { type: 'string' },
    '2': { type: 'string' },
    category: { type: 'string', enum: FIELD_CATEGORIES },
    ...constraintProperties,
    keys: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        pattern: { type: 'string', minLength: 1 },
        enum: { type: 'array', minItems: 1, items: { type: 'string' } },
        max_length: { type: 'integer', minimum: 0 },
      },
    },
    invalid: { type: 'string', enum: ['drop', 'hash'] },
    subtree: { type: 'boolean' },
    reason: { type: 'string', minLength: 1 },
  },
} as const;

const headerSchema = {
  anyOf: [
    { type: 'string', pattern: HEADER_NAME, description: 'is not an HTTP header name' },
    {
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      properties: { name: { type: 'string', pattern: HEADER_NAME, description: 'is not an HTTP header name' }, ...constraintProperties, reason: { type: 'string', minLength: 1 } },
    },
  ],
} as const;

const endpointSchema = {
  type: 'object',
  required: ['method', 'local_reply', 'fields'],
  additionalProperties: false,
  properties: {
    description: { type: 'string' },
    method: { type: 'string', enum: HTTP_METHODS },
    local_reply: {
      type: 'object',
      required: ['status'],
      additionalProperties: false,
      properties: {
        status: { type: 'integer', minimum: 100, maximum: 599 },
        body: { type: 'string' },
        content_type: { type: 'string', minLength: 1 },
      },
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      properties: {
        body_bytes: { type: 'integer', minimum: 1 },
        inflated_bytes: { type: 'integer', minimum: 1 },
        values: { type: 'integer', minimum: 1 },
        depth: { type: 'integer', minimum: 1 },
      },
    },
    fields: { type: 'object', additionalProperties: ruleSchema },
  },
} as const;

export const policySchema = {
  $id: 'https://telegate.dev/schemas/policy.json',
  type: 'object',
  required: ['vendor', 'upstream', 'endpoints'],
  additionalProperties: false,
  properties: {
    vendor: {
      type: 'string',
      pattern: '^[a-z][a-z0-9-]*$',
      description: 'must be lower-case letters, digits and "-", starting with a letter',
    },
    description: { type: 'string' },
    upstream: { type: 'string', minLength: 1 },
    hosts: {
      type: 'array',
      items: { type: 'string', pattern: HOST_NAME, description: 'is not a host name (letters, digits, "-" and dots; no port)' },
    },
    headers: { type: 'array', items: headerSchema },
    detectors: {
      type: 'object',
      additionalProperties: false,
      properties: {
        skip: { type: 'array', items: detectorKind, uniqueItems: true },
        level_2: { type: 'array', items: detectorKind, uniqueItems: true },
        reason: { type: 'string', minLength: 1 },
      },
    },
    endpoints: { type: 'object', minProperties: 1, additionalProperties: endpointSchema },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
const validatePolicy = ajv.compile(policySchema as unknown as JSONSchemaType<PolicyDocument>);

export type SchemaResult = { ok: true; value: PolicyDocument } | { ok: false; errors: ErrorObject[] };

export function checkPolicySchema(value: unknown): SchemaResult {
  if (validatePolicy(value)) return { ok: true, value };
  return { ok: false, errors: [...(validatePolicy.errors ?? [])] };
}
