/**
 * `npm run bench`: the engine against a hand-written raw Temporal workflow doing the same work (bench/raw/), on one
 * dev server, one SMTP sink and identical worker options, phases interleaved so the machine's noise hits both.
 * `--quick` finishes in under three minutes; the full run adds repetitions, 5,000 cached journeys and the
 * 10,000-journey scale run (`--scale` runs that alone; `--no-scale` leaves it out); `--history` runs the history
 * cohorts alone, `--starts` the worker starts. See BENCHMARKS.md.
 */
import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ensureTemporalCli } from '../src/temporal/binaries';
import { ENGINE_BUNDLE_PATH, RAW_BUNDLE_PATH, ensureBuilt } from './lib/build';
import { mapConcurrent } from './lib/clock';
import { figures, markdownTable, measured, type SideResults } from './lib/figures';
import { historyCohorts, rssPerCachedJourney, scale, workerStartMs } from './lib/footprint';
import { shutdown } from './lib/processes';
import { commandLine, describeRun, machine, updateBenchmarksFile, versions, writeJson, type Report } from './lib/report';
import { engineSide, rawSide, type Side, type SideName } from './lib/sides';
import { BenchStack, WORKER_READY } from './lib/stack';
import { cohort, latency, saturation } from './lib/throughput';

const MODES = {
  quick: { repetitions: 1, saturationJourneys: 100, concurrency: 32, latencyEvents: 50, historyJourneys: 3, rssSteps: [400], workerStarts: 3, scaleJourneys: 0, cachedWorkflows: 2_500 },
  full: { repetitions: 2, saturationJourneys: 1_000, concurrency: 64, latencyEvents: 400, historyJourneys: 20, rssSteps: [1_000, 5_000], workerStarts: 5, scaleJourneys: 10_000, cachedWorkflows: 20_000 },
  scale: { repetitions: 0, saturationJourneys: 0, concurrency: 64, latencyEvents: 0, historyJourneys: 0, rssSteps: [], workerStarts: 0, scaleJourneys: 10_000, cachedWorkflows: 12_000 },
  // For whoever shrinks histories: the history cohorts alone, in about a minute (BENCH_HISTORY_DIR keeps them as JSON).
  history: { repetitions: 0, saturationJourneys: 0, concurrency: 32, latencyEvents: 0, historyJourneys: 3, rssSteps: [], workerStarts: 0, scaleJourneys: 0, cachedWorkflows: 2_500 },
  // For whoever shortens the worker's start: worker starts alone, seven a side, in under a minute.
  starts: { repetitions: 0, saturationJourneys: 0, concurrency: 32, latencyEvents: 0, historyJourneys: 0, rssSteps: [], workerStarts: 7, scaleJourneys: 0, cachedWorkflows: 2_500 },
};

