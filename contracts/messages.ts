/**
 * The journeys' and the map registry's signals, queries and updates: one definition each, shared by the
 * workflows that handle them and the services that send them. Wire name = the constant without its suffix.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Owner } from './customer';
import type { ProductEvent } from './events';
import type {
  Booking,
  JourneyPause,
  JourneyState,
  MeetingChangeRequest,
  MigrationPlan,
  MigrationPreview,
  MigrationRequest,
  OwnerReassignment,
  OwnerTask,
  PublishedMap,
  SteeringRequest,
  TaskCompletion,
} from './journey';
import type { JourneyMap } from './map';
import type { BulkOperationProgress } from './bulk-operations';

/** A product or billing event for this customer; recorded in state, deduplicated by eventId. */
export const productEventSignal = defineSignal<[ProductEvent]>('productEvent');

/** The journey as it stands: stage, milestones, touchpoints done and pending, risk, term, outcome. */
export const journeyStateQuery = defineQuery<JourneyState>('journeyState');

/** Publishes a new version of a map in the registry; refused unless it is newer than the published one. */
export const publishMapUpdate = defineUpdate<{ id: string; version: number }, [JourneyMap]>('publishMap');

/** Every published map, by id, oldest version first. */
export const publishedMapsQuery = defineQuery<Record<string, PublishedMap[]>>('publishedMaps');

/** Moves a journey in flight to another map version; the validator refuses what would strand it. */
export const migrateMapUpdate = defineUpdate<MigrationPlan, [MigrationRequest]>('migrateMap');

/** What a migration would change in this journey, without changing it (a dry run), or why the journey refuses it. */
export const migrationPreviewQuery = defineQuery<MigrationPreview, [MigrationRequest]>('migrationPreview');

/** The contact unsubscribed from journey emails: the journey stops emailing them and goes on with tasks. */
export const contactUnsubscribedSignal = defineSignal<[{ email: string; at: string }]>('contactUnsubscribed');

/** An owner completed a task (outcome and notes); completing it again answers the first completion. */
export const completeTaskUpdate = defineUpdate<OwnerTask, [TaskCompletion]>('completeTask');

/** Someone else holds an owner role from now on: pending touchpoints and open tasks move to them. */
export const reassignOwnerUpdate = defineUpdate<OwnerReassignment, [{ role: string; owner: Owner }]>('reassignOwner');

/** Reschedules or cancels a booked call or training session; attendees get an updated invitation. */
export const changeMeetingUpdate = defineUpdate<Booking, [MeetingChangeRequest]>('changeMeeting');

/** Pauses the journey (a reason is required): nothing is performed and no stage moves until the resume. */
export const pauseJourneyUpdate = defineUpdate<JourneyPause, [SteeringRequest]>('pauseJourney');

/** Resumes a paused journey: what fell due meanwhile happens now, and the events held are acted on in order. */
export const resumeJourneyUpdate = defineUpdate<JourneyPause & { resumedAt: string; eventsHeld: number }, [SteeringRequest]>('resumeJourney');

/** Ends the journey for a reason a person gives (not a churn: the customer did not leave). */
export const cancelJourneyUpdate = defineUpdate<{ cancelledAt: string; reason: string }, [SteeringRequest]>('cancelJourney');

/** Where a bulk operation stands: how many journeys it selected, what happened to each so far, whether it finished. */
export const bulkOperationProgressQuery = defineQuery<BulkOperationProgress>('bulkOperationProgress');
