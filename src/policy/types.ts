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

/**
 * Field-path counts as reported: array indices are written `[*]`, and a key no rule names as `*~` and
 * its keyed tag (`users[*].*~3fa2b1c4d5e6f708`): keys are data too, and a report never writes one as sent.
 */
export type PathCounts = Record<string, number>;

/** The kinds of the report: what the policy did to values that did not leave as sent. */
export type ReportKind = 'dropped' | 'hashed' | 'unknown' | 'invalid' | 'redacted';
export const REPORT_KINDS: readonly ReportKind[] = ['dropped', 'hashed', 'unknown', 'invalid', 'redacted'];

/** The named detectors (detectors.ts): what a value found by them held. */
export type DetectorKind =
  | 'pem' | 'jwt' | 'url_credentials' | 'bearer' | 'github_token' | 'gitlab_token' | 'aws_access_key'
  | 'slack_token' | 'google_api_key' | 'npm_token'
  | 'email' | 'url' | 'ipv4' | 'ipv6' | 'aws_arn' | 'aws_account_id';

/** Redacted values by the detector that found them. */
export type DetectorCounts = Partial<Record<DetectorKind, number>>;

/**
 * Report paths past the bound a record lists (MAX_REPORT_PATHS): how many distinct paths were left
 * out, and their values per report kind, so totals still add up.
 */
export interface UnlistedCounts { paths: number; values: Partial<Record<ReportKind, number>> }

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
  /** Failed their rule's value constraint or shape: removed (or hashed, where the rule says `invalid: hash`). */
  invalid: PathCounts;
  /** Held what a detector finds (an e-mail address, a token…): removed whole. */
  redacted: PathCounts;
  /** The redacted values by detector kind. */
  detections: DetectorCounts;
  /** Present when more distinct report paths occurred than a record lists. */
  unlisted?: UnlistedCounts;
}

/** One value the policy removed or replaced, where it was in the input (for `policy explain`'s diff). */
export interface FieldChange {
  kind: ReportKind;
  /** For `redacted`: the detector that found it. */
  detector?: DetectorKind;
  /** Object keys and array indices from the body's root to the value. */
  at: readonly (string | number)[];
  /** The path it is counted under in TransformResult (`users[*].email`). */
  reportPath: string;
  /** `at` as a path to show without data: indices as they are, keys no rule names by their tag (`users[0].*3fa2…`). */
  shown: string;
  /** The input's value (a whole subtree when a container was removed). */
  original: JsonValue;
  /** The replacement, for `hashed` (and an `invalid` value its rule hashes). */
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
  /** The value constraint, as written (constraints.ts compiles it). */
  constraint?: ConstraintSource;
  /** What a value failing the constraint becomes: `drop` (default) or `hash`. */
  invalid?: 'drop' | 'hash';
  /** `allow` passes a whole container here, not only a scalar. */
  subtree?: boolean;
  /** Detector kinds not run on the values of this rule (`off`: none run). */
  detectorsOff?: 'all' | readonly DetectorKind[];
  /** Why a rule passes a subtree or opts out of detectors. */
  reason?: string;
}

/** A value constraint as a policy writes it (docs/policy-language.md §Value constraints). */
export interface ConstraintSource {
  type?: readonly ValueType[];
  pattern?: string;
  enum?: readonly (string | number | boolean | null)[];
  max_length?: number;
  /** On a path ending in `*`: the keys it matches. */
  keys?: { pattern?: string; enum?: readonly string[]; max_length?: number };
}

export type ValueType = 'string' | 'number' | 'integer' | 'boolean' | 'null' | 'uuid' | 'timestamp' | 'semver';
export const VALUE_TYPES: readonly ValueType[] = ['string', 'number', 'integer', 'boolean', 'null', 'uuid', 'timestamp', 'semver'];

/** A request header the policy lets pass, with the constraint its value must meet. */
export interface HeaderRule {
  /** Lower-case. */
  name: string;
  constraint?: ConstraintSource;
  detectorsOff?: 'all' | readonly DetectorKind[];
  position: SourcePosition;
  /** The constraint, compiled (null: none). */
  check: ((value: string) => boolean) | null;
  /** Detector bits run on the value, per level. */
  scan: Readonly<Record<1 | 2, number>>;
}

/** Per vendor: detector kinds not run at all, and kinds run at level 2 beyond the secret kinds. */
export interface VendorDetectors { skip: readonly DetectorKind[]; level2: readonly DetectorKind[] }

/** Applies one endpoint's compiled rules at one level. Compiled once at load; the hot path reads no YAML. */
export interface CompiledRules {
  readonly level: 1 | 2;
  apply(body: JsonValue, pseudonymizer: Pseudonymizer): TransformResult;
  /** The same decisions as `apply`, listed value by value with originals: for explain, never the hot path. */
  trace(body: JsonValue, pseudonymizer: Pseudonymizer): FieldChange[];
}

/**
 * An endpoint's own bounds on one request (the policy file's `limits`), each absent when the file sets
 * none: the gateway applies the smaller of each and its configuration's `limits`.
 */
export interface EndpointLimits {
  readonly bodyBytes?: number;
  readonly inflatedBytes?: number;
  readonly values?: number;
  readonly depth?: number;
}

export interface Endpoint {
  /** e.g. `/snapshot`, `/v1/batch` */
  path: string;
  method: string;
  localReply: LocalReply;
  /** Absent: the endpoint sets no limits of its own. */
  limits?: EndpointLimits;
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
  /** The same headers with their value constraints; judged by judgeHeaders (headers.ts). */
  headerRules: readonly HeaderRule[];
  detectors: VendorDetectors;
  endpoints: ReadonlyMap<string, Endpoint>;
}

/** Every policy of a folder, loaded and validated as one: a set with any error is refused whole. */
export interface PolicySet {
  policies: ReadonlyMap<string, Policy>;
  /** What `policy check` warns about; never a reason to refuse the set. */
  warnings: readonly PolicyWarning[];
  loadedAt: Date;
}

/**
 * Keyed, deterministic, format-preserving pseudonymization (SPEC §3).
 * `pseudonymize` returns `undefined` for a value whose JSON type cannot be kept while hashed
 * (boolean, null, object, array): the caller drops it and reports it.
 */
export interface Pseudonymizer {
  pseudonymize(value: JsonValue): JsonValue | undefined;
  /** A key's keyed tag for report paths (16 hex digits): one key, one tag; the key is never written. */
  keyTag(key: string): string;
}

/** A warning of `policy check`: allowed, but a reviewer should look (a subtree allow, a detector opt-out). */
export interface PolicyWarning extends SourcePosition { code: string; message: string; key?: string }
