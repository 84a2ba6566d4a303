/**
 * The benchmark's arithmetic: percentiles of latencies, the median and range of repetitions, and the
 * engine/raw ratio as the table prints it. Pure functions, unit-tested (test/unit/bench-stats.test.ts).
 */

/** The p-th percentile (0-100) by nearest rank: a value that was measured, never an interpolation. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** A figure measured once per repetition: the median is what the table shows, the range how much noise there was. */
export interface Repeated {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function repeated(runs: readonly number[]): Repeated {
  const finite = runs.filter((run) => Number.isFinite(run));
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), runs: [...runs] };
}

export interface Latencies {
  count: number;
  p50: number;
  p95: number;
  p99: number;
}

export function latencies(values: readonly number[]): Latencies {
  return { count: values.length, p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99) };
}

/** engine / raw, as "1.83×"; "n/a" when either side is missing or the raw side is zero. */
export function formatRatio(engine: number, raw: number): string {
  if (!Number.isFinite(engine) || !Number.isFinite(raw) || raw === 0) return 'n/a';
  const ratio = engine / raw;
  return `${ratio >= 10 ? ratio.toFixed(0) : ratio >= 1 ? ratio.toFixed(2) : ratio.toFixed(3)}×`;
}

/** Three significant digits at most, thousands kept whole: 0.00123, 1.23, 12.3, 1234. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const magnitude = Math.abs(value);
  if (magnitude >= 1000 || Number.isInteger(value)) return Math.round(value).toLocaleString('en-US');
  return String(Number(value.toPrecision(3)));
}

/** Bytes as kB or MB (1000-based, as the proto sizes are compared, not allocated). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'n/a';
  if (bytes >= 1e6) return `${formatNumber(bytes / 1e6)} MB`;
  if (bytes >= 1e3) return `${formatNumber(bytes / 1e3)} kB`;
  return `${Math.round(bytes)} B`;
}

/** Milliseconds as ms, or s past ten seconds. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return Math.abs(ms) >= 10_000 ? `${formatNumber(ms / 1000)} s` : `${formatNumber(ms)} ms`;
}

/** "median (min–max)" of a repeated figure, each part formatted alike. */
export function formatRepeated(value: Repeated, format: (n: number) => string): string {
  if (value.runs.length <= 1 || value.min === value.max) return format(value.median);
  return `${format(value.median)} (${format(value.min)}–${format(value.max)})`;
}
