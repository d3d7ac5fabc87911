/**
 * Request headers as data: the headers a policy lets pass are judged like fields. A header whose value
 * fails its constraint, or in which a detector finds something, is not forwarded, and the egress record
 * says which and why (never the value). What passes is forwarded as one value, exactly as recorded.
 */
import { detect } from './detectors';
import type { DetectorKind, Policy } from './types';

/** Why a header was not forwarded: it failed its constraint, or a detector found this in it. */
export type HeaderRefusal = 'invalid' | DetectorKind;

export interface HeaderJudgement {
  /** Lower-case name → the value forwarded upstream, exactly. */
  forwarded: Record<string, string>;
  /** Lower-case name → why it was not forwarded; empty when none was refused. */
  refused: Record<string, HeaderRefusal>;
}

/** Incoming headers as node:http hands them over (lower-case names). */
export type ReceivedHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export function judgeHeaders(policy: Policy, level: 1 | 2, received: ReceivedHeaders): HeaderJudgement {
  const forwarded: Record<string, string> = {};
  const refused: Record<string, HeaderRefusal> = {};
  for (const rule of policy.headerRules) {
    const raw = received[rule.name];
    if (raw === undefined) continue;
    // node:http joins repeated headers with ", " (and keeps the first of a few, Authorization among
    // them); one value is what leaves and what the record holds.
    const value = typeof raw === 'string' ? raw : raw.join(', ');
    if (rule.check !== null && !rule.check(value)) {
      refused[rule.name] = 'invalid';
      continue;
    }
    const found = detect(value, rule.scan[level]);
    if (found !== null) {
      refused[rule.name] = found;
      continue;
    }
    forwarded[rule.name] = value;
  }
  return { forwarded, refused };
}
