import { performance } from 'node:perf_hooks';

/**
 * Epoch milliseconds with sub-millisecond precision. Everything the benchmark times (HTTP answers, signal
 * returns, SMTP arrivals, the server's history event times) is on this machine's one clock, so moments
 * from different processes compare directly.
 */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `task` for each item with at most `concurrency` at once; resolves with the results in order. */
export async function mapConcurrent<T, R>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return results;
}

/** Runs `task` for each item at a steady `perSecond` (open loop: a slow answer does not delay the next send). */
export async function atRate<T, R>(items: readonly T[], perSecond: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const start = performance.now();
  const pending: Promise<R>[] = [];
  for (let i = 0; i < items.length; i += 1) {
    const due = start + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    pending.push(task(items[i]!, i));
  }
  return Promise.all(pending);
}
