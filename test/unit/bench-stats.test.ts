import { formatBytes, formatRatio, formatRepeated, latencies, median, percentile, repeated } from '../../bench/lib/stats';

describe('the benchmark statistics', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted on purpose

  it('takes percentiles by nearest rank, so every figure is a value that was measured', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 95)).toBe(95);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
    expect(latencies([3, 1, 2])).toEqual({ count: 3, p50: 2, p95: 3, p99: 3 });
  });

  it('reports repetitions as their median and range, ignoring runs that measured nothing', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(repeated([3, Number.NaN, 1, 2])).toMatchObject({ median: 2, min: 1, max: 3 });
    expect(formatRepeated(repeated([10, 12]), (n) => `${n} ms`)).toBe('11 ms (10 ms–12 ms)');
    expect(formatRepeated(repeated([10]), (n) => `${n} ms`)).toBe('10 ms');
  });

  it('prints the ratio engine/raw, and n/a where raw has nothing to compare with', () => {
    expect(formatRatio(183, 100)).toBe('1.83×');
    expect(formatRatio(46, 100)).toBe('0.460×');
    expect(formatRatio(2500, 100)).toBe('25×');
    expect(formatRatio(5, 0)).toBe('n/a');
    expect(formatRatio(Number.NaN, 1)).toBe('n/a');
    expect(formatBytes(11_700)).toBe('11.7 kB');
    expect(formatBytes(1_640_000)).toBe('1.64 MB');
  });
});
