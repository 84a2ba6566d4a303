import nodemailer from 'nodemailer';
import { withEndOfDataGate } from '../delivery/end-of-data-gate';
import type { ActivityDeps } from '../../activities';
import type { Database } from '../db/database';
import { loadTrainers, type Trainer } from '../delivery/availability';
import { PgDeliveryLedger } from '../delivery/ledger';
import { PgSessionCalendar } from '../delivery/session-calendar';
import { PgSuppressionList } from '../delivery/suppressions';
import type { EmailTemplates } from '../delivery/templates';
import { PgJourneyFacts } from '../facts/journey-facts';
import { PgMapReviewTasks } from '../facts/map-review-tasks';
import type { Team } from '../maps/catalog';

export type Mailer = ActivityDeps['mailer'];

/** How emails leave: through the SMTP server at a URL (smtp:// or smtps://), or through a mailer given as it is. */
export type MailOptions = { smtpUrl: string; mailer?: undefined } | { mailer: Mailer; smtpUrl?: undefined };

/** What the activities keep across journeys and workers: the ledger, the calendar, suppressions, journey facts, map review tasks. */
export type ActivityStores = Pick<ActivityDeps, 'ledger' | 'sessionCalendar' | 'suppressions' | 'facts' | 'mapReviews'>;

/** The stores in the engine database, shared by every worker on every machine (and the API, for suppressions). */
export function databaseStores(db: Database): ActivityStores {
  return {
    ledger: new PgDeliveryLedger(db),
    sessionCalendar: new PgSessionCalendar(db),
    suppressions: new PgSuppressionList(db),
    facts: new PgJourneyFacts(db),
    mapReviews: new PgMapReviewTasks(db),
  };
}

/** What the activities' dependencies are made from, but the mail: the worker's configuration, or what a rehearsal or a test chooses. */
export interface ActivityDepsSettings {
  /** The engine database's stores (a worker's), or a rehearsal's own that keep nothing. */
  stores: ActivityStores;
  templates: EmailTemplates;
  /** Who holds each role: map review tasks go to the holder of the map's owner role. */
  team: Team;
  /** The From address of every journey email. */
  mailFrom: string;
  /** The trainers file (read and validated now, so a mistake in it stops the caller), or the trainers themselves. */
  trainers: string | Trainer[];
  unsubscribeSecret: string;
  publicUrl: string;
  webhookSecret: string;
  /** Hosts webhooks may reach on private addresses; none unless given. */
  webhookAllowedHosts?: readonly string[];
  /** What counts the facts each batch added (the worker's metrics); nothing unless given. */
  factsRecorded?: ActivityDeps['factsRecorded'];
}

export type ActivityDepsOptions = MailOptions & ActivityDepsSettings;

/** The one place the activities' dependencies are put together: for the worker, the rehearsal and the tests. */
export function buildActivityDeps(options: ActivityDepsOptions): ActivityDeps {
  return {
    ...options.stores,
    mailer: options.mailer === undefined ? smtpMailer(options.smtpUrl) : options.mailer,
    templates: options.templates,
    team: options.team,
    mailFrom: options.mailFrom,
    trainers: typeof options.trainers === 'string' ? loadTrainers(options.trainers) : options.trainers,
    unsubscribeSecret: options.unsubscribeSecret,
    publicUrl: options.publicUrl,
    webhookSecret: options.webhookSecret,
    webhookAllowedHosts: options.webhookAllowedHosts ?? [],
    factsRecorded: options.factsRecorded,
  };
}

/**
 * A mailer that builds every message, to its end of data (so it passes the gate as a sent one does), and
 * sends none: the rehearsal's, and tests'.
 */
export function nonSendingMailer(): Mailer {
  return withEndOfDataGate(nodemailer.createTransport({ streamTransport: true, buffer: true }));
}

/**
 * The SMTP transport. Every SMTP wait ends well inside the activity's one-minute start-to-close timeout,
 * so an attempt never outlives its retry (which would pass the ledger check and send a second time).
 */
function smtpMailer(url: string): Mailer {
  return withEndOfDataGate(nodemailer.createTransport({
    url,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 40_000,
  }));
}
