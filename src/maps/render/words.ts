// The map in business words, and the order things happen in: what every diagram of a journey map says.
import type { EscalationLevel, JourneyMap, Milestone, ScheduledTouchpoint, Stage, Timing, Touchpoint } from '../schema';

/**
 * Both diagrams (Mermaid in mermaid.ts, SVG in svg.ts) read the map through these helpers, so a touchpoint
 * says "60 days before renewal" the same way in each; a diagram adds only its own layout and escaping.
 */

export interface TimingWordsOptions {
  /** A recurring touchpoint: "every 30 days from day 30". */
  every?: number;
  /** A deadline: "by day 7". */
  by?: boolean;
  /** In the first stage, entering the stage is the purchase itself. */
  firstStage?: boolean;
}

/** A moment of the map in business words: "day 2", "at purchase", "60 days before renewal", "by day 7". */
export function timingInWords(timing: Timing, options: TimingWordsOptions = {}): string {
  const point = pointInTime(timing, options.firstStage ?? false);
  if (options.every !== undefined) return `every ${plural(options.every, 'day')} from ${point.noun}`;
  if (options.by) return `by ${point.noun}`;
  return point.preposition ? `${point.preposition} ${point.noun}` : point.noun;
}

/** How a stage ends, in business words ("milestones met: First login or after 90 days"); undefined if it never does. */
export function exitRuleInWords(stage: Stage): string | undefined {
  const exit = stage.exit;
  if (!exit) return undefined;
  const rules: string[] = [];
  if (exit.milestones?.length) {
    rules.push(`milestones met: ${exit.milestones.map((id) => milestoneName(stage, id)).join(', ')}`);
  }
  if (exit.afterDays !== undefined) {
    const atRisk = exit.atRiskIfIncomplete && exit.milestones?.length ? ' (at risk if incomplete)' : '';
    rules.push(`after ${plural(exit.afterDays, 'day')}${atRisk}`);
  }
  if (exit.daysBeforeRenewal !== undefined) {
    rules.push(`renewal window: ${timingInWords({ days: -exit.daysBeforeRenewal, from: 'renewal' })}`);
  }
  if (exit.event) rules.push(`event ${eventInWords(exit.event)}`);
  return rules.length > 0 ? rules.join(' or ') : undefined;
}

/** Who may enter a stage, in words ("only if plan enterprise"); undefined when everyone does. */
export function entryInWords(stage: Stage): string | undefined {
  const entry = stage.entry;
  if (!entry) return undefined;
  const audience = entry.audience;
  const conditions = [
    ...(entry.milestones ?? []).map((id) => `${id} reached`),
    ...(audience?.segments ? [`segment ${audience.segments.join(' or ')}`] : []),
    ...(audience?.plans ? [`plan ${audience.plans.join(' or ')}`] : []),
    ...Object.entries(audience?.attributes ?? {}).map(([name, value]) => `${name} = ${String(value)}`),
  ];
  return `only if ${conditions.join(' and ')}`;
}

/** One escalation level in words: "after 2 days: notify manager, mark at risk". */
export function levelInWords(level: EscalationLevel & { touchpoints?: Touchpoint[] }): string {
  const actions = [
    ...(level.notify ? [`notify ${level.notify}`] : []),
    ...(level.markAtRisk ? ['mark at risk'] : []),
    ...(level.touchpoints ?? []).map((t) => t.name ?? t.id),
  ];
  return `after ${plural(level.afterDays, 'day')}: ${actions.join(', ') || 'nothing'}`;
}

function eventInWords(event: { type: string; match: Record<string, string> }): string {
  const match = Object.entries(event.match).map(([field, value]) => `${field} = ${value}`);
  return match.length > 0 ? `${event.type} (${match.join(', ')})` : event.type;
}

