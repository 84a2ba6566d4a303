import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes the journey keeps current, so ops can find journeys in the Temporal UI
 * (e.g. `JourneyStage = "onboarding" AND JourneyAtRisk = true`). The dev server registers them at start.
 */
export const customerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const journeyStageKey = defineSearchAttributeKey('JourneyStage', SearchAttributeType.KEYWORD);
export const customerSegmentKey = defineSearchAttributeKey('CustomerSegment', SearchAttributeType.KEYWORD);
export const journeyOwnersKey = defineSearchAttributeKey('JourneyOwners', SearchAttributeType.KEYWORD_LIST);
export const journeyMapKey = defineSearchAttributeKey('JourneyMap', SearchAttributeType.KEYWORD);
export const journeyAtRiskKey = defineSearchAttributeKey('JourneyAtRisk', SearchAttributeType.BOOL);
export const journeyTermKey = defineSearchAttributeKey('JourneyTerm', SearchAttributeType.INT);
/** Whoever has an open task in this journey (owners, and managers an escalation reached): `GET /v1/tasks?owner=`. */
export const journeyTaskOwnersKey = defineSearchAttributeKey('JourneyTaskOwners', SearchAttributeType.KEYWORD_LIST);

export const journeySearchAttributeKeys = [
  customerIdKey,
  journeyStageKey,
  customerSegmentKey,
  journeyOwnersKey,
  journeyMapKey,
  journeyAtRiskKey,
  journeyTermKey,
  journeyTaskOwnersKey,
];
