import type { HistoryCohorts, RssStep, ScaleResult } from './footprint';
import type { SideName } from './sides';
import { formatBytes, formatMs, formatNumber, formatRatio, formatRepeated, latencies, repeated, type Repeated } from './stats';
import type { LatencyResult, SaturationResult } from './throughput';

/** Everything measured of one side in a run; the repetitions of the interleaved phases as lists. */
export interface SideResults {
  saturation: SaturationResult[];
  latency: LatencyResult[];
  history?: HistoryCohorts;
  rss: RssStep[];
  workerStartMs: number[];
  bundleBytes: number;
  scale?: ScaleResult;
}

/** A row of the table: a figure, each side formatted, the ratio engine/raw, and the numbers behind them. */
export interface Figure {
  figure: string;
  engine: string;
  raw: string;
  ratio: string;
  values: { engine: number[]; raw: number[] };
}

type Both = Record<SideName, SideResults>;

/** A figure that is one number per side (median of repetitions), formatted alike, with its ratio. */
function single(figure: string, both: Both, pick: (side: SideResults) => number[], formatValue: (n: number) => string): Figure {
  const format = (n: number) => (Number.isFinite(n) ? formatValue(n) : 'n/a');
  const engine = repeated(pick(both.engine));
  const raw = repeated(pick(both.raw));
  return { figure, engine: formatRepeated(engine, format), raw: formatRepeated(raw, format), ratio: formatRatio(engine.median, raw.median), values: { engine: engine.runs, raw: raw.runs } };
}

/** A figure of several numbers per side ("p50 / p95 / p99", "events / bytes"), a ratio for each. */
function several(figure: string, both: Both, pick: (side: SideResults) => number[], formats: ((n: number) => string)[]): Figure {
  const engine = pick(both.engine);
  const raw = pick(both.raw);
  const show = (values: number[]) => values.map((value, i) => (Number.isFinite(value) ? formats[i % formats.length]!(value) : 'n/a')).join(' / ');
  return { figure, engine: show(engine), raw: show(raw), ratio: engine.map((value, i) => formatRatio(value, raw[i]!)).join(' / '), values: { engine, raw } };
}

const perSecond = (n: number) => `${formatNumber(n)}/s`;
const cpuMs = (seconds: number) => `${formatNumber(seconds * 1000)} ms`;
const events = (n: number) => formatNumber(n);
const medianOf = (values: Repeated) => values.median;

/** Latencies of every repetition pooled, since each repetition is a fresh cohort at the same rate. */
function pooled(side: SideResults, pick: (latency: LatencyResult) => number[]): number[] {
  const all = side.latency.flatMap(pick).filter((value) => Number.isFinite(value));
  const { p50, p95, p99 } = latencies(all);
  return [p50, p95, p99];
}

export function figures(both: Both): Figure[] {
  const rows: Figure[] = [
    single('journeys started/s at saturation (purchase accepted)', both, (s) => s.saturation.map((r) => r.startedPerSecond), perSecond),
    single('journeys completed/s at saturation (login → follow-up email)', both, (s) => s.saturation.map((r) => r.completedPerSecond), perSecond),
    single('CPU per started journey (worker + API + server)', both, (s) => s.saturation.map((r) => r.cpuPerStarted.total), cpuMs),
    single('  of which worker', both, (s) => s.saturation.map((r) => r.cpuPerStarted.worker ?? Number.NaN), cpuMs),
    single('  of which API (raw: none, the client is in the benchmark)', both, (s) => s.saturation.map((r) => r.cpuPerStarted.api ?? 0), cpuMs),
    single('  of which Temporal server', both, (s) => s.saturation.map((r) => r.cpuPerStarted.server ?? Number.NaN), cpuMs),
    single('  and the engine database (PostgreSQL, not in the total)', both, (s) => s.saturation.map((r) => r.cpuPerStarted.database ?? 0), cpuMs),
    single('worker CPU per milestone event (login → follow-up email)', both, (s) => s.saturation.map((r) => r.workerCpuPerEvent), cpuMs),
    single('CPU per milestone event (worker + API + server)', both, (s) => s.saturation.map((r) => r.cpuPerEvent.total), cpuMs),
    several('event accepted → follow-up activity started, p50 / p95 / p99', both, (s) => pooled(s, (l) => l.toActivityStarted), [formatMs]),
    several('event accepted → follow-up email received, p50 / p95 / p99', both, (s) => pooled(s, (l) => l.toEmailReceived), [formatMs]),
    single('  at events/s (half the side\'s saturating completed/s)', both, (s) => s.latency.map((l) => l.perSecond), perSecond),
    several('history events / bytes per journey (start, email, login, email)', both, (s) => {
      const sizes = s.latency.map((l) => l.history);
      return [medianOf(repeated(sizes.map((h) => h.events))), medianOf(repeated(sizes.map((h) => h.bytes)))];
    }, [events, formatBytes]),
  ];
  if (both.engine.history && both.raw.history) {
    rows.push(
      several('history events / bytes, first week, active customer', both, (s) => [s.history!.firstWeek.events, s.history!.firstWeek.bytes], [events, formatBytes]),
      several('history events / bytes, compressed year with a renewal (all runs, to the next term\'s welcome)', both, (s) => [s.history!.year.events, s.history!.year.bytes], [events, formatBytes]),
    );
  }
  const steps = both.engine.rss.map((step) => step.cached);
  steps.forEach((cached, i) => {
    const from = i === 0 ? 0 : steps[i - 1]!;
    rows.push(single(`worker RSS per cached journey (${formatNumber(from)} → ${formatNumber(cached)} cached)`, both, (s) => [s.rss[i]?.perJourney ?? Number.NaN], formatBytes));
  });
  rows.push(
    single('worker start, spawn → polling, prebuilt bundle (median of runs)', both, (s) => s.workerStartMs, formatMs),
    single('workflow bundle', both, (s) => [s.bundleBytes], formatBytes),
  );
  if (both.engine.scale && both.raw.scale) {
    const scaleOf = (s: SideResults) => s.scale!;
    rows.push(
      single(`scale: ${formatNumber(scaleOf(both.engine).journeys)} journeys started and asleep, s`, both, (s) => [scaleOf(s).startSeconds], (n) => `${formatNumber(n)} s`),
      single('scale: all woken by their login until every follow-up arrived, s', both, (s) => [scaleOf(s).wakeSeconds], (n) => `${formatNumber(n)} s`),
      single('scale: journeys lost (follow-up never arrived)', both, (s) => [scaleOf(s).lost], formatNumber),
      single('scale: peak worker RSS', both, (s) => [scaleOf(s).peakRssBytes.worker ?? Number.NaN], formatBytes),
      single('scale: peak Temporal server RSS (shared; during this side\'s run)', both, (s) => [scaleOf(s).peakRssBytes.server ?? Number.NaN], formatBytes),
    );
  }
  return rows;
}

/** Whether a row measured anything on either side (a scale-only run skips the other phases). */
export function measured(row: Figure): boolean {
  return [...row.values.engine, ...row.values.raw].some((value) => Number.isFinite(value));
}

/** The table as markdown: figure | engine | raw Temporal | ratio (engine/raw). */
export function markdownTable(rows: Figure[]): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  return [
    '| figure | engine | raw Temporal | ratio engine/raw |',
    '| --- | --- | --- | --- |',
    ...rows.map((row) => `| ${[row.figure, row.engine, row.raw, row.ratio].map(escape).join(' | ')} |`),
  ].join('\n');
}
