import type { Transporter } from 'nodemailer';
import type { CustomerDetails, Person } from '../src/journeys/customer';
import type { DeliveryLedger } from '../src/delivery/ledger';
import type { EmailTemplates } from '../src/delivery/templates';
import type { SuppressionList } from '../src/delivery/suppressions';
import type { Trainer } from '../src/delivery/availability';
import type { SessionCalendar } from '../src/delivery/session-calendar';
import type { JourneyFactStore } from '../src/facts/journey-facts';
import type { FactBatch, JourneyFact } from '../contracts/facts';
import type { MapReviewTaskStore } from '../src/facts/map-review-tasks';
import type { Team } from '../src/maps/catalog';

/** What activities need from the world, handed in by the worker (or a test): never read from process.env. */
export interface ActivityDeps {
  mailer: Pick<Transporter, 'sendMail'>;
  ledger: DeliveryLedger;
  templates: EmailTemplates;
  /** The From address of every journey email, e.g. "Acme Success <success@acme.example>". */
  mailFrom: string;
  /** Who gives training sessions and when (maps/trainers.yaml), in the file's order of preference. */
  trainers: Trainer[];
  /** Which trainer time is taken, shared by every worker. */
  sessionCalendar: SessionCalendar;
  /** Who unsubscribed: journey emails never go to them. */
  suppressions: SuppressionList;
  /** Where journeys record what they did (facts), their current stage and their open tasks. */
  facts: JourneyFactStore;
  /** Where the map registry opens the owners' yearly map review tasks. */
  mapReviews: MapReviewTaskStore;
  /** Who holds each role (maps/team.yaml): a map's owner is one of them. */
  team: Team;
  /** Told the facts each batch added (none that a retry, a replay or another worker recorded before): the worker's metrics count them. */
  factsRecorded?: (facts: readonly JourneyFact[]) => void;
  /** Signs unsubscribe links, so nobody can make one for somebody else's address. */
  unsubscribeSecret: string;
  /** Where customers reach the API's unsubscribe page, e.g. "https://journeys.acme.example". */
  publicUrl: string;
  /** The shared secret webhooks are signed with (HMAC-SHA256); each receiver verifies with the same. */
  webhookSecret: string;
  /** Hosts webhooks may reach although they resolve to private or loopback addresses (WEBHOOK_ALLOWED_HOSTS). */
  webhookAllowedHosts: readonly string[];
}

/** What every touchpoint activity gets: its idempotency key, the customer, and who owns the moment. */
export interface TouchpointInput {
  /** Workflow id + term + touchpoint occurrence: the same key is delivered once. */
  key: string;
  customer: CustomerDetails;
  owner: Person;
  ownerRole: string;
  touchpointName: string;
  /** Where the journey stands, for templates ({{journey.stageName}}); absent from journeys scheduled before it existed. */
  journey?: JourneyFacts;
  /**
   * What the workflow task that scheduled this touchpoint changed (journey facts, snapshot, open tasks):
   * recorded before the touchpoint is performed, on every attempt (the store keeps each fact once). Only on
   * activities that retry until they succeed, so no batch is lost; absent when nothing changed.
   */
  facts?: FactBatch;
}

/** The journey as templates see it. */
export interface JourneyFacts {
  stage: string;
  stageName: string;
  term: number;
  mapName: string;
}
