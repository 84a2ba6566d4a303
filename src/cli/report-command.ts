/** `journeys report`: the analytics of a map's journeys (src/analytics) from the engine database, as tables or JSON. */
import { ZodError } from 'zod';
import { requireDatabaseUrl, type Config } from '../config';
import { openDatabase } from '../db/database';
import { parseAnalyticsFilter, type AnalyticsFilter } from '../analytics/filters';
import { JourneyAnalytics, type Report } from '../analytics/journey-analytics';
import { experimentQuerySchema, type ExperimentComparison, type ExperimentQuery } from '../analytics/experiments';
import { touchpointEffectSchema, type TouchpointEffect } from '../analytics/touchpoint-effect';
import { UsageError } from './usage';

export const REPORT_USAGE = `  journeys report --map ID [--map-version N] [--segment S] [--plan P] [--cohort YYYY-MM] [--from DATE] [--to DATE]
                 [--milestone ID (--touchpoint ID | --experiment ID [--control ARM])] [--json]
                                                 the stage funnel, milestone attainment, touchpoints and
                                                 outcomes of a map's journeys (DATABASE_URL); with a
                                                 milestone and a touchpoint, whether the touchpoint helped;
                                                 with an experiment, its arms against the control`;

export interface ReportFlags {
  map?: string;
  'map-version'?: string;
  segment?: string;
  plan?: string;
  cohort?: string;
  from?: string;
  to?: string;
  milestone?: string;
  touchpoint?: string;
  experiment?: string;
  control?: string;
  json?: boolean;
}

/** What the report compares besides its tables: a touchpoint's effect on a milestone, or an experiment's arms. */
type Comparison = { touchpointEffect: { milestone: string; touchpoint: string } } | { experiment: ExperimentQuery };

/** The flag a filter field comes from, for messages. */
const FLAG_OF: Record<string, string> = { mapId: '--map', mapVersion: '--map-version' };
const flagOf = (field: PropertyKey | undefined) => FLAG_OF[String(field)] ?? `--${String(field)}`;

/** The flags as the analytics filter, or a UsageError naming each bad flag. */
export function reportFilter(flags: ReportFlags): { filter: AnalyticsFilter; compare?: Comparison } {
  const { map: mapId, 'map-version': mapVersion, segment, plan, cohort, from, to, milestone, touchpoint, experiment, control } = flags;
  const input = { mapId, mapVersion, segment, plan, cohort, from, to };
  try {
    const filter = parseAnalyticsFilter(input);
    if (experiment !== undefined && touchpoint !== undefined) throw new UsageError('report: --experiment: compares arms, --touchpoint compares with and without it: give one');
    if (experiment !== undefined || control !== undefined) return { filter, compare: { experiment: experimentQuerySchema.parse({ experiment, milestone, control }) } };
    if (milestone === undefined && touchpoint === undefined) return { filter };
    return { filter, compare: { touchpointEffect: touchpointEffectSchema.parse({ milestone, touchpoint }) } };
  } catch (err) {
    if (!(err instanceof ZodError)) throw err;
    throw new UsageError(err.issues.map((issue) => `report: ${flagOf(issue.path[0])}: ${issue.message}`).join('\n'));
  }
}

export async function reportCommand(config: Config, flags: ReportFlags): Promise<number> {
  const { filter, compare } = reportFilter(flags);
  const db = await openDatabase(requireDatabaseUrl(config), { max: 4 });
  try {
    const analytics = new JourneyAnalytics(db);
    const [report, effect, arms] = await Promise.all([
      analytics.report(filter),
      compare && 'touchpointEffect' in compare ? analytics.touchpointEffect(filter, compare.touchpointEffect) : undefined,
      compare && 'experiment' in compare ? analytics.experiment(filter, compare.experiment) : undefined,
    ]);
    if (flags.json) console.log(JSON.stringify({ ...report, ...(effect && { touchpointEffect: effect }), ...(arms && { experiment: arms }) }, null, 2));
    else console.log(formatReport(report, effect, arms));
    return 0;
  } finally {
    await db.end();
  }
}

const dash = '–';
const num = (value: number | null | undefined) => (value === null || value === undefined ? dash : String(value));
const pct = (value: number | null | undefined) => (value === null || value === undefined ? dash : `${(value * 100).toFixed(1)} %`);

