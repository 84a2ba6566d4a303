/** Terms and stages: the first term, the next one after a renewal, entering and leaving stages, and what ends them. */
import type { Customer } from '../../contracts/customer';
import type { JourneyState, MilestoneRecord } from '../../contracts/journey';
import type { JourneyMap, Stage } from '../../contracts/map';
import { DAY_MS } from '../../contracts/time';
import { audienceMismatch, iso, markAtRisk, milestoneRecord, publishSearchAttributes, stageEndTimes, timeOf, type Journey } from './journey';
import { stageById } from './map-lookups';
import { schedule } from './schedule';

/** The state a journey starts with: term 1, in the first stage, its touchpoints scheduled. */
export function firstTermState(customer: Customer, map: JourneyMap, dayMs: number, now: number): JourneyState {
  const firstStage = map.stages[0]!;
  // A demo clock starts now: its days are counted from the moment the journey begins.
  const purchasedAt = dayMs === DAY_MS ? Date.parse(customer.purchaseDate) : Math.floor(now);
  const termDays = (Date.parse(customer.renewalDate) - purchasedAt) / DAY_MS;
  return {
    customerId: customer.customerId,
    mapId: map.id,
    mapVersion: map.version,
    term: 1,
    termStartedAt: iso(purchasedAt),
    renewalDate: iso(purchasedAt + Math.round(termDays * dayMs)),
    dayMs,
    journeyStartedAt: iso(now),
    stage: firstStage.id,
    stageEnteredAt: iso(purchasedAt),
    stageHistory: [],
    milestones: map.stages.flatMap((stage) =>
      stage.milestones.map((m): MilestoneRecord => ({ id: m.id, name: m.name, stage: stage.id, status: 'pending' })),
    ),
    touchpoints: [],
    bookings: [],
    tasks: [],
    atRisk: false,
    atRiskReasons: [],
    previousTerms: [],
    eventsReceived: 0,
    seenEventIds: [],
  };
}

/** The first stage starts at the purchase, so a welcome due "at purchase" is never skipped. */
export function enterFirstStage(j: Journey): void {
  enterStage(j, j.map.stages[0]!, Date.parse(j.s.termStartedAt));
}

/** The next term's state after a renewal: the renewal date moves, the stages from `nextTermStage` run again. */
export function nextTermState(j: Journey): JourneyState {
  const { s, map } = j;
  const now = j.env.now();
  // A renewal date named by billing counts when it moves the date forward; on a demo clock the term length stands in.
  const named =
    s.dayMs === DAY_MS && s.outcome?.type === 'renewed' && s.outcome.renewsOn && s.outcome.renewsOn > s.renewalDate ? s.outcome.renewsOn : undefined;
  const renewsOn = named ?? iso(Date.parse(s.renewalDate) + map.renewal.termDays * s.dayMs);
  const stageIndex = map.stages.findIndex((stage) => stage.id === map.renewal.nextTermStage);
  const repeatedStages = new Set(map.stages.slice(stageIndex).map((stage) => stage.id));
  const next: JourneyState = {
    ...s,
    term: s.term + 1,
    termStartedAt: iso(now),
    renewalDate: renewsOn,
    stageHistory: [],
    // Milestones of the stages the new term runs again are armed again; earlier ones stay reached.
    milestones: s.milestones.map((m) =>
      repeatedStages.has(m.stage) ? { id: m.id, name: m.name, stage: m.stage, status: 'pending' } : m,
    ),
    touchpoints: [],
    bookings: [],
    // An owner's open task does not vanish with the term: it stays theirs until done. Those done in the
    // term that ends stay a term longer, so completing one again still answers its completion.
    tasks: s.tasks.filter((task) => task.status !== 'done' || (task.completedAt ?? '') >= s.termStartedAt),
    atRisk: false,
    atRiskReasons: [],
    outcome: undefined,
    exitEvent: undefined,
    previousTerms: [
      ...s.previousTerms,
      {
        term: s.term,
        startedAt: s.termStartedAt,
        endedAt: iso(now),
        outcome: 'renewed',
        touchpointsDone: s.touchpoints.filter((t) => t.status === 'done').length,
      },
    ],
  };
  leaveStage(s, 'renewed', iso(now));
  enterStage({ ...j, s: next }, stageById(map, map.renewal.nextTermStage), now);
  return next;
}

export function enterStage(j: Journey, stage: Stage, at: number): void {
  const { s } = j;
  s.stage = stage.id;
  s.stageEnteredAt = iso(at);
  s.stageHistory.push({ stage: stage.id, enteredAt: iso(at) });
  for (const milestone of stage.milestones) {
    const record = milestoneRecord(s, milestone.id);
    const due = timeOf(s, milestone.due);
    if (record.status === 'pending' && due !== undefined) record.dueAt = iso(due);
  }
  for (const touchpoint of stage.touchpoints) {
    const due = timeOf(s, touchpoint.at);
    // Timed from a milestone not reached yet: scheduled when it is (see armMilestoneTimings).
    if (due !== undefined) schedule(j, touchpoint, stage, 1, due, 'scheduled by the map');
  }
}

