/**
 * Journey facts (contracts/facts.ts): what a journey's state says it did, each fact under a deterministic key,
 * and the batch a workflow task hands the engine database. Plain functions over the state: the same state
 * gives the same facts under the same keys, so a replay, a retried batch or a fact seen again in the next run
 * never makes a second row.
 *
 * Keys start with the journey id (workflow id and first run id: a returning customer's next journey is
 * another). What a term starts afresh (stages, touchpoints, bookings, risk marks, the outcome) is keyed by term
 * and by its place in the term, so a stage entered twice, a cadence's occurrences and two risk marks with the
 * same reason stay apart. What a journey carries from term to term (tasks, goals, migrations, milestones not
 * armed again) is keyed without the term, so the next term finds it recorded already.
 */
import type { FactBatch, FactKind, JourneyFact, JourneySnapshot } from '../../contracts/facts';
import type { JourneyPause, JourneyState, OwnerTask } from '../../contracts/journey';
import type { Journey } from './journey';

/** What a run has recorded already: fact keys, and the snapshot and open tasks last sent (as JSON). */
export interface RecordedFacts {
  keys: Set<string>;
  snapshot?: string;
  openTasks?: string;
}

/** Every fact the journey's current state implies, in a stable order. */
export function factsOf(j: Journey, journeyId: string): JourneyFact[] {
  const { s } = j;
  const facts: JourneyFact[] = [];
  const termKey = `${journeyId}/t${s.term}`;
  const add = (key: string, kind: FactKind, subject: string, at: string, detail: Record<string, unknown>, term = s.term) =>
    facts.push({ key, kind, subject, at, term, mapId: s.mapId, mapVersion: s.mapVersion, detail });

  // The nth entry of the term: a stage a migration renamed keeps its key, and one entered again gets another.
  s.stageHistory.forEach((entry, index) => {
    const passedOver = entry.reason?.startsWith('passed over') ? { passedOver: true } : {};
    add(`${termKey}/stage.entered/${index + 1}`, 'stage.entered', entry.stage, entry.enteredAt, passedOver);
    if (entry.leftAt) {
      add(`${termKey}/stage.left/${index + 1}`, 'stage.left', entry.stage, entry.leftAt, { reason: entry.reason, enteredAt: entry.enteredAt, ...passedOver });
    }
  });

  // Milestones of stages a renewal does not run again stay reached: keyed by when, the next term finds them recorded.
  for (const m of s.milestones) {
    const onTime = m.dueAt && m.reachedAt ? { onTime: Date.parse(m.reachedAt) <= Date.parse(m.dueAt) } : {};
    const detail = { name: m.name, stage: m.stage, dueAt: m.dueAt, reachedAt: m.reachedAt, ...onTime };
    if (m.status === 'reached' && m.reachedAt) {
      add(`${journeyId}/milestone.reached/${m.id}/${m.reachedAt}`, 'milestone.reached', m.id, m.reachedAt, detail, termAt(s, m.reachedAt));
    } else if (m.status === 'missed' && m.missedAt) {
      add(`${journeyId}/milestone.missed/${m.id}/${m.missedAt}`, 'milestone.missed', m.id, m.missedAt, detail, termAt(s, m.missedAt));
    }
  }

  // A record's key is unique in the term but for an escalation scheduling the same touchpoint twice: the nth such record.
  const occurrences = new Map<string, number>();
  for (const record of s.touchpoints) {
    const nth = (occurrences.get(record.key) ?? 0) + 1;
    occurrences.set(record.key, nth);
    if (record.status === 'pending') continue;
    const subject = nth === 1 ? record.key : `${record.key}~${nth}`;
    const { touchpointId, action, name, stage, result, trigger, dueAt } = record;
    add(`${termKey}/touchpoint.${record.status}/${subject}`, `touchpoint.${record.status}`, subject, record.doneAt ?? record.dueAt, {
      touchpointId,
      action,
      name,
      stage,
      result,
      trigger,
      dueAt,
      owner: record.owner.email,
    });
  }

  for (const booking of s.bookings) {
    if (!booking.attendance) continue;
    const { bookingId, kind, topic, startsAt, touchpointKey } = booking;
    add(`${termKey}/meeting.${booking.attendance}/${bookingId}`, `meeting.${booking.attendance}`, bookingId, startsAt, {
      kind,
      topic,
      touchpointKey,
      owner: booking.owner.email,
    });
  }

  // Tasks outlive their term until done: keyed by task id alone.
  for (const task of s.tasks) {
    const opened = openedAt(s, task);
    add(`${journeyId}/task.opened/${task.taskId}`, 'task.opened', task.taskId, opened, { ...asOpened(task) }, termAt(s, opened));
    if (task.status === 'done' && task.completedAt) {
      add(`${journeyId}/task.completed/${task.taskId}`, 'task.completed', task.taskId, task.completedAt, { ...task }, termAt(s, task.completedAt));
    }
  }

  s.atRiskReasons.forEach(({ reason, at }, index) => add(`${termKey}/risk.marked/${index + 1}`, 'risk.marked', reason, at, { reason }));

  for (const goal of s.goals ?? []) {
    if (goal.status === 'pending') continue;
    const at = goal.at ?? s.termStartedAt;
    add(`${journeyId}/goal.${goal.status}/${goal.id}`, `goal.${goal.status}`, goal.id, at, { name: goal.name, dueAt: goal.dueAt }, termAt(s, at));
  }

  if (s.outcome?.type === 'cancelled') {
    const { at, reason, by } = s.outcome;
    add(`${termKey}/outcome.cancelled`, 'outcome.cancelled', reason, at, { reason, ...(by ? { by } : {}) });
  } else if (s.outcome) {
    const { type, at, eventId, renewsOn } = s.outcome;
    add(`${termKey}/outcome.${type}`, `outcome.${type}`, eventId, at, { eventId, ...(renewsOn ? { renewsOn } : {}) });
  }

  // Pauses span terms (a journey paused before its renewal): keyed by when each began.
  const pauses: (JourneyPause & { resumedAt?: string; resumedBy?: string })[] = [...(s.pauses ?? []), ...(s.paused ? [s.paused] : [])];
  for (const pause of pauses) {
    const { at, reason, by, resumedAt, resumedBy } = pause;
    add(`${journeyId}/journey.paused/${at}`, 'journey.paused', reason, at, { reason, ...(by ? { by } : {}) }, termAt(s, at));
    if (!resumedAt) continue;
    const pausedDays = Math.round(((Date.parse(resumedAt) - Date.parse(at)) / s.dayMs) * 10) / 10;
    const detail = { pausedAt: at, pausedDays, ...(resumedBy ? { by: resumedBy } : {}) };
    add(`${journeyId}/journey.resumed/${at}`, 'journey.resumed', reason, resumedAt, detail, termAt(s, resumedAt));
  }

  for (const [experiment, { arm, assignedAt }] of Object.entries(s.experimentArms ?? {})) {
    add(`${journeyId}/experiment.assigned/${experiment}`, 'experiment.assigned', experiment, assignedAt, { arm }, termAt(s, assignedAt));
  }

  (s.migrations ?? []).forEach((migration, index) => {
    const { at, ...plan } = migration;
    add(`${journeyId}/migration/${index + 1}`, 'migration', migration.to, at, { ...plan }, termAt(s, at));
  });
  return facts;
}

