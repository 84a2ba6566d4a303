/**
 * Comparing two shares (attainment in one arm against another) with a 95 % confidence interval for their
 * difference: Newcombe's hybrid score interval (method 10 of Newcombe 1998, from Wilson score intervals), which
 * stays inside [-1, 1] and behaves with small arms and shares near 0 or 1, where the textbook Wald interval does not.
 */

const Z_95 = 1.959963984540054;

/** Wilson's score interval for successes out of n (n > 0). */
export function wilsonInterval(successes: number, n: number, z = Z_95): { low: number; high: number } {
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

export interface ShareDifference {
  /** The share in the arm minus the share in the control, and its 95 % confidence interval. */
  difference: number;
  low: number;
  high: number;
  /** The interval excludes 0: a difference this large is unlikely by chance alone (at the 5 % level). */
  significant: boolean;
}

/** The difference of two shares, a1/n1 − a0/n0, with Newcombe's 95 % interval; undefined when either arm is empty. */
export function shareDifference(a1: number, n1: number, a0: number, n0: number): ShareDifference | undefined {
  if (n1 === 0 || n0 === 0) return undefined;
  const p1 = a1 / n1;
  const p0 = a0 / n0;
  const w1 = wilsonInterval(a1, n1);
  const w0 = wilsonInterval(a0, n0);
  const difference = p1 - p0;
  const low = difference - Math.sqrt((p1 - w1.low) ** 2 + (w0.high - p0) ** 2);
  const high = difference + Math.sqrt((w1.high - p1) ** 2 + (p0 - w0.low) ** 2);
  return { difference, low, high, significant: low > 0 || high < 0 };
}