/** A milestone was reached: what the current stage times from it is scheduled now. */
export function armMilestoneTimings(j: Journey, milestoneId: string): void {
  const { s } = j;
  const stage = stageById(j.map, s.stage);
  for (const milestone of stage.milestones) {
    const record = milestoneRecord(s, milestone.id);
    if (milestone.due.milestone === milestoneId && record.status === 'pending') record.dueAt = iso(timeOf(s, milestone.due)!);
  }
  for (const touchpoint of stage.touchpoints.filter((t) => t.at.milestone === milestoneId)) {
    if (s.touchpoints.some((t) => t.touchpointId === touchpoint.id)) continue;
    schedule(j, touchpoint, stage, 1, timeOf(s, touchpoint.at)!, `milestone "${milestoneId}" reached`);
  }
}

/** Leaves the stage for the reason given and enters the next one this customer may enter. */
export function advanceStage(j: Journey, stage: Stage, reason: string): void {
  const { s, map } = j;
  const now = j.env.now();
  if (reason === 'time limit' && stage.exit?.atRiskIfIncomplete) {
    const unmet = (stage.exit.milestones ?? []).filter((id) => milestoneRecord(s, id).status !== 'reached');
    if (unmet.length > 0) markAtRisk(j, `${stage.name} ended on its time limit without: ${unmet.join(', ')}`);
  }
  // A customer who reached the milestones early still gets what the stage promised (the kickoff call);
  // a stage that ran out of time drops what it had not reached, and cadences always stop with their stage.
  leaveStage(s, reason, iso(now), { keepOneOffs: reason === 'milestones met' });
  // A stage whose entry conditions do not hold for this customer is passed over, and the history says why.
  let next = map.stages.indexOf(stage) + 1;
  for (let why = entryMismatch(j, map.stages[next]!); why; why = entryMismatch(j, map.stages[next]!)) {
    s.stageHistory.push({ stage: map.stages[next]!.id, enteredAt: iso(now), leftAt: iso(now), reason: `passed over: ${why}` });
    next += 1;
  }
  enterStage(j, map.stages[next]!, now);
  publishSearchAttributes(j);
}

/** Why a stage's entry conditions exclude this customer now, or undefined when they may enter. */
export function entryMismatch(j: Journey, stage: Stage): string | undefined {
  if (!stage.entry) return undefined;
  const unmet = (stage.entry.milestones ?? []).filter((id) => milestoneRecord(j.s, id).status !== 'reached');
  if (unmet.length > 0) return `milestones not reached: ${unmet.join(', ')}`;
  return audienceMismatch(j, stage.entry.audience);
}

export function leaveStage(s: JourneyState, reason: string, at: string, options: { keepOneOffs?: boolean } = {}): void {
  const current = s.stageHistory[s.stageHistory.length - 1];
  if (current && !current.leftAt) Object.assign(current, { leftAt: at, reason });
  for (const record of s.touchpoints) {
    if (record.status !== 'pending' || (options.keepOneOffs && !record.recurs)) continue;
    // An email that fell due in the stage and only waits for its window or the cap still goes out.
    if (record.heldBack && record.dueAt <= at) continue;
    Object.assign(record, { status: 'skipped', result: `stage ended (${reason})` });
  }
}

/** Why the current stage ends now, or undefined while it goes on. The last stage ends only with the term. */
export function stageExitReason(j: Journey, stage: Stage): string | undefined {
  const { s, map } = j;
  if (stage === map.stages.at(-1)) return undefined;
  const exitMilestones = stage.exit?.milestones ?? [];
  if (exitMilestones.length > 0 && exitMilestones.every((id) => milestoneRecord(s, id).status === 'reached')) {
    return 'milestones met';
  }
  if (stage.exit?.event && s.exitEvent?.stage === stage.id) return `event ${stage.exit.event.type}`;
  const now = j.env.now();
  const { timeLimit, renewalWindow } = stageEndTimes(s, stage);
  if (timeLimit !== undefined && now >= timeLimit) return 'time limit';
  if (renewalWindow !== undefined && now >= renewalWindow) return 'renewal window opened';
  return undefined;
}

/** Records each goal as met (all its milestones reached in time) or missed (its time passed without that). */
export function recordGoals(j: Journey): void {
  const { s, map } = j;
  const goals = map.goals;
  if (goals.length === 0) return;
  const purchasedAt = Date.parse(s.previousTerms[0]?.startedAt ?? s.termStartedAt);
  s.goals ??= goals.map((goal) => ({ id: goal.id, name: goal.name, status: 'pending' }));
  for (const record of s.goals.filter((g) => g.status === 'pending')) {
    const goal = goals.find((g) => g.id === record.id);
    if (!goal) continue; // a migration dropped it
    if (!record.dueAt) {
      // Counted from the purchase, or from the first entry into a stage, once the customer gets there.
      const entered = goal.stage ? s.stageHistory.find((h) => h.stage === goal.stage && !h.reason?.startsWith('passed over'))?.enteredAt : undefined;
      const anchor = goal.stage ? (entered && Date.parse(entered)) : purchasedAt;
      if (!anchor) continue;
      record.dueAt = iso(anchor + goal.withinDays * s.dayMs);
    }
    const reached = goal.milestones.map((id) => s.milestones.find((m) => m.id === id));
    const times = reached.map((m) => (m?.status === 'reached' && m.reachedAt ? m.reachedAt : undefined));
    const metAt = times.every((t) => t !== undefined) ? times.sort().at(-1) : undefined;
    const now = j.env.now();
    if (metAt && metAt <= record.dueAt) Object.assign(record, { status: 'met', at: metAt });
    else if (now >= Date.parse(record.dueAt)) Object.assign(record, { status: 'missed', at: iso(now) });
  }
}
