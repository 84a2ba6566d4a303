/**
 * The interpreter's state object: one customer's journey (state, customer, the map it follows) and the
 * few things it needs from Temporal, handed in by the workflow so the rules run as plain functions in
 * unit tests too. Every rule in this folder takes a Journey and changes its state.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Customer, Owner } from '../../contracts/customer';
import type { JourneyState, MilestoneRecord, TouchpointRecord } from '../../contracts/journey';
import type { Audience, JourneyMap, Stage, Timing } from '../../contracts/map';
import { iso } from '../../contracts/time';
import { stageById } from './map-lookups';
import type { JourneyEnv, JourneyFailure } from './journey-env';

export type { JourneyEnv } from './journey-env';

export interface Journey {
  s: JourneyState;
  readonly customer: Customer;
  /** The map the journey follows now; a migration moves it to another version. */
  map: JourneyMap;
  readonly env: JourneyEnv;
}

export { iso } from '../../contracts/time';

/**
 * Refuses an update (from its validator or its handler) with a reason the API passes on: NotFound for
 * something this journey does not have, Refused for a change it cannot make.
 */
export function fail(message: string, type: JourneyFailure = 'Refused'): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}

/** The person holding a role now; someone always owns the moment, so fall back to any owner the customer has. */
export function ownerFor(j: Journey, role: string): Owner {
  const owners = j.s.owners ?? j.customer.owners;
  const owner = owners[role] ?? Object.values(owners)[0];
  return owner ?? { name: j.customer.contact.name, email: j.customer.contact.email };
}

/** Why an audience excludes this customer, or undefined when it is for them. */
export function audienceMismatch(j: Journey, audience: Omit<Audience, 'stepOutcome'> | undefined): string | undefined {
  if (!audience) return undefined;
  const { customer } = j;
  if (audience.experiment) {
    const arm = j.s.experimentArms?.[audience.experiment.id]?.arm;
    if (!arm || !audience.experiment.arms.includes(arm)) return `experiment ${audience.experiment.id}: arm ${arm ?? 'none'}`;
  }
  if (audience.segments && !audience.segments.includes(customer.segment)) return `segment ${customer.segment}`;
  if (audience.plans && !audience.plans.includes(customer.plan)) return `plan ${customer.plan}`;
  for (const [attribute, value] of Object.entries(audience.attributes ?? {})) {
    if (customer.attributes[attribute] !== value) return `${attribute} is ${String(customer.attributes[attribute] ?? 'unset')}`;
  }
  return undefined;
}

/** When a timing falls; undefined while it counts from a milestone not reached yet. */
export function timeOf(s: JourneyState, timing: Timing): number | undefined {
  // "purchase" is the start of the term: the purchase itself, or the renewal that began this term.
  const milestone = timing.milestone ? s.milestones.find((m) => m.id === timing.milestone) : undefined;
  const anchors = {
    stageEntry: s.stageEnteredAt,
    purchase: s.termStartedAt,
    renewal: s.renewalDate,
    milestone: milestone?.status === 'reached' ? milestone.reachedAt : undefined,
  };
  const anchor = anchors[timing.from];
  return anchor === undefined ? undefined : Date.parse(anchor) + timing.days * s.dayMs;
}

export function milestoneRecord(s: JourneyState, id: string): MilestoneRecord {
  const record = s.milestones.find((m) => m.id === id);
  if (!record) throw new Error(`journey has no milestone "${id}"`);
  return record;
}

/** The stage a touchpoint belongs to; one a migration renamed or merged counts as the current stage. */
export function stageOf(j: Journey, record: TouchpointRecord): Stage {
  return j.map.stages.find((stage) => stage.id === record.stage) ?? stageById(j.map, j.s.stage);
}

export function markAtRisk(j: Journey, reason: string): void {
  j.s.atRiskReasons.push({ reason, at: iso(j.env.now()) });
  if (j.s.atRisk) return;
  j.s.atRisk = true;
  publishSearchAttributes(j);
}

/** Stage, risk and term, as the Temporal UI and the journey list filter on them. */
export function publishSearchAttributes(j: Journey): void {
  j.env.upsertSearchAttributes({ stage: j.s.stage, atRisk: j.s.atRisk, term: j.s.term });
}

/** Who has open tasks on this journey (owners' worklists). */
export function publishTaskOwners(j: Journey): void {
  const owners = j.s.tasks.filter((t) => t.status !== 'done').map((t) => t.owner.email);
  j.env.upsertSearchAttributes({ taskOwners: [...new Set(owners)] });
}

/** The moments the stage's time rules end it, if it has them. */
export function stageEndTimes(s: JourneyState, stage: Stage): { timeLimit?: number; renewalWindow?: number } {
  const exit = stage.exit;
  return {
    timeLimit: exit?.afterDays === undefined ? undefined : Date.parse(s.stageEnteredAt) + exit.afterDays * s.dayMs,
    renewalWindow:
      exit?.daysBeforeRenewal === undefined ? undefined : Date.parse(s.renewalDate) - exit.daysBeforeRenewal * s.dayMs,
  };
}
