import { shareDifference, wilsonInterval } from '../../src/analytics/proportions';

/** Newcombe (1998), "Interval estimation for the difference between independent proportions", table II, method 10. */
test.each([
  [56, 70, 48, 80, 0.0524, 0.3339],
  [9, 10, 3, 10, 0.1705, 0.809],
  [6, 7, 2, 7, 0.0582, 0.8062],
  [5, 56, 0, 29, -0.0381, 0.1926],
])('%i/%i against %i/%i: the interval Newcombe published', (a1, n1, a0, n0, low, high) => {
  const d = shareDifference(a1, n1, a0, n0)!;
  expect(d.low).toBeCloseTo(low, 4);
  expect(d.high).toBeCloseTo(high, 4);
  expect(d.significant).toBe(low > 0);
});

test("Wilson's interval stays inside 0..1, and an empty arm gives no comparison", () => {
  expect(wilsonInterval(0, 10).low).toBe(0);
  expect(wilsonInterval(10, 10).high).toBeCloseTo(1, 12);
  expect(shareDifference(1, 1, 0, 0)).toBeUndefined();
});
