/**
 * A rule as the matcher uses it: its actions, and what was compiled from its constraint and options at
 * load. Built once per rule (validate.ts compiles, compile.ts assembles); read on the hot path.
 */
import { admitsOnlyClean, type KeyCheck, type ValueCheck } from './constraints';
import { detect } from './detectors';
import { ALL_DETECTORS_MASK, SECRET_MASK, detectorMask } from './detector-kinds';
import type { Action, DetectorKind, RuleSource, VendorDetectors } from './types';

export interface CompiledRule {
  readonly actions: Readonly<Record<1 | 2, Action>>;
  /** The value constraint; null when the rule has none. */
  readonly check: ValueCheck | null;
  /** The `keys:` constraint of a wildcard rule. */
  readonly keyCheck: KeyCheck | null;
  readonly invalidHash: boolean;
  readonly subtree: boolean;
  /** Detector bits run on the values this rule lets out, per level (and on keys and inherited members). */
  readonly scan: Readonly<Record<1 | 2, number>>;
  /** The same for the rule's own values: 0 where its constraint admits only values no detector finds anything in. */
  readonly valueScan: Readonly<Record<1 | 2, number>>;
  readonly secret: boolean;
}

/** The detectors a vendor runs at each level where no rule says otherwise. */
export function vendorScan(detectors: VendorDetectors): Record<1 | 2, number> {
  const skip = detectorMask(detectors.skip);
  return { 1: ALL_DETECTORS_MASK & ~skip, 2: (SECRET_MASK | detectorMask(detectors.level2)) & ~skip };
}

export function scanWithout(scan: Readonly<Record<1 | 2, number>>, off: 'all' | readonly DetectorKind[] | undefined): Record<1 | 2, number> {
  if (off === undefined) return { 1: scan[1], 2: scan[2] };
  const mask = off === 'all' ? ALL_DETECTORS_MASK : detectorMask(off);
  return { 1: scan[1] & ~mask, 2: scan[2] & ~mask };
}

export function compiledRule(source: RuleSource, check: ValueCheck | null, keyCheck: KeyCheck | null, vendor: Readonly<Record<1 | 2, number>>): CompiledRule {
  const scan = scanWithout(vendor, source.detectorsOff);
  const clean = (level: 1 | 2): number => (admitsOnlyClean(source.constraint, (text) => detect(text, scan[level]) === null) ? 0 : scan[level]);
  return {
    actions: source.actions,
    check,
    keyCheck,
    invalidHash: source.invalid === 'hash',
    subtree: source.subtree === true,
    scan,
    valueScan: { 1: clean(1), 2: clean(2) },
    secret: source.category === 'secret',
  };
}
