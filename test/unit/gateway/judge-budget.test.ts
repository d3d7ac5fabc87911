/**
 * The memory budget for bodies judged at once: what fits is granted, what does not waits its turn (first
 * come, first served) for a bounded time and is then refused with 503 and Retry-After; a small body is
 * not held up by a large one waiting; a body larger than the budget is refused.
 */
import { GatewayError } from '../../../src/gateway/http-error';
import { JudgeBudget, MAX_WAITING } from '../../../src/gateway/judge-budget';

/** Whether a promise has settled, without waiting for it (after the microtasks queued so far). */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(() => { done = true; }, () => { done = true; });
  await new Promise((r) => setImmediate(r));
  return done;
}

describe('JudgeBudget', () => {
  test('takes that fit are granted at once; one that does not waits until enough is given back', async () => {
    const budget = new JudgeBudget(1000, 60_000);
    const a = await budget.take(600);
    const b = await budget.take(300);
    const c = budget.take(500);
    expect(await settled(c)).toBe(false);
    b.release();
    expect(await settled(c)).toBe(false); // 600 + 500 still does not fit
    a.release();
    const granted = await c;
    expect(budget.inUse).toBe(500);
    granted.release();
    granted.release(); // a second release gives nothing back twice
    expect(budget.inUse).toBe(0);
  });

  test('first come, first served: a later large take does not pass an earlier one', async () => {
    const budget = new JudgeBudget(1000, 60_000);
    const a = await budget.take(900);
    const first = budget.take(800);
    const second = budget.take(100); // would fit beside `a`, but `first` came before it
    expect(await settled(second)).toBe(false);
    a.release();
    (await first).release();
    (await second).release();
    expect(budget.inUse).toBe(0);
  });

  test('a small take (at most 1/64 of the budget) that fits is not held up by a large one waiting', async () => {
    const budget = new JudgeBudget(64_000, 60_000);
    await budget.take(60_000);
    const large = budget.take(30_000);
    const small = await budget.take(1000);
    expect(await settled(large)).toBe(false);
    expect(budget.inUse).toBe(61_000);
    small.release();
  });

  test('a charge past the whole budget is refused at once with 413 larger-than-budget, holding nothing', async () => {
    const budget = new JudgeBudget(1000, 60_000);
    const a = await budget.take(1);
    await expect(budget.take(5000)).rejects.toMatchObject({ status: 413, code: 'larger-than-budget' });
    const b = await budget.take(400);
    await expect(b.grow(601)).rejects.toMatchObject({ status: 413, code: 'larger-than-budget' });
    expect(budget.inUse).toBe(401);
    a.release();
    b.release();
    expect(budget.inUse).toBe(0);
  });

  test('growing a charge waits like a take; past the wait it is refused with 503 over-budget and Retry-After', async () => {
    const budget = new JudgeBudget(1000, 20);
    const a = await budget.take(800);
    const b = await budget.take(100);
    const error = await b.grow(500).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 503, code: 'over-budget', headers: { 'retry-after': '1' } });
    a.release();
    b.release();
    expect(budget.inUse).toBe(0);
  });

  test(`more than ${MAX_WAITING} waiting: the next is refused at once`, async () => {
    const budget = new JudgeBudget(1000, 60_000);
    const holder = await budget.take(1000);
    const waiting = Array.from({ length: MAX_WAITING }, () => budget.take(500));
    await expect(budget.take(500)).rejects.toMatchObject({ status: 503, code: 'over-budget' });
    holder.release();
    // Each granted charge gives back at once, so every one of them is served in turn.
    for (const w of waiting) (await w).release();
    expect(budget.inUse).toBe(0);
  });
});