/** Columns padded to their widest cell: the first left-aligned, the others right-aligned. */
export function table(header: string[], rows: string[][]): string {
  if (rows.length === 0) return '  (none)';
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `  ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')}`.trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function describeFilter(filter: AnalyticsFilter): string {
  const parts = [`map ${filter.mapId}${filter.mapVersion ? ` version ${filter.mapVersion}` : ' (all versions)'}`];
  if (filter.segment) parts.push(`segment ${filter.segment}`);
  if (filter.plan) parts.push(`plan ${filter.plan}`);
  if (filter.cohort) parts.push(`purchased in ${filter.cohort}`);
  if (filter.from || filter.to) parts.push(`period ${filter.from ?? '…'} to ${filter.to ?? '…'}`);
  return parts.join(', ');
}

/** The share of the population that reached a milestone within `day` days (the curve's last point holds beyond it). */
function byDay(points: { day: number; rate: number | null }[], day: number): number | null {
  if (points.length === 0) return null;
  return (points.find((p) => p.day === day) ?? points.at(-1)!).rate;
}

export function formatReport(report: Report, effect?: TouchpointEffect, experiment?: ExperimentComparison): string {
  const { stages, milestones, touchpoints, outcomes } = report;
  const sections = [
    `Journeys report: ${describeFilter(report.filter)}`,
    'Stage funnel (entered in the period; now: as the journeys stand; days spent by stays that ended in the period)',
    table(
      ['stage', 'journeys entered', 'entries', 'passed over', 'now', 'at risk now', 'stays', 'median days', 'p90 days'],
      stages.map((s) => [s.stage, num(s.entered.journeys), num(s.entered.entries), num(s.passedOver), num(s.now.journeys), num(s.now.atRisk), num(s.daysSpent.stays), num(s.daysSpent.median), num(s.daysSpent.p90)]),
    ),
    'Milestones (reached or missed in the period; days from purchase and from entering the stage; share of first terms reached by day 7/30/90)',
    table(
      ['milestone', 'reached', 'on time', 'late', 'no due time', 'missed', 'on time %', 'median from purchase', 'p90', 'median from stage', 'p90', 'by day 7', 'by day 30', 'by day 90'],
      milestones.map((m) => [
        m.milestone,
        num(m.reached.total),
        num(m.reached.onTime),
        num(m.reached.late),
        num(m.reached.withoutDueTime),
        num(m.missed),
        pct(m.rates.onTime),
        num(m.daysFromPurchase.median),
        num(m.daysFromPurchase.p90),
        num(m.daysFromStageEntry.median),
        num(m.daysFromStageEntry.p90),
        pct(byDay(m.curve.points, 7)),
        pct(byDay(m.curve.points, 30)),
        pct(byDay(m.curve.points, 90)),
      ]),
    ),
    'Touchpoints (in the period)',
    table(
      ['touchpoint', 'action', 'done', 'failed', 'skipped', 'unconfirmed', 'attended', 'no-show', 'attendance'],
      touchpoints.map((t) => [t.touchpoint, t.action ?? dash, num(t.done), num(t.failed), num(t.skipped), num(t.unconfirmed), num(t.meetings?.attended), num(t.meetings?.noShow), pct(t.meetings?.attendanceRate)]),
    ),
    `At risk now: ${outcomes.atRisk.atRisk} of ${outcomes.atRisk.running} running journeys (${pct(outcomes.atRisk.rate)})`,
    table(['reason', 'journeys'], outcomes.atRisk.reasons.map((r) => [r.reason, num(r.journeys)])),
    table(
      ['customer', 'company', 'stage', 'term', 'since', 'reasons'],
      outcomes.atRisk.journeys.map((j) => [j.customerId, j.company, j.stage, num(j.term), j.since?.slice(0, 10) ?? dash, j.reasons.join('; ')]),
    ),
    'Goals (met or missed in the period)',
    table(['goal', 'met', 'missed', 'met %'], outcomes.goals.map((g) => [g.goal, num(g.met), num(g.missed), pct(g.rate)])),
    'Renewals (outcomes in the period, by the term they ended)',
    table(['term', 'renewed', 'churned', 'renewal rate'], outcomes.renewals.map((r) => [num(r.term), num(r.renewed), num(r.churned), pct(r.rate)])),
  ];
  if (effect) {
    const row = (label: string, g: TouchpointEffect['withTouchpoint']) => [label, num(g.journeys), num(g.reached), pct(g.rate), num(g.daysToMilestone.median), num(g.daysToMilestone.p90)];
    sections.push(
      `Did ${effect.touchpoint} help reach ${effect.milestone}? (first terms; difference ${effect.difference === null ? dash : `${(effect.difference * 100).toFixed(1)} points`}; ${effect.withTouchpoint.reachedBeforeTouchpoint ?? 0} reached it before the touchpoint)`,
      table(['', 'journeys', 'reached', 'reached %', 'median days', 'p90 days'], [row(`with ${effect.touchpoint}`, effect.withTouchpoint), row('without', effect.withoutTouchpoint)]),
    );
  }
  if (experiment) {
    sections.push(
      `Experiment ${experiment.experiment}: its arms on ${experiment.milestone} and on renewal (first terms), against ${experiment.control}`,
      table(
        ['arm', 'journeys', 'reached', 'reached %', 'renewed', 'churned', 'renewal rate'],
        experiment.arms.map((a) => [a.arm, num(a.journeys), num(a.reached), pct(a.attainment), num(a.renewed), num(a.churned), pct(a.renewalRate)]),
      ),
      experiment.comparisons.map((c) => `  ${c.verdict}`).join('\n') || '  (one arm only: nothing to compare yet)',
    );
  }
  return sections.join('\n\n');
}
