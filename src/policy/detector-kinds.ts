/**
 * The detector kinds by name, apart from the detectors themselves (detectors.ts) so that the policy
 * schema can list them without loading the regular expressions.
 *
 * Secret kinds (a credential, whatever the level) run at every level; the others at level 1, where no
 * value may identify a person, an organisation or a host (SPEC §1).
 */
import type { DetectorKind } from './types';

export const SECRET_DETECTOR_KINDS: readonly DetectorKind[] = [
  'pem', 'jwt', 'url_credentials', 'bearer', 'github_token', 'gitlab_token', 'aws_access_key', 'slack_token',
  'google_api_key', 'npm_token',
];

export const PERSONAL_DETECTOR_KINDS: readonly DetectorKind[] = ['email', 'url', 'ipv4', 'ipv6', 'aws_arn', 'aws_account_id'];

/** In the order a value is attributed: the first kind that finds something in it is the one counted. */
export const DETECTOR_KINDS: readonly DetectorKind[] = [...SECRET_DETECTOR_KINDS, ...PERSONAL_DETECTOR_KINDS];

/** One bit per kind, in DETECTOR_KINDS order. */
export function detectorBit(kind: DetectorKind): number {
  return 1 << DETECTOR_KINDS.indexOf(kind);
}

export function detectorMask(kinds: readonly DetectorKind[]): number {
  let mask = 0;
  for (const k of kinds) mask |= detectorBit(k);
  return mask;
}

export const SECRET_MASK = detectorMask(SECRET_DETECTOR_KINDS);
export const ALL_DETECTORS_MASK = detectorMask(DETECTOR_KINDS);
