import { bodyHasPath, matchesField, type FieldQuery } from '../../../../src/audit/query/field-query';
import type { EgressEntry } from '../../../../src/audit/query/entries';
import { parseFieldPath } from '../../../../src/policy/paths';

function field(text: string): FieldQuery {
  const r = parseFieldPath(text);
  if (!r.ok) throw new Error(r.message);
  return { text: r.path.text, segments: r.path.segments };
}

// Parsed from text, as bodies are: `__proto__` is then an own data member, not a prototype.
const body: unknown = JSON.parse(`{
  "derp_map": {"Regions": {"1": {"region_id": 1}, "2": {"name": "x"}}},
  "batch": [{"type": "track", "n": 7, "context": {"ip": null}}, {"type": "identify"}],
  "a.b": {"c": 1},
  "__proto__": {"polluted": true}
}`);

describe('--field paths in the body as sent', () => {
  it.each([
    ['derp_map.Regions.*.region_id', true],
    ['derp_map.Regions.*.missing', false],
    ['batch[*].context.ip', true],
    ['batch[type=track].n', true],
    ['batch[type=identify].n', false],
    ['batch[n=7].type', true],
    ['"a.b".c', true],
    ['a.b', false],
    ['__proto__.polluted', true],
    ['constructor', false],
    ['batch.type', false],
  ])('%s -> %s', (path, present) => {
    expect(bodyHasPath(body, field(path).segments)).toBe(present);
  });

  it('without --action, a field counts when reported in any of dropped/hashed/unknown, or sent', () => {
    const entry = { dropped: {}, hashed: { 'batch[*].userId': 1 }, unknown: {}, body_sha256: 'x' } as unknown as EgressEntry;
    let parsed = 0;
    const sent = () => { parsed++; return { batch: [{ event: 'e' }] }; };
    expect(matchesField(entry, field('batch[*].userId'), undefined, sent)).toBe(true);
    // Decided by the counts alone: the body was not parsed.
    expect(parsed).toBe(0);
    expect(matchesField(entry, field('batch[*].event'), undefined, sent)).toBe(true);
    expect(matchesField(entry, field('batch[*].event'), 'hashed', sent)).toBe(false);
    expect(matchesField(entry, field('batch[*].userId'), 'sent', sent)).toBe(false);
  });
});