/** The journey as it stands, for the journeys table. */
export function snapshotOf(j: Journey): JourneySnapshot {
  const { s, customer } = j;
  return {
    customerId: s.customerId,
    company: customer.company,
    mapId: s.mapId,
    mapVersion: s.mapVersion,
    segment: customer.segment,
    plan: customer.plan,
    term: s.term,
    stage: s.stage,
    atRisk: s.atRisk,
    status: s.outcome?.type === 'churned' || s.outcome?.type === 'cancelled' ? s.outcome.type : 'running',
    startedAt: s.journeyStartedAt,
    dayMs: s.dayMs,
  };
}

/** The tasks an owner can still complete: none once the customer churned or the journey was cancelled (it ends). */
export function openTasksOf(j: Journey): OwnerTask[] {
  if (j.s.outcome?.type === 'churned' || j.s.outcome?.type === 'cancelled') return [];
  return j.s.tasks.filter((task) => task.status !== 'done').map((task) => ({ ...task, status: 'open' as const }));
}

/**
 * What to hand the database now: the facts not recorded yet, with the snapshot and open tasks if they
 * changed (the snapshot too when the tasks did: the store replaces open tasks only with a newer snapshot).
 * Several journeys when a renewal ends one term and begins the next in one batch; the last is the one that
 * goes on. Undefined when there is nothing new.
 */
