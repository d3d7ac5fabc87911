import { parseTimeBound } from '../../../../src/audit/query/time-bound';

const NOW = Date.parse('2026-11-22T12:00:00.000Z');
const at = (text: string) => {
  const r = parseTimeBound(text, () => NOW);
  return r.ok ? new Date(r.ms).toISOString() : `error: ${r.message}`;
};

describe('--since / --until values', () => {
  it('reads dates as UTC midnight and date-times as UTC unless they carry an offset', () => {
    expect(at('2026-11-20')).toBe('2026-11-20T00:00:00.000Z');
    expect(at('2026-11-20T09:30')).toBe('2026-11-20T09:30:00.000Z');
    expect(at('2026-11-20T09:30:15.250Z')).toBe('2026-11-20T09:30:15.250Z');
    expect(at('2026-11-20 09:30:00')).toBe('2026-11-20T09:30:00.000Z');
    expect(at('2026-11-20T10:30:00+01:00')).toBe('2026-11-20T09:30:00.000Z');
    expect(at('2026-11-20T04:30:00-0500')).toBe('2026-11-20T09:30:00.000Z');
  });

  it('reads spans back from now', () => {
    expect(at('90m')).toBe('2026-11-22T10:30:00.000Z');
    expect(at('24h')).toBe('2026-11-21T12:00:00.000Z');
    expect(at('7d')).toBe('2026-11-15T12:00:00.000Z');
    expect(at('30s')).toBe('2026-11-22T11:59:30.000Z');
  });

  it('refuses anything else with a message that shows the accepted forms', () => {
    for (const bad of ['yesterday', '2026-13-01', '2026-02-30', '2026-11-20T25:00', '11/20/2026', '', '5w', '2026-11-20T09:30:00+1']) {
      expect(at(bad)).toMatch(/^error: .* is not a time: use an ISO 8601 date/);
    }
  });
});
