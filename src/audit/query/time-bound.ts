/**
 * `--since` / `--until` values: an ISO 8601 date or date-time (UTC unless it carries an offset), or a
 * span back from now (`90m`, `24h`, `7d`). Records carry UTC `ts` with milliseconds; bounds are compared
 * as instants, so an offset given by the user means what it says.
 */
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?$/i;
const SPAN = /^(\d{1,9})(s|m|h|d)$/;
const SPAN_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export type TimeBoundResult = { ok: true; ms: number } | { ok: false; message: string };

function validDate(day: string): boolean {
  const d = new Date(`${day}T00:00:00.000Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === day;
}

export function parseTimeBound(text: string, now: () => number): TimeBoundResult {
  const t = text.trim();
  const fail = (): TimeBoundResult => ({
    ok: false,
    message: `"${text}" is not a time: use an ISO 8601 date or date-time (2026-11-22, 2026-11-22T10:00:00Z; UTC unless an offset is given) or a span back from now (90m, 24h, 7d)`,
  });
  const span = SPAN.exec(t);
  if (span) return { ok: true, ms: now() - Number(span[1]) * SPAN_MS[span[2]!]! };
  if (DATE_ONLY.test(t)) return validDate(t) ? { ok: true, ms: Date.parse(`${t}T00:00:00.000Z`) } : fail();
  const m = DATE_TIME.exec(t);
  if (!m || !validDate(m[1]!)) return fail();
  let zone = m[3] ?? 'Z';
  if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${m[1]}T${m[2]}${zone.toUpperCase()}`);
  return Number.isNaN(ms) ? fail() : { ok: true, ms };
}