export function nextFactBatch(journeys: readonly Journey[], journeyId: string, recorded: RecordedFacts): FactBatch | undefined {
  const current = journeys.at(-1)!;
  // A task carried into the next term is a fact of both states: it goes once.
  const keys = new Set(recorded.keys);
  const facts: JourneyFact[] = [];
  for (const fact of journeys.flatMap((j) => factsOf(j, journeyId))) {
    if (keys.has(fact.key)) continue;
    keys.add(fact.key);
    facts.push(fact);
  }
  const snapshot = snapshotOf(current);
  const openTasks = openTasksOf(current);
  const tasksChanged = JSON.stringify(openTasks) !== recorded.openTasks;
  const snapshotChanged = tasksChanged || JSON.stringify(snapshot) !== recorded.snapshot;
  if (facts.length === 0 && !snapshotChanged) return undefined;
  const { customerId, segment, plan } = snapshot;
  return {
    journeyId,
    sequence: (current.s.factBatches ?? 0) + 1,
    customerId,
    segment,
    plan,
    facts,
    ...(snapshotChanged ? { snapshot } : {}),
    ...(tasksChanged ? { openTasks } : {}),
  };
}

/** The batch reached the database: its facts, snapshot and open tasks are recorded. */
export function markRecorded(recorded: RecordedFacts, batch: FactBatch): void {
  for (const fact of batch.facts) recorded.keys.add(fact.key);
  if (batch.snapshot) recorded.snapshot = JSON.stringify(batch.snapshot);
  if (batch.openTasks) recorded.openTasks = JSON.stringify(batch.openTasks);
}

/** Everything the journey's state implies counts as recorded (the run before recorded it, then continued as new). */
export function recordedAlready(j: Journey, journeyId: string): RecordedFacts {
  return {
    keys: new Set(factsOf(j, journeyId).map((fact) => fact.key)),
    snapshot: JSON.stringify(snapshotOf(j)),
    openTasks: JSON.stringify(openTasksOf(j)),
  };
}

/** The term a moment belongs to: one of the earlier terms, or the current one. */
function termAt(s: JourneyState, at: string): number {
  const time = Date.parse(at);
  return s.previousTerms.find((t) => Date.parse(t.startedAt) <= time && time < Date.parse(t.endedAt))?.term ?? s.term;
}

/**
 * When a task was made: when its touchpoint was done, in this term. A task carried from an earlier term was
 * recorded then; only a journey from before facts meets it here first, and it counts from the term's start.
 */
function openedAt(s: JourneyState, task: OwnerTask): string {
  const made = s.touchpoints.find((t) => t.key === task.touchpointKey && t.status === 'done' && t.doneAt);
  return made?.doneAt ?? s.termStartedAt;
}

/** The task as it was opened: without what its completion and escalations added since. */
function asOpened(task: OwnerTask): OwnerTask {
  const opened: OwnerTask = { ...task, status: 'open' };
  for (const later of ['completedAt', 'outcome', 'notes', 'escalations'] as const) delete opened[later];
  return opened;
}
