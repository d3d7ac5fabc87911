/**
 * The counts one transform reports, by kind and path, with the bound on how many distinct paths a
 * record lists: past MAX_REPORT_PATHS, values are still counted (per kind, under `unlisted`) but no
 * new path is listed, so a body of a million distinct unknown keys cannot make a record of a million
 * paths (SPEC §6). Paths are listed first come, first served.
 */
import type { DetectorCounts, DetectorKind, PathCounts, ReportKind, TransformResult, UnlistedCounts } from './types';

export const MAX_REPORT_PATHS = 1000;

/** Sets an own, enumerable data member even for `__proto__`, whose plain assignment would be a prototype link. */
export function setMember(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

function toPathCounts(counts: ReadonlyMap<string, number>): PathCounts {
  const out: PathCounts = {};
  for (const [path, n] of counts) setMember(out, path, n);
  return out;
}

const EMPTY: ReadonlyMap<string, number> = new Map();

export class ReportCounts {
  /** Made on the first report of each kind: most requests report one or two kinds. */
  private readonly counts: Partial<Record<ReportKind, Map<string, number>>> = {};
  readonly detections: DetectorCounts = {};
  private listed = 0;
  private unlisted: UnlistedCounts | null = null;
  /** The distinct paths not listed, to count them exactly (memory linear in the body, like the body's). */
  private unlistedPaths: Set<string> | null = null;
  /**
   * The listed paths of keys no rule names, by prefix, then raw key: the key's tag (a keyed hash, the
   * dearest step) is computed only for a path that gets listed, never for the unlisted rest, so a body of
   * a million distinct unknown keys costs a thousand hashes, not a million. Nested maps, not one map of
   * joined strings: the keys JSON.parse hands out carry their hash already, a joined string does not.
   */
  private readonly unnamedListed = new Map<string, Map<string, string>>();
  /** The distinct unlisted paths of keys no rule names, by kind and prefix, then raw key. */
  private readonly unnamedUnlisted: Partial<Record<ReportKind, Map<string, Set<string>>>> = {};

  constructor(private readonly limit = MAX_REPORT_PATHS) {}

  add(kind: ReportKind, path: string, n = 1): void {
    const counts = (this.counts[kind] ??= new Map());
    const before = counts.get(path);
    if (before !== undefined) {
      counts.set(path, before + n);
      return;
    }
    if (this.listed < this.limit) {
      this.listed++;
      counts.set(path, n);
      return;
    }
    const u = (this.unlisted ??= { paths: 0, values: {} });
    u.values[kind] = (u.values[kind] ?? 0) + n;
    const seen = (this.unlistedPaths ??= new Set());
    const id = `${kind}\0${path}`;
    if (!seen.has(id)) {
      seen.add(id);
      u.paths++;
    }
  }

  /**
   * `add` for the path `prefix + tagOf(key)` of a key no rule names. Past the limit its unlisted path is
   * counted by prefix and raw key, which tells the same paths apart (up to a collision of two tags).
   */
  addUnnamed(kind: ReportKind, prefix: string, key: string, tagOf: (key: string) => string): void {
    let listed = this.unnamedListed.get(prefix);
    let path = listed?.get(key);
    if (path === undefined && this.listed < this.limit) {
      path = prefix + tagOf(key);
      if (listed === undefined) this.unnamedListed.set(prefix, (listed = new Map()));
      listed.set(key, path);
    }
    if (path !== undefined) return this.add(kind, path);
    const u = (this.unlisted ??= { paths: 0, values: {} });
    u.values[kind] = (u.values[kind] ?? 0) + 1;
    const byPrefix = (this.unnamedUnlisted[kind] ??= new Map());
    let seen = byPrefix.get(prefix);
    if (seen === undefined) byPrefix.set(prefix, (seen = new Set()));
    if (!seen.has(key)) {
      seen.add(key);
      u.paths++;
    }
  }

  redact(path: string, detector: DetectorKind): void {
    this.add('redacted', path);
    this.detections[detector] = (this.detections[detector] ?? 0) + 1;
  }

  result(body: TransformResult['body']): TransformResult {
    const out: TransformResult = {
      decision: 'forward',
      body,
      dropped: toPathCounts(this.counts.dropped ?? EMPTY),
      hashed: toPathCounts(this.counts.hashed ?? EMPTY),
      unknown: toPathCounts(this.counts.unknown ?? EMPTY),
      invalid: toPathCounts(this.counts.invalid ?? EMPTY),
      redacted: toPathCounts(this.counts.redacted ?? EMPTY),
      detections: { ...this.detections },
    };
    if (this.unlisted !== null) out.unlisted = this.unlisted;
    return out;
  }
}
