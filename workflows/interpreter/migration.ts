import { ApplicationFailure } from '@temporalio/common';
import type { JourneyState, MigrationPlan, MigrationPreview, MigrationRequest, MilestoneRecord } from '../../contracts/journey';
import type { JourneyMap, Stage } from '../../contracts/map';
import { assignArms } from './experiments';
import { fail, iso, milestoneRecord, publishSearchAttributes, timeOf, type Journey } from './journey';
import { allTouchpoints, stageById } from './map-lookups';
import { schedule } from './schedule';

/**
 * Checks a migration against the journey as it stands and says what it would change. Throws, with the
 * reason, when the journey would be left in a stage, or waiting on a milestone, that the target lacks.
 */
export function planMigration(s: JourneyState, current: JourneyMap, request: MigrationRequest, inFlight: ReadonlySet<string> = new Set()): MigrationPlan {
  const target = request.map;
  const label = (map: JourneyMap) => `${map.id}@${map.version}`;
  if (target.id === current.id && target.version <= current.version) {
    fail(`the journey is on ${label(current)} already; ${label(target)} is not newer`);
  }
  const stageTo = mappedId(request.stageMapping, s.stage);
  const targetStage = target.stages.find((stage) => stage.id === stageTo);
  if (!targetStage) {
    fail(
      `the journey is in stage "${s.stage}", which ${label(target)} lacks (stages: ${target.stages.map((st) => st.id).join(', ')}); ` +
        `map it with stageMapping`,
    );
  }
  const mapped = (id: string) => mappedId(request.milestoneMapping, id);
  const targetMilestones = new Set(target.stages.flatMap((stage) => stage.milestones.map((m) => m.id)));
  const waitingOn = s.milestones.filter((m) => m.stage === s.stage && m.status === 'pending' && m.dueAt);
  for (const milestone of waitingOn) {
    if (!targetStage.milestones.some((m) => m.id === mapped(milestone.id))) {
      fail(
        `the journey waits on milestone "${milestone.id}", which stage "${stageTo}" of ${label(target)} lacks; map it with milestoneMapping`,
      );
    }
  }
  const targetTouchpoints = new Set(allTouchpoints(target).map((t) => t.id));
  const knownTouchpoints = new Set(s.touchpoints.map((t) => t.touchpointId));
  return {
    from: label(current),
    to: label(target),
    stage: { from: s.stage, to: stageTo },
    // Tasks the journey made up on the way (escalations, follow-ups) belong to no map version: they stay.
    // One whose activity is under way (an email being sent) is not dropped: it is happening.
    droppedTouchpoints: s.touchpoints
      .filter((t) => t.status === 'pending' && !t.task && !targetTouchpoints.has(t.touchpointId) && !inFlight.has(t.key))
      .map((t) => t.key),
    addedTouchpoints: targetStage.touchpoints.filter((t) => !knownTouchpoints.has(t.id)).map((t) => t.id),
    droppedMilestones: s.milestones.filter((m) => !targetMilestones.has(mapped(m.id))).map((m) => m.id),
    addedMilestones: [...targetMilestones].filter((id) => !s.milestones.some((m) => mapped(m.id) === id)),
  };
}

/** A dry run: the plan, or the reason planMigration refuses it (any other error is a bug, and fails the query). */
export function previewMigration(s: JourneyState, current: JourneyMap, request: MigrationRequest, inFlight: ReadonlySet<string> = new Set()): MigrationPreview {
  try {
    return { plan: planMigration(s, current, request, inFlight) };
  } catch (err) {
    if (err instanceof ApplicationFailure && err.type === 'Refused') return { refused: err.message };
    throw err;
  }
}

/** The journey's milestone records under the target map: carried over by (mapped) id, new ones pending. */
export function migrateMilestones(s: JourneyState, request: MigrationRequest): MilestoneRecord[] {
  const mapped = (id: string) => mappedId(request.milestoneMapping, id);
  return request.map.stages.flatMap((stage: Stage) =>
    stage.milestones.map((milestone): MilestoneRecord => {
      const carried = s.milestones.find((m) => mapped(m.id) === milestone.id);
      return carried
        ? { ...carried, id: milestone.id, name: milestone.name, stage: stage.id }
        : { id: milestone.id, name: milestone.name, stage: stage.id, status: 'pending' };
    }),
  );
}

/** Moves the journey onto the request's map as planned; the journey follows that map from now on. */
export function migrate(j: Journey, request: MigrationRequest, plan: MigrationPlan): void {
  const { s } = j;
  const target = request.map;
  const now = j.env.now();
  const stage = stageById(target, plan.stage.to);
  s.mapId = target.id;
  s.mapVersion = target.version;
  s.milestones = migrateMilestones(s, request);
  for (const milestone of stage.milestones) {
    const record = milestoneRecord(s, milestone.id);
    const due = timeOf(s, milestone.due);
    // A milestone the new version adds gets a deadline only if it is still ahead.
    if (record.status === 'pending' && !record.dueAt && due !== undefined && due > now) record.dueAt = iso(due);
  }
  for (const record of s.touchpoints) {
    if (record.status === 'pending' && plan.droppedTouchpoints.includes(record.key)) {
      Object.assign(record, { status: 'skipped', result: `removed by the migration to ${plan.to}` });
    }
  }
  if (s.stage !== stage.id) {
    for (const record of s.touchpoints.filter((t) => t.status === 'pending' && t.stage === s.stage)) record.stage = stage.id;
    s.stage = stage.id;
    s.stageHistory.at(-1)!.stage = stage.id;
  }
  j.map = target;
  assignArms(j); // experiments the new version starts; arms of earlier ones stand
  for (const touchpoint of stage.touchpoints.filter((t) => plan.addedTouchpoints.includes(t.id))) {
    const due = timeOf(s, touchpoint.at);
    if (due === undefined) continue; // timed from a milestone not reached yet: scheduled when it is
    schedule(j, touchpoint, stage, 1, due, `added by the migration to ${plan.to}`);
    const record = s.touchpoints.at(-1)!;
    if (due <= now && record.status === 'pending') Object.assign(record, { status: 'skipped', result: 'its time had passed when it was added' });
  }
  (s.migrations ??= []).push({ ...plan, at: iso(now) });
  j.env.upsertSearchAttributes({ map: plan.to });
  publishSearchAttributes(j);
}

/** The id a migration maps `id` to, or `id` itself: only the mapping's own entries count (a stage may be called "constructor"). */
function mappedId(mapping: Record<string, string> | undefined, id: string): string {
  return mapping && Object.hasOwn(mapping, id) ? mapping[id]! : id;
}