/** A point in time as a noun ("day 2", "purchase"), with the preposition it needs on its own ("at purchase"). */
function pointInTime({ days, from, milestone }: Timing, firstStage: boolean): { noun: string; preposition?: string } {
  if (from === 'milestone') {
    const reached = `milestone ${milestone} is reached`;
    return days === 0 ? { noun: reached, preposition: 'when' } : { noun: `${plural(days, 'day')} after ${reached}` };
  }
  if (from === 'stageEntry') {
    return days === 0 && firstStage ? { noun: 'purchase', preposition: 'at' } : { noun: `day ${days}` };
  }
  if (days === 0) return from === 'purchase' ? { noun: 'purchase', preposition: 'at' } : { noun: 'the renewal date', preposition: 'on' };
  return { noun: `${plural(Math.abs(days), 'day')} ${days < 0 ? 'before' : 'after'} ${from}` };
}

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

function milestoneName(stage: Stage, id: string): string {
  return stage.milestones.find((milestone) => milestone.id === id)?.name ?? id;
}

/** What a touchpoint does: "call: Kickoff, 45 min". */
function actionInWords(touchpoint: Touchpoint): string {
  switch (touchpoint.action) {
    case 'email':
      return `email: ${touchpoint.template}`;
    case 'call':
    case 'training': {
      const noShow = touchpoint.onNoShow && touchpoint.onNoShow.rebook !== 1 ? `; no-show: rebook ${touchpoint.onNoShow.rebook}×, then task` : '';
      return `${touchpoint.action}: ${touchpoint.topic}, ${touchpoint.durationMinutes} min${noShow}`;
    }
    case 'task': {
      const overdue = (touchpoint.onOverdue ?? []).map((level) => `; overdue ${levelInWords(level)}`).join('');
      return `task: ${touchpoint.title}, due in ${plural(touchpoint.dueInDays, 'day')}${overdue}`;
    }
    case 'webhook':
      return `webhook: ${touchpoint.event} → ${new URL(touchpoint.url).host}`;
  }
}

/** A touchpoint's label, one entry per line; `when` is left out for escalations, which run when missed. */
export function touchpointLines(touchpoint: Touchpoint, when?: string): string[] {
  const title = touchpoint.name ? `${touchpoint.name} · ${touchpoint.id}` : touchpoint.id;
  return [title, actionInWords(touchpoint), ...(when ? [when] : []), `owner: ${touchpoint.owner}`];
}

export function scheduledTouchpointLines(touchpoint: ScheduledTouchpoint, firstStage: boolean): string[] {
  return touchpointLines(touchpoint, timingInWords(touchpoint.at, { every: touchpoint.every, firstStage }));
}

/** A milestone's label, one entry per line: name, deadline, the event that completes it. */
export function milestoneLines(milestone: Milestone, firstStage: boolean): string[] {
  const match = Object.entries(milestone.event.match).map(([field, value]) => `${field} = ${value}`);
  const count = milestone.event.count;
  return [
    milestone.name,
    `due ${timingInWords(milestone.due, { by: true, firstStage })}`,
    `event: ${milestone.event.type}${count ? ` ×${count.times} within ${plural(count.withinDays, 'day')}` : ''}`,
    ...(match.length > 0 ? [`match: ${match.join(', ')}`] : []),
  ];
}

const ANCHOR_ORDER: Record<Timing['from'], number> = { purchase: 0, stageEntry: 1, milestone: 2, renewal: 3 };

/** Touchpoints in the order they happen; anchors cannot be compared without dates, so a term's order (purchase, stage, renewal) decides. */
export function byTiming(a: ScheduledTouchpoint, b: ScheduledTouchpoint): number {
  return ANCHOR_ORDER[a.at.from] - ANCHOR_ORDER[b.at.from] || a.at.days - b.at.days;
}

export function nextTermInWords(map: JourneyMap): string {
  const stage = map.stages.find((candidate) => candidate.id === map.renewal.nextTermStage);
  return `renewal.renewed → next term in ${stage?.name ?? map.renewal.nextTermStage}`;
}

export const CHURNED_LABEL = 'renewal.churned';

/** Names written by people may hold newlines or control characters; neither belongs in a one-line label. */
export function plainText(text: string): string {
  return [...text.replace(/\s+/g, ' ')].filter((char) => char >= ' ').join('');
}