const say = (line: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, scale: { type: 'boolean' }, history: { type: 'boolean' }, starts: { type: 'boolean' }, 'no-scale': { type: 'boolean' }, journeys: { type: 'string' }, 'no-record': { type: 'boolean' } } });
  const mode = values.quick ? 'quick' : values.scale ? 'scale' : values.history ? 'history' : values.starts ? 'starts' : 'full';
  const settings = { ...MODES[mode] };
  if (values['no-scale']) settings.scaleJourneys = 0;
  if (values.journeys) settings.scaleJourneys = Number(values.journeys);
  const startedAt = new Date();
  const host = machine();
  say(`${mode} run on ${host.cores} cores, load ${host.loadAverageAtStart.map((l) => l.toFixed(2)).join(' ')}`);

  await ensureBuilt({ force: mode === 'full', say });
  const stack = new BenchStack({ cachedWorkflows: settings.cachedWorkflows, say });
  await stack.start();
  const sides: Side[] = [engineSide(stack), rawSide(stack)];
  const empty = (): SideResults => ({ saturation: [], latency: [], rss: [], workerStartMs: [], bundleBytes: 0 });
  const results: Record<SideName, SideResults> = { engine: empty(), raw: empty() };
  results.engine.bundleBytes = statSync(ENGINE_BUNDLE_PATH).size;
  results.raw.bundleBytes = statSync(RAW_BUNDLE_PATH).size;
  // Alternating order (engine first, then raw first) so a drift of the machine's load favours neither.
  const inTurn = (repetition: number) => (repetition % 2 === 0 ? sides : [...sides].reverse());

  if (settings.repetitions > 0) {
    say('warming up both sides (10 journeys each, not measured)');
    await Promise.all(sides.map((side) => mapConcurrent(cohort(side, 10, 'warm'), 8, (id) => side.start(id))));
  }
  for (let repetition = 0; repetition < settings.repetitions; repetition += 1) {
    for (const side of inTurn(repetition)) {
      say(`repetition ${repetition + 1}: ${side.name} at saturation, ${settings.saturationJourneys} journeys, ${settings.concurrency} in flight`);
      const result = await saturation(side, stack.sink, settings.saturationJourneys, settings.concurrency);
      results[side.name].saturation.push(result);
      say(`  ${result.startedPerSecond.toFixed(1)} started/s, ${result.completedPerSecond.toFixed(1)} completed/s, ${(result.cpuPerStarted.total * 1000).toFixed(1)} ms CPU per journey`);
    }
    for (const side of inTurn(repetition + 1)) {
      const rate = Math.max(1, results[side.name].saturation[repetition]!.completedPerSecond / 2);
      say(`repetition ${repetition + 1}: ${side.name} latency, ${settings.latencyEvents} login events at ${rate.toFixed(1)}/s`);
      results[side.name].latency.push(await latency(side, stack.sink, settings.latencyEvents, rate));
    }
  }

  for (let i = 0; i < settings.workerStarts; i += 1) {
    for (const side of inTurn(i)) {
      const spawn = side.name === 'engine' ? (queue: string) => stack.spawnEngineWorker(queue) : (queue: string) => stack.spawnRawWorker(queue);
      results[side.name].workerStartMs.push(...(await workerStartMs(spawn, 1, WORKER_READY)));
    }
  }
  if (settings.workerStarts > 0) say(`worker start: engine ${results.engine.workerStartMs.map((ms) => ms.toFixed(0)).join(', ')} ms, raw ${results.raw.workerStartMs.map((ms) => ms.toFixed(0)).join(', ')} ms`);

  // Memory and history are no timings: both sides at once, the history cohorts (a few journeys) beside the RSS cohorts.
  if (settings.historyJourneys > 0 || settings.rssSteps.length > 0) {
    say(`worker RSS with ${settings.rssSteps.join(', then ')} journeys cached, and history over compressed time (${settings.historyJourneys} journeys a side: a first week at 1 s a day, a year at 0.1 s a day), both sides at once`);
    const history = settings.historyJourneys > 0 ? historyCohorts(sides, stack.sink, { size: settings.historyJourneys, firstWeekSecondsPerDay: 1, yearSecondsPerDay: 0.1 }) : undefined;
    await Promise.all(sides.map(async (side) => {
      results[side.name].rss = await rssPerCachedJourney(side, stack.sink, settings.rssSteps, settings.concurrency);
      say(`  ${side.name}: ${results[side.name].rss.map((step) => `${step.cached} cached, ${(step.perJourney / 1000).toFixed(1)} kB each`).join('; ')}`);
    }));
    const sizes = await history;
    for (const side of sides) results[side.name].history = sizes?.[side.name];
  }

  if (settings.scaleJourneys > 0) {
    for (const side of sides) {
      say(`${side.name}: scale, ${settings.scaleJourneys} journeys in flight`);
      results[side.name].scale = await scale(side, stack.sink, settings.scaleJourneys, settings.concurrency, say);
    }
  }

  const finishedAt = new Date();
  const report: Report = {
    mode,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    command: commandLine(),
    machine: { ...host, loadAverageAtEnd: machine().loadAverageAtStart },
    versions: versions(ensureTemporalCli()),
    settings: { ...settings, workerHeapMiB: stack.workerHeapMiB },
    // A scale-only run has no rows for the phases it skipped.
    figures: figures(results).filter(measured),
    raw: results,
  };
  const file = writeJson(report);
  if (!values['no-record'] && (mode === 'quick' || mode === 'full')) updateBenchmarksFile(report, file);
  console.log(`\n${describeRun(report)}\n\n${markdownTable(report.figures)}\n\nJSON: ${file}`);
}

main()
  .then(() => shutdown())
  .then(() => process.exit(0))
  .catch(async (err: unknown) => {
    console.error(err);
    await shutdown();
    process.exit(1);
  });
