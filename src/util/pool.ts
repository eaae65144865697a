/**
 * Bounded concurrency helpers.
 * @module
 */

/** Run `fn` over `items` with at most `limit` calls in flight; rejects on the first error. */
export async function pooledMap<T>(
  items: Iterable<T>,
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const it = items[Symbol.iterator]();
  let index = 0;
  let failed: unknown = undefined;
  let hasFailed = false;
  const worker = async () => {
    for (;;) {
      if (hasFailed || signal?.aborted) return;
      const n = it.next();
      if (n.done) return;
      const i = index++;
      try {
        await fn(n.value, i);
      } catch (e) {
        if (!hasFailed) {
          hasFailed = true;
          failed = e;
        }
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
  if (hasFailed) throw failed;
  signal?.throwIfAborted();
}
