/**
 * @module
 * Bounded fan-out: work over a list with at most a few items under way at once, so a long list
 * (a failed server's tanks, every server of the fleet) never opens as many calls as it has items.
 */

export interface EachLimitedOptions {
  /** Items under way at most at once. */
  limit: number;
  /** Checked before each item is taken: true stops every lane (what is under way finishes). */
  until?: () => boolean;
}

/**
 * Runs `work` over `items` in order, at most `limit` at a time; resolves when every lane ended.
 *
 * @example
 * ```ts
 * await eachLimited(servers, { limit: 8 }, async (id) => { answers.push(await ask(id)); });
 * ```
 */
export async function eachLimited<T>(
  items: readonly T[],
  { limit, until = () => false }: EachLimitedOptions,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length && !until()) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
