/**
 * @module
 * A batcher coalesces calls made while earlier ones are under way: the first call of a quiet
 * moment goes out as soon as the code that made it has run to its end (a microtask, with
 * whatever else that code asked for); calls made while a batch is in flight wait for it and
 * then go out together. Under load batches grow by themselves, and a lone call waits for nothing. This is
 * what lets 16 transfers at once share one participant call and one statement per step.
 */

export interface BatcherOptions<I, O> {
  /**
   * Runs one batch: one result per item, in order. A per-item failure is a value of `O`; a
   * rejection fails every call of the batch with that error.
   */
  run(items: I[]): Promise<O[]>;
  /** Most items a batch carries (default 256); more wait for the next batch. */
  maxBatch?: number;
  /** Batches in flight at once (default 1). */
  concurrency?: number;
}

export interface Batcher<I, O> {
  (item: I): Promise<O>;
  /** Calls waiting for a batch, and batches in flight. */
  readonly pending: number;
}

interface Waiting<I, O> {
  item: I;
  resolve(value: O): void;
  reject(err: unknown): void;
}

/**
 * @example
 * ```ts
 * const reserve = createBatcher({ run: (rows: Row[]) => insertMany(db, rows) });
 * const [a, b] = await Promise.all([reserve(rowA), reserve(rowB)]); // one statement
 * ```
 */
export function createBatcher<I, O>({
  run,
  maxBatch = 256,
  concurrency = 1,
}: BatcherOptions<I, O>): Batcher<I, O> {
  let queue: Waiting<I, O>[] = [];
  let inFlight = 0;
  let scheduled = false;

  function schedule(): void {
    if (scheduled || inFlight >= concurrency || queue.length === 0) return;
    scheduled = true;
    queueMicrotask(flush);
  }

  function flush(): void {
    scheduled = false;
    while (inFlight < concurrency && queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      inFlight++;
      void runBatch(batch).finally(() => {
        inFlight--;
        schedule();
      });
    }
  }

  async function runBatch(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const results = await run(batch.map((w) => w.item));
      if (results.length !== batch.length)
        throw new Error(`a batch of ${batch.length} got ${results.length} results`);
      for (const [i, w] of batch.entries()) w.resolve(results[i] as O);
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }

  const call = ((item: I) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      schedule();
    })) as Batcher<I, O>;
  Object.defineProperty(call, 'pending', { get: () => queue.length + inFlight });
  return call;
}
