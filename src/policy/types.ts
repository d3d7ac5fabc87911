/**
 * The policy engine's public contract. The gateway and the CLI use only what is exported here and from
 * src/policy/index.ts, so `telegate policy explain` and `telegate serve` run the very same code.
 */
import type { JsonValue } from '../json/types';

/** Enforced telemetry level: 0 nothing leaves, 1 anonymous, 2 vendor default. */
export type Level = 0 | 1 | 2;
export const LEVELS: readonly Level[] = [0, 1, 2];

/** What a rule does to the value at its path (and, on a container, to its whole subtree). */
export type Action = 'allow' | 'hash' | 'drop';

/** Data-inventory category of a field, for the privacy report. Optional in policy files. */
export type FieldCategory = 'personal' | 'identifier' | 'secret' | 'technical' | 'usage';

/** A position in a source file, 1-based. */
export interface SourcePosition { file: string; line: number; column: number }

/** An error a security engineer can act on: where, which key, what is wrong. */
export interface PolicyError extends SourcePosition {
  /** Stable machine-readable code, e.g. `schema`, `yaml`, `path-syntax`, `duplicate-rule`, `hash-on-container`. */
  code: string;
  message: string;
  /** The offending key or field path, when there is one. */
  key?: string;
}

/** `sha256:<hex>` of the policy file's bytes. */
export type PolicyDigest = `sha256:${string}`;

/** Field-path counts as reported: array indices are written `[*]`. */
export type PathCounts = Record<string, number>;

/** The outcome of applying one endpoint's rules at one level to one body. */
export interface TransformResult {
  /** `block` at level 0 (nothing leaves); otherwise `forward`. */
  decision: 'forward' | 'block';
  /** What may leave; `null` when blocked. May share wholly allowed subtrees with the input (neither is mutated). */
  body: JsonValue | null;
  /** Removed by an explicit `drop` (on the field or an ancestor), or unhashable under `hash`. */
  dropped: PathCounts;
  /** Replaced by their pseudonym. */
  hashed: PathCounts;
  /** Not covered by any rule: removed by default deny (schema drift). */
  unknown: PathCounts;
}

/** One value the policy removed or replaced, where it was in the input (for `policy explain`'s diff). */
export interface FieldChange {
  kind: 'dropped' | 'hashed' | 'unknown';
  /** Object keys and array indices from the body's root to the value. */
  at: readonly (string | number)[];
  /** The path it is counted under in TransformResult (`users[*].email`). */
  reportPath: string;
  /** The input's value (a whole subtree when a container was removed). */
  original: JsonValue;
  /** The replacement, for `hashed`. */
  pseudonym?: JsonValue;
}

/** The reply telegate gives the instance itself when nothing is forwarded (level 0). */
export interface LocalReply { status: number; body: string; contentType: string }

/** One rule as written in the file, kept for reports and explain. */
export interface RuleSource {
  path: string;
  actions: Record<1 | 2, Action>;
  category?: FieldCategory;
  position: SourcePosition;
  /** Where each level's action is written (both at the one value for a rule like `x: allow`). */
  actionPositions?: Record<1 | 2, SourcePosition>;
}

/** Applies one endpoint's compiled rules at one level. Compiled once at load; the hot path reads no YAML. */
export interface CompiledRules {
  readonly level: 1 | 2;
  apply(body: JsonValue, pseudonymizer: Pseudonymizer): TransformResult;
  /** The same decisions as `apply`, listed value by value with originals: for explain, never the hot path. */
  trace(body: JsonValue, pseudonymizer: Pseudonymizer): FieldChange[];
}

export interface Endpoint {
  /** e.g. `/snapshot`, `/v1/batch` */
  path: string;
  method: string;
  localReply: LocalReply;
  rules: readonly RuleSource[];
  compiled: Readonly<Record<1 | 2, CompiledRules>>;
}

export interface Policy {
  vendor: string;
  file: string;
  digest: PolicyDigest;
  upstream: string;
  hosts: readonly string[];
  /** Request headers that may pass, lower-cased. */
  headers: readonly string[];
  endpoints: ReadonlyMap<string, Endpoint>;
}

/** Every policy of a folder, loaded and validated as one: a set with any error is refused whole. */
export interface PolicySet {
  policies: ReadonlyMap<string, Policy>;
  loadedAt: Date;
}

/**
 * Keyed, deterministic, format-preserving pseudonymization (SPEC §3).
 * `pseudonymize` returns `undefined` for a value whose JSON type cannot be kept while hashed
 * (boolean, null, object, array): the caller drops it and reports it.
 */
export interface Pseudonymizer {
  pseudonymize(value: JsonValue): JsonValue | undefined;
}
