import { describe, expect, it } from 'vitest';
import { createBatcher } from '../../src/batch/index.ts';

/** A run whose batches the test releases by hand. */
function gated() {
  const batches: number[][] = [];
  const gates: Array<() => void> = [];
  const run = async (items: number[]) => {
    batches.push(items);
    await new Promise<void>((resolve) => gates.push(resolve));
    return items.map((n) => n * 10);
  };
  const open = async () => {
    while (gates.length === 0) await new Promise((r) => setImmediate(r));
    gates.shift()!();
  };
  return { batches, run, open };
}

describe('createBatcher', () => {
  it('sends calls made in one turn as one batch, results in order', async () => {
    const { batches, run, open } = gated();
    const call = createBatcher({ run });
    const answers = Promise.all([call(1), call(2), call(3)]);
    await open();
    expect(await answers).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('holds calls made while a batch is in flight and sends them together after it', async () => {
    const { batches, run, open } = gated();
    const call = createBatcher({ run });
    const first = call(1);
    while (batches.length === 0) await new Promise((r) => setImmediate(r));
    const later = [call(2), call(3), call(4)];
    expect(call.pending).toBe(4);
    await open();
    expect(await first).toBe(10);
    await open();
    expect(await Promise.all(later)).toEqual([20, 30, 40]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
    expect(call.pending).toBe(0);
  });

  it('splits at maxBatch', async () => {
    const batches: number[][] = [];
    const call = createBatcher({
      maxBatch: 2,
      run: async (items: number[]) => {
        batches.push(items);
        return items;
      },
    });
    expect(await Promise.all([call(1), call(2), call(3)])).toEqual([1, 2, 3]);
    expect(batches).toEqual([[1, 2], [3]]);
  });

  it('fails every call of a batch whose run rejects, and keeps serving later calls', async () => {
    let fail = true;
    const call = createBatcher({
      run: async (items: number[]) => {
        if (fail) throw new Error('database down');
        return items;
      },
    });
    const results = await Promise.allSettled([call(1), call(2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason.message).toBe('database down');
    fail = false;
    expect(await call(3)).toBe(3);
  });

  it('rejects a run that answers a different number of results', async () => {
    const call = createBatcher({ run: async (items: number[]) => items.slice(1) });
    await expect(Promise.all([call(1), call(2)])).rejects.toThrow('a batch of 2 got 1 results');
  });
});
