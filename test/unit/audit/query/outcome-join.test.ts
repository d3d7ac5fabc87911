import type { EgressEntry } from '../../../../src/audit/query/entries';
import { OutcomeJoin, type JoinedEgress } from '../../../../src/audit/query/outcome-join';

function egress(id: string, decision: EgressEntry['decision'] = 'forwarded'): EgressEntry {
  return {
    file: 'audit-2026-11-22.jsonl', line: 1, seq: 1, ts: '2026-11-22T10:00:00.000Z', id, vendor: 'coder', endpoint: '/snapshot',
    level: 1, policy: 'sha256:x', decision, client: '127.0.0.1', bytes: 0, dropped: {}, hashed: {}, unknown: {},
  };
}
const outcome = (id: string, status = 202) => ({ ts: '2026-11-22T10:00:01.000Z', id, status, ms: 5 });
const ids = (hits: Iterable<JoinedEgress>) => [...hits].map((h) => `${h.egress.id}:${h.outcome?.status ?? '-'}`);

describe('outcome join', () => {
  it('keeps log order: a request waits for its outcome and holds back the ones after it', () => {
    const join = new OutcomeJoin();
    join.add(egress('a'));
    join.add(egress('b'));
    join.add(egress('c', 'blocked'));
    expect(ids(join.ready())).toEqual([]);
    join.outcome(outcome('b', 500));
    expect(ids(join.ready())).toEqual([]);
    join.outcome(outcome('a'));
    expect(ids(join.ready())).toEqual(['a:202', 'b:500', 'c:-']);
  });

  it('gives up waiting when the writer stops or restarts, and at the end of the chain', () => {
    const join = new OutcomeJoin();
    join.add(egress('a'));
    join.endRun();
    expect(ids(join.ready())).toEqual(['a:-']);
    join.add(egress('b'));
    expect(ids(join.flush())).toEqual(['b:-']);
  });

  it('bounds what it holds: at most maxWaiting requests wait, and none longer than lookahead records', () => {
    const join = new OutcomeJoin({ maxWaiting: 2, lookahead: 5 });
    join.add(egress('a'));
    join.add(egress('b'));
    expect(ids(join.ready())).toEqual([]);
    join.add(egress('c'));
    // Three waiting > 2: the oldest goes out without an outcome.
    expect(ids(join.ready())).toEqual(['a:-']);
    for (let i = 0; i < 6; i++) join.tick();
    expect(ids(join.ready())).toEqual(['b:-', 'c:-']);
    // A late outcome for an entry already printed is ignored.
    join.outcome(outcome('a'));
    expect(ids(join.flush())).toEqual([]);
  });

  it('holds thousands of answered requests without growing: consumed entries are released', () => {
    const join = new OutcomeJoin();
    let out = 0;
    for (let i = 0; i < 50_000; i++) {
      join.add(egress(`r${i}`));
      join.outcome(outcome(`r${i}`));
      out += [...join.ready()].length;
    }
    expect(out).toBe(50_000);
    expect((join as unknown as { queue: unknown[] }).queue.length).toBeLessThan(2100);
  });
});
