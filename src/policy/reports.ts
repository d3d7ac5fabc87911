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
