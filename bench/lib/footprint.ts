import { mapConcurrent, nowMs, sleep } from './clock';
import { allRunsSize, fetchEvents, meanSize, sizeOf, type HistorySize } from './history';
import { peakRss, rssBytes, type BenchProcess } from './processes';
import type { Side } from './sides';
import type { SmtpSink } from './smtp-sink';
import { cohort, lost } from './throughput';

const SETTLE_MS = 1_500;

export interface HistoryCohorts {
  /** An active customer (logs in on day 1), histories at the end of day 7, on a compressed clock. */
  firstWeek: HistorySize;
  /** Logs in on day 1, renews after the reminder: every run's history once the second term's welcome is sent. */
  year: HistorySize & { runs: number };
}

/**
 * History over compressed time, both sides at once (counts, not timings): a first week at `firstWeekSecondsPerDay`,
 * and a year with a renewal at `yearSecondsPerDay`. Events are sent when the emails before them arrive, so a
 * loaded machine delays them but does not change what happens.
 */
export async function historyCohorts(sides: Side[], sink: SmtpSink, options: { size: number; firstWeekSecondsPerDay: number; yearSecondsPerDay: number }): Promise<Record<string, HistoryCohorts>> {
  const results = await Promise.all(sides.map(async (side) => {
    const week = cohort(side, options.size, 'w');
    const year = cohort(side, options.size, 'y');
    const weekMs = 7 * options.firstWeekSecondsPerDay * 1000;
    const yearDone = Promise.all(year.map(async (id) => {
      await side.start(id, { secondsPerDay: options.yearSecondsPerDay });
      await sink.waitFor(id, 'welcome', 60_000);
      await side.event(id, 'user.login');
      await sink.waitFor(id, 'renewalReminder', 600_000);
      await side.event(id, 'renewal.renewed');
      // The next term starts with its own welcome email: the second one marks the renewal done.
      const deadline = Date.now() + 300_000;
      while (sink.all(id).filter((arrival) => arrival.kind === 'welcome').length < 2) {
        if (Date.now() > deadline) throw new Error(`${side.name} journey ${id} never started its second term`);
        await sleep(200);
      }
    }));
    const weekSizes = await Promise.all(week.map(async (id) => {
      const startedAt = nowMs();
      await side.start(id, { secondsPerDay: options.firstWeekSecondsPerDay });
      await sink.waitFor(id, 'welcome', 60_000);
      await side.event(id, 'user.login');
      await sleep(Math.max(0, startedAt + weekMs - nowMs()) + SETTLE_MS);
      return sizeOf(await fetchEvents(side.client, side.workflowId(id)));
    }));
    await yearDone;
    await sleep(SETTLE_MS);
    const yearSizes = await Promise.all(year.map((id) => allRunsSize(side.client, side.workflowId(id), process.env.BENCH_HISTORY_DIR)));
    const runs = yearSizes.reduce((total, size) => total + size.runs, 0) / yearSizes.length;
    return [side.name, { firstWeek: meanSize(weekSizes), year: { ...meanSize(yearSizes), runs } }] as const;
  }));
  return Object.fromEntries(results);
}

export interface RssStep {
  cached: number;
  rssBytes: number;
  /** (RSS now − RSS at the step before) / journeys added since. */
  perJourney: number;
}

/**
 * Worker RSS per cached journey: cohorts of journeys started at `concurrency` until the worker holds `steps[i]`
 * more than it did before the first step; each waits for its welcome email (its workflow has run and is in
 * the worker's cache, sleeping until its login). RSS read after a settle, so garbage of the burst is mostly collected.
 */
export async function rssPerCachedJourney(side: Side, sink: SmtpSink, steps: number[], concurrency: number): Promise<RssStep[]> {
  await sleep(3_000);
  let previous = { cached: 0, rss: rssBytes(side.workerPid()) };
  const results: RssStep[] = [];
  for (const target of steps) {
    const ids = cohort(side, target - previous.cached, 'm');
    await mapConcurrent(ids, concurrency, (id) => side.start(id));
    lost('welcome emails', (await sink.waitForAll(ids, 'welcome', 600_000)).missing);
    await sleep(5_000);
    const rss = rssBytes(side.workerPid());
    results.push({ cached: target, rssBytes: rss, perJourney: (rss - previous.rss) / ids.length });
    previous = { cached: target, rss };
  }
  return results;
}

export interface ScaleResult {
  journeys: number;
  startSeconds: number;
  /** From the first login event until every follow-up email arrived. */
  wakeSeconds: number;
  followUpsArrived: number;
  lost: number;
  peakRssBytes: Record<string, number>;
}

/**
 * Scale: `journeys` started and left sleeping on their login deadline (a seven-day timer), then each woken by
 * its login event; every follow-up email must arrive. Time and the processes' peak memory are reported.
 */
export async function scale(side: Side, sink: SmtpSink, journeys: number, concurrency: number, say: (line: string) => void): Promise<ScaleResult> {
  const ids = cohort(side, journeys, 'x');
  const stopPeaks = peakRss(side.pids(), 1_000);
  const t0 = nowMs();
  await mapConcurrent(ids, concurrency, (id) => side.start(id));
  lost('welcome emails', (await sink.waitForAll(ids, 'welcome', 1_800_000)).missing);
  const startSeconds = (nowMs() - t0) / 1000;
  say(`${side.name}: ${journeys} journeys started and sleeping in ${startSeconds.toFixed(0)} s; waking each with its login`);
  await sleep(5_000);
  const w0 = nowMs();
  await mapConcurrent(ids, concurrency, (id) => side.event(id, 'user.login'));
  const { arrived, missing } = await sink.waitForAll(ids, 'followUp', 1_800_000);
  const wakeSeconds = (nowMs() - w0) / 1000;
  return { journeys, startSeconds, wakeSeconds, followUpsArrived: arrived, lost: missing.length, peakRssBytes: stopPeaks() };
}

/** Worker start, spawn → "polling", `times` times: probes on a task queue of their own, so they take no real work. */
export async function workerStartMs(spawnProbe: (taskQueue: string) => BenchProcess, times: number, ready: string): Promise<number[]> {
  const runs: number[] = [];
  for (let i = 0; i < times; i += 1) {
    const probe = spawnProbe(`bench-start-probe-${i}`);
    runs.push(await probe.ready(ready));
    await probe.stop();
  }
  return runs;
}
