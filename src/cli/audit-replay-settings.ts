/**
 * What `telegate audit replay` cannot learn from logged bodies: the settings of a policy that decide what
 * leaves, and where to, besides its field rules. A logged body passed the current constraints, headers
 * and detectors; a candidate that loosens any of them sends values no log holds, and a candidate with
 * another upstream or other hosts sends (or receives) traffic elsewhere. So these are compared as
 * written, vendor by vendor, and every difference is reported: each can change what leaves.
 *
 *   upstream, hosts                      where traffic is taken from and sent to
 *   headers                              which request headers pass, their constraints, their detectors
 *   detectors                            the vendor's skip and level-2 kinds
 *   constraints                          per endpoint and field path: type, pattern, enum, length, keys,
 *                                        what a failing value becomes, subtree
 *   detectors (of a rule)                per endpoint and field path: the kinds it opts out of
 *   method                               which requests an endpoint takes
 */
import type { ConstraintSource, DetectorKind, Endpoint, HeaderRule, Policy, PolicySet, RuleSource } from '../policy/types';

export type SettingKind = 'upstream' | 'hosts' | 'headers' | 'detectors' | 'constraints' | 'method';

export interface SettingChange {
  vendor: string;
  kind: SettingKind;
  /** The endpoint, for constraints and method. */
  endpoint?: string;
  /** The field path (constraints) or header name (headers) that changed. */
  subject?: string;
  /** As written in the current set and in the candidate; `none` where one has none. */
  current: string;
  candidate: string;
}

/** Arrays whose order says nothing (types, enumerations, kinds, hosts): compared sorted. */
const sorted = <T>(items: readonly T[] | undefined): T[] | undefined => (items === undefined ? undefined : [...items].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)));

function constraintText(c: ConstraintSource | undefined): string | undefined {
  if (c === undefined) return undefined;
  const keys = c.keys === undefined ? undefined : { ...c.keys, ...(c.keys.enum === undefined ? {} : { enum: sorted(c.keys.enum) }) };
  const parts = {
    ...(c.type === undefined ? {} : { type: sorted(c.type) }),
    ...(c.pattern === undefined ? {} : { pattern: c.pattern }),
    ...(c.enum === undefined ? {} : { enum: sorted(c.enum) }),
    ...(c.max_length === undefined ? {} : { max_length: c.max_length }),
    ...(keys === undefined ? {} : { keys }),
  };
  return Object.keys(parts).length === 0 ? undefined : JSON.stringify(parts);
}

const detectorsOffText = (off: 'all' | readonly DetectorKind[] | undefined): string | undefined =>
  off === undefined ? undefined : off === 'all' ? 'detectors: off' : `detectors off: ${JSON.stringify(sorted(off))}`;

/** A rule's constraint settings (its actions are the replay's of bodies and rules). */
function ruleConstraints(rule: RuleSource): string {
  const parts = [
    constraintText(rule.constraint),
    rule.invalid === undefined || rule.invalid === 'drop' ? undefined : `invalid: ${rule.invalid}`,
    rule.subtree === true ? 'subtree: true' : undefined,
  ].filter((p): p is string => p !== undefined);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

const ruleDetectors = (rule: RuleSource): string => detectorsOffText(rule.detectorsOff) ?? 'all run';

function headerSettings(rule: HeaderRule): string {
  const parts = [constraintText(rule.constraint), detectorsOffText(rule.detectorsOff)].filter((p): p is string => p !== undefined);
  return parts.length === 0 ? 'any value' : parts.join(', ');
}

const NONE = 'none';

function compareEndpoint(vendor: string, path: string, current: Endpoint, candidate: Endpoint, out: SettingChange[]): void {
  if (current.method !== candidate.method) out.push({ vendor, kind: 'method', endpoint: path, current: current.method, candidate: candidate.method });
  const before = new Map(current.rules.map((r) => [r.path, r]));
  // A path only one set names is a field rule change, which the replay of rules reports; here, the
  // settings of the paths both sets name.
  for (const rule of candidate.rules) {
    const was = before.get(rule.path);
    if (was === undefined) continue;
    for (const [kind, text] of [['constraints', ruleConstraints], ['detectors', ruleDetectors]] as const) {
      if (text(was) !== text(rule)) out.push({ vendor, kind, endpoint: path, subject: rule.path, current: text(was), candidate: text(rule) });
    }
  }
}

function comparePolicy(current: Policy, candidate: Policy, out: SettingChange[]): void {
  const vendor = current.vendor;
  if (current.upstream !== candidate.upstream) out.push({ vendor, kind: 'upstream', current: current.upstream, candidate: candidate.upstream });
  const hostsNow = JSON.stringify(sorted(current.hosts.map((h) => h.toLowerCase())));
  const hostsNew = JSON.stringify(sorted(candidate.hosts.map((h) => h.toLowerCase())));
  if (hostsNow !== hostsNew) out.push({ vendor, kind: 'hosts', current: current.hosts.join(', ') || NONE, candidate: candidate.hosts.join(', ') || NONE });

  const headersNow = new Map(current.headerRules.map((h) => [h.name, headerSettings(h)]));
  const headersNew = new Map(candidate.headerRules.map((h) => [h.name, headerSettings(h)]));
  for (const name of [...new Set([...headersNow.keys(), ...headersNew.keys()])].sort()) {
    const was = headersNow.get(name);
    const now = headersNew.get(name);
    if (was !== now) out.push({ vendor, kind: 'headers', subject: name, current: was === undefined ? 'not passed' : was, candidate: now === undefined ? 'not passed' : now });
  }

  const detectorsText = (p: Policy): string => `skip ${JSON.stringify(sorted(p.detectors.skip))}, level 2 ${JSON.stringify(sorted(p.detectors.level2))}`;
  if (detectorsText(current) !== detectorsText(candidate)) out.push({ vendor, kind: 'detectors', current: detectorsText(current), candidate: detectorsText(candidate) });

  for (const [path, endpoint] of current.endpoints) {
    const other = candidate.endpoints.get(path);
    if (other) compareEndpoint(vendor, path, endpoint, other, out);
  }
}

/** Every setting difference between the two sets, for the vendors both define (and `vendor` alone, when given). */
export function compareSettings(current: PolicySet, candidate: PolicySet, only?: { vendor?: string; endpoint?: string }): SettingChange[] {
  const out: SettingChange[] = [];
  for (const [vendor, policy] of [...current.policies].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (only?.vendor !== undefined && only.vendor !== vendor) continue;
    const other = candidate.policies.get(vendor);
    if (other && other.digest !== policy.digest) comparePolicy(policy, other, out);
  }
  return only?.endpoint === undefined ? out : out.filter((c) => c.endpoint === undefined || c.endpoint === only.endpoint);
}

/** One line: `coder upstream: https://a -> https://b`, `coder /snapshot users[*].os constraints: … -> …`. */
export function describeSetting(c: SettingChange): string {
  const where = [c.vendor, c.endpoint, c.subject].filter((p) => p !== undefined).join(' ');
  return `${where} ${c.kind}: ${c.current} -> ${c.candidate}`;
}
