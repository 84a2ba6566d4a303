import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ProductEvent } from '../src/journeys/events';
import type { JourneyState } from './journey';

/** A product or billing event for this customer; recorded in state, deduplicated by eventId. */
export const productEventSignal = defineSignal<[ProductEvent]>('productEvent');

/** The journey as it stands: stage, milestones, touchpoints done and pending, risk, term, outcome. */
export const journeyStateQuery = defineQuery<JourneyState>('journeyState');
